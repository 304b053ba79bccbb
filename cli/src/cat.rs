//! `inet cat URL…`: write the bodies of URLs of any scheme to stdout, in URL order, fetched
//! `--parallel N` at a time on one session.
//!
//! Every URL goes through the facade's `start_open_url` (WinINet's InternetOpenUrl, in callback
//! mode), which connects and requests by the URL's scheme and completes on the URL's connection
//! handle with a `UrlStream` that reads the same for http, https, ftp, ftps, gopher and gophers.
//! The status callback traces, moves the progress and gives each `REQUEST_COMPLETE` of an open
//! to the driver, run by the thread that brings it (`crate::serial`), which checks it and starts
//! the body's reads; from then on the body is read and written by whichever thread holds it
//! (`crate::handoff`, as `inet get` does for HTTP), and the driver hears of it again at its end.
//! Stdout is shared as in `inet get` ([`StdoutQueue`]): bodies come out whole and in URL order.

use std::fmt;
use std::io::{self, IsTerminal};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use inet::{
    Completion, Context, Direction, Error, ErrorKind, Handle, HandleKind, HandleRef,
    OpenUrlOptions, RequestFlags, RequestOptions, Session, Status, UrlStream,
};

use crate::exit;
use crate::handoff::{self, Handoff, ToSink};
use crate::output::{self, Sink, StdoutQueue, Target};
use crate::progress::{Bars, Show};
use crate::serial::{self, Drive, Main, Post};
use crate::trace::Tracer;
use crate::turns::Turns;
use inet::transport::TlsVerify;

const AFTER_HELP: &str = r#"Output:
  Every body goes to stdout, whole and in URL order: the first streams as it arrives, later ones
  are held in memory until those before them have finished. At most --parallel N URLs (default
  8) are in flight at once; the others wait their turn, in order. Each URL is opened with
  InternetOpenUrl's rules: an HTTP body whatever its status (unless --fail), an FTP file (a URL
  ending in `/` gives the directory's LIST), a Gopher item as the server sent it (a menu's
  text for types 1 and 7). When stdout is not a terminal, progress goes to stderr: a bar per
  URL and a total on a terminal, else plain lines; --quiet and --trace show none.

Flags by protocol:
  --header, --fail and --max-time are HTTP's and ignored for other schemes (as curl ignores -H
  for FTP). --user (or a ~/.netrc entry) is HTTP basic auth and the FTP login; --cacert and
  --insecure apply to https, ftps and gophers; the timeouts and --speed-limit to every
  connection.

Exit status:
  0   every URL was written
  1   a URL failed; stderr says `inet: cat <URL>: <what> (<WinINet error name> <code>)`
  2   bad command line
  22  --fail and an HTTP status >= 400
  23  stdout could not be written
  130 interrupted (Ctrl-C)
  With several URLs, the status is that of the first failed URL, in URL order.

Examples:
  inet cat https://example.com/notes.txt
  inet cat ftp://example.com/pub/README gopher://example.org/0/about.txt
  inet cat http://127.0.0.1:8080/a http://127.0.0.1:8080/b --parallel 2 > both.txt
  inet cat https://example.com/api -H 'Accept: application/json' --fail"#;

/// `inet cat` arguments.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub struct CatArgs {
    /// The URLs: http, https, ftp, ftps, gopher, gophers (mixed freely).
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,

    /// HTTP: treat a status >= 400 as a failure: write no body and exit 22 (like curl -f).
    #[arg(short, long)]
    fail: bool,

    #[command(flatten)]
    t: crate::flags::Transfer,
}

/// What the driver hears, about URL `ctx` (contexts count from 1).
#[derive(Debug)]
enum Event {
    /// A `REQUEST_COMPLETE` the body's reader did not take (the open's).
    Complete {
        ctx: u64,
        outcome: inet::Result<Completion>,
    },
    /// The body has been read to its end, or failed; the reader gives back what it held.
    Ended {
        ctx: u64,
        reading: Box<Reading>,
        outcome: Result<(), Failure>,
    },
}

/// One URL's body being read: from its stream into its sink, by whichever thread holds it.
type Reading = ToSink<UrlStream, Failure>;

/// The handoff of each URL's body, by context - 1; each reports its end to the driver.
fn bodies(count: usize, post: &Arc<Post<Driver>>) -> Vec<Handoff<Reading>> {
    let post = post.clone();
    handoff::per_transfer(count, move |ctx, reading, outcome| {
        post.event(Event::Ended {
            ctx,
            reading: Box::new(reading),
            outcome,
        });
    })
}

/// Run `inet cat`; `t0` is when the program started (the trace's time origin).
pub fn run(args: CatArgs, t0: Instant) -> u8 {
    let names: Vec<(u64, String)> = args
        .urls
        .iter()
        .enumerate()
        // Progress names the URL, never its password.
        .map(|(i, u)| (i as u64 + 1, crate::get::shown(u)))
        .collect();
    // Bars on stderr would mix with the bodies on a terminal's stdout.
    let show = if io::stdout().is_terminal() {
        Show::Off
    } else {
        Show::choose(args.t.quiet, args.t.trace.is_some())
    };
    let bars = Arc::new(Bars::new(&names, Direction::Receive, show));
    let targets = vec![Target::Stdout; args.urls.len()];
    let run = Run {
        command: "cat",
        urls: &args.urls,
        targets,
        fail: args.fail,
        t: &args.t,
    };
    run.go(bars, t0)
}

/// URLs of any scheme opened with `start_open_url`, `--parallel` at a time, each body to its
/// target: `inet cat` (every one to stdout) and `inet get` with URLs of several protocols.
pub struct Run<'a> {
    /// The command, for error lines.
    pub command: &'static str,
    pub urls: &'a [String],
    /// Where each URL's body goes, in URL order.
    pub targets: Vec<Target>,
    /// `--fail`.
    pub fail: bool,
    pub t: &'a crate::flags::Transfer,
}

impl Run<'_> {
    /// Run every URL; the exit status of the first that failed, in URL order.
    pub fn go(self, bars: Arc<Bars>, t0: Instant) -> u8 {
        let (tx, rx) = mpsc::channel();
        let post = Arc::new(Post::new(tx));
        let bodies = Arc::new(bodies(self.urls.len(), &post));
        let tracer = self.t.trace.map(|f| Tracer::new(f, t0));
        let session = match session(self.t, tracer, bars.clone(), bodies.clone(), post.clone()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("inet: {}: {e}", self.command);
                return exit::INET;
            }
        };
        let driver = Driver::new(&self, HandleRef::clone(&session), bars, bodies);
        // The URLs are driven by the threads their completions arrive on; this one waits. At the
        // end an FTP connection's QUIT waits at most 5 s.
        let linger = Duration::from_secs(6);
        serial::run_to_end(driver, &post, &rx, &session, linger, Driver::exit_code)
    }
}

/// The session: the shared flags (timeouts, CA file, connections per host), and a callback that
/// traces, moves the progress, continues the bodies' reads and forwards the other completions.
fn session(
    t: &crate::flags::Transfer,
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
            Status::RequestComplete(r) if n.kind != HandleKind::Internet => {
                // A read of a body being read continues here, on this thread.
                if handoff::take_completion(&bodies, n.context.0, r) {
                    return;
                }
                post.event(Event::Complete {
                    ctx: n.context.0,
                    outcome: r.clone(),
                });
            }
            _ => {}
        }
    });
    let session = t.session(builder).build()?;
    crate::interrupt::watch(&session);
    Ok(session)
}

/// How every URL is opened: HTTP's headers and flags, FTP's certificate checks.
fn options(t: &crate::flags::Transfer) -> OpenUrlOptions {
    let mut options = OpenUrlOptions::new();
    if let Some(lines) = t.header_lines() {
        options = options.headers(&lines);
    }
    let mut http = RequestOptions::default();
    if t.insecure {
        http.flags |= RequestFlags::IGNORE_CERT_ERRORS;
    }
    if let Some(max) = t.limits.max_time {
        http = http.max_time(max);
    }
    options.http = http;
    if t.insecure {
        let any = TlsVerify::strict()
            .accept_invalid_certs(true)
            .accept_invalid_hostnames(true);
        options.ftp = options.ftp.tls_verify(any);
        options.gopher = options.gopher.tls_verify(any);
    }
    options
}

/// Why a URL failed; each class has its exit status.
#[derive(Debug)]
enum Failure {
    Inet(Error),
    Http { status: u16, reason: String },
    Write(io::Error),
}

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
            Failure::Inet(e) => f.write_str(&crate::calls::one_line(&e.to_string())),
            Failure::Http { status, reason } => {
                write!(f, "the server answered {status} {reason} (--fail)")
            }
            Failure::Write(e) => write!(f, "{e}"),
        }
    }
}

/// Where a URL is.
#[derive(Debug)]
enum Phase {
    /// Waiting for its turn (`--parallel`).
    Queued,
    /// `start_open_url` is pending on the connection handle.
    Opening(Handle),
    /// Its body is being read (by whichever thread holds it: `bodies`); the stream is kept to
    /// close it.
    Reading(UrlStream),
    /// Finished, with this outcome.
    Done(Result<(), Failure>),
}

#[derive(Debug)]
struct Transfer {
    /// The URL as given, without its password (for messages).
    url: String,
    /// The URL opened: with `--user` or a netrc entry put into its user-info.
    open: String,
    target: Target,
    /// Once the body has ended.
    sink: Option<Sink>,
    /// Bytes written (the progress line's final count), once the body has ended.
    received: u64,
    phase: Phase,
}

/// Drives every URL, one `REQUEST_COMPLETE` at a time, on whichever thread brings it
/// (`crate::serial`).
#[derive(Debug)]
struct Driver {
    /// The command, for error lines.
    command: &'static str,
    transfers: Vec<Transfer>,
    /// The session, not kept open by this reference: the main thread closes it at the end.
    session: HandleRef,
    /// How every URL is opened.
    options: OpenUrlOptions,
    /// Shared with the bodies being read.
    stdout: Arc<Mutex<StdoutQueue>>,
    bars: Arc<Bars>,
    /// Each URL's body reading, by index.
    bodies: Arc<Vec<Handoff<Reading>>>,
    fail_on_http_error: bool,
    /// Which URL opens next (in order, `--parallel` at once), and how many are left.
    turns: Turns,
}

impl Driver {
    fn new(
        run: &Run<'_>,
        session: HandleRef,
        bars: Arc<Bars>,
        bodies: Arc<Vec<Handoff<Reading>>>,
    ) -> Self {
        let netrc = crate::netrc::Netrc::default();
        let transfers = run
            .urls
            .iter()
            .zip(&run.targets)
            .map(|(url, target)| {
                let user = if crate::gopher::is_gopher(url) {
                    None
                } else {
                    netrc.user_for(url, run.t.user.as_deref())
                };
                Transfer {
                    url: crate::get::shown(url),
                    open: crate::get::with_user(url, user.as_deref()),
                    target: target.clone(),
                    sink: None,
                    received: 0,
                    phase: Phase::Queued,
                }
            })
            .collect::<Vec<_>>();
        let to_stdout = (0..transfers.len())
            .filter(|&i| transfers[i].target == Target::Stdout)
            .collect();
        Driver {
            command: run.command,
            stdout: Arc::new(Mutex::new(StdoutQueue::new(to_stdout))),
            transfers,
            bars,
            bodies,
            fail_on_http_error: run.fail,
            turns: Turns::new(run.urls.len(), run.t.parallel),
            session,
            options: options(run.t),
        }
    }

    /// The stream is open: check an HTTP status, then read.
    fn on_open(&mut self, i: usize, stream: UrlStream) {
        if let UrlStream::Http(req) = &stream {
            let status = match req.status_code() {
                Ok(s) => s,
                Err(e) => {
                    stream.close();
                    return self.finish(i, Err(Failure::Inet(e)));
                }
            };
            if self.fail_on_http_error && status >= 400 {
                let reason = req.status_text().unwrap_or_default();
                stream.close();
                return self.finish(i, Err(Failure::Http { status, reason }));
            }
        }
        let sink = match Sink::open(&self.transfers[i].target, i) {
            Ok(sink) => sink,
            Err(e) => {
                stream.close();
                return self.finish(i, Err(Failure::Write(e)));
            }
        };
        self.transfers[i].phase = Phase::Reading(stream.clone());
        // From here the body is read by whichever thread holds it — this one until a read goes
        // pending, then the status callback's — and its end comes back as `Event::Ended`.
        self.bodies[i].start(Reading::new(stream, sink, self.stdout.clone()));
    }

    /// The body of URL `ctx` has ended (or failed): take back its sink and finish.
    fn on_ended(&mut self, ctx: u64, reading: Reading, outcome: Result<(), Failure>) {
        let Some(i) = ctx.checked_sub(1).map(|i| i as usize) else {
            return;
        };
        let Some(t) = self.transfers.get_mut(i) else {
            return;
        };
        if !matches!(t.phase, Phase::Reading(_)) {
            return;
        }
        t.sink = Some(reading.sink);
        t.received = reading.received;
        self.finish(i, outcome);
    }

    /// End a URL: close its handles and output, report a failure at once.
    fn finish(&mut self, i: usize, mut outcome: Result<(), Failure>) {
        let t = &mut self.transfers[i];
        // A URL that failed to start is still `Queued` here; each counts as finished once.
        let ends_now = match std::mem::replace(&mut t.phase, Phase::Queued) {
            Phase::Opening(conn) => {
                conn.close();
                true
            }
            Phase::Reading(stream) => {
                stream.close();
                true
            }
            Phase::Queued => true,
            Phase::Done(_) => false,
        };
        if ends_now {
            self.turns.finish();
        }
        let closed = match t.sink.take() {
            Some(sink) => sink.finish(&mut output::lock(&self.stdout)),
            None if t.target == Target::Stdout => output::lock(&self.stdout).finish(i),
            None => Ok(()),
        };
        if let (Ok(()), Err(e)) = (&outcome, closed) {
            outcome = Err(Failure::Write(e));
        }
        if let Err(f) = &outcome {
            eprintln!("inet: {} {}: {f}", self.command, t.url);
        }
        let received = (t.received > 0).then_some(t.received);
        self.bars.finish_at(i as u64 + 1, outcome.is_ok(), received);
        t.phase = Phase::Done(outcome);
    }

    /// The exit status of the first failed URL in URL order, or 0.
    fn exit_code(&self) -> u8 {
        self.transfers
            .iter()
            .find_map(|t| match &t.phase {
                Phase::Done(Err(f)) => Some(f.exit_code()),
                Phase::Done(Ok(())) => None,
                _ => Some(exit::INET),
            })
            .unwrap_or(exit::OK)
    }
}

impl Drive for Driver {
    type Event = Event;

    fn handle(&mut self, event: Event) {
        let (ctx, outcome) = match event {
            Event::Complete { ctx, outcome } => (ctx, outcome),
            Event::Ended {
                ctx,
                reading,
                outcome,
            } => return self.on_ended(ctx, *reading, outcome),
        };
        let Some(i) = ctx.checked_sub(1).map(|i| i as usize) else {
            return;
        };
        let Some(t) = self.transfers.get(i) else {
            return;
        };
        match (&t.phase, outcome) {
            (Phase::Opening(_), Ok(c)) => match c.value::<UrlStream>() {
                Some(stream) => self.on_open(i, stream.clone()),
                None => {
                    let e = Error::new(
                        ErrorKind::Internal,
                        "opening: no stream in REQUEST_COMPLETE",
                    );
                    self.finish(i, Err(Failure::Inet(e)));
                }
            },
            (Phase::Opening(_), Err(e)) => self.finish(i, Err(Failure::Inet(e))),
            // Another handle's completion of this URL (none is expected), or a late one.
            _ => {}
        }
    }

    /// Open queued URLs, in order, until `parallel` are in flight; one that cannot start fails
    /// alone.
    fn advance(&mut self) {
        while let Some(i) = self.turns.start_next() {
            let ctx = Context(i as u64 + 1);
            self.bars.start(ctx.0);
            let started = inet::start_open_url(
                &self.session,
                &self.transfers[i].open,
                self.options.clone().context(ctx),
            );
            match started {
                Ok((conn, _pending)) => self.transfers[i].phase = Phase::Opening(conn),
                Err(e) => self.finish(i, Err(Failure::Inet(e))),
            }
        }
    }

    fn finished(&self) -> bool {
        self.turns.unfinished() == 0
    }
}
