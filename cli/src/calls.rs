//! Callback mode driven from the main thread, as the FTP and Gopher commands use it: a session
//! whose status callback writes the trace, moves the progress bars and forwards each
//! `REQUEST_COMPLETE` of the protocol's handles over a channel; the main thread starts one
//! operation at a time and waits for its completion.

use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use inet::{
    Completion, Error, ErrorKind, Handle, HandleKind, Pending, Session, SessionBuilder, Status,
};

use crate::progress::Meter;
use crate::trace::Tracer;

/// What the callback tells the main thread.
#[derive(Debug)]
pub enum Event {
    /// A `REQUEST_COMPLETE` on one of the protocol's handles.
    Complete(inet::Result<Completion>),
    /// The session's `HANDLE_CLOSING`: nothing more will be notified.
    Closed,
}

/// The session's settings from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// Connect, send and receive timeouts.
    pub timeout: Option<Duration>,
    /// The connect timeout alone (over `timeout`'s).
    pub connect_timeout: Option<Duration>,
    /// More CA certificates to trust.
    pub cacert: Option<&'a Path>,
    /// `--max-time`, `--speed-limit`/`--speed-time`.
    pub limits: Limits,
}

/// `--max-time` (the whole command, as curl's: a [`Client`] gives up waiting and cancels) and
/// `--max-time` and `--speed-limit`/`--speed-time` (the session's low-speed limit, on every
/// connection): the flags of every command that moves data, flattened into each flag set.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Limits {
    /// Give up after S seconds in all (connect, send, redirects, body; FTP's login and dialog),
    /// like curl's --max-time; fails with 12002.
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    pub max_time: Option<Duration>,

    /// Fail a transfer slower than BYTES per second for --speed-time seconds (like curl);
    /// fails with 12002. Every scheme.
    #[arg(short = 'Y', long, value_name = "BYTES")]
    pub speed_limit: Option<u64>,

    /// The window of --speed-limit, in seconds (default 30).
    #[arg(short = 'y', long, value_name = "S", value_parser = crate::get::parse_seconds, requires = "speed_limit")]
    pub speed_time: Option<Duration>,
}

impl Limits {
    /// The low-speed limit on `builder`.
    pub fn apply(&self, mut builder: SessionBuilder) -> SessionBuilder {
        if let Some(bytes_per_sec) = self.speed_limit {
            let window = self.speed_time.unwrap_or(crate::flags::DEFAULT_SPEED_TIME);
            builder = builder.low_speed_limit(bytes_per_sec, window);
        }
        builder
    }

    /// When `--max-time` runs out, counted from now (None: never, or too far to say).
    pub fn deadline(&self) -> Option<(Instant, Duration)> {
        let t = self.max_time?;
        Some((Instant::now().checked_add(t)?, t))
    }
}

/// A session whose callback traces, moves `meter` (the session runs one transfer), and forwards
/// the `REQUEST_COMPLETE`s of handles of `kinds` (and the session's `HANDLE_CLOSING`) to `tx`.
pub fn session(
    settings: Settings<'_>,
    kinds: &'static [HandleKind],
    tracer: Option<Tracer>,
    meter: Meter,
    tx: mpsc::Sender<Event>,
) -> inet::Result<Session> {
    let mut builder = Session::builder().status_callback(move |n| {
        if let Some(t) = &tracer {
            t.write(n);
        }
        match &n.status {
            Status::Progress(p) => meter.update(p),
            Status::HandleClosing if n.kind == HandleKind::Internet => {
                let _ = tx.send(Event::Closed);
            }
            Status::RequestComplete(r) if kinds.contains(&n.kind) => {
                let _ = tx.send(Event::Complete(r.clone()));
            }
            _ => {}
        }
    });
    builder = with_timeouts(builder, settings.timeout, settings.connect_timeout);
    builder = settings.limits.apply(builder);
    if let Some(pem) = settings.cacert {
        builder = builder.add_root_certificates_file(pem);
    }
    let session = builder.build()?;
    crate::interrupt::watch(&session);
    Ok(session)
}

/// `--timeout` (connect, send and receive) and `--connect-timeout` (connect alone, over it).
pub fn with_timeouts(
    mut builder: SessionBuilder,
    timeout: Option<Duration>,
    connect: Option<Duration>,
) -> SessionBuilder {
    if let Some(t) = timeout {
        builder = builder
            .connect_timeout(Some(t))
            .send_timeout(Some(t))
            .receive_timeout(Some(t));
    }
    if let Some(t) = connect {
        builder = builder.connect_timeout(Some(t));
    }
    builder
}

/// Wait for the `REQUEST_COMPLETE` of an operation just started in callback mode (or return its
/// immediate failure). Operations run one at a time, so the next completion is its own. At
/// `deadline` (`--max-time`: its instant and the flag's value) give up with
/// ERROR_INTERNET_TIMEOUT; the caller then closes the handle, which cancels the operation.
pub fn call_within(
    rx: &mpsc::Receiver<Event>,
    started: inet::Result<Pending>,
    deadline: Option<(Instant, Duration)>,
) -> inet::Result<Completion> {
    let _pending = started?;
    loop {
        let received = match deadline {
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some((at, _)) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        if let (Err(mpsc::RecvTimeoutError::Timeout), Some((_, t))) = (&received, deadline) {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("--max-time {}: out of time", t.as_secs_f64()),
            ));
        }
        match received.map_err(|_| ()) {
            Ok(Event::Complete(outcome)) => return outcome,
            Ok(Event::Closed) => {}
            // The sender lives in the session's callback, which lives as long as the session.
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "the session's callback went away",
                ))
            }
        }
    }
}

/// Close the session and wait for its HANDLE_CLOSING, the last notification of all, so that a
/// trace ends with it (at most `patience`: an FTP QUIT waits up to 5 s).
pub fn finish_session(session: &Session, rx: &mpsc::Receiver<Event>, patience: Duration) {
    session.close();
    let deadline = Instant::now() + patience;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(Event::Closed) | Err(_) => break,
            Ok(Event::Complete(_)) => {}
        }
    }
}

/// A connection handle a [`Client`] drives (FTP's, Gopher's).
pub trait Connection {
    /// The handle, to close it.
    fn handle(&self) -> &Handle;
}

impl Connection for inet::ftp::FtpConnection {
    fn handle(&self) -> &Handle {
        inet::ftp::FtpConnection::handle(self)
    }
}

impl Connection for inet::gopher::GopherConnection {
    fn handle(&self) -> &Handle {
        inet::gopher::GopherConnection::handle(self)
    }
}

/// A session with one connection handle `C`, driven from the main thread in callback mode:
/// operations are started one at a time and each [`call`](Self::call) waits for its
/// `REQUEST_COMPLETE`.
#[derive(Debug)]
pub struct Client<C> {
    session: Session,
    conn: C,
    rx: mpsc::Receiver<Event>,
    /// How long closing may wait for the session's HANDLE_CLOSING.
    patience: Duration,
    /// `--max-time`: when to give up, and the flag's value.
    deadline: Option<(Instant, Duration)>,
}

impl<C: Connection> Client<C> {
    /// The session (see [`session`]) and the connection handle `open` makes on it (no network
    /// I/O yet; HANDLE_CREATED is traced).
    pub fn new(
        settings: Settings<'_>,
        kinds: &'static [HandleKind],
        tracer: Option<Tracer>,
        meter: Meter,
        patience: Duration,
        open: impl FnOnce(&Session) -> inet::Result<C>,
    ) -> inet::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let deadline = settings.limits.deadline();
        let session = session(settings, kinds, tracer, meter, tx)?;
        match open(&session) {
            Ok(conn) => Ok(Client {
                session,
                conn,
                rx,
                patience,
                deadline,
            }),
            Err(e) => {
                finish_session(&session, &rx, patience);
                Err(e)
            }
        }
    }

    /// The connection handle.
    pub fn conn(&self) -> &C {
        &self.conn
    }

    /// Wait for the `REQUEST_COMPLETE` of an operation just started in callback mode.
    /// Past `--max-time` it fails with ERROR_INTERNET_TIMEOUT and closes the connection handle,
    /// which cancels the operation.
    pub fn call(&self, started: inet::Result<Pending>) -> inet::Result<Completion> {
        let outcome = call_within(&self.rx, started, self.deadline);
        if matches!(&outcome, Err(e) if e.kind() == ErrorKind::Timeout) && self.out_of_time() {
            self.conn.handle().close();
        }
        outcome
    }

    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|(at, _)| Instant::now() >= at)
    }

    /// Close the connection and the session, and wait for the session's HANDLE_CLOSING, the
    /// last notification of all, so that a trace ends with it.
    pub fn finish(self) {
        self.conn.handle().close();
        finish_session(&self.session, &self.rx, self.patience);
    }
}

/// Run `job` on each of `jobs`, at most `parallel` at a time (`--parallel`), each on a thread of
/// its own, in order of the list; the results come back in that order.
pub fn in_parallel<J: Send, R: Send>(
    jobs: Vec<J>,
    parallel: usize,
    job: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    let count = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let results = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, count.max(1)) {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some((i, j)) = next else { break };
                let r = job(j);
                if let Ok(mut results) = results.lock() {
                    results.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Run numbered `jobs` (each gives an exit status) `parallel` at a time, except those `serial`
/// picks, which run one after the other in a single turn, taken where the first of them is in
/// the list (downloads to stdout, whose bodies must come whole and in order). The status is that
/// of the first failed job in list order, or 0.
pub fn run_jobs<J: Send>(
    jobs: Vec<J>,
    parallel: usize,
    serial: impl Fn(&J) -> bool,
    job: impl Fn(usize, J) -> u8 + Sync,
) -> u8 {
    let count = jobs.len();
    let mut turns: Vec<Vec<(usize, J)>> = Vec::new();
    let mut serial_turn: Option<usize> = None;
    for (i, j) in jobs.into_iter().enumerate() {
        if serial(&j) {
            match serial_turn {
                Some(t) => turns[t].push((i, j)),
                None => {
                    serial_turn = Some(turns.len());
                    turns.push(vec![(i, j)]);
                }
            }
        } else {
            turns.push(vec![(i, j)]);
        }
    }
    let mut codes: Vec<(usize, u8)> = in_parallel(turns, parallel, |turn| {
        turn.into_iter()
            .map(|(i, j)| (i, job(i, j)))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    if codes.len() < count {
        // A worker thread died (it cannot: jobs report failures as statuses).
        return crate::exit::INET;
    }
    codes.sort_by_key(|(i, _)| *i);
    codes
        .into_iter()
        .map(|(_, c)| c)
        .find(|&c| c != crate::exit::OK)
        .unwrap_or(crate::exit::OK)
}

/// A multi-line text (a server's reply, an error) inside a one-line message.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::{one_line, run_jobs};
    use std::sync::Mutex;

    #[test]
    fn jobs_run_at_most_parallel_at_once_and_the_first_failure_in_order_wins() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let code = run_jobs(
            (0..12u8).collect(),
            3,
            |_| false,
            |i, j| {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                now.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(i, usize::from(j));
                [0, 0, 0, 0, 0, 23, 0, 1][usize::from(j) % 8]
            },
        );
        assert_eq!(code, 23);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn serial_jobs_run_one_after_the_other_in_order() {
        let order = Mutex::new(Vec::new());
        let code = run_jobs(
            (0..8u8).collect(),
            8,
            |j| j % 2 == 0,
            |_, j| {
                if j % 2 == 0 {
                    if let Ok(mut o) = order.lock() {
                        o.push(j);
                    }
                }
                0
            },
        );
        assert_eq!(code, 0);
        assert_eq!(order.into_inner().unwrap(), vec![0, 2, 4, 6]);
    }

    #[test]
    fn multi_line_replies_are_put_on_one_line() {
        assert_eq!(one_line("a: 550-x\n550 y\n"), "a: 550-x | 550 y");
        assert_eq!(one_line("plain"), "plain");
    }
}
