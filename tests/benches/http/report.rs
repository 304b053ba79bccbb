//! Medians, goals and the printed tables.

use std::fmt::Write as _;

use crate::job::{Job, Run, Tool};

/// Peak RSS inet must stay under while streaming 1 GiB.
pub const RSS_GOAL_KIB: u64 = 16 * 1024;

/// What inet must reach on a workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// This many times the faster of curl and reqwest.
    FasterPeer(f64),
    /// This many times reqwest.
    Reqwest(f64),
}

/// One workload and every run of it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub label: String,
    pub job: Job,
    pub goal: Goal,
    /// Per tool (in [`Tool::ALL`] order), the successful runs in the order they ran.
    pub runs: [Vec<Run>; 3],
    /// Per tool, the failed runs' messages.
    pub errors: [Vec<String>; 3],
}

impl Workload {
    pub fn new(label: String, job: Job, goal: Goal) -> Self {
        Workload {
            label,
            job,
            goal,
            runs: Default::default(),
            errors: Default::default(),
        }
    }

    pub fn record(&mut self, tool: Tool, outcome: Result<Run, String>) {
        let i = index(tool);
        match outcome {
            Ok(run) => self.runs[i].push(run),
            Err(e) => self.errors[i].push(e),
        }
    }

    /// The rate of one run: MB/s (10^6 bytes) for a stream, requests/s otherwise.
    pub fn rate(&self, run: &Run) -> f64 {
        let secs = run.elapsed.as_secs_f64();
        match &self.job {
            Job::Stream { bytes, .. } => *bytes as f64 / secs / 1e6,
            Job::Many { count, .. } => *count as f64 / secs,
        }
    }

    pub fn unit(&self) -> &'static str {
        match self.job {
            Job::Stream { .. } => "MB/s",
            Job::Many { .. } => "req/s",
        }
    }

    /// The median rate of `tool` (None without a successful run).
    fn median_rate(&self, tool: Tool) -> Option<f64> {
        let rates: Vec<f64> = self.runs[index(tool)]
            .iter()
            .map(|r| self.rate(r))
            .collect();
        median(rates)
    }

    /// The highest peak RSS of `tool`'s runs, in KiB.
    fn peak_rss_kib(&self, tool: Tool) -> Option<u64> {
        self.runs[index(tool)]
            .iter()
            .filter_map(|r| r.peak_rss_kib)
            .max()
    }

    /// Whether inet's median meets the goal (None without the numbers to tell).
    fn goal_met(&self) -> Option<bool> {
        let inet = self.median_rate(Tool::Inet)?;
        let reqwest = self.median_rate(Tool::Reqwest)?;
        match self.goal {
            Goal::FasterPeer(x) => {
                let curl = self.median_rate(Tool::Curl)?;
                Some(inet >= x * curl.max(reqwest))
            }
            Goal::Reqwest(x) => Some(inet >= x * reqwest),
        }
    }
}

/// The medians table, one row per workload plus a peak-RSS row per streamed download.
/// Without `judge` (a smoke run) goals are shown but not judged.
pub fn table(workloads: &[Workload], judge: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<36} {:>13} {:>13} {:>13} {:>10} {:>13}  {:<20} met",
        "workload (median)", "inet", "curl", "reqwest", "inet/curl", "inet/reqwest", "goal"
    );
    for w in workloads {
        let rates = Tool::ALL.map(|t| w.median_rate(t));
        let cells = rates.map(|r| cell(r.map(|r| format!("{r:.0} {}", w.unit()))));
        let ratio =
            |peer: Option<f64>| cell(rates[0].zip(peer).map(|(i, p)| format!("{:.2}x", i / p)));
        let goal = match w.goal {
            Goal::FasterPeer(x) => format!(">= {x}x faster peer"),
            Goal::Reqwest(x) => format!(">= {x}x reqwest"),
        };
        let met = if judge { yes_no(w.goal_met()) } else { "-" };
        let _ = writeln!(
            out,
            "{:<36} {:>13} {:>13} {:>13} {:>10} {:>13}  {goal:<20} {met}",
            w.label,
            cells[0],
            cells[1],
            cells[2],
            ratio(rates[1]),
            ratio(rates[2])
        );
    }
    for w in workloads
        .iter()
        .filter(|w| matches!(w.job, Job::Stream { .. }))
    {
        let peaks = Tool::ALL.map(|t| w.peak_rss_kib(t));
        let cells = peaks.map(|p| cell(p.map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0))));
        let met = if judge {
            yes_no(peaks[0].map(|kib| kib < RSS_GOAL_KIB))
        } else {
            "-"
        };
        let _ = writeln!(
            out,
            "{:<36} {:>13} {:>13} {:>13} {:>10} {:>13}  {:<20} {met}",
            format!("peak RSS (max), {}", w.label),
            cells[0],
            cells[1],
            cells[2],
            "",
            "",
            format!("< {} MiB", RSS_GOAL_KIB / 1024),
        );
    }
    out
}

/// Every run's rate, in the order they ran, with the spread; then every failure.
pub fn runs(workloads: &[Workload]) -> String {
    let mut out = String::new();
    for w in workloads {
        for tool in Tool::ALL {
            let rates: Vec<f64> = w.runs[index(tool)].iter().map(|r| w.rate(r)).collect();
            let list: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
            let spread = match (
                rates.iter().copied().reduce(f64::min),
                rates.iter().copied().reduce(f64::max),
            ) {
                (Some(lo), Some(hi)) => format!("  (max/min {:.2})", hi / lo),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<36} {:<8} {} {}{spread}",
                w.label,
                tool.name(),
                w.unit(),
                list.join(" ")
            );
            for e in &w.errors[index(tool)] {
                let _ = writeln!(out, "{:<36} {:<8} FAILED: {e}", w.label, tool.name());
            }
        }
    }
    out
}

fn index(tool: Tool) -> usize {
    Tool::ALL.iter().position(|t| *t == tool).unwrap_or(0)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn cell(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

fn yes_no(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}
