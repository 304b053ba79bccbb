//! `cargo xtask bench gopher`: inet against curl on the harness's gophernicus, and the menu parser.
//!
//! Workloads:
//! - a 1 GiB binary item (type 9) from gophernicus under socat, fetched by inet's future form
//!   (`open_file` then 1 MiB reads on `inet_core::block_on`), inet's callback mode (`start_open_file`,
//!   then 64 KiB `start_read`s continued from the status callback), `inet get URL -o /dev/null`
//!   (a whole process, start-up included) and `curl gopher://… -o /dev/null`. Rounds alternate
//!   the tools (the first tool rotates each round) with a pause before each run; the table shows
//!   medians: MB/s (10^6 bytes), client CPU (user + system of the whole client process, from its
//!   `getrusage` once reaped) in seconds per GiB, and voluntary context switches per GiB. Goals:
//!   each inet column ≥ 1.0× curl's rate (the server, one gophernicus process behind socat, is
//!   the limit) and ≤ 0.8× curl's CPU per GiB.
//! - a 10,000-item menu parsed by `MenuParser` from 64 KiB pieces (as the driver pushes them),
//!   in this process: items per second (goal ≥ 2 M/s).
//!
//! Every client run is a new process (curl, the `inet` binary, or this binary re-run with
//! `--run-job`), so its CPU time and context switches are its own; a run fails unless it exits
//! with 0, and inet's two in-process forms and curl must also count exactly the item's bytes
//! (`inet get` writes to /dev/null as curl does and counts nothing aloud: `cli/tests/gopher.rs`
//! checks its bytes). In-process inet times itself from the request (after building its
//! session); curl's start-up (the median wall time of 5 fetches of a small item) is taken off
//! its wall time; `inet get` is timed whole, start-up included.
//!
//! Modes: `cargo bench` (as `cargo xtask bench gopher` runs it) is the full benchmark: 1 GiB,
//! 5 rounds (`INET_BENCH_ROUNDS=N`), a 1 s pause. `--quick` (`cargo xtask bench gopher --quick`)
//! is for development: 64 MiB, 2 rounds, no pause, goals shown but not judged. Without `--bench`
//! (`cargo test --all-targets`) it is a smoke test: 1 MiB, one round.

#[path = "common/table.rs"]
#[allow(dead_code)] // `spread`: this bench prints no per-round list
mod table;

use std::env;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use inet_core::{Completion, Context, HandleKind, Notification, Session, Started, Status};
use inet_gopher::proto::{ItemType, MenuItem, MenuParser};
use inet_gopher::{GopherConnection, GopherFile, GopherOptions, Locator};
use inet_tests::servers::{self, Gopher};
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;
use parking_lot::Mutex;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// The argument that makes this binary run one client and exit.
const RUN_ARG: &str = "--run-job";

/// Bytes one callback-mode `start_read` asks for (as `inet get` does).
const READ_CHUNK: usize = 64 * 1024;

/// Items in the parsed menu.
const MENU_ITEMS: usize = 10_000;

const GIB: f64 = (1u64 << 30) as f64;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let outcome = match args.iter().position(|a| a == RUN_ARG) {
        Some(i) => run_here(&args[i + 1..]).map(|()| true),
        None => Settings::from_args(&args).and_then(bench),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("gopher bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What this run measures, by mode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    mode: &'static str,
    bytes: u64,
    rounds: usize,
    pause: Duration,
    /// Menu parses per round.
    parses: usize,
    judge: bool,
}

impl Settings {
    fn from_args(args: &[String]) -> Result<Settings> {
        let quick = args.iter().any(|a| a == "--quick");
        let full = args.iter().any(|a| a == "--bench") && !quick;
        let mut s = if full {
            Settings {
                mode: "full",
                bytes: 1 << 30,
                rounds: 5,
                pause: Duration::from_secs(1),
                parses: 200,
                judge: true,
            }
        } else if quick {
            Settings {
                mode: "quick: goals not judged",
                bytes: 64 << 20,
                rounds: 2,
                pause: Duration::ZERO,
                parses: 50,
                judge: false,
            }
        } else {
            Settings {
                mode: "smoke run: goals not judged",
                bytes: 1 << 20,
                rounds: 1,
                pause: Duration::ZERO,
                parses: 3,
                judge: false,
            }
        };
        if let Ok(n) = env::var("INET_BENCH_ROUNDS") {
            s.rounds = n
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("INET_BENCH_ROUNDS={n} is not a positive number"))?;
        }
        Ok(s)
    }
}

// ----- the benchmark -------------------------------------------------------------------------------

fn bench(settings: Settings) -> Result<bool> {
    let started = Instant::now();
    let gopher = servers::try_gopher().map_err(|e| format!("no gopher server: {e}"))?;
    ensure_curl()?;
    let item = bench_item(gopher, settings.bytes)?;
    let url = gopher.url(&format!("9{item}"));
    let small = gopher.url("9/bin.dat");
    let context = RunContext {
        curl_startup: curl_startup(&small)?,
        inet_cli: build_inet_cli()?,
    };
    println!(
        "gopher bench ({}): gophernicus under socat on 127.0.0.1, {} round(s) of {}, a {} s pause \
         before each run",
        settings.mode,
        settings.rounds,
        size(settings.bytes),
        settings.pause.as_secs_f64()
    );
    println!(
        "peer: {}; {:.1} ms of curl start-up (measured) is taken off each curl run",
        curl_version(),
        context.curl_startup.as_secs_f64() * 1e3
    );
    let job = Job {
        url,
        bytes: settings.bytes,
    };
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); Tool::ALL.len()];
    let mut failures = Vec::new();
    for round in 0..settings.rounds {
        for k in 0..Tool::ALL.len() {
            let i = (round + k) % Tool::ALL.len();
            let tool = Tool::ALL[i];
            thread::sleep(settings.pause);
            match tool.run(&job, &context) {
                Ok(run) => {
                    println!(
                        "  round {}/{} {:<8} {}",
                        round + 1,
                        settings.rounds,
                        tool.name(),
                        run.describe(job.bytes)
                    );
                    runs[i].push(run);
                }
                Err(e) => {
                    println!(
                        "  round {}/{} {:<8} FAILED: {e}",
                        round + 1,
                        settings.rounds,
                        tool.name()
                    );
                    failures.push(format!("{}: {e}", tool.name()));
                }
            }
        }
    }
    let menu = menu_bench(&settings)?;
    println!();
    println!(
        "medians of {} round(s). CPU: user + system of the whole client process (exec to exit), \
         per GiB; context switches: the process's voluntary ones, per GiB.",
        settings.rounds
    );
    println!();
    print!("{}", table(&runs, job.bytes, &menu, settings.judge));
    println!();
    println!("bench time: {:.0} s", started.elapsed().as_secs_f64());
    if !failures.is_empty() {
        eprintln!("gopher bench: {} run(s) FAILED:", failures.len());
        for f in &failures {
            eprintln!("  {f}");
        }
    }
    Ok(failures.is_empty())
}

/// One download, the same for every tool.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Job {
    url: String,
    bytes: u64,
}

/// The clients compared, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Inet,
    InetCallback,
    InetGet,
    Curl,
}

impl Tool {
    const ALL: [Tool; 4] = [Tool::Inet, Tool::InetCallback, Tool::InetGet, Tool::Curl];

    fn name(self) -> &'static str {
        match self {
            Tool::Inet => "inet",
            Tool::InetCallback => "inet-cb",
            Tool::InetGet => "inet-get",
            Tool::Curl => "curl",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Tool::Inet => "inet future",
            Tool::InetCallback => "inet callback",
            Tool::InetGet => "inet get",
            Tool::Curl => "curl",
        }
    }

    /// Runs `job` in a new process and times it (see the module docs).
    fn run(self, job: &Job, context: &RunContext) -> Result<Run> {
        let size = job.bytes.to_string();
        match self {
            Tool::Inet | Tool::InetCallback => {
                let mut cmd = Command::new(env::current_exe()?);
                cmd.args([RUN_ARG, self.name(), &job.url, &size]);
                let (out, watched) = spawn_timed(&mut cmd)?;
                check_exit(self.name(), &out)?;
                let stdout = String::from_utf8_lossy(&out.stdout);
                let value = |key: &str| {
                    stdout
                        .lines()
                        .find_map(|l| l.strip_prefix(key)?.trim().parse::<u64>().ok())
                        .ok_or_else(|| format!("{} printed no {key}", self.name()))
                };
                Ok(Run {
                    elapsed: Duration::from_nanos(value("transfer_ns=")?),
                    usage: watched.usage,
                    reads: value("reads=").ok().zip(value("reads_done=").ok()),
                })
            }
            Tool::InetGet => {
                let mut cmd = Command::new(&context.inet_cli);
                cmd.args(["get", &job.url, "-o", "/dev/null"]);
                let (out, watched) = spawn_timed(&mut cmd)?;
                check_exit("inet get", &out)?;
                Ok(Run {
                    elapsed: watched.wall,
                    usage: watched.usage,
                    reads: None,
                })
            }
            Tool::Curl => {
                let mut cmd = curl();
                cmd.args([&job.url, "--output", "/dev/null"]);
                let (out, watched) = spawn_timed(&mut cmd)?;
                check_exit("curl", &out)?;
                let got: u64 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
                same_length("curl", got, job.bytes)?;
                Ok(Run {
                    elapsed: watched
                        .wall
                        .saturating_sub(context.curl_startup)
                        .max(Duration::from_micros(1)),
                    usage: watched.usage,
                    reads: None,
                })
            }
        }
    }
}

/// What every run needs besides its job.
#[derive(Debug, Clone)]
struct RunContext {
    curl_startup: Duration,
    inet_cli: PathBuf,
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Run {
    elapsed: Duration,
    usage: Option<Usage>,
    /// Callback mode's `start_read`s and those done at once.
    reads: Option<(u64, u64)>,
}

impl Run {
    fn rate(&self, bytes: u64) -> f64 {
        bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    fn cpu_per_gib(&self, bytes: u64) -> Option<f64> {
        Some(self.usage?.cpu().as_secs_f64() / (bytes as f64 / GIB))
    }

    fn voluntary_per_gib(&self, bytes: u64) -> Option<f64> {
        Some(self.usage?.voluntary as f64 / (bytes as f64 / GIB))
    }

    fn describe(&self, bytes: u64) -> String {
        let mut line = format!(
            "{:>8.3} s {:>8.0} MB/s",
            self.elapsed.as_secs_f64(),
            self.rate(bytes)
        );
        if let Some(u) = self.usage {
            line += &format!(
                "  CPU {:.3} s (user {:.3}, sys {:.3})  ctx switches {} vol / {} invol",
                u.cpu().as_secs_f64(),
                u.user.as_secs_f64(),
                u.system.as_secs_f64(),
                u.voluntary,
                u.involuntary
            );
        }
        if let Some((total, done)) = self.reads {
            line += &format!("  reads {total} ({done} done at once)");
        }
        line
    }
}

// ----- the menu parser ------------------------------------------------------------------------------

/// Items per second of each round (parsing the menu `settings.parses` times); an error when the
/// parser did not find every item.
fn menu_bench(settings: &Settings) -> Result<Vec<f64>> {
    let menu = menu_bytes(MENU_ITEMS);
    let mut rates = Vec::new();
    for round in 0..settings.rounds.max(3) {
        let started = Instant::now();
        let mut items = 0usize;
        for _ in 0..settings.parses {
            let n = parse_menu(&menu);
            if n != MENU_ITEMS {
                return Err(format!("the menu parser found {n} of {MENU_ITEMS} items").into());
            }
            items += n;
        }
        let rate = items as f64 / started.elapsed().as_secs_f64();
        println!(
            "  menu round {}: {} x {MENU_ITEMS} items ({} KiB): {:.2} M items/s",
            round + 1,
            settings.parses,
            menu.len() / 1024,
            rate / 1e6
        );
        rates.push(rate);
    }
    Ok(rates)
}

/// A menu as gophernicus lists a directory: two `i` lines, then files and directories.
fn menu_bytes(items: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"i[/data/]\tTITLE\tnull.host\t1\r\ni\t\tnull.host\t1\r\n");
    for i in 0..items.saturating_sub(2) {
        let line = match i % 3 {
            0 => format!("9rand_{i:05}.bin\t/data/rand_{i:05}.bin\t127.0.0.1\t7070\r\n"),
            1 => format!("0notes {i:05}.txt\t/data/notes#040{i:05}.txt\t127.0.0.1\t7070\r\n"),
            _ => format!("1dir{i:05}\t/data/dir{i:05}/\t127.0.0.1\t7070\r\n"),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Parse `menu` pushed in 64 KiB pieces, as the driver does; the number of entries read.
fn parse_menu(menu: &[u8]) -> usize {
    let mut parser = MenuParser::for_server("127.0.0.1", 7070);
    let mut n = 0;
    for piece in menu.chunks(64 * 1024) {
        parser.push(piece);
        while let Ok(Some(item)) = parser.next_item() {
            n += usize::from(matches!(item, MenuItem::Entry(_)));
        }
    }
    parser.finish();
    while let Ok(Some(item)) = parser.next_item() {
        n += usize::from(matches!(item, MenuItem::Entry(_)));
    }
    n
}

// ----- the table ------------------------------------------------------------------------------------

/// The markdown table: a row per measure, a column per tool, the goals with inet's ratios.
fn table(runs: &[Vec<Run>], bytes: u64, menu: &[f64], judge: bool) -> String {
    let med = |tool: usize, f: &dyn Fn(&Run) -> Option<f64>| {
        median(runs[tool].iter().filter_map(f).collect())
    };
    let rate = |t: usize| med(t, &|r: &Run| Some(r.rate(bytes)));
    let cpu = |t: usize| med(t, &|r: &Run| r.cpu_per_gib(bytes));
    let vol = |t: usize| med(t, &|r: &Run| r.voluntary_per_gib(bytes));
    let curl = Tool::ALL.len() - 1;
    let verdict = |ratio: Option<f64>, ok: &dyn Fn(f64) -> bool| match ratio {
        Some(x) if judge => format!("{x:.2}× {}", if ok(x) { "met" } else { "**NOT met**" }),
        Some(x) => format!("{x:.2}× (not judged)"),
        None => "- (no numbers)".to_owned(),
    };
    let goals = |measure: &dyn Fn(usize) -> Option<f64>, text: &str, ok: &dyn Fn(f64) -> bool| {
        (0..curl)
            .map(|t| {
                let ratio = measure(t).zip(measure(curl)).map(|(a, b)| a / b);
                format!("{} {text}: {}", Tool::ALL[t].heading(), verdict(ratio, ok))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let cells = |measure: &dyn Fn(usize) -> Option<f64>, digits: usize, unit: &str| {
        (0..Tool::ALL.len())
            .map(|t| match measure(t) {
                Some(v) => format!("{v:.digits$}{unit}"),
                None => "-".to_owned(),
            })
            .collect::<Vec<_>>()
    };
    let label = format!("{} item (type 9)", size(bytes));
    let mut rows = vec![];
    let mut heading = vec!["workload".to_owned(), "measure (median)".to_owned()];
    heading.extend(Tool::ALL.iter().map(|t| t.heading().to_owned()));
    heading.push("goals (inet's ratio to curl)".to_owned());
    rows.push(heading);
    let mut row = |first: &str, measure: &str, values: Vec<String>, goal: String| {
        let mut r = vec![first.to_owned(), measure.to_owned()];
        r.extend(values);
        r.push(goal);
        rows.push(r);
    };
    row(
        &label,
        "rate",
        cells(&rate, 0, " MB/s"),
        goals(&rate, "≥ 1.0× curl", &|x| x >= 1.0),
    );
    row(
        "",
        "client CPU (user+sys) per GiB",
        cells(&cpu, 3, " s"),
        goals(&cpu, "CPU ≤ 0.8× curl", &|x| x <= 0.8),
    );
    row(
        "",
        "voluntary ctx switches per GiB",
        cells(&vol, 0, ""),
        String::new(),
    );
    let reads = median(
        runs[1]
            .iter()
            .filter_map(|r| r.reads)
            .map(|(total, done)| done as f64 / total.max(1) as f64 * 100.0)
            .collect(),
    );
    let mut read_cells = vec!["n/a".to_owned(); Tool::ALL.len()];
    read_cells[1] = reads.map_or("-".to_owned(), |p| format!("{p:.1}%"));
    row("", "64 KiB reads done at once", read_cells, String::new());
    let items = median(menu.to_vec());
    let met = items.map(|r| r >= 2e6);
    let goal = match (items, met) {
        (Some(r), Some(ok)) if judge => format!(
            "≥ 2 M items/s: {:.2} M {}",
            r / 1e6,
            if ok { "met" } else { "**NOT met**" }
        ),
        (Some(r), _) => format!("≥ 2 M items/s: {:.2} M (not judged)", r / 1e6),
        _ => "- (no numbers)".to_owned(),
    };
    let mut menu_cells = vec!["n/a".to_owned(); Tool::ALL.len()];
    menu_cells[0] = items.map_or("-".to_owned(), |r| format!("{:.2} M items/s", r / 1e6));
    row(
        &format!("{MENU_ITEMS}-item menu, MenuParser"),
        "parse rate (in process)",
        menu_cells,
        goal,
    );
    markdown(&rows)
}

use table::{markdown, median};

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} B"),
    }
}

// ----- the in-process clients (child side) ----------------------------------------------------------

/// `--run-job TOOL URL BYTES`: fetch the item, check its length, print `transfer_ns=` (and
/// `reads=`, `reads_done=` in callback mode).
fn run_here(args: &[String]) -> Result<()> {
    let [tool, url, bytes] = args else {
        return Err(format!("usage: {RUN_ARG} TOOL URL BYTES").into());
    };
    let bytes: u64 = bytes.parse()?;
    let (host, port, selector) = split_url(url)?;
    let locator = Locator::new(ItemType::Binary, "", selector.as_bytes(), &host, port)?;
    let (transfer, reads) = match tool.as_str() {
        "inet" => future_form(&host, port, &locator, bytes)?,
        "inet-cb" => callback_mode(&host, port, &locator, bytes)?,
        other => return Err(format!("no in-process tool {other:?}").into()),
    };
    println!("transfer_ns={}", transfer.as_nanos());
    if let Some((total, done)) = reads {
        println!("reads={total}");
        println!("reads_done={done}");
    }
    Ok(())
}

/// `gopher://127.0.0.1:PORT/9SELECTOR` (as the bench builds it: no escapes) → its parts.
fn split_url(url: &str) -> Result<(String, u16, String)> {
    let rest = url.strip_prefix("gopher://").ok_or("not a gopher URL")?;
    let (authority, path) = rest.split_once('/').ok_or("no path")?;
    let (host, port) = authority.rsplit_once(':').ok_or("no port")?;
    let selector = path.strip_prefix('9').ok_or("not a type 9 URL")?;
    Ok((host.to_owned(), port.parse()?, selector.to_owned()))
}

/// The future form: `open_file`, then 1 MiB reads, on `inet_core::block_on`.
fn future_form(
    host: &str,
    port: u16,
    locator: &Locator,
    bytes: u64,
) -> Result<(Duration, Option<(u64, u64)>)> {
    let session = Session::new()?;
    let conn = GopherConnection::open(&session, host, port, GopherOptions::new(), Context(1))?;
    let started = Instant::now();
    let got = inet_core::block_on(async {
        let file = conn.open_file(locator, None, Context(1)).await?;
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0u64;
        loop {
            match file.read(&mut buf).await? {
                0 => break,
                n => got += n as u64,
            }
        }
        Ok::<u64, inet_core::Error>(got)
    })?;
    let transfer = started.elapsed();
    same_length("inet", got, bytes)?;
    Ok((transfer, None))
}

/// Callback mode: `start_open_file`; its REQUEST_COMPLETE starts 64 KiB `start_read`s, looping
/// while they are done at once and continuing from the REQUEST_COMPLETE of one that went
/// pending — all inside the status callback; the main thread waits for the end.
fn callback_mode(
    host: &str,
    port: u16,
    locator: &Locator,
    bytes: u64,
) -> Result<(Duration, Option<(u64, u64)>)> {
    let (tx, rx) = mpsc::channel();
    let driver = Arc::new(Driver {
        file: Mutex::new(None),
        state: Mutex::new(Counts::default()),
        done: Mutex::new(Some(tx)),
    });
    let callback = driver.clone();
    let session = Session::builder()
        .status_callback(move |n| callback.on_notification(n))
        .build()?;
    let conn = GopherConnection::open(&session, host, port, GopherOptions::new(), Context(1))?;
    let started = Instant::now();
    let _pending = conn.start_open_file(locator, None, Context(1))?;
    rx.recv()
        .map_err(|_| "callback mode: the driver went away")??;
    let transfer = started.elapsed();
    let counts = *driver.state.lock();
    same_length("inet callback", counts.got, bytes)?;
    session.close();
    Ok((transfer, Some((counts.reads, counts.done))))
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    got: u64,
    reads: u64,
    done: u64,
}

/// Shared by the main thread and the status callback.
#[derive(Debug)]
struct Driver {
    file: Mutex<Option<GopherFile>>,
    state: Mutex<Counts>,
    done: Mutex<Option<mpsc::Sender<Result<(), String>>>>,
}

impl Driver {
    fn on_notification(&self, n: &Notification) {
        let Status::RequestComplete(result) = &n.status else {
            return;
        };
        match (n.kind, result) {
            (_, Err(e)) => self.report(Err(format!("inet callback: {e}"))),
            (HandleKind::ConnectGopher, Ok(c)) => match c.value::<GopherFile>() {
                Some(file) => {
                    *self.file.lock() = Some(file.clone());
                    self.read_more(file);
                }
                None => self.report(Err("inet callback: the open brought no file".into())),
            },
            (HandleKind::GopherFile, Ok(Completion::Data(data))) => {
                if data.is_empty() {
                    return self.report(Ok(()));
                }
                self.state.lock().got += data.len() as u64;
                let file = self.file.lock().clone();
                if let Some(file) = file {
                    self.read_more(&file);
                }
            }
            _ => {}
        }
    }

    /// Reads until a read goes pending (its REQUEST_COMPLETE brings us back) or the item ends.
    fn read_more(&self, file: &GopherFile) {
        loop {
            let started = file.start_read(READ_CHUNK);
            self.state.lock().reads += 1;
            match started {
                Ok(Started::Done(data)) => {
                    let mut s = self.state.lock();
                    s.done += 1;
                    if data.is_empty() {
                        drop(s);
                        return self.report(Ok(()));
                    }
                    s.got += data.len() as u64;
                }
                Ok(Started::Pending(_)) => return,
                Err(e) => return self.report(Err(format!("inet callback: {e}"))),
            }
        }
    }

    /// The first report reaches the main thread.
    fn report(&self, outcome: Result<(), String>) {
        if let Some(tx) = self.done.lock().take() {
            let _ = tx.send(outcome);
        }
    }
}

// ----- processes, curl, files -------------------------------------------------------------------------

/// CPU time and context switches of one child process, exec to exit, all its threads.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    user: Duration,
    system: Duration,
    voluntary: u64,
    involuntary: u64,
}

impl Usage {
    fn cpu(&self) -> Duration {
        self.user + self.system
    }

    /// Sums over the children reaped so far.
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

#[derive(Debug, Clone, Copy)]
struct Watched {
    wall: Duration,
    usage: Option<Usage>,
}

/// Spawns `cmd`, waits for it, and takes its wall time and its usage: the growth of this
/// process's `getrusage(RUSAGE_CHILDREN)` across the child's life (one child at a time).
fn spawn_timed(cmd: &mut Command) -> Result<(Output, Watched)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let before = Usage::of_reaped_children();
    let started = Instant::now();
    let out = cmd.spawn()?.wait_with_output()?;
    let wall = started.elapsed();
    let usage = Usage::of_reaped_children()
        .zip(before)
        .map(|(after, before)| after.since(before));
    Ok((out, Watched { wall, usage }))
}

fn check_exit(what: &str, out: &Output) -> Result<()> {
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

fn same_length(what: &str, got: u64, expected: u64) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {got} bytes, expected {expected}").into())
    }
}

/// `curl` quiet, without a proxy, printing the bytes it got.
fn curl() -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--no-progress-meter"])
        .args(["--noproxy", "*", "--write-out", "%{size_download}"]);
    cmd
}

/// The median wall time of 5 curl runs fetching `small_url`.
fn curl_startup(small_url: &str) -> Result<Duration> {
    let mut walls = Vec::new();
    for _ in 0..5 {
        let mut cmd = curl();
        cmd.args([small_url, "--output", "/dev/null"]);
        let (out, watched) = spawn_timed(&mut cmd)?;
        check_exit("curl", &out)?;
        walls.push(watched.wall);
    }
    walls.sort();
    Ok(walls[walls.len() / 2])
}

fn curl_version() -> String {
    let out = Command::new("curl").arg("--version").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let first = text.unwrap_or_default();
    let words: Vec<&str> = first
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .take(2)
        .collect();
    words.join(" ")
}

/// curl, installed with Debian's package when missing (the test scripts' apt lock).
fn ensure_curl() -> Result<()> {
    let runs = || {
        Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if runs() {
        return Ok(());
    }
    eprintln!("gopher bench: curl is missing, installing it with apt-get");
    let status = Command::new("flock")
        .args(["/tmp/inet-tests-apt.lock", "bash", "-c"])
        .arg(
            "apt-get install -y --no-install-recommends curl >&2 || \
             { apt-get update >&2 && apt-get install -y --no-install-recommends curl >&2; }",
        )
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if status.success() && runs() {
        Ok(())
    } else {
        Err(format!("curl is missing and apt-get could not install it ({status})").into())
    }
}

/// `bench/rand_SIZE.bin` in the server's root (beside `data/`), `bytes` long, made if missing
/// (readable by the server's user); a file already there is read through once, so the first
/// timed run does not wait for the disk. Returns its selector.
fn bench_item(gopher: &Gopher, bytes: u64) -> Result<String> {
    let name = format!("rand_{}.bin", size(bytes).replace(' ', ""));
    let dir = gopher.root.join("bench");
    let file = dir.join(&name);
    if fs::metadata(&file).map(|m| m.len()).ok() == Some(bytes) {
        io::copy(&mut File::open(&file)?, &mut io::sink())?;
    } else {
        eprintln!("gopher bench: writing {} ({bytes} bytes)", file.display());
        fs::create_dir_all(&dir)?;
        write_pseudo_random(&file, bytes)?;
    }
    set_readable(&dir, 0o755)?;
    set_readable(&file, 0o644)?;
    Ok(format!("/bench/{name}"))
}

fn set_readable(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Incompressible bytes (xorshift64*), the same on every run; written beside and renamed.
fn write_pseudo_random(file: &Path, bytes: u64) -> Result<()> {
    let partial = PathBuf::from(format!("{}.partial", file.display()));
    let mut out = File::create(&partial)?;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    drop(out);
    fs::rename(&partial, file)?;
    Ok(())
}

/// Builds the `inet` binary in this bench's profile and target directory (see the HTTP bench's
/// `build_inet_cli`) and returns its path.
fn build_inet_cli() -> Result<PathBuf> {
    let exe = env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("cannot tell the target directory from this binary's path")?;
    let release = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => true,
        Some("debug") => false,
        other => return Err(format!("unknown profile directory {other:?}").into()),
    };
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "inet-cli", "--bin", "inet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!("building the inet binary failed ({status})").into());
    }
    let bin = profile_dir.join("inet");
    if !bin.is_file() {
        return Err(format!("no inet binary at {}", bin.display()).into());
    }
    Ok(bin)
}
