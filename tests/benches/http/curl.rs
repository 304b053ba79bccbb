//! The curl peer: the `curl` binary, one process per run. A multi-GET job is a URL list passed
//! with `--config` (one process reuses its connections), parallel with `--parallel`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::job::{check_exit, spawn_timed, Job, Run, RunContext};
use crate::Result;

/// What curl prints after each transfer (`-w`).
const WRITE_OUT: &str = "%{http_code} %{size_download} %{num_connects}\\n";

/// Runs `job` with curl; the transfers' codes and sizes are checked, their new connections summed.
pub fn run(job: &Job, context: &RunContext) -> Result<Run> {
    let mut cmd = curl(&context.ca);
    let (expected, url_list) = match job {
        Job::Stream { url, bytes } => {
            cmd.args(["--output", "/dev/null", url]);
            (vec![*bytes], None)
        }
        Job::Many {
            url,
            count,
            in_flight,
            bytes,
        } => {
            let list = UrlList::write(url, *count)?;
            if *in_flight > 1 {
                cmd.args(["--parallel", "--parallel-max", &in_flight.to_string()]);
            }
            cmd.arg("--config").arg(&list.path);
            (vec![*bytes; *count], Some(list))
        }
    };
    let (out, watched) = spawn_timed(&mut cmd, matches!(job, Job::Stream { .. }))?;
    drop(url_list);
    check_exit("curl", &out)?;
    let connections = check_transfers(&String::from_utf8_lossy(&out.stdout), &expected)?;
    Ok(Run {
        elapsed: watched
            .wall
            .saturating_sub(context.curl_startup)
            .max(Duration::from_micros(1)),
        setup: context.curl_startup,
        peak_rss_kib: watched.peak_rss_kib,
        connections: Some(connections),
        usage: watched.usage,
        reads: None,
        startup_cpu: None,
    })
}

/// curl's fixed cost per run: the median wall time of 5 runs that each GET `small_url` (a small
/// file over plain HTTP) once. Taken off every curl run so that curl, like the in-process tools,
/// is timed on its transfers alone; what it leaves in is one small request (well under 1 ms).
pub fn startup(small_url: &str, ca: &Path) -> Result<Duration> {
    let mut walls = Vec::new();
    for _ in 0..5 {
        let mut cmd = curl(ca);
        cmd.args(["--output", "/dev/null", small_url]);
        let (out, watched) = spawn_timed(&mut cmd, false)?;
        check_exit("curl", &out)?;
        walls.push(watched.wall);
    }
    walls.sort();
    Ok(walls[walls.len() / 2])
}

/// `curl` with the options of every run: quiet, no proxy, trusting `ca`, a line per transfer.
fn curl(ca: &Path) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--no-progress-meter"])
        .args(["--noproxy", "*", "--cacert"])
        .arg(ca)
        .args(["--write-out", WRITE_OUT]);
    cmd
}

/// Checks curl's `-w` lines (every transfer 200 with its expected size); returns the connections
/// it opened.
fn check_transfers(stdout: &str, expected: &[u64]) -> Result<u64> {
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
    for (line, want) in lines.iter().zip(expected) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [code, size, connects] = fields[..] else {
            return Err(format!("curl printed {line:?}").into());
        };
        if code != "200" || size.parse::<u64>()? != *want {
            return Err(format!("curl: status {code}, {size} bytes (expected 200, {want})").into());
        }
        connections += connects.parse::<u64>()?;
    }
    Ok(connections)
}

/// A `--config` file naming `url` `count` times, each saved to /dev/null; deleted on drop.
#[derive(Debug)]
struct UrlList {
    path: PathBuf,
}

impl UrlList {
    fn write(url: &str, count: usize) -> Result<UrlList> {
        let mut text = String::new();
        for _ in 0..count {
            writeln!(text, "url = \"{url}\"\noutput = \"/dev/null\"")?;
        }
        let path = std::env::temp_dir().join(format!("inet-bench-curl-{}.cfg", std::process::id()));
        fs::write(&path, text)?;
        Ok(UrlList { path })
    }
}

impl Drop for UrlList {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
