//! What one timed run does ([`Job`]), who does it ([`Tool`]), and running it as a whole process
//! from exec to exit ([`Tool::run`]): every tool is its own child process, and its CPU time and
//! context switches are taken the same way for all of them (the child's `getrusage`, see
//! [`spawn_timed`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::vm_hwm_kib;
pub use crate::process::{check_exit, spawn_timed, Usage};
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
    /// `inet_http` futures on `inet_core::block_on` (the future form).
    Inet,
    /// WinINet's callback mode: `start_send`, `start_read`s of 64 KiB, continued from the status
    /// callback (`inet_callback.rs`).
    InetCallback,
    /// The `inet` binary: `inet get URL -o /dev/null`, timed as a whole process (streams only).
    InetGet,
    Curl,
    Reqwest,
}

impl Tool {
    /// In the order of the table's columns and of the first round.
    pub const ALL: [Tool; 5] = [
        Tool::Inet,
        Tool::InetCallback,
        Tool::InetGet,
        Tool::Curl,
        Tool::Reqwest,
    ];

    /// The short name of progress lines and of [`RUN_ARG`].
    pub fn name(self) -> &'static str {
        match self {
            Tool::Inet => "inet",
            Tool::InetCallback => "inet-cb",
            Tool::InetGet => "inet-get",
            Tool::Curl => "curl",
            Tool::Reqwest => "reqwest",
        }
    }

    /// The table's column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Tool::Inet => "inet future",
            Tool::InetCallback => "inet callback",
            Tool::InetGet => "inet get",
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

    /// Runs `job` in a new process (curl itself, `inet get`, or this binary with [`RUN_ARG`]) and
    /// times its transfers (see [`Run::elapsed`]). Fails when the process does, which it does on
    /// any status but 200 and any byte count but the expected one.
    pub fn run(self, job: &Job, context: &RunContext) -> Result<Run> {
        match self {
            Tool::Curl => curl::run(job, context),
            Tool::InetGet => inet_get(job, context),
            Tool::Inet | Tool::InetCallback | Tool::Reqwest => {
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
                let reads = match (value("reads="), value("reads_done=")) {
                    (Ok(total), Ok(done)) => Some(Reads { total, done }),
                    _ => None,
                };
                Ok(Run {
                    elapsed: Duration::from_nanos(value("transfer_ns=")?),
                    setup: Duration::from_nanos(value("setup_ns=")?),
                    peak_rss_kib: watched.peak_rss_kib.max(value("vmhwm_kib=").ok()),
                    connections: None,
                    usage: watched.usage,
                    reads,
                    startup_cpu: None,
                })
            }
        }
    }
}

/// `inet get --fail URL -o /dev/null` (with `--cacert` for https), timed as a whole process: its
/// wall time from spawn to exit, start-up included. A many-request job is every URL on the
/// command line, each with its `-o /dev/null` (as curl's URL list gives each its `output`),
/// `--parallel` and `--max-connections-per-host` set to the job's requests in flight.
fn inet_get(job: &Job, context: &RunContext) -> Result<Run> {
    let bin = context
        .inet_cli
        .as_ref()
        .ok_or("the inet binary was not built")?;
    let mut cmd = Command::new(bin);
    // --fail: a status >= 400 exits 22. The length needs no check: inet fails a body that ends
    // before its Content-Length.
    cmd.args(["get", "--fail", "--quiet"]);
    let url = match job {
        Job::Stream { url, .. } => {
            cmd.args([url, "-o", "/dev/null"]);
            url
        }
        Job::Many {
            url,
            count,
            in_flight,
            ..
        } => {
            let n = (*in_flight).max(1).to_string();
            cmd.args(["--parallel", &n, "--max-connections-per-host", &n]);
            for _ in 0..*count {
                cmd.args([url, "-o", "/dev/null"]);
            }
            url
        }
    };
    if url.starts_with("https:") {
        cmd.arg("--cacert").arg(&context.ca);
    }
    let (out, watched) = spawn_timed(&mut cmd, true)?;
    check_exit("inet get", &out)?;
    Ok(Run {
        elapsed: watched.wall,
        setup: Duration::ZERO,
        peak_rss_kib: watched.peak_rss_kib,
        connections: None,
        usage: watched.usage,
        reads: None,
        startup_cpu: None,
    })
}

/// What every run needs besides its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    /// The CA certificate (PEM) every tool trusts.
    pub ca: PathBuf,
    /// How long curl takes to start, do one small GET and exit: taken off each curl run's wall
    /// time (see [`curl::startup`]).
    pub curl_startup: Duration,
    /// The `inet` binary (`cli/`) of the bench's own profile, when a workload needs it.
    pub inet_cli: Option<PathBuf>,
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
    /// The whole process's CPU time and context switches (start-up and set-up included).
    pub usage: Option<Usage>,
    /// Callback mode's `start_read`s (inet callback only).
    pub reads: Option<Reads>,
    /// The median CPU time of the tool's start-up runs on this workload (see
    /// `Workload::startup`), set when the run is recorded.
    pub startup_cpu: Option<Duration>,
}

/// How callback mode's reads of a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// `start_read` calls.
    pub total: u64,
    /// Those that returned `Started::Done` (served from buffered data or a ready socket on the
    /// calling thread: no hop to a worker, no futex wake); the others went `Pending`.
    pub done: u64,
}

/// How an in-process run spent its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Building the runtime and the client or session.
    pub setup: Duration,
    /// From the first request to the end of the job.
    pub transfer: Duration,
    /// Callback mode's reads.
    pub reads: Option<Reads>,
}

/// The child side of [`Tool::run`]: `ARGS` are what follows [`RUN_ARG`] (tool, CA file, job).
/// Runs the job, prints `setup_ns=`, `transfer_ns=` and `vmhwm_kib=` lines (and `reads=`,
/// `reads_done=` in callback mode) and returns; an error means a failed run.
pub fn run_here(args: &[String]) -> Result<()> {
    let [tool, ca, job @ ..] = args else {
        return Err(format!("usage: {RUN_ARG} TOOL CA_FILE JOB...").into());
    };
    let job = Job::from_args(job)?;
    let ca = Path::new(ca);
    let timing = match Tool::from_name(tool)? {
        Tool::Inet => crate::inet_client::run(&job, ca)?,
        Tool::InetCallback => crate::inet_callback::run(&job, ca)?,
        Tool::Reqwest => crate::reqwest_client::run(&job, ca)?,
        Tool::Curl | Tool::InetGet => {
            return Err(format!("{tool} runs as its own binary, not in this one").into())
        }
    };
    println!("setup_ns={}", timing.setup.as_nanos());
    println!("transfer_ns={}", timing.transfer.as_nanos());
    if let Some(reads) = timing.reads {
        println!("reads={}", reads.total);
        println!("reads_done={}", reads.done);
    }
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
