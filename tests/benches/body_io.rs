//! `cargo xtask bench body`: what the reader adapters cost (issue 11 §1: "1 GiB through
//! `futures::io::copy` ≥ 0.95× the plain read loop").
//!
//! One process, the harness's nginx, one 1 GiB file (`bench/1GiB.bin`, shared with the http
//! bench) per run, in rounds that alternate the ways of reading it (the first rotates each round);
//! each way is compared with the read loop of its own round (see `bench`):
//!
//! - `read loop 64K`: `HttpRequest::read` into one 64 KiB buffer until 0 (the plain read loop);
//! - `read loop 8K`: the same with 8 KiB, the size `futures::io::copy`'s `BufReader` reads;
//! - `futures::io::copy`: `copy(req.async_reader(), sink)` (its `BufReader` of 8 KiB in between);
//! - `futures::io::copy_buf`: `copy_buf(req.async_reader(), sink)` (the adapter's own 64 KiB
//!   buffer, no `BufReader`);
//! - `blocking read loop 64K` and `std::io::copy`: the blocking pair.
//!
//! Every run drives its future with `inet_core::block_on` (the blocking ones run on the thread), writes
//! into a sink, and must see exactly the file's size. The table gives the median rate of each,
//! its ratio to the 64 KiB read loop, and the median CPU time of this process per GiB (steadier
//! than rates on a shared machine: other processes' load does not count); the goal is the issue's: `futures::io::copy`
//! (`copy_buf`'s ratio is printed beside it, not judged). `INET_BENCH_ROUNDS=N` sets the rounds (default 9). Run without `--bench` (as
//! `cargo test --all-targets` does) it is a smoke test: 8 MiB, one round, goal not judged.

#[path = "common/data.rs"]
mod common_data;
#[path = "http/data.rs"]
mod data;
#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use inet_core::Session;
use inet_http::{HttpRequest, RequestOptions};
use inet_tests::servers;
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    ReadLoop64K,
    ReadLoop8K,
    FuturesCopy,
    FuturesCopyBuf,
    BlockingLoop64K,
    StdCopy,
}

const WAYS: [Way; 6] = [
    Way::ReadLoop64K,
    Way::ReadLoop8K,
    Way::FuturesCopy,
    Way::FuturesCopyBuf,
    Way::BlockingLoop64K,
    Way::StdCopy,
];

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::ReadLoop64K => "read loop 64K (baseline)",
            Way::ReadLoop8K => "read loop 8K",
            Way::FuturesCopy => "futures::io::copy",
            Way::FuturesCopyBuf => "futures::io::copy_buf",
            Way::BlockingLoop64K => "blocking read loop 64K",
            Way::StdCopy => "std::io::copy",
        }
    }

    /// Read the whole body of `req` this way; the number of bytes read.
    fn read(self, req: &HttpRequest) -> Result<u64> {
        let mut sink = futures::io::sink();
        Ok(match self {
            Way::ReadLoop64K => inet_core::block_on(read_loop(req, 64 * 1024))?,
            Way::ReadLoop8K => inet_core::block_on(read_loop(req, 8 * 1024))?,
            Way::FuturesCopy => {
                inet_core::block_on(futures::io::copy(req.async_reader(), &mut sink))?
            }
            Way::FuturesCopyBuf => {
                inet_core::block_on(futures::io::copy_buf(req.async_reader(), &mut sink))?
            }
            Way::BlockingLoop64K => {
                let mut buf = vec![0u8; 64 * 1024];
                let mut total = 0u64;
                loop {
                    let n = req.read_blocking(&mut buf)?;
                    if n == 0 {
                        break total;
                    }
                    total += n as u64;
                }
            }
            Way::StdCopy => std::io::copy(&mut req.blocking_reader(), &mut std::io::sink())?,
        })
    }
}

async fn read_loop(req: &HttpRequest, size: usize) -> Result<u64> {
    let mut buf = vec![0u8; size];
    let mut total = 0u64;
    loop {
        let n = req.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

fn main() -> ExitCode {
    let full = std::env::args().any(|a| a == "--bench");
    match bench(full) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("body_io bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(full: bool) -> Result<bool> {
    let nginx = servers::nginx();
    let (file, rounds) = if full {
        let rounds = std::env::var("INET_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(9usize);
        (data::ensure(nginx, "1GiB.bin", 1 << 30)?, rounds.max(1))
    } else {
        (data::ensure(nginx, "8MiB.bin", 8 << 20)?, 1)
    };
    let url = nginx.http_url(&file.path);
    let session = Session::new()?;
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); WAYS.len()];
    let mut cpus: Vec<Vec<Duration>> = vec![Vec::new(); WAYS.len()];
    for round in 0..rounds {
        for k in 0..WAYS.len() {
            let i = (k + round) % WAYS.len();
            let way = WAYS[i];
            let req = inet_http::open(&session, &url, RequestOptions::default())?;
            req.send_blocking(None, None)?;
            let (t0, c0) = (Instant::now(), cpu_time());
            let n = way.read(&req)?;
            let took = t0.elapsed();
            cpus[i].push(cpu_time().saturating_sub(c0));
            if n != file.bytes {
                return Err(format!("{}: {n} bytes, expected {}", way.name(), file.bytes).into());
            }
            times[i].push(took);
            if full {
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let rate = |i: usize| file.bytes as f64 / median(&times[i]).as_secs_f64() / 1e9;
    let cpu_per_gib =
        |i: usize| median(&cpus[i]).as_secs_f64() * 1e3 * (1u64 << 30) as f64 / file.bytes as f64;
    // Each way against the baseline of the same round, which ran next to it: the server and
    // the machine's other load drift between rounds (rates of one way spread by 1.3× over a
    // run), much less between neighbours. The median of those ratios is the comparison.
    let ratio = |i: usize| {
        let mut r: Vec<f64> = (0..rounds)
            .map(|k| times[0][k].as_secs_f64() / times[i][k].as_secs_f64())
            .collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    println!(
        "\n{} over http, {rounds} round(s); medians (the ratio: of each round's rate to that \
         round's read loop 64K):\n",
        size(file.bytes)
    );
    println!("| way | GB/s | × read loop 64K | CPU ms/GiB (this process) |\n|---|---|---|---|");
    for (i, way) in WAYS.iter().enumerate() {
        println!(
            "| {} | {:.2} | {:.3} | {:.0} |",
            way.name(),
            rate(i),
            ratio(i),
            cpu_per_gib(i)
        );
    }
    if !full {
        println!("\n(smoke run: goal not judged)");
        return Ok(true);
    }
    let copy = ratio(2);
    let copy_buf = ratio(3);
    let met = copy >= 0.95;
    println!(
        "\ngoal (futures::io::copy ≥ 0.95× the read loop): {} ({copy:.3}; copy_buf, not a goal: \
         {copy_buf:.3})",
        if met { "met" } else { "NOT met" }
    );
    Ok(true)
}

/// User + system time of this process so far (all its threads: the reactor's too).
fn cpu_time() -> Duration {
    let Ok(u) = getrusage(UsageWho::RUSAGE_SELF) else {
        return Duration::ZERO;
    };
    let us = u.user_time().num_microseconds() + u.system_time().num_microseconds();
    Duration::from_micros(us.max(0) as u64)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{} GiB", b >> 30),
        b => format!("{} MiB", b >> 20),
    }
}
