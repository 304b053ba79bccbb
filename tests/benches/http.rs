//! `cargo xtask bench http`: inet against curl and reqwest on the same loopback nginx.
//!
//! Workloads: a 1 GiB GET (HTTP and HTTPS), 20,000 GETs of 1 KiB with 64 in flight (HTTP and
//! HTTPS), 5,000 sequential GETs on keep-alive connections. Every run is a new process (curl
//! itself, or this binary re-run with `--run-job` for inet and reqwest), so each starts from
//! nothing and nothing of one run lingers into the next; a run fails unless every response is a
//! 200 with the expected number of bytes. Times are of the transfers: inet and reqwest time
//! themselves from the first request, after building their client; curl's measured start-up is
//! taken off its wall time. Rounds alternate the tools (the
//! first tool rotates each round) with a 1 s pause before each run; the table shows medians, the
//! peak RSS of every streamed download, and whether inet meets the goals.
//!
//! - `INET_BENCH_ROUNDS=N`: rounds per workload (default 5).
//! - `INET_BENCH_ONLY=bulk,parallel,sequential`: the workloads to run (default all).
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it is a smoke test: small files, few
//! requests, one round, no pauses, goals not judged.
//!
//! The peers: `curl` (Debian's, OpenSSL; installed when missing) and reqwest (native-tls,
//! HTTP/1.1) on a current-thread tokio runtime, its fastest setting on two cores shared with the
//! server. inet drives `inet_http` futures with `smol::block_on`.

#[path = "http/curl.rs"]
mod curl;
#[path = "http/data.rs"]
mod data;
#[path = "http/inet_client.rs"]
mod inet_client;
#[path = "http/job.rs"]
mod job;
#[path = "http/report.rs"]
mod report;
#[path = "http/reqwest_client.rs"]
mod reqwest_client;

use std::env;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use inet_tests::servers::{self, Nginx};

use crate::job::{Job, Run, RunContext, Tool};
use crate::report::{Goal, Workload};

/// The small file of the multi-GET workloads (1 KiB).
const SMALL_FILE: &str = "1KiB.bin";

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.iter().position(|a| a == job::RUN_ARG) {
        Some(i) => job::run_here(&args[i + 1..]).map(|()| true),
        None => bench(args.iter().any(|a| a == "--bench")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("http bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The whole benchmark (`full`) or its smoke test; false when a run failed.
fn bench(full: bool) -> Result<bool> {
    let started = Instant::now();
    let settings = Settings::from_env(full)?;
    let nginx = servers::try_nginx().map_err(|e| format!("no nginx: {e}"))?;
    curl::ensure_installed()?;
    let mut workloads = plan(nginx, &settings)?;
    let small = data::ensure(nginx, SMALL_FILE, 1024)?;
    let ca = nginx.ca_cert.clone();
    let context = RunContext {
        curl_startup: curl::startup(&nginx.http_url(&small.path), &ca)?,
        ca,
    };

    println!(
        "http bench{}: nginx on 127.0.0.1, {} round(s), a {} s pause before each run",
        if full {
            ""
        } else {
            " (smoke run: goals not judged)"
        },
        settings.rounds,
        settings.pause.as_secs_f64()
    );
    println!(
        "peers: {}, reqwest 0.13 (native-tls, HTTP/1.1, current-thread tokio)",
        curl_version()
    );
    println!(
        "times are of the transfers alone: in-process set-up is not counted, and {:.1} ms of \
         curl start-up (measured) is taken off each curl run",
        context.curl_startup.as_secs_f64() * 1e3
    );
    for w in &mut workloads {
        for round in 0..settings.rounds {
            for k in 0..Tool::ALL.len() {
                let tool = Tool::ALL[(round + k) % Tool::ALL.len()];
                thread::sleep(settings.pause);
                let outcome = tool.run(&w.job, &context).map_err(|e| e.to_string());
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

    println!();
    print!("{}", report::table(&workloads, full));
    println!();
    println!("all runs, in the order they ran:");
    print!("{}", report::runs(&workloads));
    println!();
    println!("bench time: {:.0} s", started.elapsed().as_secs_f64());
    let failed = workloads
        .iter()
        .any(|w| w.errors.iter().any(|e| !e.is_empty()));
    if failed {
        eprintln!("http bench: some runs FAILED (see above); their numbers are left out");
    }
    Ok(!failed)
}

/// What the environment asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    rounds: usize,
    pause: Duration,
    bulk: bool,
    parallel: bool,
    sequential: bool,
    /// The sizes and counts; a smoke run uses small ones.
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
        if let Some(bad) = names
            .iter()
            .find(|n| !["bulk", "parallel", "sequential"].contains(n))
        {
            return Err(format!(
                "INET_BENCH_ONLY: unknown workload {bad:?} (bulk, parallel, sequential)"
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
            bulk: wanted("bulk"),
            parallel: wanted("parallel"),
            sequential: wanted("sequential"),
            full,
        })
    }
}

/// The workloads asked for, their files made if missing.
fn plan(nginx: &Nginx, settings: &Settings) -> Result<Vec<Workload>> {
    let (big, count, in_flight, sequential) = if settings.full {
        (1u64 << 30, 20_000, 64, 5_000)
    } else {
        (1 << 20, 200, 16, 100)
    };
    let mut workloads = Vec::new();
    type UrlOf = fn(&Nginx, &str) -> String;
    let schemes: [(&str, UrlOf); 2] = [("http", Nginx::http_url), ("https", Nginx::https_url)];
    if settings.bulk {
        let file = data::ensure(nginx, &format!("{}.bin", size(big).replace(' ', "")), big)?;
        for (scheme, url) in schemes {
            workloads.push(Workload::new(
                format!("{} GET, {scheme}", size(big)),
                Job::Stream {
                    url: url(nginx, &file.path),
                    bytes: file.bytes,
                },
                Goal::FasterPeer(1.1),
            ));
        }
    }
    let small = data::ensure(nginx, SMALL_FILE, 1024)?;
    let many = |url: String, in_flight: usize, count: usize| Job::Many {
        url,
        count,
        in_flight,
        bytes: small.bytes,
    };
    if settings.parallel {
        for (scheme, url) in schemes {
            workloads.push(Workload::new(
                format!("{count} x 1 KiB, {in_flight} in flight, {scheme}"),
                many(url(nginx, &small.path), in_flight, count),
                Goal::Reqwest(1.2),
            ));
        }
    }
    if settings.sequential {
        workloads.push(Workload::new(
            format!("{sequential} sequential keep-alive, http"),
            many(nginx.http_url(&small.path), 1, sequential),
            Goal::Reqwest(1.1),
        ));
    }
    Ok(workloads)
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

/// One run as a progress line: time, rate, peak RSS and connections when known.
fn describe(w: &Workload, outcome: &Result<Run, String>) -> String {
    let run = match outcome {
        Ok(run) => run,
        Err(e) => return format!("FAILED: {e}"),
    };
    let mut line = format!(
        "{:>8.3} s {:>8.0} {}  (+{:.1} ms set-up)",
        run.elapsed.as_secs_f64(),
        w.rate(run),
        w.unit(),
        run.setup.as_secs_f64() * 1e3
    );
    if let Some(kib) = run.peak_rss_kib {
        line += &format!("  peak RSS {:.1} MiB", kib as f64 / 1024.0);
    }
    if let Some(n) = run.connections {
        line += &format!("  {n} connection(s)");
    }
    line
}

/// `curl VERSION (TLS library)` from curl's first `--version` line.
fn curl_version() -> String {
    let out = Command::new("curl").arg("--version").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let words: Vec<String> = text
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let tls = words.iter().find(|w| {
        ["OpenSSL/", "GnuTLS/", "wolfSSL/", "mbedTLS/", "rustls"]
            .iter()
            .any(|p| w.starts_with(p))
    });
    match (&words[..], tls) {
        ([name, version, ..], Some(tls)) => format!("{name} {version} ({tls})"),
        ([name, version, ..], None) => format!("{name} {version}"),
        _ => "curl (version unknown)".to_owned(),
    }
}
