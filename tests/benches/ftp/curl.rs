//! The curl peer: the `curl` binary, one process per run. The many-files job is a URL list passed
//! with `--config`: one process, which keeps its logged-in control connection for every file.
//!
//! curl 7.88 (Debian 12's) now and then idles for up to 1 s between sending `EPSV` on a reused
//! control connection and connecting the data connection (`curl -v --trace-time`: "Connecting to
//! 127.0.0.1 port N", "ftp_perform ends with SECONDARY: 0", then "Trying 127.0.0.1:N..." a second
//! later). Measured here: 8 to 16% of 1,000 files, 77 to 164 s a run instead of about 1 s;
//! `--disable-epsv` (PASV) and `--ftp-method nocwd` do the same. In active mode (`--ftp-port`,
//! the server connecting to curl) it never waits. So for the many-files job curl runs in active
//! mode, unless `INET_BENCH_CURL_PASSIVE=1`; then its transfers that took 0.5 s or more are
//! counted as waits ([`Waits`]), and the table shows curl as measured and its rate had each
//! waiting transfer taken the median transfer's time.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::job::{Job, Run, RunContext, Server, Waits, WAIT};
use crate::process::{check_exit, spawn_timed};
use crate::Result;

/// What curl prints after each transfer (`-w`): the last FTP reply's code, the bytes each way, the
/// connections it opened, and its times to the transfer's start (`RETR`/`STOR` about to go) and
/// end.
const WRITE_OUT: &str = "%{response_code} %{size_download} %{size_upload} %{num_connects} \
                         %{time_pretransfer} %{time_total}\\n";

/// Runs `job` with curl; each transfer's final reply and size are checked, the connections
/// summed.
pub fn run(job: &Job, context: &RunContext) -> Result<Run> {
    let server = &context.server;
    let mut cmd = curl();
    let mut url_list = None;
    let expected = match job {
        Job::Retr { path, bytes } => {
            cmd.args(["--output", "/dev/null"]).arg(server.url(path));
            vec![Moved::Down(*bytes)]
        }
        Job::Stor {
            local,
            remote,
            bytes,
        } => {
            cmd.arg("--upload-file").arg(local).arg(server.url(remote));
            vec![Moved::Up(*bytes)]
        }
        Job::Many { dir, count, bytes } => {
            let list = UrlList::write(server, dir, *count)?;
            cmd.arg("--config").arg(&list.path);
            if !context.curl_passive_many {
                cmd.args(["--ftp-port", "127.0.0.1"]);
            }
            url_list = Some(list);
            vec![Moved::Down(*bytes); *count]
        }
    };
    let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Retr { .. }))?;
    drop(url_list);
    check_exit("curl", &out)?;
    let checked = check_transfers(&String::from_utf8_lossy(&out.stdout), &expected)?;
    Ok(Run {
        elapsed: checked.elapsed.max(Duration::from_micros(1)),
        setup: checked.setup,
        peak_rss_kib: watched.peak_rss_kib,
        connections: Some(checked.connections),
        waits: matches!(job, Job::Many { .. }).then_some(checked.waits),
        usage: watched.usage,
        reads: None,
    })
}

/// `curl` with the options of every run: quiet, no proxy, a line per transfer.
fn curl() -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--no-progress-meter"])
        .args(["--noproxy", "*"])
        .args(["--write-out", WRITE_OUT]);
    cmd
}

/// Bytes one transfer must move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moved {
    Down(u64),
    Up(u64),
}

/// What curl's `-w` lines say about a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checked {
    connections: u64,
    /// The first transfer's time before its `RETR`/`STOR`: start-up, connecting, logging in,
    /// changing directory, the data connection.
    setup: Duration,
    /// The transfers' times, less `setup`.
    elapsed: Duration,
    waits: Waits,
}

/// Checks curl's `-w` lines (every transfer ended with `226` and moved its bytes).
fn check_transfers(stdout: &str, expected: &[Moved]) -> Result<Checked> {
    let lines: Vec<&str> = stdout.lines().collect();
    if lines.len() != expected.len() {
        return Err(format!(
            "curl reported {} transfers, expected {}",
            lines.len(),
            expected.len()
        )
        .into());
    }
    let mut connections = 0;
    let mut setup = None;
    let mut total = 0.0;
    let mut times = Vec::new();
    for (line, want) in lines.iter().zip(expected) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [code, down, up, connects, pretransfer, time] = fields[..] else {
            return Err(format!("curl printed {line:?}").into());
        };
        let pretransfer: f64 = pretransfer.parse()?;
        setup.get_or_insert(pretransfer);
        let time: f64 = time.parse()?;
        total += time;
        times.push(time);
        let (down, up): (u64, u64) = (down.parse()?, up.parse()?);
        let moved = match want {
            Moved::Down(n) => down == *n,
            Moved::Up(n) => up == *n,
        };
        if code != "226" || !moved {
            return Err(format!(
                "curl: reply {code}, {down} bytes down, {up} up (expected 226, {want:?})"
            )
            .into());
        }
        connections += connects.parse::<u64>()?;
    }
    let setup = setup.unwrap_or(0.0);
    // The first transfer's time is mostly `setup`: the waits are looked for in the others.
    let rest = times.get(1..).unwrap_or_default();
    let mut sorted = rest.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let waited: Vec<f64> = rest
        .iter()
        .copied()
        .filter(|t| *t >= WAIT.as_secs_f64())
        .collect();
    let without = total - setup - waited.iter().sum::<f64>() + median * waited.len() as f64;
    Ok(Checked {
        connections,
        setup: Duration::from_secs_f64(setup),
        elapsed: Duration::from_secs_f64((total - setup).max(0.0)),
        waits: Waits {
            count: waited.len() as u64,
            elapsed_without: Duration::from_secs_f64(without.max(1e-6)),
        },
    })
}

/// A `--config` file naming the `count` files of `dir`, each saved to /dev/null; deleted on
/// drop.
#[derive(Debug)]
struct UrlList {
    path: PathBuf,
}

impl UrlList {
    fn write(server: &Server, dir: &str, count: usize) -> Result<UrlList> {
        let mut text = String::new();
        for i in 0..count {
            let url = server.url(&Job::small_file(dir, i));
            writeln!(text, "url = \"{url}\"\noutput = \"/dev/null\"")?;
        }
        let path =
            std::env::temp_dir().join(format!("inet-ftp-bench-curl-{}.cfg", std::process::id()));
        fs::write(&path, text)?;
        Ok(UrlList { path })
    }
}

impl Drop for UrlList {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
