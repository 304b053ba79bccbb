//! Medians, goals and the printed tables (markdown, to paste into a closing note).

use crate::table::{markdown, median, spread};
use std::fmt::Write as _;
use std::time::Duration;

use crate::job::{Job, Run, Tool};
use crate::listing::Format;

/// A rate inet must reach on a workload: at least `factor` times the peer's, judged on medians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// The inet column judged.
    pub tool: Tool,
    pub factor: f64,
    pub peer: Peer,
}

/// What a goal compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The faster of curl and suppaftp.
    Best,
    Tool(Tool),
    /// curl had its transfers that waited taken the median time (see `curl.rs`).
    CurlWithoutWaits,
}

impl Goal {
    pub fn new(tool: Tool, factor: f64, peer: Peer) -> Goal {
        Goal { tool, factor, peer }
    }

    fn text(&self) -> String {
        let peer = match self.peer {
            Peer::Best => "faster peer",
            Peer::Tool(t) => t.heading(),
            Peer::CurlWithoutWaits => "curl without its waits",
        };
        format!("{} ≥ {}× {peer}", self.tool.heading(), self.factor)
    }

    /// The measured ratio and whether it meets the goal; None without numbers.
    fn judge(&self, w: &Workload) -> Option<(f64, bool)> {
        let mine = w.median(self.tool, Workload::rate)?;
        let theirs = match self.peer {
            Peer::Best => w.best_peer_rate()?,
            Peer::Tool(t) => w.median(t, Workload::rate)?,
            Peer::CurlWithoutWaits => w.median(Tool::Curl, Workload::rate_without_waits)?,
        };
        let ratio = mine / theirs;
        Some((ratio, ratio >= self.factor))
    }

    /// The row of the table the goal is shown on.
    fn row(&self) -> Row {
        match self.peer {
            Peer::CurlWithoutWaits => Row::Waits,
            _ => Row::Rate,
        }
    }
}

/// One workload and every run of it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub label: String,
    pub job: Job,
    pub goals: Vec<Goal>,
    /// Per tool (in [`Tool::ALL`] order), the successful runs in the order they ran.
    pub runs: [Vec<Run>; Tool::ALL.len()],
    /// Per tool, the failed runs' messages.
    pub errors: [Vec<String>; Tool::ALL.len()],
}

impl Workload {
    pub fn new(label: String, job: Job, goals: Vec<Goal>) -> Self {
        Workload {
            label,
            job,
            goals,
            runs: Default::default(),
            errors: Default::default(),
        }
    }

    pub fn record(&mut self, tool: Tool, outcome: Result<Run, String>) {
        match outcome {
            Ok(run) => self.runs[index(tool)].push(run),
            Err(e) => self.errors[index(tool)].push(e),
        }
    }

    /// The rate of one run: MB/s (10^6 bytes) for one file, files/s for many.
    pub fn rate(&self, run: &Run) -> Option<f64> {
        let secs = run.elapsed.as_secs_f64();
        Some(match &self.job {
            Job::Many { count, .. } => *count as f64 / secs,
            job => job.bytes() as f64 / secs / 1e6,
        })
    }

    /// The rate had a run's waiting transfers taken the median time (curl's many-files runs).
    fn rate_without_waits(&self, run: &Run) -> Option<f64> {
        let waits = run.waits?;
        self.rate(&Run {
            elapsed: waits.elapsed_without,
            ..*run
        })
    }

    fn waits_count(&self, run: &Run) -> Option<f64> {
        Some(run.waits?.count as f64)
    }

    pub fn unit(&self) -> &'static str {
        match self.job {
            Job::Many { .. } => "files/s",
            _ => "MB/s",
        }
    }

    /// The process's CPU time (user + system): seconds per transfer for one file, µs per file
    /// for many.
    pub fn cpu_per_unit(&self, run: &Run) -> Option<f64> {
        let cpu = run.usage?.cpu().as_secs_f64();
        Some(match &self.job {
            Job::Many { count, .. } => cpu * 1e6 / *count as f64,
            _ => cpu,
        })
    }

    pub fn cpu_unit(&self) -> &'static str {
        match self.job {
            Job::Many { .. } => "µs/file",
            _ => "s",
        }
    }

    /// What context switches are counted per: a MiB of one file, or a file of many.
    fn switch_units(&self) -> f64 {
        match &self.job {
            Job::Many { count, .. } => *count as f64,
            job => job.bytes() as f64 / (1 << 20) as f64,
        }
    }

    fn switch_unit(&self) -> &'static str {
        match self.job {
            Job::Many { .. } => "file",
            _ => "MiB",
        }
    }

    pub fn voluntary_per_unit(&self, run: &Run) -> Option<f64> {
        Some(run.usage?.voluntary as f64 / self.switch_units())
    }

    fn involuntary_per_unit(&self, run: &Run) -> Option<f64> {
        Some(run.usage?.involuntary as f64 / self.switch_units())
    }

    fn voluntary_total(&self, run: &Run) -> Option<f64> {
        Some(run.usage?.voluntary as f64)
    }

    /// The share of callback-mode reads done at once (0..1).
    fn reads_done_share(&self, run: &Run) -> Option<f64> {
        let reads = run.reads?;
        (reads.total > 0).then(|| reads.done as f64 / reads.total as f64)
    }

    fn reads_total(&self, run: &Run) -> Option<f64> {
        Some(run.reads?.total as f64)
    }

    /// The median of `measure` over `tool`'s runs (None without a successful run that has it).
    fn median(&self, tool: Tool, measure: fn(&Self, &Run) -> Option<f64>) -> Option<f64> {
        let values: Vec<f64> = self.runs[index(tool)]
            .iter()
            .filter_map(|r| measure(self, r))
            .collect();
        median(values)
    }

    /// The better median rate of the peers (both must have one).
    fn best_peer_rate(&self) -> Option<f64> {
        Tool::ALL
            .iter()
            .filter(|t| t.is_peer())
            .map(|t| self.median(*t, Workload::rate))
            .collect::<Option<Vec<f64>>>()?
            .into_iter()
            .reduce(f64::max)
    }

    /// The highest peak RSS of `tool`'s runs, in KiB.
    fn peak_rss_kib(&self, tool: Tool) -> Option<u64> {
        self.runs[index(tool)]
            .iter()
            .filter_map(|r| r.peak_rss_kib)
            .max()
    }

    /// The cell of one tool on one row; `cli_missing` says why the `inet` binary's column is
    /// empty, when it is.
    fn cell(&self, row: Row, tool: Tool, cli_missing: Option<&str>) -> String {
        if !tool.runs(&self.job)
            || (row == Row::ReadsDone && tool != Tool::InetCallback)
            || (row == Row::VsPeer && tool.is_peer())
            || (row == Row::Waits && tool != Tool::Curl)
        {
            return "n/a".to_owned();
        }
        if let (Tool::InetCli, Some(why)) = (tool, cli_missing) {
            return format!("n/a ({why})");
        }
        let value = match row {
            Row::Rate => self
                .median(tool, Self::rate)
                .map(|r| format!("{r:.0} {}", self.unit())),
            Row::VsPeer => self
                .median(tool, Self::rate)
                .zip(self.best_peer_rate())
                .map(|(mine, best)| format!("{:.2}×", mine / best)),
            Row::Cpu => self
                .median(tool, Self::cpu_per_unit)
                .map(|c| match self.job {
                    Job::Many { .. } => format!("{c:.0} {}", self.cpu_unit()),
                    _ => format!("{c:.3} {}", self.cpu_unit()),
                }),
            Row::Switches => self
                .median(tool, Self::voluntary_total)
                .zip(self.median(tool, Self::voluntary_per_unit))
                .zip(self.median(tool, Self::involuntary_per_unit))
                .map(|((total, v), i)| format!("{total:.0} ({v:.2} / {i:.2})")),
            Row::ReadsDone => self
                .median(tool, Self::reads_done_share)
                .zip(self.median(tool, Self::reads_total))
                .map(|(share, total)| format!("{:.1}% of {total:.0}", share * 100.0)),
            Row::PeakRss => self
                .peak_rss_kib(tool)
                .map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0)),
            Row::Waits => self
                .median(tool, Self::waits_count)
                .zip(self.median(tool, Self::rate_without_waits))
                .map(|(n, r)| format!("{n:.0} waits; {r:.0} {} without", self.unit())),
        };
        value.unwrap_or_else(|| "-".to_owned())
    }

    fn rows(&self) -> &'static [Row] {
        match self.job {
            Job::Retr { .. } => &[
                Row::Rate,
                Row::VsPeer,
                Row::Cpu,
                Row::Switches,
                Row::ReadsDone,
                Row::PeakRss,
            ],
            Job::Stor { .. } => &[Row::Rate, Row::VsPeer, Row::Cpu, Row::Switches],
            Job::Many { .. } => &[
                Row::Rate,
                Row::Waits,
                Row::VsPeer,
                Row::Cpu,
                Row::Switches,
                Row::ReadsDone,
            ],
        }
    }
}

/// The table's measures, a row each per workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Rate,
    /// The rate over the faster peer's.
    VsPeer,
    Cpu,
    Switches,
    ReadsDone,
    PeakRss,
    /// curl's transfers that waited ≥ 0.5 s, and its rate without those waits.
    Waits,
}

impl Row {
    fn name(self, w: &Workload) -> String {
        match self {
            Row::Rate => "rate".to_owned(),
            Row::VsPeer => "rate ÷ faster peer's".to_owned(),
            Row::Cpu => match w.job {
                Job::Many { .. } => "CPU per file (user+sys, whole process)".to_owned(),
                _ => "CPU per transfer (user+sys, whole process)".to_owned(),
            },
            Row::Switches => format!("vol. ctx switches (per {}: vol / invol)", w.switch_unit()),
            Row::ReadsDone => "64 KiB reads done at once".to_owned(),
            Row::PeakRss => "peak RSS (max)".to_owned(),
            Row::Waits => "curl: transfers that waited ≥ 0.5 s".to_owned(),
        }
    }
}

/// The table, in markdown: a row per measure of each workload, a column per tool, and the goals
/// judged on the rate row with inet's ratio. Without `judge` (a quick run) goals are shown with
/// their ratios but not judged.
pub fn table(workloads: &[Workload], judge: bool, cli_missing: Option<&str>) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut heading = vec!["workload".to_owned(), "measure (median)".to_owned()];
    heading.extend(Tool::ALL.iter().map(|t| t.heading().to_owned()));
    heading.push("goals (inet's ratio)".to_owned());
    rows.push(heading);
    for w in workloads {
        for (i, row) in w.rows().iter().enumerate() {
            // curl's waits only matter in passive mode, when goals are judged on them too.
            if *row == Row::Waits && !w.goals.iter().any(|g| g.row() == Row::Waits) {
                continue;
            }
            let label = if i == 0 {
                w.label.clone()
            } else {
                String::new()
            };
            let mut cells = vec![label, row.name(w)];
            cells.extend(Tool::ALL.iter().map(|t| w.cell(*row, *t, cli_missing)));
            let goals: Vec<String> = w
                .goals
                .iter()
                .filter(|g| g.row() == *row)
                .filter(|g| g.tool != Tool::InetCli || cli_missing.is_none())
                .map(|g| {
                    let verdict = match g.judge(w) {
                        Some((ratio, met)) if judge => {
                            format!("{ratio:.2}× {}", if met { "met" } else { "**NOT met**" })
                        }
                        Some((ratio, _)) => format!("{ratio:.2}× (not judged)"),
                        None => "- (no numbers)".to_owned(),
                    };
                    format!("{}: {verdict}", g.text())
                })
                .collect();
            cells.push(goals.join("; "));
            rows.push(cells);
        }
    }
    markdown(&rows)
}

/// One listing format's parse times.
#[derive(Debug, Clone)]
pub struct Listing {
    pub format: Format,
    pub lines: usize,
    pub times: Vec<Duration>,
    pub error: Option<String>,
}

/// The bar for parsing listings.
pub const LINES_PER_SEC_GOAL: f64 = 1e6;

impl Listing {
    /// Lines per second, the median over the runs.
    pub fn rate(&self) -> Option<f64> {
        median(
            self.times
                .iter()
                .map(|t| self.lines as f64 / t.as_secs_f64())
                .collect(),
        )
    }
}

/// The listing table, in markdown.
pub fn listing_table(listings: &[Listing], judge: bool) -> String {
    let mut rows = vec![vec![
        "listing (one process, no server)".to_owned(),
        "lines".to_owned(),
        "rate (median)".to_owned(),
        "per line".to_owned(),
        "goal".to_owned(),
    ]];
    for l in listings {
        let rate = l.rate();
        let verdict = match (rate, &l.error) {
            (_, Some(e)) => format!("FAILED: {e}"),
            (Some(r), None) if judge => format!(
                "≥ 1 M lines/s: {}",
                if r >= LINES_PER_SEC_GOAL {
                    "met"
                } else {
                    "**NOT met**"
                }
            ),
            (Some(_), None) => "≥ 1 M lines/s (not judged)".to_owned(),
            (None, None) => "- (no numbers)".to_owned(),
        };
        rows.push(vec![
            l.format.label().to_owned(),
            l.lines.to_string(),
            rate.map_or("-".to_owned(), |r| format!("{:.2} M lines/s", r / 1e6)),
            rate.map_or("-".to_owned(), |r| format!("{:.0} ns", 1e9 / r)),
            verdict,
        ]);
    }
    markdown(&rows)
}

/// Every run, in the order they ran: rates with their spread, CPU, voluntary switches (and reads
/// in callback mode, connections for curl); then every failure.
pub fn runs(workloads: &[Workload]) -> String {
    let mut out = String::new();
    for w in workloads {
        for tool in Tool::ALL.into_iter().filter(|t| t.runs(&w.job)) {
            let runs = &w.runs[index(tool)];
            if runs.is_empty() && w.errors[index(tool)].is_empty() {
                continue;
            }
            let list = |measure: fn(&Workload, &Run) -> Option<f64>, digits: usize| {
                let values: Vec<String> = runs
                    .iter()
                    .map(|r| match measure(w, r) {
                        Some(v) => format!("{v:.digits$}"),
                        None => "-".to_owned(),
                    })
                    .collect();
                values.join(" ")
            };
            let rates: Vec<f64> = runs.iter().filter_map(|r| w.rate(r)).collect();
            let spread = spread(&rates);
            let _ = write!(
                out,
                "{:<24} {:<8} {}: {}{spread}; CPU {}: {}; vol. switches/{}: {}",
                w.label,
                tool.name(),
                w.unit(),
                list(Workload::rate, 0),
                w.cpu_unit(),
                list(Workload::cpu_per_unit, 3),
                w.switch_unit(),
                list(Workload::voluntary_per_unit, 2),
            );
            let reads: Vec<String> = runs
                .iter()
                .filter_map(|r| r.reads)
                .map(|r| format!("{}/{}", r.done, r.total))
                .collect();
            if !reads.is_empty() {
                let _ = write!(out, "; reads done at once: {}", reads.join(" "));
            }
            let connections: Vec<String> = runs
                .iter()
                .filter_map(|r| r.connections)
                .map(|c| c.to_string())
                .collect();
            if !connections.is_empty() {
                let _ = write!(out, "; connections: {}", connections.join(" "));
            }
            let waits: Vec<String> = runs
                .iter()
                .filter_map(|r| r.waits)
                .map(|w| w.count.to_string())
                .collect();
            if !waits.is_empty() {
                let _ = write!(out, "; transfers that waited ≥ 0.5 s: {}", waits.join(" "));
            }
            out.push('\n');
            for e in &w.errors[index(tool)] {
                let _ = writeln!(out, "{:<24} {:<8} FAILED: {e}", w.label, tool.name());
            }
        }
    }
    out
}

fn index(tool: Tool) -> usize {
    Tool::ALL.iter().position(|t| *t == tool).unwrap_or(0)
}
