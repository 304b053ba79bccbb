//! `inet get`: fetch one or more URLs at once, in WinINet's callback mode, on one session;
//! `--parallel N` at a time, the others queued in URL order.
//!
//! Every request is started with `start_send` (it returns at once: `ERROR_IO_PENDING`). The status
//! callback traces, moves the progress bars, and gives each send's `REQUEST_COMPLETE` to the
//! driver, which runs on the thread that brings it (`crate::serial`): it checks the status, opens
//! the output, starts the body's reading and starts the next URL in its turn (`crate::turns`).
//! Once a body flows, its reads continue on whichever thread their completions arrive on
//! (`crate::handoff`), and the driver hears of it again at its end. The main thread starts the
//! driver and waits for the last transfer and the session's `HANDLE_CLOSING`.

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use inet::{
    Direction, Error, ErrorKind, HandleKind, HandleRef, HttpRequest, RequestFlags, RequestOptions,
    Session, Status,
};

use crate::exit;
use crate::gopher;
use crate::handoff::{self, Handoff, ToSink};
use crate::output::{self, Sink, StdoutQueue, Target};
use crate::progress::{Bars, Show};
use crate::serial::{self, Drive, Main, Post};
use crate::trace::Tracer;
use crate::turns::Turns;

const AFTER_HELP: &str = r#"Examples:
  inet get https://example.com/index.html                       (to stdout)
  inet get http://h/a.bin -o a.bin http://h/b.bin -o b.bin      (both at once, two bars)
  inet get http://h/api -H 'Accept: application/json' --fail
  inet get http://h/form --data @form.txt -u ann:secret
  inet get --parallel 2 http://h/1 http://h/2 http://h/3        (two at a time, in order)
  inet get --page http://h/index.html --output-dir site --trace text

Output:
  HTTP URLs are fetched on one session, --parallel N at a time (default 8; the rest wait their
  turn, in URL order), at most --max-connections-per-host N to one host (default 6). `-o FILE`
  pairs with the URLs in order (the first -o is for the first URL, like curl); `-o -` and URLs
  without an -o write to stdout. Stdout bodies come out whole and in URL order: the first
  streams as it arrives, later ones are held in memory until those before them have finished.
  On a terminal, stderr shows a bar per -o file
  (rate, ETA) and a total bar; otherwise a plain line per file when it ends (and every second
  while it runs) and a total line. --quiet and --trace show no progress.
  --user USER:PASSWORD, else the URL's user-info, else a ~/.netrc entry for the host ($NETRC
  names another file) gives HTTP basic auth and the FTP login.

Trace:
  --trace json writes one object per notification, fields in this order:
  {"t_ms":…,"handle":…,"parent":…,"kind":"request","context":…,"status":"SENDING_REQUEST",
   "code":30,"info":{…}}. `info` holds the status's data: host, address, bytes, url, progress
  (direction, done, total); for REQUEST_COMPLETE, WinINet's result (1/0) and error (0 or the
  code, with its name and message). t_ms counts from the start of the program. Error lines
  (`inet: …`) are not JSON. --trace text: `+12.3ms #3 request ctx=1 SENDING_REQUEST`.

Exit status:
  0   every transfer succeeded (an HTTP status >= 400 is a success unless --fail is given)
  1   a transfer failed; stderr says `inet: <what> (<WinINet error name> <code>)`
  2   bad command line
  22  --fail and the server answered with a status >= 400
  23  the body could not be written (-o FILE, stdout)
  130 interrupted (Ctrl-C): every transfer cancelled, files written so far kept
  With several URLs, the status is that of the first failed URL, in URL order.

FTP:
  ftp:// and ftps:// (explicit FTPS, port 21) URLs are fetched --parallel N at a time, each on
  its own connection (those to stdout one after the other, in URL order), to -o FILE,
  to a file named after the URL (-O), or to stdout. --continue resumes into the existing file
  (REST); a failed download keeps what it got, so that --continue can go on from there.
  --user u:p overrides the URL's user-info (then ~/.netrc; anonymous when none gives one);
  --active, --ascii.
  --header is HTTP's and ignored for ftp:// and gopher:// URLs, as curl does; --data, --fail,
  --max-redirects, --max-time and --speed-limit are HTTP's only (an error with other URLs);
  -O, --continue, --active and --ascii are FTP's only (for now). Errors and the trace are as
  above; an error line reads `inet: get <URL>: <what> (<name> <code>)`. See `inet ls --help`
  for the URL rules.
    inet get ftp://127.0.0.1/pub/file.bin -O
    inet get ftp://ann:secret@example.com/big.iso -o big.iso --continue

Gopher:
  gopher:// and gophers:// URLs (RFC 4266: /<type><selector>) are fetched as FTP's are,
  to -o FILE, to a file named after the selector (-O), or to stdout: a file item as it is sent,
  a menu (type 1) or a search (type 7) as the menu's text. A search takes its words from
  --query WORDS (or %09 in the URL). A reply that is only the server's error (a `3` line, or
  gophernicus's `Error: …` line) fails with 12003 and the server's text; --raw writes it instead.
  See `inet ls --help` for the URL rules; `inet ls` shows a menu as a table or JSON.
    inet get gopher://127.0.0.1:7070/9/data/rand_1M.bin -O
    inet get gopher://127.0.0.1:7070/7/search --query "gopher rfc""#;

/// `inet get` arguments.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct GetArgs {
    /// The URLs to fetch: http(s)://, ftp(s)://, gopher(s)://. URLs of several protocols in
    /// one run are opened as `inet cat` opens them (no --continue, --data, --active, --ascii,
    /// --query, --raw or --max-redirects then).
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,

    /// Write the body of the next URL to FILE (once per URL, in order; `-` is stdout).
    #[arg(short, long = "output", value_name = "FILE")]
    output: Vec<PathBuf>,

    /// Write each URL without an -o to a file named after the URL's last path segment (decoded;
    /// the query left out), in the current directory.
    #[arg(short = 'O', long = "remote-name")]
    remote_name: bool,

    /// HTTP: the URL is an HTML page: fetch it and every same-origin resource it names (src,
    /// href) at once, each started as soon as the page bytes naming it arrive, into
    /// --output-dir (the browser scenario). Prints when each started and ended. Every resource
    /// starts when named (--parallel does not apply); --max-connections-per-host (default 16
    /// here) bounds the connections.
    #[arg(long)]
    pub page: bool,

    /// With --page: the directory the page and its resources are written to, under their URL
    /// paths (default: the current directory).
    #[arg(long, value_name = "DIR", requires = "page")]
    pub output_dir: Option<std::path::PathBuf>,

    /// Resume into the existing output file (-o or -O) from its size: HTTP asks for the rest
    /// with `Range: bytes=SIZE-` (a 206 is appended, a 200 rewrites the file, a 416 means it is
    /// complete already); FTP with REST. A file Ctrl-C left behind is kept for this.
    #[arg(long = "continue")]
    resume: bool,

    /// FTP: active mode (the server connects back: EPRT/PORT); passive otherwise.
    #[arg(long)]
    active: bool,

    /// FTP: wait for each command's answer before the next (by default, once EPSV has worked,
    /// EPSV and RETR go together).
    #[arg(long)]
    no_pipelining: bool,

    /// FTP: transfer as ASCII text (TYPE A); binary otherwise.
    #[arg(long)]
    ascii: bool,

    /// Gopher: the search words of a type 7 URL (instead of %09 in the URL).
    #[arg(long, value_name = "WORDS")]
    query: Option<String>,

    /// Gopher: write a reply that reads as the server's error as it came, instead of failing.
    #[arg(long)]
    raw: bool,

    /// POST this body: `@FILE` reads a file (`@-` stdin), anything else is sent as is. The
    /// Content-Type is application/x-www-form-urlencoded unless a --header sets one.
    #[arg(short, long, value_name = "@FILE|DATA", allow_hyphen_values = true)]
    data: Option<String>,

    /// HTTP: follow at most N redirects (default 10); more fail with 12156.
    #[arg(long, value_name = "N")]
    max_redirects: Option<u32>,

    #[command(flatten)]
    pub t: crate::flags::Transfer,

    /// Treat an HTTP status >= 400 as a failure: write no body and exit 22 (like curl -f).
    #[arg(short, long)]
    fail: bool,
}

/// `--timeout`: seconds, fractions allowed. Refuses what is not a positive number (NaN,
/// negatives, 0); saturates what no `Duration` holds (`1e30`, `inf`) to `Duration::MAX`, which
/// inet takes as "no limit" — `Duration::from_secs_f64` would panic on it.
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if secs.is_nan() {
        return Err(format!("{s:?} is not a number of seconds"));
    }
    if secs <= 0.0 {
        return Err(format!("{s:?}: the timeout must be more than 0 seconds"));
    }
    // Positive and not NaN: the only failure left is "too big" (infinity included). A value so
    // small it rounds to 0 ns becomes 1 ns, as 0 was refused above.
    Ok(Duration::try_from_secs_f64(secs)
        .unwrap_or(Duration::MAX)
        .max(Duration::from_nanos(1)))
}

/// Run `inet get`; `t0` is when the program started (the trace's time origin).
pub fn run(args: GetArgs, t0: Instant) -> u8 {
    if args.output.len() > args.urls.len() {
        eprintln!(
            "inet: {} -o options for {} URL(s): give at most one -o per URL",
            args.output.len(),
            args.urls.len()
        );
        return exit::USAGE;
    }
    if args.page {
        return run_page(&args, t0);
    }
    let ftp_urls = args.urls.iter().filter(|u| is_ftp(u)).count();
    let gopher_urls = args.urls.iter().filter(|u| gopher::is_gopher(u)).count();
    if ftp_urls > 0 || gopher_urls > 0 {
        if ftp_urls.max(gopher_urls) < args.urls.len() {
            return run_mixed(&args, t0);
        }
        if let Some(flag) = http_only_flag(&args) {
            let scheme = if ftp_urls > 0 { "ftp" } else { "gopher" };
            eprintln!("inet: get: {flag} is for http:// URLs only, not {scheme}://");
            return exit::USAGE;
        }
        return if ftp_urls > 0 {
            run_ftp(&args, t0)
        } else {
            run_gopher(&args, t0)
        };
    }
    if args.active || args.ascii || args.no_pipelining {
        eprintln!("inet: get: --active, --ascii and --no-pipelining are for ftp:// URLs");
        return exit::USAGE;
    }
    if args.query.is_some() || args.raw {
        eprintln!("inet: get: --query and --raw are for gopher:// URLs");
        return exit::USAGE;
    }
    let request = match RequestPlan::from_args(&args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("inet: {e}");
            return exit::INET;
        }
    };
    let jobs = match jobs(&args) {
        Ok(jobs) => jobs,
        Err(message) => {
            eprintln!("inet: {message}");
            return exit::USAGE;
        }
    };
    // Contexts count from 1, in URL order, as file_names keys them.
    let files = crate::output::file_names(jobs.iter().map(|j| &j.target));
    let show = Show::choose(args.t.quiet, args.t.trace.is_some());
    let bars = Arc::new(Bars::new(&files, Direction::Receive, show));
    let (tx, rx) = mpsc::channel();
    let post = Arc::new(Post::new(tx));
    let bodies = Arc::new(bodies(jobs.len(), &post));
    let tracer = args.t.trace.map(|f| Tracer::new(f, t0));
    let session = match session(&args, tracer, bars.clone(), bodies.clone(), post.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("inet: {e}");
            return exit::INET;
        }
    };
    let driver = Driver::new(
        jobs,
        &args,
        HandleRef::clone(&session),
        request,
        bars,
        bodies,
    );
    // The transfers are driven by the threads their completions arrive on; this one waits.
    let linger = Duration::from_secs(5);
    serial::run_to_end(driver, &post, &rx, &session, linger, Driver::exit_code)
}

/// `--page`: the page and its same-origin resources at once (see `crate::page`).
fn run_page(args: &GetArgs, t0: Instant) -> u8 {
    let [url] = args.urls.as_slice() else {
        eprintln!("inet: get --page takes one page URL");
        return exit::USAGE;
    };
    if !args.output.is_empty() || args.remote_name || args.resume {
        eprintln!("inet: get --page writes into --output-dir; -o, -O and --continue do not apply");
        return exit::USAGE;
    }
    if args.data.is_some() || !args.t.headers.is_empty() {
        eprintln!("inet: get --page sends plain GETs; --data and --header do not apply");
        return exit::USAGE;
    }
    let request = match RequestPlan::from_args(args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("inet: {e}");
            return exit::INET;
        }
    };
    let fetch = crate::page::PageFetch::new(url, request.options.clone());
    let tracer = args.t.trace.map(|f| Tracer::new(f, t0));
    let session = {
        let fetch = fetch.clone();
        let mut builder = Session::builder()
            .max_connections_per_host(16)
            .status_callback(move |n| {
                if let Some(t) = &tracer {
                    t.write(n);
                }
                fetch.on_notification(n);
            });
        // 16 connections to the page's host unless --max-connections-per-host says otherwise.
        builder = args.t.session(builder);
        match builder.build() {
            Ok(s) => {
                crate::interrupt::watch(&s);
                s
            }
            Err(e) => {
                eprintln!("inet: {e}");
                return exit::INET;
            }
        }
    };
    let started = Instant::now();
    if let Err(e) = fetch.start(&session) {
        eprintln!("inet: get {}: {e}", shown(url));
        return exit::INET;
    }
    let fetched = match fetch.collect(Duration::from_secs(300)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("inet: get {}: {e}", shown(url));
            return exit::INET;
        }
    };
    session.close();
    let dir = args.output_dir.clone().unwrap_or_else(|| ".".into());
    let mut code = exit::OK;
    for f in fetched {
        let ms = |at: Instant| at.saturating_duration_since(started).as_millis();
        match f.body {
            Ok(body) => {
                let path = inet::urls::crack_url(&f.url)
                    .map(|p| p.path)
                    .unwrap_or_default();
                let name = if path.ends_with('/') {
                    format!("{path}index.html")
                } else {
                    path
                };
                let file = dir.join(name.trim_start_matches('/'));
                let written = file
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&file, &body));
                if let Err(e) = written {
                    let (url, file) = (shown(&f.url), file.display());
                    eprintln!("inet: get {url}: writing {file}: {e}");
                    code = exit::WRITE;
                    continue;
                }
                println!(
                    "{:>5} ms -> {:>5} ms  {:>9} bytes  {}",
                    ms(f.started),
                    ms(f.done),
                    body.len(),
                    shown(&f.url)
                );
            }
            Err(e) => {
                eprintln!("inet: get {}: {e}", shown(&f.url));
                if code == exit::OK {
                    code = exit::INET;
                }
            }
        }
    }
    code
}

/// An ftp:// or ftps:// URL (by its scheme; the rest is checked when it is parsed).
fn is_ftp(url: &str) -> bool {
    url.trim().split_once(':').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("ftp") || scheme.eq_ignore_ascii_case("ftps")
    })
}

/// The first HTTP-only flag given, if any.
fn http_only_flag(args: &GetArgs) -> Option<&'static str> {
    let http_only = [
        (args.data.is_some(), "--data"),
        (args.fail, "--fail"),
        (args.max_redirects.is_some(), "--max-redirects"),
    ];
    http_only
        .iter()
        .find(|(given, _)| *given)
        .map(|(_, flag)| *flag)
}

/// `inet get` with URLs of several protocols: each opened as InternetOpenUrl opens it (the
/// facade's `start_open_url`, as `inet cat` does), `--parallel` at a time, each body to its `-o`
/// or `-O` file or to stdout in URL order. What only one protocol's own path does (a resumed
/// download, a POST, FTP's transfer modes, a Gopher search) needs a run of that protocol alone.
fn run_mixed(args: &GetArgs, t0: Instant) -> u8 {
    let single_protocol = [
        (args.resume, "--continue"),
        (args.data.is_some(), "--data"),
        (args.active, "--active"),
        (args.ascii, "--ascii"),
        (args.no_pipelining, "--no-pipelining"),
        (args.query.is_some(), "--query"),
        (args.raw, "--raw"),
        (args.max_redirects.is_some(), "--max-redirects"),
    ];
    if let Some((_, flag)) = single_protocol.iter().find(|(given, _)| *given) {
        eprintln!("inet: get: {flag} needs URLs of one protocol; these mix http, ftp and gopher");
        return exit::USAGE;
    }
    let mut targets = Vec::new();
    for (i, url) in args.urls.iter().enumerate() {
        targets.push(match args.output.get(i) {
            Some(p) if p.as_os_str() == "-" => Target::Stdout,
            Some(p) => Target::File(p.clone()),
            None if args.remote_name => match remote_file_name(url) {
                Some(name) => Target::File(PathBuf::from(name)),
                None => {
                    eprintln!("inet: get {url}: -O needs a URL that ends in a file name");
                    return exit::USAGE;
                }
            },
            None => Target::Stdout,
        });
    }
    let files = crate::output::file_names(targets.iter());
    let show = Show::choose(args.t.quiet, args.t.trace.is_some());
    let bars = Arc::new(Bars::new(&files, Direction::Receive, show));
    let run = crate::cat::Run {
        command: "get",
        urls: &args.urls,
        targets,
        fail: args.fail,
        t: &args.t,
    };
    run.go(bars, t0)
}

/// `inet get` with ftp:// URLs: see `ftp::get`.
fn run_ftp(args: &GetArgs, t0: Instant) -> u8 {
    if args.query.is_some() || args.raw {
        eprintln!("inet: get: --query and --raw are for gopher:// URLs");
        return exit::USAGE;
    }
    let plan = crate::ftp::get::Plan {
        urls: &args.urls,
        outputs: &args.output,
        remote_name: args.remote_name,
        resume: args.resume,
        parallel: args.t.parallel,
        common: crate::ftp::Common {
            user: args.t.user.clone(),
            active: args.active,
            no_pipelining: args.no_pipelining,
            ascii: args.ascii,
            trace: args.t.trace,
            timeout: args.t.timeout,
            connect_timeout: args.t.connect_timeout,
            cacert: args.t.cacert.clone(),
            insecure: args.t.insecure,
            quiet: args.t.quiet,
            limits: args.t.limits,
        },
    };
    crate::ftp::get::run(plan, t0)
}

/// `inet get` with gopher:// URLs: see `gopher::get`.
fn run_gopher(args: &GetArgs, t0: Instant) -> u8 {
    let ftp_only = [
        (args.resume, "--continue"),
        (args.active, "--active"),
        (args.ascii, "--ascii"),
        (args.no_pipelining, "--no-pipelining"),
        (args.t.user.is_some(), "--user"),
    ];
    if let Some((_, flag)) = ftp_only.iter().find(|(given, _)| *given) {
        eprintln!("inet: get: {flag} is not for gopher:// URLs");
        return exit::USAGE;
    }
    let plan = gopher::get::Plan {
        urls: &args.urls,
        outputs: &args.output,
        remote_name: args.remote_name,
        parallel: args.t.parallel,
        common: gopher::Common {
            trace: args.t.trace,
            timeout: args.t.timeout,
            connect_timeout: args.t.connect_timeout,
            cacert: args.t.cacert.clone(),
            insecure: args.t.insecure,
            quiet: args.t.quiet,
            query: args.query.clone(),
            raw: args.raw,
            limits: args.t.limits,
        },
    };
    gopher::get::run(plan, t0)
}

/// One URL and where its body goes.
#[derive(Debug)]
struct Job {
    ctx: u64,
    url: String,
    target: Target,
    /// `--continue`: the bytes the output file holds already (0: a whole download).
    resume_from: u64,
}

/// Pair the URLs with the `-o` options (or `-O` names), in order; contexts count from 1.
fn jobs(args: &GetArgs) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    let netrc = crate::netrc::Netrc::default();
    for (i, url) in args.urls.iter().enumerate() {
        let target = match args.output.get(i) {
            Some(p) if p.as_os_str() == "-" => Target::Stdout,
            Some(p) => Target::File(p.clone()),
            None if args.remote_name => match remote_file_name(url) {
                Some(name) => Target::File(PathBuf::from(name)),
                None => {
                    return Err(format!(
                        "get {url}: -O needs a URL that ends in a file name"
                    ))
                }
            },
            None => Target::Stdout,
        };
        let resume_from = match (&target, args.resume) {
            (_, false) => 0,
            (Target::Stdout, true) => {
                return Err(format!(
                    "get {url}: --continue needs an output file (-o FILE or -O)"
                ))
            }
            // A file not there yet is a whole download.
            (Target::File(p), true) => std::fs::metadata(p).map_or(0, |m| m.len()),
        };
        jobs.push(Job {
            ctx: i as u64 + 1,
            url: with_user(url, netrc.user_for(url, args.t.user.as_deref()).as_deref()),
            target,
            resume_from,
        });
    }
    Ok(jobs)
}

/// `-O`'s file name for a URL: an ftp or gopher URL's as its own parser gives it (as a run of
/// that protocol alone names it); an http(s) URL's last path segment, percent-decoded, if it
/// names something (not a directory URL ending in `/`, not `..`, no `/` once decoded).
fn remote_file_name(url: &str) -> Option<String> {
    if is_ftp(url) {
        return inet::ftp::FtpUrl::parse(url)
            .ok()?
            .file_name()
            .map(str::to_string);
    }
    if gopher::is_gopher(url) {
        return gopher::GopherUrl::parse(url).ok()?.file_name();
    }
    let parsed = url::Url::parse(url).ok()?;
    let last = parsed.path_segments()?.next_back()?;
    // Percent-decoded (`+` kept as it is: it means a space only in form data).
    let name: String =
        url::form_urlencoded::parse(format!("x={}", last.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
    let usable =
        !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
    usable.then_some(name)
}

/// The request headers of a job: the command's, and `Range` when it resumes.
fn job_headers(common: Option<&str>, resume_from: u64) -> Option<String> {
    if resume_from == 0 {
        return common.map(str::to_string);
    }
    let range = format!("Range: bytes={resume_from}-");
    Some(match common {
        Some(h) => format!("{h}\r\n{range}"),
        None => range,
    })
}

/// `url` as messages and progress name it: without its password.
pub(crate) fn shown(url: &str) -> String {
    inet::http::proto::without_userinfo(url).into_owned()
}

/// Put `user:password` into the URL's user-info, which `inet::http::open` turns into
/// credentials. A URL that does not parse is left alone: opening it reports the error.
pub(crate) fn with_user(url: &str, user: Option<&str>) -> String {
    let Some(user) = user else {
        return url.to_string();
    };
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let (name, password) = user.split_once(':').unwrap_or((user, ""));
    if parsed.set_username(name).is_err() || parsed.set_password(Some(password)).is_err() {
        return url.to_string();
    }
    parsed.into()
}

/// What every request of this run sends: method, headers, body, options.
#[derive(Debug)]
struct RequestPlan {
    method: &'static str,
    headers: Option<String>,
    body: Option<Bytes>,
    options: RequestOptions,
}

impl RequestPlan {
    fn from_args(args: &GetArgs) -> inet::Result<Self> {
        let body = args.data.as_deref().map(read_data).transpose()?;
        let mut headers = args.t.headers.clone();
        let sets_type = headers.iter().any(|h| {
            h.split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"))
        });
        if body.is_some() && !sets_type {
            headers.insert(
                0,
                "Content-Type: application/x-www-form-urlencoded".to_string(),
            );
        }
        let mut options = RequestOptions::default();
        if args.t.insecure {
            options.flags |= RequestFlags::IGNORE_CERT_ERRORS;
        }
        if let Some(n) = args.max_redirects {
            options = options.max_redirects(n);
        }
        if let Some(t) = args.t.limits.max_time {
            options = options.max_time(t);
        }
        Ok(RequestPlan {
            method: if body.is_some() { "POST" } else { "GET" },
            headers: (!headers.is_empty()).then(|| headers.join("\r\n")),
            body: body.map(Bytes::from),
            options,
        })
    }
}

/// `--data`: `@FILE` (`@-`: stdin) or the literal text.
fn read_data(data: &str) -> inet::Result<Vec<u8>> {
    let Some(path) = data.strip_prefix('@') else {
        return Ok(data.as_bytes().to_vec());
    };
    let read = if path == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    read.map_err(|e| {
        Error::new(
            ErrorKind::InvalidParameter,
            format!("reading the --data file {path}"),
        )
        .with_source(e)
    })
}

/// A request's `REQUEST_COMPLETE`, forwarded from the status callback to the driver.
#[derive(Debug)]
struct Event {
    ctx: u64,
    outcome: inet::Result<Step>,
}

/// What a successful `REQUEST_COMPLETE` carried, or what the body's reader reports.
#[derive(Debug)]
enum Step {
    /// The send finished: the response head is here.
    Sent,
    /// The body has been read to its end, or failed (reading or writing); the reader gives back
    /// what it held.
    Ended(Box<Reading>, Result<(), Failure>),
}

/// One transfer's body being read: from its request into its sink, by whichever thread holds it
/// (see `crate::handoff`).
type Reading = ToSink<HttpRequest, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Inet(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Write(e)
    }
}

/// The handoff of each transfer's body, by context - 1; each reports its end to the driver.
fn bodies(count: usize, post: &Arc<Post<Driver>>) -> Vec<Handoff<Reading>> {
    let post = post.clone();
    handoff::per_transfer(count, move |ctx, reading, outcome| {
        post.event(Event {
            ctx,
            outcome: Ok(Step::Ended(Box::new(reading), outcome)),
        });
    })
}

/// The session: timeouts, CA file, and the status callback (trace, progress, the bodies' reads,
/// forwarding the rest).
fn session(
    args: &GetArgs,
    tracer: Option<Tracer>,
    bars: Arc<Bars>,
    bodies: Arc<Vec<Handoff<Reading>>>,
    post: Arc<Post<Driver>>,
) -> inet::Result<Session> {
    let builder = Session::builder().status_callback(move |n| {
        if let Some(t) = &tracer {
            t.write(n);
        }
        match &n.status {
            Status::Progress(p) => bars.update(n.context.0, p),
            Status::HandleClosing if n.kind == HandleKind::Internet => {
                let _ = post.main.send(Main::SessionClosed);
            }
            Status::RequestComplete(r) if n.kind == HandleKind::HttpRequest => {
                // A read of a body being read continues here, on this thread.
                if handoff::take_completion(&bodies, n.context.0, r) {
                    return;
                }
                let outcome = match r {
                    Ok(_) => Ok(Step::Sent),
                    Err(e) => Err(e.clone()),
                };
                post.event(Event {
                    ctx: n.context.0,
                    outcome,
                });
            }
            _ => {}
        }
    });
    let session = args.t.session(builder).build()?;
    crate::interrupt::watch(&session);
    Ok(session)
}

/// Why a transfer failed; each class has its exit status.
#[derive(Debug)]
enum Failure {
    Inet(Error),
    Http {
        url: String,
        status: u16,
        reason: String,
    },
    Write(io::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Inet(_) => exit::INET,
            Failure::Http { .. } => exit::HTTP,
            Failure::Write(_) => exit::WRITE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Inet(e) => write!(f, "{e}"),
            Failure::Http {
                url,
                status,
                reason,
            } => write!(f, "{url}: the server answered {status} {reason} (--fail)"),
            Failure::Write(e) => write!(f, "{e}"),
        }
    }
}

/// Where a transfer is.
#[derive(Debug)]
enum Phase {
    /// Waiting for its turn (`--parallel`).
    Queued,
    /// `start_send` is pending.
    Sending,
    /// Its body is being read (by whichever thread holds it: `bodies`).
    Reading,
    /// Finished, with this outcome.
    Done(Result<(), Failure>),
}

#[derive(Debug)]
struct Transfer {
    job: Job,
    req: Option<HttpRequest>,
    /// Between the response head and the start of the body's reading, and after its end.
    sink: Option<Sink>,
    /// Body bytes written (the progress line's final count), once the body has ended.
    received: u64,
    phase: Phase,
}

/// Drives every transfer, one `REQUEST_COMPLETE` at a time, on whichever thread brings it
/// (`crate::serial`).
#[derive(Debug)]
struct Driver {
    transfers: Vec<Transfer>,
    /// The session, not kept open by this reference: the main thread closes it at the end.
    session: HandleRef,
    /// How each request is made.
    plan: RequestPlan,
    /// Shared with the bodies being read.
    stdout: Arc<Mutex<StdoutQueue>>,
    bars: Arc<Bars>,
    /// Each transfer's body reading, by index.
    bodies: Arc<Vec<Handoff<Reading>>>,
    fail_on_http_error: bool,
    /// Which transfer starts next (in URL order, `--parallel` at once), and how many are left.
    turns: Turns,
}

impl Driver {
    fn new(
        jobs: Vec<Job>,
        args: &GetArgs,
        session: HandleRef,
        plan: RequestPlan,
        bars: Arc<Bars>,
        bodies: Arc<Vec<Handoff<Reading>>>,
    ) -> Self {
        let stdout_order = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| j.target == Target::Stdout)
            .map(|(i, _)| i)
            .collect();
        let transfers: Vec<_> = jobs
            .into_iter()
            .map(|job| Transfer {
                job,
                req: None,
                sink: None,
                received: 0,
                phase: Phase::Queued,
            })
            .collect();
        Driver {
            turns: Turns::new(transfers.len(), args.t.parallel),
            transfers,
            session,
            plan,
            stdout: Arc::new(Mutex::new(StdoutQueue::new(stdout_order))),
            bars,
            bodies,
            fail_on_http_error: args.fail,
        }
    }

    /// The response head has arrived: check the status, open the output, start reading.
    fn on_sent(&mut self, i: usize) {
        let t = &mut self.transfers[i];
        let Some(req) = t.req.clone() else { return };
        let status = match req.status_code() {
            Ok(s) => s,
            Err(e) => return self.finish(i, Err(Failure::Inet(e))),
        };
        let resuming = t.job.resume_from > 0;
        if resuming && status == 416 {
            // Nothing after the bytes the file holds: it is complete already.
            return self.finish(i, Ok(()));
        }
        if self.fail_on_http_error && status >= 400 {
            let failure = Failure::Http {
                url: req.url(),
                status,
                reason: req.status_text().unwrap_or_default(),
            };
            return self.finish(i, Err(failure));
        }
        // A 206 is the rest, appended; any other answer (a 200: the server ignored the range)
        // is the whole body, which rewrites the file.
        let opened = if resuming && status == 206 {
            Sink::append(&t.job.target, i)
        } else {
            Sink::open(&t.job.target, i)
        };
        let sink = match opened {
            Ok(sink) => sink,
            Err(e) => return self.finish(i, Err(Failure::Write(e))),
        };
        t.phase = Phase::Reading;
        // From here the body is read by whichever thread holds it — this one until a read goes
        // pending, then the status callback's — and its end comes back as `Step::Ended`.
        self.bodies[i].start(Reading::new(req, sink, self.stdout.clone()));
    }

    /// End a transfer: close its handle and output, report a failure at once.
    fn finish(&mut self, i: usize, mut outcome: Result<(), Failure>) {
        let t = &mut self.transfers[i];
        if let Some(req) = t.req.take() {
            req.close();
        }
        let closed = match t.sink.take() {
            Some(sink) => sink.finish(&mut output::lock(&self.stdout)),
            None if t.job.target == Target::Stdout => output::lock(&self.stdout).finish(i),
            None => Ok(()),
        };
        if let (Ok(()), Err(e)) = (&outcome, closed) {
            outcome = Err(Failure::Write(e));
        }
        if let Err(f) = &outcome {
            eprintln!("inet: {f}");
        }
        let received = (t.received > 0).then_some(t.received);
        self.bars.finish_at(t.job.ctx, outcome.is_ok(), received);
        if !matches!(t.phase, Phase::Done(_)) {
            self.turns.finish();
        }
        t.phase = Phase::Done(outcome);
    }

    /// The exit status of the first failed transfer in URL order, or 0.
    fn exit_code(&self) -> u8 {
        self.transfers
            .iter()
            .find_map(|t| match &t.phase {
                Phase::Done(Err(f)) => Some(f.exit_code()),
                Phase::Done(Ok(())) => None,
                // Not finished: only when the session's callback went away, which it cannot.
                _ => Some(exit::INET),
            })
            .unwrap_or(exit::OK)
    }
}

impl Drive for Driver {
    type Event = Event;

    fn handle(&mut self, event: Event) {
        let Some(i) = event.ctx.checked_sub(1).map(|i| i as usize) else {
            return;
        };
        let Some(t) = self.transfers.get(i) else {
            return;
        };
        match (&t.phase, event.outcome) {
            (Phase::Done(_) | Phase::Queued, _) => {}
            (_, Err(e)) => self.finish(i, Err(Failure::Inet(e))),
            (Phase::Sending, Ok(_)) => self.on_sent(i),
            (Phase::Reading, Ok(Step::Ended(reading, outcome))) => {
                let Reading { sink, received, .. } = *reading;
                let t = &mut self.transfers[i];
                t.sink = Some(sink);
                t.received = received;
                self.finish(i, outcome);
            }
            // Nothing else comes while the body's reader holds it.
            (Phase::Reading, Ok(Step::Sent)) => {}
        }
    }

    /// Open and start queued requests, in URL order, until `parallel` are in flight; one that
    /// cannot start fails alone.
    fn advance(&mut self) {
        while let Some(i) = self.turns.start_next() {
            let (session, plan) = (&self.session, &self.plan);
            let t = &mut self.transfers[i];
            t.phase = Phase::Sending;
            self.bars.start(t.job.ctx);
            let started = inet::http::open_method(
                session,
                plan.method,
                &t.job.url,
                plan.options.clone().context(t.job.ctx),
            )
            .and_then(|req| {
                t.req = Some(req.clone());
                let headers = job_headers(plan.headers.as_deref(), t.job.resume_from);
                req.start_send(headers.as_deref(), plan.body.clone())
            });
            if let Err(e) = started {
                self.finish(i, Err(Failure::Inet(e)));
            }
        }
    }

    fn finished(&self) -> bool {
        self.turns.unfinished() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_seconds_takes_whole_and_fractional_seconds() {
        assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds(" 0.25 "), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn parse_seconds_saturates_values_no_duration_holds() {
        for huge in ["1e20", "1e300", "inf", "infinity", "+inf"] {
            assert_eq!(parse_seconds(huge), Ok(Duration::MAX), "{huge}");
        }
        assert_eq!(
            parse_seconds("1e19"),
            Ok(Duration::from_secs(10_000_000_000_000_000_000))
        );
        assert_eq!(parse_seconds("1e-30"), Ok(Duration::from_nanos(1)));
    }

    #[test]
    fn parse_seconds_refuses_negatives_zero_nan_and_words() {
        for bad in ["-1", "-inf", "0", "-0", "nan", "NaN", "soon", ""] {
            let err = parse_seconds(bad).expect_err(bad);
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
        assert!(parse_seconds("nan").unwrap_err().contains("not a number"));
        assert!(parse_seconds("-1").unwrap_err().contains("more than 0"));
    }
}
