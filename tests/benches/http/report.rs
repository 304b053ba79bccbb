//! Medians, goals and the printed tables (markdown, to paste into a closing note).

use crate::table::{markdown, median, spread};
use std::fmt::Write as _;
use std::time::Duration;

use crate::job::{Job, Run, Tool};

/// Peak RSS inet must stay under while streaming 1 GiB.
pub const RSS_GOAL_KIB: u64 = 16 * 1024;

/// One thing inet must reach on a workload, judged on medians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goal {
    /// The inet column judged.
    pub tool: Tool,
    pub kind: GoalKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GoalKind {
    /// Rate (MB/s, req/s) at least this many times that of `Peer`.
    Rate(f64, Peer),
    /// CPU time per unit (GiB, request) at most this many times that of `Peer`.
    Cpu(f64, Peer),
    /// Peak RSS under [`RSS_GOAL_KIB`].
    PeakRss,
}

/// What a goal compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// The better of curl and reqwest on that measure.
    Best,
    Tool(Tool),
}

impl Goal {
    pub fn rate(tool: Tool, factor: f64, peer: Peer) -> Goal {
        Goal {
            tool,
            kind: GoalKind::Rate(factor, peer),
        }
    }

    pub fn cpu(tool: Tool, factor: f64, peer: Peer) -> Goal {
        Goal {
            tool,
            kind: GoalKind::Cpu(factor, peer),
        }
    }

    pub fn peak_rss(tool: Tool) -> Goal {
        Goal {
            tool,
            kind: GoalKind::PeakRss,
        }
    }

    fn text(&self) -> String {
        let peer = |p: Peer| match p {
            Peer::Best => "faster peer".to_owned(),
            Peer::Tool(t) => t.heading().to_owned(),
        };
        match self.kind {
            GoalKind::Rate(x, p) => format!("{} ≥ {x}× {}", self.tool.heading(), peer(p)),
            GoalKind::Cpu(x, Peer::Best) => {
                format!("{} CPU ≤ {x}× leaner peer", self.tool.heading())
            }
            GoalKind::Cpu(x, p) => format!("{} CPU ≤ {x}× {}", self.tool.heading(), peer(p)),
            GoalKind::PeakRss => format!("{} < {} MiB", self.tool.heading(), RSS_GOAL_KIB / 1024),
        }
    }

    /// The measured ratio (or MiB for RSS) and whether it meets the goal; None without numbers.
    fn judge(&self, w: &Workload) -> Option<(String, bool)> {
        let peers = [Tool::Curl, Tool::Reqwest];
        match self.kind {
            GoalKind::Rate(x, peer) => {
                let mine = w.median(self.tool, Workload::rate)?;
                let theirs = match peer {
                    Peer::Best => peers
                        .iter()
                        .map(|t| w.median(*t, Workload::rate))
                        .collect::<Option<Vec<f64>>>()?
                        .into_iter()
                        .reduce(f64::max)?,
                    Peer::Tool(t) => w.median(t, Workload::rate)?,
                };
                let ratio = mine / theirs;
                Some((format!("{ratio:.2}×"), ratio >= x))
            }
            GoalKind::Cpu(x, peer) => {
                let mine = w.median(self.tool, Workload::cpu_per_unit)?;
                let theirs = match peer {
                    Peer::Best => peers
                        .iter()
                        .map(|t| w.median(*t, Workload::cpu_per_unit))
                        .collect::<Option<Vec<f64>>>()?
                        .into_iter()
                        .reduce(f64::min)?,
                    Peer::Tool(t) => w.median(t, Workload::cpu_per_unit)?,
                };
                let ratio = mine / theirs;
                Some((format!("{ratio:.2}×"), ratio <= x))
            }
            GoalKind::PeakRss => {
                let kib = w.peak_rss_kib(self.tool)?;
                Some((
                    format!("{:.1} MiB", kib as f64 / 1024.0),
                    kib < RSS_GOAL_KIB,
                ))
            }
        }
    }

    /// The row of the table the goal is shown on.
    fn row(&self) -> Row {
        match self.kind {
            GoalKind::Rate(..) => Row::Rate,
            GoalKind::Cpu(..) => Row::Cpu,
            GoalKind::PeakRss => Row::PeakRss,
        }
    }
}

/// One workload and every run of it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub label: String,
    pub job: Job,
    /// The same client doing one small GET over the same scheme: what a process costs before its
    /// transfers (exec, runtime, client and TLS set-up, one request), taken off the "CPU above
    /// start-up" row.
    pub startup: Job,
    /// Per tool, the CPU time of its start-up runs.
    pub startup_cpu: [Vec<Duration>; Tool::ALL.len()],
    pub goals: Vec<Goal>,
    /// Per tool (in [`Tool::ALL`] order), the successful runs in the order they ran.
    pub runs: [Vec<Run>; Tool::ALL.len()],
    /// Per tool, the failed runs' messages.
    pub errors: [Vec<String>; Tool::ALL.len()],
}

impl Workload {
    pub fn new(label: String, job: Job, startup: Job, goals: Vec<Goal>) -> Self {
        Workload {
            label,
            job,
            startup,
            startup_cpu: Default::default(),
            goals,
            runs: Default::default(),
            errors: Default::default(),
        }
    }

    pub fn record(&mut self, tool: Tool, outcome: Result<Run, String>) {
        let i = index(tool);
        match outcome {
            Ok(mut run) => {
                let secs = self.startup_cpu[i]
                    .iter()
                    .map(Duration::as_secs_f64)
                    .collect();
                run.startup_cpu = median(secs).map(Duration::from_secs_f64);
                self.runs[i].push(run)
            }
            Err(e) => self.errors[i].push(e),
        }
    }

    /// Records a start-up run (see [`Workload::startup`]).
    pub fn record_startup(&mut self, tool: Tool, outcome: Result<Run, String>) {
        let i = index(tool);
        match outcome.map(|r| r.usage) {
            Ok(Some(usage)) => self.startup_cpu[i].push(usage.cpu()),
            Ok(None) => {}
            Err(e) => self.errors[i].push(format!("start-up run: {e}")),
        }
    }

    /// The median start-up CPU of `tool`, for the progress output.
    pub fn startup_cpu(&self, tool: Tool) -> Option<Duration> {
        let secs = self.startup_cpu[index(tool)]
            .iter()
            .map(Duration::as_secs_f64)
            .collect();
        median(secs).map(Duration::from_secs_f64)
    }

    /// The rate of one run: MB/s (10^6 bytes) for a stream, requests/s otherwise.
    pub fn rate(&self, run: &Run) -> Option<f64> {
        let secs = run.elapsed.as_secs_f64();
        Some(match &self.job {
            Job::Stream { bytes, .. } => *bytes as f64 / secs / 1e6,
            Job::Many { count, .. } => *count as f64 / secs,
        })
    }

    pub fn unit(&self) -> &'static str {
        match self.job {
            Job::Stream { .. } => "MB/s",
            Job::Many { .. } => "req/s",
        }
    }

    /// The process's CPU time (user + system) per GiB (ms) of a stream or per request (µs).
    pub fn cpu_per_unit(&self, run: &Run) -> Option<f64> {
        let cpu = run.usage?.cpu().as_secs_f64();
        Some(match &self.job {
            Job::Stream { bytes, .. } => cpu * 1e3 / (*bytes as f64 / (1u64 << 30) as f64),
            Job::Many { count, .. } => cpu * 1e6 / *count as f64,
        })
    }

    /// Like [`Workload::cpu_per_unit`], less the tool's start-up CPU (and its one small GET).
    pub fn cpu_above_startup_per_unit(&self, run: &Run) -> Option<f64> {
        let cpu = run
            .usage?
            .cpu()
            .saturating_sub(run.startup_cpu?)
            .as_secs_f64();
        Some(match (&self.job, &self.startup) {
            (Job::Stream { bytes, .. }, Job::Stream { bytes: small, .. }) => {
                cpu * 1e3 / (bytes.saturating_sub(*small).max(1) as f64 / (1u64 << 30) as f64)
            }
            (Job::Many { count, .. }, _) => cpu * 1e6 / count.saturating_sub(1).max(1) as f64,
            (Job::Stream { bytes, .. }, _) => cpu * 1e3 / (*bytes as f64 / (1u64 << 30) as f64),
        })
    }

    pub fn cpu_unit(&self) -> &'static str {
        match self.job {
            Job::Stream { .. } => "ms/GiB",
            Job::Many { .. } => "µs/req",
        }
    }

    /// How many "units" context switches are counted per: 64 KiB of a stream, or a request.
    fn switch_units(&self) -> f64 {
        match &self.job {
            Job::Stream { bytes, .. } => *bytes as f64 / 65536.0,
            Job::Many { count, .. } => *count as f64,
        }
    }

    /// Voluntary context switches per 64 KiB of a stream, or per request.
    pub fn voluntary_per_unit(&self, run: &Run) -> Option<f64> {
        Some(run.usage?.voluntary as f64 / self.switch_units())
    }

    /// Involuntary context switches per 64 KiB of a stream, or per request.
    pub fn involuntary_per_unit(&self, run: &Run) -> Option<f64> {
        Some(run.usage?.involuntary as f64 / self.switch_units())
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

    /// The highest peak RSS of `tool`'s runs, in KiB.
    fn peak_rss_kib(&self, tool: Tool) -> Option<u64> {
        self.runs[index(tool)]
            .iter()
            .filter_map(|r| r.peak_rss_kib)
            .max()
    }

    /// The cell of one tool on one row.
    fn cell(&self, row: Row, tool: Tool) -> String {
        if row == Row::ReadsDone && tool != Tool::InetCallback {
            return "n/a".to_owned();
        }
        let value = match row {
            Row::Rate => self
                .median(tool, Self::rate)
                .map(|r| format!("{r:.0} {}", self.unit())),
            Row::Cpu => self
                .median(tool, Self::cpu_per_unit)
                .map(|c| format!("{c:.1} {}", self.cpu_unit())),
            Row::CpuAboveStartup => self
                .median(tool, Self::cpu_above_startup_per_unit)
                .map(|c| format!("{c:.1} {}", self.cpu_unit())),
            Row::Switches => self
                .median(tool, Self::voluntary_per_unit)
                .zip(self.median(tool, Self::involuntary_per_unit))
                .map(|(v, i)| format!("{v:.2} / {i:.2}")),
            Row::ReadsDone => self
                .median(tool, Self::reads_done_share)
                .zip(self.median(tool, Self::reads_total))
                .map(|(share, total)| format!("{:.1}% of {total:.0}", share * 100.0)),
            Row::PeakRss => self
                .peak_rss_kib(tool)
                .map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0)),
        };
        value.unwrap_or_else(|| "-".to_owned())
    }

    fn rows(&self) -> &'static [Row] {
        match self.job {
            Job::Stream { .. } => &[
                Row::Rate,
                Row::Cpu,
                Row::CpuAboveStartup,
                Row::Switches,
                Row::ReadsDone,
                Row::PeakRss,
            ],
            Job::Many { .. } => &[Row::Rate, Row::Cpu, Row::CpuAboveStartup, Row::Switches],
        }
    }
}

/// The table's measures, a row each per workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Rate,
    Cpu,
    CpuAboveStartup,
    Switches,
    ReadsDone,
    PeakRss,
}

impl Row {
    fn name(self, w: &Workload) -> String {
        let per = match w.job {
            Job::Stream { .. } => "64 KiB",
            Job::Many { .. } => "request",
        };
        match self {
            Row::Rate => "rate".to_owned(),
            Row::Cpu => "CPU (user+sys), whole process".to_owned(),
            Row::CpuAboveStartup => "CPU above start-up".to_owned(),
            Row::Switches => format!("ctx switches per {per} (vol / invol)"),
            Row::ReadsDone => "64 KiB reads done at once".to_owned(),
            Row::PeakRss => "peak RSS (max)".to_owned(),
        }
    }
}

/// The table, in markdown: a row per measure of each workload, a column per tool, and the goals
/// judged on that measure with inet's ratio. Without `judge` (a smoke run) goals are shown with
/// their ratios but not judged.
pub fn table(workloads: &[Workload], judge: bool) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut heading = vec!["workload".to_owned(), "measure (median)".to_owned()];
    heading.extend(Tool::ALL.iter().map(|t| t.heading().to_owned()));
    heading.push("goals (inet's ratio)".to_owned());
    rows.push(heading);
    for w in workloads {
        for (i, row) in w.rows().iter().enumerate() {
            let label = if i == 0 {
                w.label.clone()
            } else {
                String::new()
            };
            let mut cells = vec![label, row.name(w)];
            cells.extend(Tool::ALL.iter().map(|t| w.cell(*row, *t)));
            let goals: Vec<String> = w
                .goals
                .iter()
                .filter(|g| g.row() == *row)
                .map(|g| {
                    let verdict = match g.judge(w) {
                        Some((ratio, met)) if judge => {
                            format!("{ratio} {}", if met { "met" } else { "**NOT met**" })
                        }
                        Some((ratio, _)) => format!("{ratio} (not judged)"),
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

/// Every run, in the order they ran: rate, CPU, context switches (and reads in callback mode),
/// with the spread of the rates; then every failure.
pub fn runs(workloads: &[Workload]) -> String {
    let mut out = String::new();
    for w in workloads {
        for tool in Tool::ALL {
            let runs = &w.runs[index(tool)];
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
            let per = match w.job {
                Job::Stream { .. } => "64 KiB",
                Job::Many { .. } => "req",
            };
            let _ = write!(
                out,
                "{:<36} {:<8} {}: {}{spread}; CPU {}: {} (above start-up: {}); \
                 vol. switches/{per}: {}",
                w.label,
                tool.name(),
                w.unit(),
                list(Workload::rate, 0),
                w.cpu_unit(),
                list(Workload::cpu_per_unit, 1),
                list(Workload::cpu_above_startup_per_unit, 1),
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
            out.push('\n');
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
