//! The curl peer: the `curl` binary, one process per run. The many-files job is a URL list passed
//! with `--config`: one process, which keeps its logged-in control connection for every file.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::job::{Job, Run, RunContext, Server};
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
            url_list = Some(list);
            vec![Moved::Down(*bytes); *count]
        }
    };
    let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Retr { .. }))?;
    drop(url_list);
    check_exit("curl", &out)?;
    let (connections, setup, elapsed) =
        check_transfers(&String::from_utf8_lossy(&out.stdout), &expected)?;
    Ok(Run {
        elapsed: elapsed.max(Duration::from_micros(1)),
        setup,
        peak_rss_kib: watched.peak_rss_kib,
        connections: Some(connections),
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

/// Checks curl's `-w` lines (every transfer ended with `226` and moved its bytes); returns the
/// connections it opened, the first transfer's time before its `RETR`/`STOR` (connecting,
/// logging in, changing directory, the data connection) and the transfers' time less that.
fn check_transfers(stdout: &str, expected: &[Moved]) -> Result<(u64, Duration, Duration)> {
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
    for (line, want) in lines.iter().zip(expected) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [code, down, up, connects, pretransfer, time] = fields[..] else {
            return Err(format!("curl printed {line:?}").into());
        };
        let pretransfer: f64 = pretransfer.parse()?;
        setup.get_or_insert(pretransfer);
        total += time.parse::<f64>()?;
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
    Ok((
        connections,
        Duration::from_secs_f64(setup),
        Duration::from_secs_f64((total - setup).max(0.0)),
    ))
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
