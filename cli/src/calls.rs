//! Callback mode driven from the main thread, as the FTP and Gopher commands use it: a session
//! whose status callback writes the trace, moves the progress bars and forwards each
//! `REQUEST_COMPLETE` of the protocol's handles over a channel; the main thread starts one
//! operation at a time and waits for its completion.

use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use inet::{
    Completion, Error, ErrorKind, Handle, HandleKind, Pending, Session, SessionBuilder, Status,
};

use crate::progress::Bars;
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
}

/// A session whose callback traces, updates `bars`, and forwards the `REQUEST_COMPLETE`s of
/// handles of `kinds` (and the session's `HANDLE_CLOSING`) to `tx`.
pub fn session(
    settings: Settings<'_>,
    kinds: &'static [HandleKind],
    tracer: Option<Tracer>,
    bars: Arc<Bars>,
    tx: mpsc::Sender<Event>,
) -> inet::Result<Session> {
    let mut builder = Session::builder().status_callback(move |n| {
        if let Some(t) = &tracer {
            t.write(n);
        }
        match &n.status {
            Status::Progress(p) => bars.update(n.context.0, p),
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
/// immediate failure). Operations run one at a time, so the next completion is its own.
pub fn call(
    rx: &mpsc::Receiver<Event>,
    started: inet::Result<Pending>,
) -> inet::Result<Completion> {
    let _pending = started?;
    loop {
        match rx.recv() {
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
}

impl<C: Connection> Client<C> {
    /// The session (see [`session`]) and the connection handle `open` makes on it (no network
    /// I/O yet; HANDLE_CREATED is traced).
    pub fn new(
        settings: Settings<'_>,
        kinds: &'static [HandleKind],
        tracer: Option<Tracer>,
        bars: Arc<Bars>,
        patience: Duration,
        open: impl FnOnce(&Session) -> inet::Result<C>,
    ) -> inet::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let session = session(settings, kinds, tracer, bars, tx)?;
        match open(&session) {
            Ok(conn) => Ok(Client {
                session,
                conn,
                rx,
                patience,
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
    pub fn call(&self, started: inet::Result<Pending>) -> inet::Result<Completion> {
        call(&self.rx, started)
    }

    /// Close the connection and the session, and wait for the session's HANDLE_CLOSING, the
    /// last notification of all, so that a trace ends with it.
    pub fn finish(self) {
        self.conn.handle().close();
        finish_session(&self.session, &self.rx, self.patience);
    }
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
    use super::one_line;

    #[test]
    fn multi_line_replies_are_put_on_one_line() {
        assert_eq!(one_line("a: 550-x\n550 y\n"), "a: 550-x | 550 y");
        assert_eq!(one_line("plain"), "plain");
    }
}
