//! Running a client as a child process and measuring it from outside: wall time, peak RSS, and
//! CPU time and context switches from `getrusage` of the reaped child. Shared by the benches
//! (`http.rs`, `ftp.rs`), which include it with `#[path]`.

use std::fs;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;

/// Errors of the benches' helpers.
pub type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// CPU time and context switches of one child process, from exec to exit, all its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub user: Duration,
    pub system: Duration,
    /// Voluntary context switches (the process waited: a blocking syscall, a futex, a poll).
    pub voluntary: u64,
    /// Involuntary ones (preempted).
    pub involuntary: u64,
}

impl Usage {
    pub fn cpu(&self) -> Duration {
        self.user + self.system
    }

    /// The usage of every child reaped so far (`RUSAGE_CHILDREN`: sums over reaped children).
    fn of_reaped_children() -> Option<Usage> {
        let u = getrusage(UsageWho::RUSAGE_CHILDREN).ok()?;
        let micros =
            |t: nix::sys::time::TimeVal| Duration::from_micros(t.num_microseconds() as u64);
        Some(Usage {
            user: micros(u.user_time()),
            system: micros(u.system_time()),
            voluntary: u.voluntary_context_switches() as u64,
            involuntary: u.involuntary_context_switches() as u64,
        })
    }

    fn since(self, before: Usage) -> Usage {
        Usage {
            user: self.user.saturating_sub(before.user),
            system: self.system.saturating_sub(before.system),
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
        }
    }
}

/// Wall time, peak RSS, CPU time and context switches of a process, as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    pub wall: Duration,
    pub peak_rss_kib: Option<u64>,
    pub usage: Option<Usage>,
}

/// Spawns `cmd` (stdout and stderr captured), waits for it and times it. With `watch_rss`, a
/// thread samples the child's VmHWM every 10 ms; the high-water mark only grows, so the last
/// sample misses at most the final 10 ms of growth.
///
/// The child's CPU time and context switches are the growth of this process's
/// `getrusage(RUSAGE_CHILDREN)` across the child's life: the kernel adds a child's usage (all its
/// threads, exec to exit) when it is reaped, and the bench runs one child at a time.
pub fn spawn_timed(cmd: &mut Command, watch_rss: bool) -> Result<(Output, Watched)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let before = Usage::of_reaped_children();
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
    let usage = Usage::of_reaped_children()
        .zip(before)
        .map(|(after, before)| after.since(before));
    let watched = Watched {
        wall: elapsed,
        peak_rss_kib: (peak > 0).then_some(peak),
        usage,
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
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
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
