//! What one timed run does ([`Job`]), who does it ([`Tool`]), and running it as a whole process
//! from exec to exit ([`Tool::run`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{curl, Result};

/// The argument that makes the bench binary run one job and exit (see [`run_here`]).
pub const RUN_ARG: &str = "--run-job";

/// One timed run, the same for every tool. Every run starts from nothing: a new process with a
/// new client, so connecting and TLS handshakes count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// One GET of a `bytes`-long body, streamed (never held whole).
    Stream { url: String, bytes: u64 },
    /// `count` GETs of a `bytes`-long body, at most `in_flight` at a time; `in_flight == 1` is one
    /// after another on keep-alive connections.
    Many {
        url: String,
        count: usize,
        in_flight: usize,
        bytes: u64,
    },
}

impl Job {
    /// The job as command-line words, read back by [`Job::from_args`].
    pub fn to_args(&self) -> Vec<String> {
        match self {
            Job::Stream { url, bytes } => vec!["stream".into(), url.clone(), bytes.to_string()],
            Job::Many {
                url,
                count,
                in_flight,
                bytes,
            } => vec![
                "many".into(),
                url.clone(),
                count.to_string(),
                in_flight.to_string(),
                bytes.to_string(),
            ],
        }
    }

    pub fn from_args(args: &[String]) -> Result<Job> {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        match words[..] {
            ["stream", url, bytes] => Ok(Job::Stream {
                url: url.into(),
                bytes: bytes.parse()?,
            }),
            ["many", url, count, in_flight, bytes] => Ok(Job::Many {
                url: url.into(),
                count: count.parse()?,
                in_flight: in_flight.parse()?,
                bytes: bytes.parse()?,
            }),
            _ => Err(format!("not a job: {args:?}").into()),
        }
    }
}

/// The HTTP clients compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Inet,
    Curl,
    Reqwest,
}

impl Tool {
    /// In the order of the table's columns and of the first round.
    pub const ALL: [Tool; 3] = [Tool::Inet, Tool::Curl, Tool::Reqwest];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Inet => "inet",
            Tool::Curl => "curl",
            Tool::Reqwest => "reqwest",
        }
    }

    fn from_name(name: &str) -> Result<Tool> {
        Tool::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| format!("no tool named {name:?}").into())
    }

    /// Runs `job` in a new process (curl itself, or this binary with [`RUN_ARG`]) and times its
    /// transfers (see [`Run::elapsed`]). Fails when the process does, which it does on any
    /// status but 200 and any byte count but the expected one.
    pub fn run(self, job: &Job, context: &RunContext) -> Result<Run> {
        match self {
            Tool::Curl => curl::run(job, context),
            Tool::Inet | Tool::Reqwest => {
                let mut cmd = Command::new(std::env::current_exe()?);
                cmd.arg(RUN_ARG)
                    .arg(self.name())
                    .arg(&context.ca)
                    .args(job.to_args());
                let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Stream { .. }))?;
                check_exit(self.name(), &out)?;
                let stdout = String::from_utf8_lossy(&out.stdout);
                let value = |key: &str| {
                    stdout
                        .lines()
                        .find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok())
                        .ok_or_else(|| format!("{} printed no {key}", self.name()))
                };
                Ok(Run {
                    elapsed: Duration::from_nanos(value("transfer_ns=")?),
                    setup: Duration::from_nanos(value("setup_ns=")?),
                    peak_rss_kib: watched.peak_rss_kib.max(value("vmhwm_kib=").ok()),
                    connections: None,
                })
            }
        }
    }
}

/// What every run needs besides its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    /// The CA certificate (PEM) every tool trusts.
    pub ca: PathBuf,
    /// How long curl takes to start, do one small GET and exit: taken off each curl run's wall
    /// time (see [`curl::startup`]).
    pub curl_startup: Duration,
}

/// The outcome of one timed run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// The transfers' time: from the first request to the last byte, without starting the
    /// process and setting up the client (inet, reqwest: measured in the process; curl: its wall
    /// time less [`RunContext::curl_startup`]).
    pub elapsed: Duration,
    /// What was left out of `elapsed`.
    pub setup: Duration,
    /// The process's peak resident set (VmHWM), when it was watched.
    pub peak_rss_kib: Option<u64>,
    /// TCP connections opened, when the tool says (curl's `num_connects`).
    pub connections: Option<u64>,
}

/// How an in-process run spent its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Building the runtime and the client or session.
    pub setup: Duration,
    /// From the first request to the end of the job.
    pub transfer: Duration,
}

/// Wall time and peak RSS of a process, as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub wall: Duration,
    pub peak_rss_kib: Option<u64>,
}

/// The child side of [`Tool::run`]: `ARGS` are what follows [`RUN_ARG`] (tool, CA file, job).
/// Runs the job, prints `setup_ns=`, `transfer_ns=` and `vmhwm_kib=` lines and returns; an error
/// means a failed run.
pub fn run_here(args: &[String]) -> Result<()> {
    let [tool, ca, job @ ..] = args else {
        return Err(format!("usage: {RUN_ARG} TOOL CA_FILE JOB...").into());
    };
    let job = Job::from_args(job)?;
    let ca = Path::new(ca);
    let timing = match Tool::from_name(tool)? {
        Tool::Inet => crate::inet_client::run(&job, ca)?,
        Tool::Reqwest => crate::reqwest_client::run(&job, ca)?,
        Tool::Curl => return Err("curl runs as itself, not in this binary".into()),
    };
    println!("setup_ns={}", timing.setup.as_nanos());
    println!("transfer_ns={}", timing.transfer.as_nanos());
    if let Some(kib) = vm_hwm_kib(std::process::id()) {
        println!("vmhwm_kib={kib}");
    }
    Ok(())
}

/// An error unless a body had the expected length.
pub fn same_length(got: u64, expected: u64) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("got {got} bytes, expected {expected}").into())
    }
}

/// Spawns `cmd` (stdout and stderr captured), waits for it and times it. With `watch_rss`, a
/// thread samples the child's VmHWM every 10 ms; the high-water mark only grows, so the last
/// sample misses at most the final 10 ms of growth.
pub fn spawn_timed(cmd: &mut Command, watch_rss: bool) -> Result<(Output, Watched)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let watcher = watch_rss.then(|| {
        let (done, peak) = (done.clone(), peak.clone());
        thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                if let Some(kib) = vm_hwm_kib(pid) {
                    peak.fetch_max(kib, Ordering::AcqRel);
                }
                thread::sleep(Duration::from_millis(10));
            }
        })
    });
    let out = child.wait_with_output()?;
    let elapsed = started.elapsed();
    done.store(true, Ordering::Release);
    if let Some(w) = watcher {
        w.join().map_err(|_| "the RSS watcher panicked")?;
    }
    let peak = peak.load(Ordering::Acquire);
    let watched = Watched {
        wall: elapsed,
        peak_rss_kib: (peak > 0).then_some(peak),
    };
    Ok((out, watched))
}

/// An error carrying the process's stderr unless it exited with 0.
pub fn check_exit(what: &str, out: &Output) -> Result<()> {
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )
    .into())
}

/// `VmHWM` of process `pid` in KiB (None once it has exited).
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
