//! `cargo xtask load [--quick] [--soak SECONDS]`: load and cancellation under stress (issue 10,
//! §3).
//!
//! Four parts, each printed as a row of one table (goal, measured, met):
//!
//! - **many requests**: 10,000 GETs of nginx's `/hello.txt` through one session and one
//!   connection handle, at most 64 connections to the host. The 10,000 request handles are opened
//!   first and held idle (memory per idle handle = RSS growth / 10,000), then all sent at once in
//!   the future form (one `inet_core::block_on` over all of them, so that the reactor wakes them on this thread) and read to the end; peak RSS during
//!   the run per in-flight handle, and the notifications the session's status callback counted per
//!   second of that run, end to end.
//! - **open connections**: 10,000 GETs in callback mode to a holding server (a child process: it
//!   accepts and never answers), spread over 127.0.0.1–127.0.0.16, each on its own connection;
//!   once every request was sent, the client's RSS growth per open connection; then the session is
//!   closed and timed until its HANDLE_CLOSING and until every client socket is gone.
//! - **pending closed**: 1,000 requests pending on the holding server, all closed in one loop:
//!   time until every one delivered HANDLE_CLOSING, and the sockets left (`/proc/self/fd`).
//! - **soak**: mixed HTTP (nginx), FTP (proftpd) and Gopher (gophernicus) through `open_url`, four
//!   workers, about a quarter of the operations cancelled after a random 0–5 ms by dropping their
//!   future (the handle closes); RSS and descriptors sampled every second; growth after warm-up
//!   and the descriptors left once the session closed.
//!
//! The descriptor limit is raised (setrlimit) in this process and in the holding server's. Run
//! as `cargo bench -p inet-tests --bench load -- --bench [--quick] [--soak S]` with the test
//! servers' `INET_TEST_*` variables set (`cargo xtask load` does all of it). Without `--bench`
//! (as `cargo test --all-targets` runs it) it is a smoke run: small counts, a 2 s soak, goals
//! not judged. Every run fails on what is a fault rather than a speed: a request that did not
//! complete, a socket left open, a soak operation that failed (other than by its cancellation).

#[path = "common/table.rs"]
#[allow(dead_code)] // `spread`: no per-round rates here
mod table;

use std::collections::HashSet;
use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use futures_lite::FutureExt;
use inet::{open_url, OpenUrlOptions};
use inet_core::{HandleId, HandleKind, Notification, Session, Status};
use inet_http::{HttpConnection, HttpRequest, RequestOptions};
use inet_tests::servers;
use parking_lot::Mutex;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// The argument that makes this binary the holding server.
const HOLD_ARG: &str = "--hold-server";
/// Loopback addresses the connections are spread over: 127.0.0.1 to 127.0.0.HOSTS.
const HOSTS: u8 = 16;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(HOLD_ARG) {
        return match hold_server() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hold server: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How big each part is.
#[derive(Debug, Clone, Copy)]
struct Plan {
    requests: usize,
    connections: usize,
    pending: usize,
    soak: Duration,
    /// Goals are judged (a full or `--quick` run under `cargo bench`), not in the smoke run.
    judged: bool,
    name: &'static str,
}

fn plan(args: &[String]) -> Result<Plan> {
    let bench = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let soak = match args.iter().position(|a| a == "--soak") {
        Some(i) => Some(Duration::from_secs(
            args.get(i + 1)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or("--soak wants a number of seconds")?,
        )),
        None => None,
    };
    let mut plan = match (bench, quick) {
        (true, false) => Plan {
            requests: 10_000,
            connections: 10_000,
            pending: 1_000,
            soak: Duration::from_secs(600),
            judged: true,
            name: "full",
        },
        (true, true) => Plan {
            requests: 2_000,
            connections: 2_000,
            pending: 1_000,
            soak: Duration::from_secs(20),
            judged: true,
            name: "quick",
        },
        (false, _) => Plan {
            requests: 200,
            connections: 200,
            pending: 50,
            soak: Duration::from_secs(2),
            judged: false,
            name: "smoke",
        },
    };
    if let Some(soak) = soak {
        plan.soak = soak;
    }
    Ok(plan)
}

/// One row of the table.
struct Row {
    item: String,
    goal: String,
    measured: String,
    /// None: reported only, no goal.
    met: Option<bool>,
    /// A correctness check inside the row (every request completed, no socket left, no
    /// failure): false fails the command in every run, the smoke run included.
    sound: bool,
}

impl Row {
    fn new(item: impl Into<String>, goal: &str, measured: String, met: Option<bool>) -> Row {
        Row {
            item: item.into(),
            goal: goal.to_owned(),
            measured,
            met,
            sound: true,
        }
    }

    fn sound(mut self, sound: bool) -> Row {
        self.sound = sound;
        self
    }
}

fn run(args: &[String]) -> Result<bool> {
    let plan = plan(args)?;
    let limit = raise_fd_limit(plan.connections as u64 * 2 + 4096)?;
    eprintln!(
        "load ({}): {} requests, {} connections, {} pending, soak {:?}; descriptor limit {limit}",
        plan.name, plan.requests, plan.connections, plan.pending, plan.soak
    );
    let nginx = servers::try_nginx().map_err(|e| format!("no nginx: {e}"))?;
    let mut rows = Vec::new();
    // Any part that could not run at all fails the command, after the others ran.
    let mut broken = Vec::new();
    let mut part = |name: &str, result: Result<Vec<Row>>| match result {
        Ok(r) => rows.extend(r),
        Err(e) => {
            eprintln!("load: {name} failed: {e}");
            broken.push(format!("{name}: {e}"));
        }
    };
    part(
        "many requests",
        many_requests(nginx.http_port, plan.requests),
    );
    part("open connections", open_connections(plan.connections));
    part("pending closed", pending_closed(plan.pending));
    part("soak", soak(plan.soak));

    let mut table = vec![vec![
        "item".to_owned(),
        "goal".to_owned(),
        "measured".to_owned(),
        "met".to_owned(),
    ]];
    let mut all_met = true;
    let mut unsound = Vec::new();
    for row in rows {
        if !row.sound {
            unsound.push(row.item.clone());
        }
        let met = match row.met {
            None => "—".to_owned(),
            Some(_) if !plan.judged => "(smoke)".to_owned(),
            Some(true) => "yes".to_owned(),
            Some(false) => {
                all_met = false;
                "**no**".to_owned()
            }
        };
        table.push(vec![row.item, row.goal, row.measured, met]);
    }
    println!("\n{}", table::markdown(&table));
    for b in &broken {
        println!("not run: {b}");
    }
    if plan.judged && !all_met {
        println!("some goals were not met (see the table)");
    }
    for item in &unsound {
        println!("FAILED: {item}");
    }
    Ok(broken.is_empty() && unsound.is_empty())
}

// ---- (a) 10,000 requests through one session, 64 connections ----

fn many_requests(port: u16, count: usize) -> Result<Vec<Row>> {
    let counter = Arc::new(Counter::default());
    let c = counter.clone();
    let session = Session::builder()
        .max_connections_per_host(64)
        .pool_wait_timeout(None)
        .receive_timeout(Some(Duration::from_secs(60)))
        .status_callback(move |n| c.count(n))
        .build()?;
    let conn = HttpConnection::connect(&session, "127.0.0.1", port)?;
    // One warm-up request: the reactor, the executor's threads, the first connection.
    inet_core::block_on(get_hello(conn.open_request(
        "GET",
        "/hello.txt",
        RequestOptions::default(),
    )?))?;

    let before = rss_kib();
    let requests = (0..count)
        .map(|_| conn.open_request("GET", "/hello.txt", RequestOptions::default()))
        .collect::<inet_core::Result<Vec<HttpRequest>>>()?;
    let idle = rss_kib().saturating_sub(before);

    let peak = PeakRss::start();
    let notified = counter.total.load(Ordering::Relaxed);
    let started = Instant::now();
    let failures = inet_core::block_on(async {
        let mut all: FuturesUnordered<_> = requests.iter().cloned().map(get_hello).collect();
        let mut failures = Vec::new();
        while let Some(outcome) = all.next().await {
            if let Err(e) = outcome {
                failures.push(e.to_string());
            }
        }
        failures
    });
    let took = started.elapsed();
    let notifications = counter.total.load(Ordering::Relaxed) - notified;
    let peak = peak.stop().saturating_sub(before);
    drop(requests);
    conn.close();
    session.close();

    let per_idle = idle as f64 * 1024.0 / count as f64;
    let per_flight = peak as f64 * 1024.0 / count as f64;
    let rate = notifications as f64 / took.as_secs_f64();
    let done = count - failures.len();
    if let Some(first) = failures.first() {
        eprintln!(
            "many requests: {} failed, the first: {first}",
            failures.len()
        );
    }
    Ok(vec![
        Row::new(
            format!("{count} requests, one session, 64 connections: completed"),
            "all",
            format!("{done} in {:.2} s", took.as_secs_f64()),
            Some(done == count),
        )
        .sound(done == count),
        Row::new(
            "memory per idle request handle",
            "< 8 KiB",
            format!("{:.2} KiB", per_idle / 1024.0),
            Some(per_idle < 8.0 * 1024.0),
        ),
        Row::new(
            "peak RSS per in-flight request",
            "—",
            format!("{:.2} KiB", per_flight / 1024.0),
            None,
        ),
        Row::new(
            "notifications per second, end to end",
            "≥ 1,000,000/s",
            format!(
                "{rate:.0}/s ({notifications} in all, {:.0} requests/s: bounded by the exchanges \
                 with nginx; the dispatcher alone: `cargo xtask bench core`)",
                count as f64 / took.as_secs_f64()
            ),
            Some(rate >= 1_000_000.0),
        ),
    ])
}

async fn get_hello(req: HttpRequest) -> Result<()> {
    req.send(None, None).await?;
    match req.status_code()? {
        200 => {}
        code => return Err(format!("status {code}").into()),
    }
    let body = req.read_to_end().await?;
    req.close();
    if body != b"Hello, world!\n" {
        return Err(format!("unexpected body of {} bytes", body.len()).into());
    }
    Ok(())
}

// ---- (b) 10,000 open connections, closed with the session ----

fn open_connections(count: usize) -> Result<Vec<Row>> {
    let holder = Holder::start()?;
    let counter = Arc::new(Counter::default());
    let session = holder.warm_session(count, &counter)?;

    let fds_before = sockets();
    let before = rss_kib();
    let started = Instant::now();
    let mut requests = Vec::with_capacity(count);
    for i in 0..count {
        requests.push(holder.request(&session, i)?);
    }
    counter.wait(
        |c| c.sent.load(Ordering::Relaxed) > count,
        Duration::from_secs(120),
    )?;
    let opened = started.elapsed();
    let grown = rss_kib().saturating_sub(before);
    let open = sockets().saturating_sub(fds_before);

    let closing = Instant::now();
    let session_id = session.handle().id();
    session.close();
    counter.wait_closing(session_id, Duration::from_secs(30))?;
    let handles_closed = closing.elapsed();
    let deadline = Instant::now() + Duration::from_secs(30);
    while sockets() > fds_before && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(2));
    }
    let sockets_closed = closing.elapsed();
    let left = sockets().saturating_sub(fds_before);
    drop(requests);
    drop(holder);

    let per_conn = grown as f64 / count as f64;
    let all_closed = handles_closed.max(sockets_closed);
    Ok(vec![
        Row::new(
            format!("{count} connections open at once (127.0.0.1–{HOSTS})"),
            "all",
            format!("{open} sockets, all sent in {:.2} s", opened.as_secs_f64()),
            Some(open >= count),
        )
        .sound(open >= count),
        Row::new(
            "user-space memory per open connection",
            "< 16 KiB",
            format!("{per_conn:.2} KiB"),
            Some(per_conn < 16.0),
        ),
        Row::new(
            "closing the session: HANDLE_CLOSING / last socket closed",
            "≤ 1 s",
            format!(
                "{:.0} ms / {:.0} ms, {left} left",
                handles_closed.as_secs_f64() * 1e3,
                sockets_closed.as_secs_f64() * 1e3
            ),
            Some(all_closed <= Duration::from_secs(1) && left == 0),
        )
        .sound(left == 0),
    ])
}

// ---- (c) 1,000 pending requests closed at once ----

fn pending_closed(count: usize) -> Result<Vec<Row>> {
    let holder = Holder::start()?;
    let counter = Arc::new(Counter::default());
    let session = holder.warm_session(count, &counter)?;

    let fds_before = sockets();
    let mut requests = Vec::with_capacity(count);
    for i in 0..count {
        requests.push(holder.request(&session, i)?);
    }
    counter.wait(
        |c| c.sent.load(Ordering::Relaxed) > count,
        Duration::from_secs(60),
    )?;
    let open = sockets().saturating_sub(fds_before);

    let cancelled_before = counter.cancelled.load(Ordering::Relaxed);
    let started = Instant::now();
    for req in &requests {
        req.close();
    }
    let closed_all = counter.wait(
        |c| c.closing_requests.load(Ordering::Relaxed) > count,
        Duration::from_secs(30),
    );
    let took = started.elapsed();
    let left_at_once = sockets().saturating_sub(fds_before);
    // A last look a second later: anything still open then is a leak.
    thread::sleep(Duration::from_secs(1));
    let left = sockets().saturating_sub(fds_before);
    let cancelled = counter.cancelled.load(Ordering::Relaxed) - cancelled_before;
    drop(requests);
    session.close();
    drop(holder);
    closed_all?;
    Ok(vec![Row::new(
        format!("{count} pending requests closed at once: HANDLE_CLOSING"),
        "all ≤ 1 s, no socket left",
        format!(
            "{:.0} ms ({open} sockets open before, {left_at_once} left then, {left} a second later; {cancelled} REQUEST_COMPLETE(OPERATION_CANCELLED))",
            took.as_secs_f64() * 1e3
        ),
        Some(took <= Duration::from_secs(1) && left == 0),
    )
    .sound(left == 0 && cancelled == count)])
}

// ---- (d) soak ----

fn soak(duration: Duration) -> Result<Vec<Row>> {
    let nginx = servers::try_nginx().map_err(|e| format!("no nginx: {e}"))?;
    let ftp = servers::try_ftp().map_err(|e| format!("no ftp server: {e}"))?;
    let gopher = servers::try_gopher().map_err(|e| format!("no gopher server: {e}"))?;
    // What each URL must give: the served file (gophernicus sends text items with CRLF).
    let http_body = std::fs::read(nginx.docroot.join("hello.txt"))?;
    let ftp_body = std::fs::read(ftp.root.join("welcome.txt"))?;
    let gopher_file = std::fs::read(gopher.root.join("hello.txt"))?;
    let gopher_body = String::from_utf8_lossy(&gopher_file)
        .replace('\n', "\r\n")
        .into_bytes();
    let urls = Arc::new(vec![
        (nginx.http_url("/hello.txt"), http_body.clone()),
        (nginx.http_url("/hello.txt"), http_body.clone()),
        (nginx.http_url("/hello.txt"), http_body),
        (ftp.url("/welcome.txt"), ftp_body),
        (gopher.url("/0/hello.txt"), gopher_body),
    ]);
    let fds_before = open_fds();
    let fds_at_start = fd_targets();
    let session = Session::builder()
        .receive_timeout(Some(Duration::from_secs(10)))
        .connect_timeout(Some(Duration::from_secs(10)))
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(SoakStats::default());
    // Bounded in count as well as time: at most this many operations in all.
    let max_ops = 5_000_000u64;
    let workers: Vec<_> = (0..4u64)
        .map(|w| {
            // A non-owning reference: the session closes when the main thread drops it.
            let session = inet_core::HandleRef::clone(&session);
            let urls = urls.clone();
            let stop = stop.clone();
            let stats = stats.clone();
            thread::spawn(move || {
                let mut rng = 0x2545_F491_4F6C_DD1D ^ (w + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                inet_core::block_on(async {
                    while !stop.load(Ordering::Relaxed)
                        && stats.ops.fetch_add(1, Ordering::Relaxed) < max_ops
                    {
                        let pick = next(&mut rng);
                        let (url, want) = &urls[(pick % urls.len() as u64) as usize];
                        let cancel_after = (pick >> 32) % 4 == 0;
                        let op = async {
                            let stream = open_url(&session, url, OpenUrlOptions::new()).await?;
                            let body = stream.read_to_end(1 << 20).await?;
                            stream.close();
                            Ok::<_, inet_core::Error>(body)
                        };
                        if cancel_after {
                            let wait = Duration::from_micros((pick >> 40) % 5_000);
                            let cancelled = async {
                                inet_core::Timer::after(wait).await;
                                Err(None)
                            };
                            let op = async { op.await.map_err(Some) };
                            match op.or(cancelled).await {
                                Err(None) => {
                                    stats.cancelled.fetch_add(1, Ordering::Relaxed);
                                }
                                Ok(body) => stats.check(url, &body, want),
                                Err(Some(e)) => stats.fail(url, &e),
                            }
                        } else {
                            match op.await {
                                Ok(body) => stats.check(url, &body, want),
                                Err(e) => stats.fail(url, &e),
                            }
                        }
                    }
                });
            })
        })
        .collect();

    let started = Instant::now();
    let mut samples: Vec<(Duration, u64, usize)> = Vec::new();
    while started.elapsed() < duration {
        thread::sleep(Duration::from_millis(250).min(duration));
        if samples
            .last()
            .is_none_or(|(t, _, _)| started.elapsed() >= *t + Duration::from_secs(1))
        {
            samples.push((started.elapsed(), rss_kib(), open_fds()));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().map_err(|_| "a soak worker panicked")?;
    }
    drop(session);
    // Every descriptor of the session is gone once it closed (idle pooled connections included).
    let deadline = Instant::now() + Duration::from_secs(5);
    while open_fds() > fds_before && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let fds_left = open_fds().saturating_sub(fds_before);
    if fds_left > 0 {
        // Say what they are: the row alone would leave a failure nobody can act on.
        for (fd, target) in fd_targets() {
            if !fds_at_start.iter().any(|(f, _)| *f == fd) {
                eprintln!("soak: descriptor {fd} left open: {target}");
            }
        }
    }

    // Growth: from the end of the warm-up (a tenth of the run, at least the first sample) to the
    // end, as medians of the first and last fifth of the samples after warm-up.
    let warm = samples.len() / 10;
    let steady = &samples[warm.min(samples.len())..];
    let fifth = (steady.len() / 5).max(1);
    let med = |s: &[(Duration, u64, usize)], f: fn(&(Duration, u64, usize)) -> f64| {
        table::median(s.iter().map(f).collect()).unwrap_or(0.0)
    };
    let head = &steady[..fifth.min(steady.len())];
    let tail = &steady[steady.len().saturating_sub(fifth)..];
    let rss_start = med(head, |s| s.1 as f64);
    let rss_end = med(tail, |s| s.1 as f64);
    let rss_max = steady.iter().map(|s| s.1).max().unwrap_or(0);
    let fd_start = med(head, |s| s.2 as f64);
    let fd_end = med(tail, |s| s.2 as f64);
    let fd_max = steady.iter().map(|s| s.2).max().unwrap_or(0);
    let ops = stats.done.load(Ordering::Relaxed);
    let cancelled = stats.cancelled.load(Ordering::Relaxed);
    let failed = stats.failed.load(Ordering::Relaxed);
    if let Some(first) = stats.first_failure.lock().as_ref() {
        eprintln!("soak: {failed} failed, the first: {first}");
    }
    let rss_growth = rss_end - rss_start;
    // "No growth": within 5% (and 2 MiB) of the steady state, allocator noise allowed.
    let rss_ok = rss_growth <= (rss_start * 0.05).max(2048.0);
    let fd_ok = fd_end <= fd_start + 8.0 && fds_left == 0;
    Ok(vec![
        Row::new(
            format!(
                "soak {:.0} s, HTTP/FTP/Gopher, random cancellations",
                duration.as_secs_f64()
            ),
            "no failure",
            format!(
                "{ops} completed, {cancelled} cancelled, {failed} failed ({:.0} ops/s)",
                (ops + cancelled + failed) as f64 / duration.as_secs_f64()
            ),
            Some(failed == 0 && ops > 0),
        )
        .sound(failed == 0 && ops > 0),
        Row::new(
            "soak RSS after warm-up → end (max)",
            "no growth (≤ 5% or 2 MiB)",
            format!(
                "{:.1} → {:.1} MiB ({:.1} MiB), {} samples",
                rss_start / 1024.0,
                rss_end / 1024.0,
                rss_max as f64 / 1024.0,
                samples.len()
            ),
            Some(rss_ok),
        ),
        Row::new(
            "soak descriptors after warm-up → end (max); left after close",
            "no growth; 0 left",
            format!("{fd_start:.0} → {fd_end:.0} ({fd_max}); {fds_left} left"),
            Some(fd_ok),
        )
        .sound(fds_left == 0),
    ])
}

#[derive(Default)]
struct SoakStats {
    ops: AtomicU64,
    done: AtomicU64,
    cancelled: AtomicU64,
    failed: AtomicU64,
    first_failure: Mutex<Option<String>>,
}

impl SoakStats {
    fn check(&self, url: &str, body: &[u8], want: &[u8]) {
        if body == want {
            self.done.fetch_add(1, Ordering::Relaxed);
        } else {
            self.record(format!(
                "{url}: {} bytes, not the expected body",
                body.len()
            ));
        }
    }

    fn fail(&self, url: &str, e: &inet_core::Error) {
        self.record(format!("{url}: {e}"));
    }

    fn record(&self, failure: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.first_failure.lock().get_or_insert(failure);
    }
}

/// xorshift64*: the soak's choices, the same every run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

// ---- the status callback's counts ----

#[derive(Default)]
struct Counter {
    total: AtomicU64,
    /// REQUEST_SENT of request handles.
    sent: AtomicUsize,
    /// HANDLE_CLOSING of request handles.
    closing_requests: AtomicUsize,
    /// REQUEST_COMPLETE with ERROR_INTERNET_OPERATION_CANCELLED.
    cancelled: AtomicUsize,
    closed: Mutex<HashSet<HandleId>>,
}

impl Counter {
    fn count(&self, n: &Notification) {
        self.total.fetch_add(1, Ordering::Relaxed);
        match &n.status {
            Status::RequestSent(_) if n.kind == HandleKind::HttpRequest => {
                self.sent.fetch_add(1, Ordering::Relaxed);
            }
            Status::HandleClosing => {
                if n.kind == HandleKind::HttpRequest {
                    self.closing_requests.fetch_add(1, Ordering::Relaxed);
                } else if n.kind == HandleKind::Internet {
                    self.closed.lock().insert(n.handle);
                }
            }
            Status::RequestComplete(Err(e)) if e.code() == 12017 => {
                self.cancelled.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Waits (polling every millisecond) until `done` holds.
    fn wait(&self, done: impl Fn(&Counter) -> bool, limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        while !done(self) {
            if Instant::now() > deadline {
                return Err(format!(
                    "gave up after {limit:?}: {} sent, {} request handles closed",
                    self.sent.load(Ordering::Relaxed),
                    self.closing_requests.load(Ordering::Relaxed)
                )
                .into());
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    fn wait_closing(&self, session: HandleId, limit: Duration) -> Result<()> {
        self.wait(|c| c.closed.lock().contains(&session), limit)
    }
}

// ---- the holding server (a child process) ----

/// A child process listening on 127.0.0.1..=127.0.0.HOSTS that accepts every connection and holds
/// it, never reading or answering; killed when dropped.
struct Holder {
    child: Child,
    addrs: Vec<SocketAddr>,
}

impl Holder {
    fn start() -> Result<Holder> {
        let exe = env::current_exe()?;
        let mut child = Command::new(exe)
            .arg(HOLD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or("no stdout from the hold server")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addrs = line
            .split_whitespace()
            .map(|a| a.parse::<SocketAddr>())
            .collect::<Result<Vec<_>, _>>()?;
        if addrs.len() != HOSTS as usize {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the hold server said {line:?}").into());
        }
        Ok(Holder { child, addrs })
    }

    /// A session for `count` requests to this server, each on its own connection, counted by
    /// `counter`; warmed up (executor, reactor) with one request, closed again.
    fn warm_session(&self, count: usize, counter: &Arc<Counter>) -> Result<Session> {
        let c = counter.clone();
        let session = Session::builder()
            .max_connections(count + 64)
            .max_connections_per_host(count)
            .pool_wait_timeout(None)
            .connect_timeout(Some(Duration::from_secs(60)))
            .receive_timeout(None)
            .status_callback(move |n| c.count(n))
            .build()?;
        let warm = self.request(&session, 0)?;
        counter.wait(
            |c| c.sent.load(Ordering::Relaxed) >= 1,
            Duration::from_secs(10),
        )?;
        warm.close();
        counter.wait(
            |c| c.closing_requests.load(Ordering::Relaxed) >= 1,
            Duration::from_secs(10),
        )?;
        Ok(session)
    }

    /// Starts a GET on connection `i`'s address (spread over the addresses), in callback mode.
    fn request(&self, session: &Session, i: usize) -> Result<HttpRequest> {
        let addr = self.addrs[i % self.addrs.len()];
        let req = inet_http::open(
            session,
            &format!("http://{addr}/hold/{i}"),
            RequestOptions::default(),
        )?;
        // Its REQUEST_COMPLETE (never, unless cancelled) is counted by the callback.
        let _pending = req.start_send(None, None)?;
        Ok(req)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // Closing its stdin tells it to exit; kill it if it does not.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side: listens, prints its addresses, accepts and holds until stdin closes.
fn hold_server() -> Result<()> {
    raise_fd_limit(65_536)?;
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
    let mut addrs = Vec::new();
    for host in 1..=HOSTS {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.bind(&SocketAddr::from((Ipv4Addr::new(127, 0, 0, host), 0)).into())?;
        socket.listen(4096)?;
        let listener: std::net::TcpListener = socket.into();
        addrs.push(listener.local_addr()?.to_string());
        let held = held.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(c) => held.lock().push(c),
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            }
        });
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", addrs.join(" "))?;
    out.flush()?;
    drop(out);
    // Until the parent closes our stdin (or goes away).
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink)? > 0 {
        sink.clear();
    }
    Ok(())
}

// ---- process measurements ----

/// Raises RLIMIT_NOFILE's soft limit to at least `want` (and the hard limit too when allowed);
/// returns the soft limit in force.
fn raise_fd_limit(want: u64) -> Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft >= want {
        return Ok(soft);
    }
    if hard < want && setrlimit(Resource::RLIMIT_NOFILE, want, want).is_ok() {
        return Ok(want);
    }
    let soft = want.min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard)?;
    Ok(soft)
}

/// This process's resident set, KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// This process's descriptors and what each links to (`/proc/self/fd`).
fn fd_targets() -> Vec<(String, String)> {
    std::fs::read_dir("/proc/self/fd").map_or(Vec::new(), |d| {
        d.filter_map(|e| e.ok())
            .map(|e| {
                let target = std::fs::read_link(e.path())
                    .map_or_else(|e| format!("({e})"), |l| l.to_string_lossy().into_owned());
                (e.file_name().to_string_lossy().into_owned(), target)
            })
            .collect()
    })
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Open sockets of this process (`/proc/self/fd` entries that link to `socket:[…]`).
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| {
        d.filter_map(|e| e.ok())
            .filter(|e| {
                std::fs::read_link(e.path())
                    .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
            })
            .count()
    })
}

/// The highest RSS seen by a thread sampling every 2 ms until stopped.
struct PeakRss {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<u64>,
}

impl PeakRss {
    fn start() -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = thread::spawn(move || {
            let mut peak = rss_kib();
            while !s.load(Ordering::Relaxed) {
                peak = peak.max(rss_kib());
                thread::sleep(Duration::from_millis(2));
            }
            peak.max(rss_kib())
        });
        PeakRss { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}
