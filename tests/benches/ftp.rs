//! `cargo xtask bench ftp`: inet against curl and suppaftp on the same loopback proftpd.
//!
//! Workloads (issue 7 §5): a `RETR` of 1 GiB, a `STOR` of 256 MiB, 1,000 files of 1 KiB fetched
//! one after another over one logged-in control connection, and parsing a 100,000-line `LIST`
//! (and as many `MLSD` lines). The clients: inet's future form, inet's callback mode, the `inet`
//! binary (`inet get URL -o /dev/null`, `inet put FILE DIR_URL/`; single files only), curl
//! (`-o /dev/null`, `-T FILE`, and the 1,000 URLs in one `--config` file: one process, one
//! control connection, in active mode, see `ftp/curl.rs`) and suppaftp's sync API.
//!
//! Like the HTTP bench (`http.rs`, whose process and file helpers are in `common/`), every run
//! is a new process (curl itself, the `inet` binary, or this binary re-run with `--run-job` for
//! inet's two forms and suppaftp), and a run fails unless it moved exactly the expected bytes and
//! the server's final replies were `226` (an upload is also checked on the server's disk, where
//! its target is deleted before each run). Times are of the transfers, from the end of the login
//! to the last `226`: proftpd's banner and password check take 50 to 500 ms on a loaded machine,
//! as much as a whole 1 GiB `RETR`, and vary too much to be taken off a wall time. inet and
//! suppaftp time themselves; curl's time is the sum of its `-w` times less the first transfer's
//! `time_pretransfer` (start-up, connect, login, `CWD`, the data connection: a few round trips
//! more than the others get off); the `inet` binary's is its whole wall time, login included (a
//! conservative ratio: the set-up it measures first, the median of 7 runs fetching one 1 KiB
//! file, is only shown). CPU time (user + system) and context switches
//! are of the whole client process, every tool alike (`getrusage` of the reaped child), start-up
//! and login included. Rounds alternate the tools (the first tool rotates each round) with a 1 s
//! pause before each run; the table (markdown) shows medians, each inet column's rate over the
//! faster peer's, and whether inet meets the goals.
//!
//! What each client does: downloads are read in 256 KiB reads by inet's future form
//! (`open_file` + `read`) and suppaftp (`retr_as_stream`), and in 64 KiB `start_read`s by
//! callback mode (as `inet get` asks), the bytes discarded in memory; curl and `inet get` write
//! them to `/dev/null`. Uploads come from a local file in the page cache: the future form with
//! `put_file` (256 KiB blocks), callback mode with `open_file` + `start_write` of 256 KiB blocks,
//! suppaftp with `put_with_stream` and 256 KiB writes, curl with `-T`, `inet put`.
//!
//! The files: `bench/` in the FTP root (beside the harness's `data/`), written once by this bench
//! as the HTTP bench writes its own (`bench/1GiB.bin`, `bench/small/0000`…); uploads go to
//! `bench/up/` (owned by the FTP user); the local upload source is in the temporary directory.
//!
//! - `INET_BENCH_ROUNDS=N`: rounds per workload (default 5).
//! - `INET_BENCH_ONLY=retr,stor,small,list`: the workloads to run (default all).
//! - `INET_BENCH_CURL_PASSIVE=1`: curl fetches the many small files in passive mode, as the
//!   others do, rather than active mode, which curl 7.88 needs to avoid waits of up to 1 s
//!   before some data connections (see `ftp/curl.rs`; 1.5 to 3 minutes a run).
//! - `INET_BENCH_SMOKE=1` (`cargo xtask bench ftp --quick`): a quick run even under `cargo
//!   bench`: small sizes, one round, no pauses, goals not judged.
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it is that quick run too.
//!
//! When the `inet` binary refuses `ftp://` URLs (before the CLI learns FTP), its column says so
//! and the rest runs.

#[path = "common/data.rs"]
mod common_data;
#[path = "ftp/curl.rs"]
mod curl;
#[path = "ftp/inet_callback.rs"]
mod inet_callback;
#[path = "ftp/inet_client.rs"]
mod inet_client;
#[path = "ftp/job.rs"]
mod job;
#[path = "ftp/listing.rs"]
mod listing;
#[path = "common/process.rs"]
mod process;
#[path = "ftp/report.rs"]
mod report;
#[path = "ftp/suppaftp_client.rs"]
mod suppaftp_client;
#[path = "common/table.rs"]
mod table;
#[path = "common/tools.rs"]
mod tools;

use std::env;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use inet_tests::servers::{self, Ftp};

use crate::job::{Job, Run, RunContext, Server, Tool};
use crate::listing::Format;
use crate::process::{check_exit, spawn_timed};
use crate::report::{Goal, Listing, Peer, Workload};

/// The small files' size (1 KiB).
const SMALL_BYTES: u64 = 1024;

/// Where the small files are, on the server.
const SMALL_DIR: &str = "/bench/small";

/// Where uploads go, on the server.
const UPLOAD_DIR: &str = "/bench/up";

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.iter().position(|a| a == job::RUN_ARG) {
        Some(i) => job::run_here(&args[i + 1..]).map(|()| true),
        // `INET_BENCH_SMOKE=1` makes even `cargo bench` a quick run (of the release build).
        None => {
            bench(args.iter().any(|a| a == "--bench") && env::var_os("INET_BENCH_SMOKE").is_none())
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("ftp bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The whole benchmark (`full`) or its quick run; false when a run failed.
fn bench(full: bool) -> Result<bool> {
    let started = Instant::now();
    let settings = Settings::from_env(full)?;
    let ftp = servers::try_ftp().map_err(|e| format!("no FTP server: {e}"))?;
    tools::ensure_curl("ftp bench")?;
    let server = Server {
        port: ftp.port,
        user: ftp.user.clone(),
        password: ftp.password.clone(),
    };
    let mut workloads = plan(ftp, &settings)?;
    let small = Job::small_file(SMALL_DIR, 0);
    let needs_cli = workloads.iter().any(|w| Tool::InetCli.runs(&w.job));
    let (inet_cli, cli_startup) = if needs_cli {
        probe_cli(&tools::build_inet_cli("ftp bench")?, &server, &small)
    } else {
        (Err("not needed".to_owned()), Duration::ZERO)
    };
    let context = RunContext {
        server,
        root: ftp.root.clone(),
        inet_cli,
        cli_startup,
        curl_passive_many: settings.curl_passive_many,
    };

    println!(
        "ftp bench{}: proftpd on 127.0.0.1, {} round(s), a {} s pause before each run",
        if full {
            ""
        } else {
            " (quick run: goals not judged)"
        },
        settings.rounds,
        settings.pause.as_secs_f64()
    );
    println!(
        "peers: {}, suppaftp 6.3 (sync, passive, no TLS)",
        tools::curl_version()
    );
    if settings.small {
        println!(
            "curl fetches the many small files in {} mode{}",
            if settings.curl_passive_many {
                "passive"
            } else {
                "active"
            },
            if settings.curl_passive_many {
                ": it waits up to 1 s before some data connections (see ftp/curl.rs)"
            } else {
                " (--ftp-port 127.0.0.1): in passive mode curl 7.88 waits up to 1 s before some \
                 data connections, 8 to 16% of them here (INET_BENCH_CURL_PASSIVE=1 shows it); \
                 everyone else is passive"
            }
        );
    }
    println!(
        "times are of the transfers, from the end of the login to the last 226: the in-process \
         clients time themselves; curl's are its -w times less the first transfer's \
         time_pretransfer (start-up, connect, login, CWD, data connection)"
    );
    let cli_missing = match &context.inet_cli {
        Ok(bin) => {
            println!(
                "inet binary: {}; {:.1} ms of start-up (start, connect, log in, one 1 KiB RETR, \
                 exit: median of 7), not taken off: its runs are timed whole (proftpd's login \
                 alone varies by hundreds of ms)",
                bin.display(),
                context.cli_startup.as_secs_f64() * 1e3
            );
            None
        }
        Err(why) if needs_cli => {
            println!("inet binary: its column is empty: {why}");
            Some("no ftp in the CLI")
        }
        Err(_) => None,
    };
    for w in &mut workloads {
        let tools: Vec<Tool> = Tool::ALL
            .into_iter()
            .filter(|t| t.runs(&w.job) && (*t != Tool::InetCli || context.inet_cli.is_ok()))
            .collect();
        for round in 0..settings.rounds {
            for k in 0..tools.len() {
                let tool = tools[(round + k) % tools.len()];
                thread::sleep(settings.pause);
                let outcome = tool
                    .run_checked(&w.job, &context)
                    .map_err(|e| e.to_string());
                println!(
                    "  [{}] round {}/{} {:<8} {}",
                    w.label,
                    round + 1,
                    settings.rounds,
                    tool.name(),
                    describe(w, &outcome)
                );
                w.record(tool, outcome);
            }
        }
    }
    let listings = if settings.list {
        parse_listings(&settings)
    } else {
        Vec::new()
    };

    println!();
    println!(
        "medians of {} round(s). CPU: user + system of the whole client process (exec to exit, \
         every tool alike). Context switches: the process's, in all and per MiB (per file for \
         the many-files workload).",
        settings.rounds
    );
    println!();
    print!("{}", report::table(&workloads, full, cli_missing));
    if !listings.is_empty() {
        println!();
        print!("{}", report::listing_table(&listings, full));
    }
    println!();
    println!("all runs, in the order they ran:");
    print!("{}", report::runs(&workloads));
    println!();
    println!("bench time: {:.0} s", started.elapsed().as_secs_f64());
    let failed = workloads
        .iter()
        .any(|w| w.errors.iter().any(|e| !e.is_empty()))
        || listings.iter().any(|l| l.error.is_some());
    if failed {
        eprintln!("ftp bench: some runs FAILED (see above); their numbers are left out");
    }
    Ok(!failed)
}

/// What the environment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    rounds: usize,
    pause: Duration,
    retr: bool,
    stor: bool,
    small: bool,
    list: bool,
    /// `INET_BENCH_CURL_PASSIVE=1`: curl fetches the many small files in passive mode.
    curl_passive_many: bool,
    /// The sizes and counts; a quick run uses small ones.
    full: bool,
}

impl Settings {
    fn from_env(full: bool) -> Result<Settings> {
        let rounds = match env::var("INET_BENCH_ROUNDS") {
            Ok(n) => n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("INET_BENCH_ROUNDS={n} is not a positive number"))?,
            Err(_) if full => 5,
            Err(_) => 1,
        };
        let only = env::var("INET_BENCH_ONLY").unwrap_or_default();
        let names: Vec<&str> = only
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let known = ["retr", "stor", "small", "list"];
        if let Some(bad) = names.iter().find(|n| !known.contains(n)) {
            return Err(format!(
                "INET_BENCH_ONLY: unknown workload {bad:?} ({})",
                known.join(", ")
            )
            .into());
        }
        let wanted = |name: &str| names.is_empty() || names.contains(&name);
        Ok(Settings {
            rounds,
            pause: if full {
                Duration::from_secs(1)
            } else {
                Duration::ZERO
            },
            retr: wanted("retr"),
            stor: wanted("stor"),
            small: wanted("small"),
            list: wanted("list"),
            curl_passive_many: env::var_os("INET_BENCH_CURL_PASSIVE").is_some_and(|v| v == "1"),
            full,
        })
    }

    /// RETR bytes, STOR bytes, small files, listing lines.
    fn sizes(&self) -> (u64, u64, usize, usize) {
        if self.full {
            (1 << 30, 256 << 20, 1000, 100_000)
        } else {
            (16 << 20, 16 << 20, 10, 10_000)
        }
    }
}

/// The transfer workloads asked for, their files made if missing.
fn plan(ftp: &Ftp, settings: &Settings) -> Result<Vec<Workload>> {
    let (retr, stor, small, _) = settings.sizes();
    let bench_dir = ftp.root.join("bench");
    fs::create_dir_all(&bench_dir)?;
    // Issue 7: future form, callback mode and `inet get` ≥ 1.1× the faster peer; 1,000 small
    // files ≥ 1.5× curl.
    let single_file_goals = || {
        [Tool::Inet, Tool::InetCallback, Tool::InetCli]
            .into_iter()
            .map(|t| Goal::new(t, 1.1, Peer::Best))
            .collect::<Vec<_>>()
    };
    let mut workloads = Vec::new();
    // The small files first: curl's start-up is measured on one of them.
    write_small_files(&bench_dir.join("small"), small.max(1))?;
    if settings.retr {
        let name = format!("{}.bin", size(retr).replace(' ', ""));
        common_data::ensure_file("ftp bench", &bench_dir.join(&name), retr)?;
        workloads.push(Workload::new(
            format!("RETR {}", size(retr)),
            Job::Retr {
                path: format!("/bench/{name}"),
                bytes: retr,
            },
            single_file_goals(),
        ));
    }
    if settings.stor {
        let up = ftp.root.join(UPLOAD_DIR.trim_start_matches('/'));
        fs::create_dir_all(&up)?;
        // The FTP user owns the root; uploads need a directory of its own.
        let owner = fs::metadata(&ftp.root)?;
        std::os::unix::fs::chown(&up, Some(owner.uid()), Some(owner.gid()))?;
        let name = format!("{}.bin", size(stor).replace(' ', ""));
        let local = env::temp_dir().join("inet-ftp-bench").join(&name);
        common_data::ensure_file("ftp bench", &local, stor)?;
        workloads.push(Workload::new(
            format!("STOR {}", size(stor)),
            Job::Stor {
                local,
                remote: format!("{UPLOAD_DIR}/{name}"),
                bytes: stor,
            },
            single_file_goals(),
        ));
    }
    if settings.small {
        workloads.push(Workload::new(
            format!("{small} files of 1 KiB, one connection"),
            Job::Many {
                dir: SMALL_DIR.to_owned(),
                count: small,
                bytes: SMALL_BYTES,
            },
            // In passive mode, also judged against curl without its waits (see `ftp/curl.rs`).
            [Tool::Inet, Tool::InetCallback]
                .into_iter()
                .flat_map(|t| {
                    let mut goals = vec![Goal::new(t, 1.5, Peer::Tool(Tool::Curl))];
                    if settings.curl_passive_many {
                        goals.push(Goal::new(t, 1.5, Peer::CurlWithoutWaits));
                    }
                    goals
                })
                .collect(),
        ));
    }
    Ok(workloads)
}

/// `dir/0000`, `dir/0001`, … (`count` files of [`SMALL_BYTES`]), those missing or of another
/// size written.
fn write_small_files(dir: &Path, count: usize) -> Result<()> {
    fs::create_dir_all(dir)?;
    let mut written = 0;
    for i in 0..count {
        let file = dir.join(format!("{i:04}"));
        if fs::metadata(&file).map(|m| m.len()).ok() != Some(SMALL_BYTES) {
            let byte = (i % 251) as u8;
            fs::write(&file, vec![byte; SMALL_BYTES as usize])?;
            written += 1;
        }
    }
    if written > 0 {
        eprintln!(
            "ftp bench: wrote {written} files of {SMALL_BYTES} bytes in {}",
            dir.display()
        );
    }
    Ok(())
}

/// The `inet` binary and its start-up time (see [`RunContext::cli_startup`]) when it fetches an
/// `ftp://` URL (one small file); else why not.
fn probe_cli(bin: &Path, server: &Server, small: &str) -> (Result<PathBuf, String>, Duration) {
    let mut cmd = Command::new(bin);
    cmd.args(["get", &server.url(small), "-o", "/dev/null"]);
    match median_wall("inet get", &mut cmd, 7) {
        Ok(startup) => (Ok(bin.to_path_buf()), startup),
        Err(e) => (
            Err(format!("`inet get ftp://…` failed: {e}")),
            Duration::ZERO,
        ),
    }
}

/// The median wall time of `runs` runs of `cmd`, each of which must succeed.
fn median_wall(what: &str, cmd: &mut Command, runs: usize) -> Result<Duration> {
    let mut walls = Vec::new();
    for _ in 0..runs.max(1) {
        let (out, watched) = spawn_timed(cmd, false)?;
        check_exit(what, &out)?;
        walls.push(watched.wall);
    }
    walls.sort();
    Ok(walls[walls.len() / 2])
}

/// Parses the listing lines, round after round (no pauses: nothing else is measured then).
fn parse_listings(settings: &Settings) -> Vec<Listing> {
    let (.., count) = settings.sizes();
    let mut out = Vec::new();
    for format in Format::ALL {
        let lines = listing::lines(format, count);
        let mut result = Listing {
            format,
            lines: count,
            times: Vec::new(),
            error: None,
        };
        // One run to warm the caches, then the rounds.
        for round in 0..=settings.rounds {
            match listing::parse_all(format, &lines) {
                Ok(t) if round > 0 => result.times.push(t),
                Ok(_) => {}
                Err(e) => {
                    result.error = Some(e.to_string());
                    break;
                }
            }
        }
        println!(
            "  [{}] {} lines: {}",
            format.label(),
            count,
            match (&result.error, result.rate()) {
                (Some(e), _) => format!("FAILED: {e}"),
                (None, Some(r)) => format!("{:.2} M lines/s (median)", r / 1e6),
                (None, None) => "-".to_owned(),
            }
        );
        out.push(result);
    }
    out
}

/// `1 GiB`-style names for the sizes used here.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// One run as a progress line: time, rate, CPU, context switches, reads, peak RSS and
/// connections when known.
fn describe(w: &Workload, outcome: &Result<Run, String>) -> String {
    let run = match outcome {
        Ok(run) => run,
        Err(e) => return format!("FAILED: {e}"),
    };
    let mut line = format!(
        "{:>8.3} s {:>8.0} {}  (+{:.1} ms set-up)",
        run.elapsed.as_secs_f64(),
        w.rate(run).unwrap_or(f64::NAN),
        w.unit(),
        run.setup.as_secs_f64() * 1e3
    );
    if let (Some(usage), Some(cpu)) = (run.usage, w.cpu_per_unit(run)) {
        line += &format!(
            "  CPU {:.3} s (user {:.3}) = {cpu:.3} {}  ctx switches {} vol / {} invol",
            usage.cpu().as_secs_f64(),
            usage.user.as_secs_f64(),
            w.cpu_unit(),
            usage.voluntary,
            usage.involuntary
        );
    }
    if let Some(reads) = run.reads {
        line += &format!("  reads {} ({} done at once)", reads.total, reads.done);
    }
    if let Some(kib) = run.peak_rss_kib {
        line += &format!("  peak RSS {:.1} MiB", kib as f64 / 1024.0);
    }
    if let Some(n) = run.connections {
        line += &format!("  {n} connection(s)");
    }
    if let Some(waits) = run.waits {
        line += &format!(
            "  {} transfer(s) waited ≥ 0.5 s ({:.0} {} without)",
            waits.count,
            w.rate(&Run {
                elapsed: waits.elapsed_without,
                ..*run
            })
            .unwrap_or(f64::NAN),
            w.unit()
        );
    }
    line
}
