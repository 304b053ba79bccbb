//! What one timed run does ([`Job`]), who does it ([`Tool`]), and running it as a whole process
//! from exec to exit ([`Tool::run`]): every tool is its own child process, measured from outside
//! the same way (`common/process.rs`).

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use inet_ftp::FtpOptions;

use crate::process::{check_exit, spawn_timed, vm_hwm_kib, Usage};
use crate::{curl, Result};

/// The argument that makes the bench binary run one job and exit (see [`run_here`]).
pub const RUN_ARG: &str = "--run-job";

/// The FTP server every tool talks to (on 127.0.0.1) and the login every tool uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub port: u16,
    pub user: String,
    pub password: String,
}

impl Server {
    /// `ftp://USER:PASSWORD@127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "ftp://{}:{}@127.0.0.1:{}/{}",
            self.user,
            self.password,
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// inet's login.
    pub fn options(&self) -> FtpOptions {
        FtpOptions::new().credentials(&self.user, &self.password)
    }
}

/// One timed run, the same for every tool. Every run starts from nothing: a new process, a new
/// control connection and a login (which are not timed, see [`Run::elapsed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// `RETR path`, a `bytes`-long file, streamed and discarded: in memory by the in-process
    /// clients, written to `/dev/null` by curl and `inet get`.
    Retr { path: String, bytes: u64 },
    /// `STOR remote` of the local file `local`, `bytes` long (in the page cache).
    Stor {
        local: PathBuf,
        remote: String,
        bytes: u64,
    },
    /// `RETR` of `dir/0000`, `dir/0001`, … (`count` files, `bytes` each), one after another
    /// over one logged-in control connection.
    Many {
        dir: String,
        count: usize,
        bytes: u64,
    },
}

impl Job {
    /// The path of the `i`-th file of a [`Job::Many`].
    pub fn small_file(dir: &str, i: usize) -> String {
        format!("{dir}/{i:04}")
    }

    /// The job as command-line words, read back by [`Job::from_args`].
    pub fn to_args(&self) -> Vec<String> {
        match self {
            Job::Retr { path, bytes } => vec!["retr".into(), path.clone(), bytes.to_string()],
            Job::Stor {
                local,
                remote,
                bytes,
            } => vec![
                "stor".into(),
                local.display().to_string(),
                remote.clone(),
                bytes.to_string(),
            ],
            Job::Many { dir, count, bytes } => vec![
                "many".into(),
                dir.clone(),
                count.to_string(),
                bytes.to_string(),
            ],
        }
    }

    pub fn from_args(args: &[String]) -> Result<Job> {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        match words[..] {
            ["retr", path, bytes] => Ok(Job::Retr {
                path: path.into(),
                bytes: bytes.parse()?,
            }),
            ["stor", local, remote, bytes] => Ok(Job::Stor {
                local: local.into(),
                remote: remote.into(),
                bytes: bytes.parse()?,
            }),
            ["many", dir, count, bytes] => Ok(Job::Many {
                dir: dir.into(),
                count: count.parse()?,
                bytes: bytes.parse()?,
            }),
            _ => Err(format!("not a job: {args:?}").into()),
        }
    }

    /// Bytes moved by the job.
    pub fn bytes(&self) -> u64 {
        match self {
            Job::Retr { bytes, .. } | Job::Stor { bytes, .. } => *bytes,
            Job::Many { count, bytes, .. } => *count as u64 * bytes,
        }
    }
}

/// The FTP clients compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `inet_ftp` futures on `inet_core::block_on` (the future form).
    Inet,
    /// WinINet's callback mode, every step started from the status callback
    /// (`inet_callback.rs`).
    InetCallback,
    /// The `inet` binary: `inet get URL -o /dev/null`, `inet put FILE URL/`, timed as a whole
    /// process (the single-file workloads only).
    InetCli,
    Curl,
    /// suppaftp's sync API (`suppaftp_client.rs`).
    Suppaftp,
}

impl Tool {
    /// In the order of the table's columns and of the first round.
    pub const ALL: [Tool; 5] = [
        Tool::Inet,
        Tool::InetCallback,
        Tool::InetCli,
        Tool::Curl,
        Tool::Suppaftp,
    ];

    /// The short name of progress lines and of [`RUN_ARG`].
    pub fn name(self) -> &'static str {
        match self {
            Tool::Inet => "inet",
            Tool::InetCallback => "inet-cb",
            Tool::InetCli => "inet-cli",
            Tool::Curl => "curl",
            Tool::Suppaftp => "suppaftp",
        }
    }

    /// The table's column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Tool::Inet => "inet future",
            Tool::InetCallback => "inet callback",
            Tool::InetCli => "inet get / put",
            Tool::Curl => "curl",
            Tool::Suppaftp => "suppaftp",
        }
    }

    /// The peers, whose better rate the goals compare with.
    pub fn is_peer(self) -> bool {
        matches!(self, Tool::Curl | Tool::Suppaftp)
    }

    /// Whether the tool takes part in `job` (the `inet` binary moves one file per run).
    pub fn runs(self, job: &Job) -> bool {
        self != Tool::InetCli || !matches!(job, Job::Many { .. })
    }

    fn from_name(name: &str) -> Result<Tool> {
        Tool::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| format!("no tool named {name:?}").into())
    }

    /// Runs `job` in a new process (curl itself, the `inet` binary, or this binary with
    /// [`RUN_ARG`]) and times its transfers (see [`Run::elapsed`]). Fails when the process does,
    /// which it does on any byte count but the expected one; an upload is checked on the
    /// server's disk as well (see [`Tool::run_checked`]).
    fn run(self, job: &Job, context: &RunContext) -> Result<Run> {
        match self {
            Tool::Curl => curl::run(job, context),
            Tool::InetCli => inet_cli(job, context),
            Tool::Inet | Tool::InetCallback | Tool::Suppaftp => {
                let server = &context.server;
                let mut cmd = Command::new(std::env::current_exe()?);
                cmd.arg(RUN_ARG)
                    .arg(self.name())
                    .arg(server.port.to_string())
                    .arg(&server.user)
                    .arg(&server.password)
                    .args(job.to_args());
                let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Retr { .. }))?;
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
                    waits: None,
                    usage: watched.usage,
                    reads,
                })
            }
        }
    }

    /// [`Tool::run`], with an upload's target removed from the server's disk first and its size
    /// checked there afterwards, so that every tool starts from the same state and a short
    /// upload fails.
    pub fn run_checked(self, job: &Job, context: &RunContext) -> Result<Run> {
        let target = match job {
            Job::Stor { remote, .. } => Some(context.root.join(remote.trim_start_matches('/'))),
            _ => None,
        };
        if let Some(file) = &target {
            match fs::remove_file(file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let run = self.run(job, context)?;
        if let Some(file) = &target {
            let got = fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            same_length(got, job.bytes()).map_err(|e| format!("on the server: {e}"))?;
        }
        Ok(run)
    }
}

/// `inet get URL -o /dev/null` or `inet put FILE DIR_URL/`, timed as a whole process — start,
/// connect, log in, transfer, QUIT — so its ratio is a conservative one: the other columns
/// start their clocks after the login. (Subtracting a measured start-up did not work: proftpd's
/// login alone varies by hundreds of ms here, more than a 1 GiB transfer takes.)
fn inet_cli(job: &Job, context: &RunContext) -> Result<Run> {
    let bin = context.inet_cli.as_ref().map_err(|why| why.clone())?;
    let mut cmd = Command::new(bin);
    match job {
        Job::Retr { path, .. } => {
            cmd.args(["get", &context.server.url(path), "-o", "/dev/null"]);
        }
        Job::Stor { local, remote, .. } => {
            let dir = remote.rsplit_once('/').map_or("", |(dir, _)| dir);
            cmd.arg("put")
                .arg(local)
                .arg(format!("{}/", context.server.url(dir)));
        }
        Job::Many { .. } => return Err("the inet binary moves one file per run here".into()),
    }
    let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Retr { .. }))?;
    check_exit("inet", &out)?;
    Ok(Run {
        elapsed: watched.wall.max(Duration::from_micros(1)),
        setup: Duration::ZERO,
        peak_rss_kib: watched.peak_rss_kib,
        connections: None,
        waits: None,
        usage: watched.usage,
        reads: None,
    })
}

/// What every run needs besides its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunContext {
    pub server: Server,
    /// The server's root directory on this machine (`/` on the server).
    pub root: PathBuf,
    /// The `inet` binary, or why its column is empty (it refused `ftp://` URLs).
    pub inet_cli: Result<PathBuf, String>,
    /// Whether curl fetches the many small files in passive mode (as every other client) rather
    /// than active mode (see `curl.rs`).
    pub curl_passive_many: bool,
    /// How long the `inet` binary takes to start, connect, log in, fetch one small file and
    /// exit (the median of 7 runs): shown, not taken off its runs' wall time (see `inet_cli`).
    pub cli_startup: Duration,
}

/// The outcome of one timed run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// The transfers' time: from the end of the login to the last reply, without starting the
    /// process, connecting and logging in (inet, suppaftp: measured in the process; curl: its
    /// total less its `time_pretransfer`) — except the `inet` binary's, timed whole.
    pub elapsed: Duration,
    /// What was left out of `elapsed`.
    pub setup: Duration,
    /// The process's peak resident set (VmHWM), when it was watched.
    pub peak_rss_kib: Option<u64>,
    /// Connections opened, control and data, when the tool says (curl's `num_connects`).
    pub connections: Option<u64>,
    /// curl's transfers that took [`WAIT`] or more, each a wait of curl's (see `curl.rs`).
    pub waits: Option<Waits>,
    /// The whole process's CPU time and context switches (start-up and set-up included).
    pub usage: Option<Usage>,
    /// Callback mode's `start_read`s (inet callback only).
    pub reads: Option<Reads>,
}

/// A transfer of a small file this long or longer waited (curl 7.88 idles up to 1 s after
/// `EPSV` on a reused control connection now and then; see `curl.rs`).
pub const WAIT: Duration = Duration::from_millis(500);

/// The transfers of a run that waited, and the run's time had they taken the median time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    pub count: u64,
    pub elapsed_without: Duration,
}

/// How callback mode's reads of a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reads {
    /// `start_read` calls.
    pub total: u64,
    /// Those that returned `Started::Done` (bytes already there); the others went `Pending`.
    pub done: u64,
}

/// How an in-process run spent its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Building the session, connecting and logging in.
    pub setup: Duration,
    /// From the end of the login to the end of the job.
    pub transfer: Duration,
    /// Callback mode's reads.
    pub reads: Option<Reads>,
}

/// The child side of [`Tool::run`]: `ARGS` are what follows [`RUN_ARG`] (tool, port, user,
/// password, job). Runs the job, prints `setup_ns=`, `transfer_ns=` and `vmhwm_kib=` lines
/// (and `reads=`, `reads_done=` in callback mode) and returns; an error means a failed run.
pub fn run_here(args: &[String]) -> Result<()> {
    let [tool, port, user, password, job @ ..] = args else {
        return Err(format!("usage: {RUN_ARG} TOOL PORT USER PASSWORD JOB...").into());
    };
    let server = Server {
        port: port.parse()?,
        user: user.clone(),
        password: password.clone(),
    };
    let job = Job::from_args(job)?;
    let timing = match Tool::from_name(tool)? {
        Tool::Inet => crate::inet_client::run(&server, &job)?,
        Tool::InetCallback => crate::inet_callback::run(&server, &job)?,
        Tool::Suppaftp => crate::suppaftp_client::run(&server, &job)?,
        Tool::Curl | Tool::InetCli => {
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

/// An error unless a transfer moved the expected number of bytes.
pub fn same_length(got: u64, expected: u64) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("got {got} bytes, expected {expected}").into())
    }
}
