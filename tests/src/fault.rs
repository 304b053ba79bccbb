//! Misbehaving servers on 127.0.0.1, in-process: std sockets and one thread per connection.
//!
//! A [`FaultServer`] answers each accepted connection with a scripted [`Behaviour`] and records
//! what it saw: how many connections were accepted and every byte each one sent. Dropping the
//! server shuts every socket down and joins its threads, so a test that ends (or panics) leaves
//! nothing behind.
//!
//! ```
//! use inet_tests::fault::{Behaviour, FaultServer};
//! use std::io::{Read, Write};
//!
//! let server = FaultServer::start(Behaviour::Respond(b"HTTP/1.1 200 OK\r\n\r\nhi".to_vec()))?;
//! let mut client = std::net::TcpStream::connect(server.addr())?;
//! client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
//! let mut answer = String::new();
//! client.read_to_string(&mut answer)?;
//! assert_eq!(answer, "HTTP/1.1 200 OK\r\n\r\nhi");
//! assert_eq!(server.connections(), 1);
//! assert!(server.request(0).starts_with(b"GET / HTTP/1.1\r\n"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Unless said otherwise, a behaviour first waits for the request head (up to the first blank line
//! `\r\n\r\n`, or the client's end of stream), answers, and then closes gracefully: it shuts down its
//! sending side (the client reads end of stream) and keeps reading, and recording, until the client
//! closes, so the client never gets a reset for request bytes the server left unread.

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What the server does with one connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Write the bytes, then close gracefully.
    Respond(Vec<u8>),
    /// Write the bytes, then keep the connection open (still recording) until the client closes
    /// it or the server is dropped.
    RespondKeepOpen(Vec<u8>),
    /// Write the bytes, then reset the connection (`SO_LINGER` 0 and close: the client gets
    /// `ConnectionReset`).
    RespondThenReset {
        /// Sent before the reset; may be empty.
        bytes: Vec<u8>,
    },
    /// Read and record the request but never answer; the connection stays open until the client
    /// closes it or the server is dropped.
    Stall,
    /// Write the bytes as soon as the connection is accepted, without waiting for a request, then
    /// close gracefully.
    Garbage(Vec<u8>),
    /// Answer `HTTP/1.1 200 OK` and `Content-Length: 0` followed by filler header lines
    /// (`X-Filler-N: aaa…`, at most 1 KiB each) totalling at least this many bytes, then the blank
    /// line; then close gracefully.
    HugeHeaders(usize),
    /// Wait this long, then write the bytes and close gracefully.
    Delay(Duration, Vec<u8>),
    /// Write `head` at once, then `body` at about `bytes_per_sec` (in 50 ms steps), then close
    /// gracefully.
    SlowBody {
        /// Sent at once, typically the status line and headers.
        head: Vec<u8>,
        /// Sent slowly.
        body: Vec<u8>,
        /// Pace of `body`; 0 is taken as 1.
        bytes_per_sec: u64,
    },
    /// Anything else: the function gets the accepted [`Connection`] before any byte is read.
    /// When it returns, the connection is closed gracefully (or reset, see
    /// [`Connection::reset_on_close`]).
    Custom(Arc<dyn Fn(&mut Connection) + Send + Sync>),
}

impl Behaviour {
    /// [`Behaviour::Custom`] from a closure.
    pub fn custom(f: impl Fn(&mut Connection) + Send + Sync + 'static) -> Self {
        Behaviour::Custom(Arc::new(f))
    }
}

impl fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(64)]).into_owned();
        match self {
            Behaviour::Respond(b) => f.debug_tuple("Respond").field(&bytes(b)).finish(),
            Behaviour::RespondKeepOpen(b) => {
                f.debug_tuple("RespondKeepOpen").field(&bytes(b)).finish()
            }
            Behaviour::RespondThenReset { bytes: b } => f
                .debug_struct("RespondThenReset")
                .field("bytes", &bytes(b))
                .finish(),
            Behaviour::Stall => f.write_str("Stall"),
            Behaviour::Garbage(b) => f.debug_tuple("Garbage").field(&bytes(b)).finish(),
            Behaviour::HugeHeaders(n) => f.debug_tuple("HugeHeaders").field(n).finish(),
            Behaviour::Delay(d, b) => f.debug_tuple("Delay").field(d).field(&bytes(b)).finish(),
            Behaviour::SlowBody {
                head,
                body,
                bytes_per_sec,
            } => f
                .debug_struct("SlowBody")
                .field("head", &bytes(head))
                .field("body_len", &body.len())
                .field("bytes_per_sec", bytes_per_sec)
                .finish(),
            Behaviour::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A loopback TCP server that misbehaves on purpose. See the [module docs](self).
pub struct FaultServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// Serves every connection with `behaviour`.
    pub fn start(behaviour: Behaviour) -> io::Result<Self> {
        Self::sequence(vec![behaviour])
    }

    /// Serves connection `n` (counting from 0) with `behaviours[n]`, and every connection past the
    /// end with the last one. An empty list is taken as `[Stall]`.
    pub fn sequence(behaviours: Vec<Behaviour>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let behaviours = if behaviours.is_empty() {
            vec![Behaviour::Stall]
        } else {
            behaviours
        };
        let acceptor = thread::Builder::new()
            .name(format!("fault-accept-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || accept_loop(&listener, &shared, &behaviours)
            })?;
        Ok(FaultServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The listening address (127.0.0.1 and a free port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT/path` (a missing leading `/` is added).
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{slash}{path}", self.addr)
    }

    /// How many connections have been accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` connections have been accepted; false on timeout.
    pub fn wait_for_connections(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.state.lock();
        while self.connections() < n {
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return self.connections() >= n;
            }
        }
        true
    }

    /// The bytes received so far on each connection, in accept order.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        self.shared.received.lock().clone()
    }

    /// The bytes received so far on connection `n` (empty if there is no such connection).
    pub fn request(&self, n: usize) -> Vec<u8> {
        self.shared
            .received
            .lock()
            .get(n)
            .cloned()
            .unwrap_or_default()
    }

    /// Total bytes received so far on all connections.
    pub fn bytes_received(&self) -> usize {
        self.shared.received.lock().iter().map(Vec::len).sum()
    }
}

impl fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultServer")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .finish()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        {
            let mut state = self.shared.state.lock();
            state.stopping = true;
            for stream in state.open.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        self.shared.changed.notify_all();
        // The acceptor is blocked in accept(): a connection wakes it, and it sees `stopping`.
        // If even that fails, leave the thread behind rather than hang the test.
        if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
            if let Some(acceptor) = self.acceptor.take() {
                let _ = acceptor.join();
            }
        }
        let workers = std::mem::take(&mut self.shared.state.lock().workers);
        for worker in workers {
            let _ = worker.join();
        }
    }
}

/// One accepted connection, as a [`Behaviour::Custom`] function sees it. Reads through it are
/// recorded (they show up in [`FaultServer::requests`]); blocking calls return once the server is
/// dropped.
pub struct Connection {
    stream: TcpStream,
    index: usize,
    shared: Arc<Shared>,
    reset: bool,
}

impl Connection {
    /// The socket, for options and addresses. Bytes read from it directly are not recorded.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// This connection's number, counting from 0 in accept order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Reads until the received bytes contain `\r\n\r\n` (an HTTP head) or the client stops
    /// sending; returns everything received on this connection so far. Gives up waiting after
    /// 1 MiB.
    pub fn read_request_head(&mut self) -> io::Result<Vec<u8>> {
        let mut buf = [0; 16 * 1024];
        loop {
            let seen = self.received();
            if seen.windows(4).any(|w| w == b"\r\n\r\n") || seen.len() >= 1 << 20 {
                return Ok(seen);
            }
            if self.read(&mut buf)? == 0 {
                return Ok(self.received());
            }
        }
    }

    /// Everything received on this connection so far.
    pub fn received(&self) -> Vec<u8> {
        self.shared
            .received
            .lock()
            .get(self.index)
            .cloned()
            .unwrap_or_default()
    }

    /// Reads (and records) until the client closes its side, an error, or the server is dropped.
    pub fn drain(&mut self) {
        let mut buf = [0; 16 * 1024];
        while !self.is_stopping() {
            match self.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    /// Sleeps for `duration`, or less when the server is dropped meanwhile; false in that case.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let mut state = self.shared.state.lock();
        while !state.stopping {
            if self
                .shared
                .changed
                .wait_until(&mut state, deadline)
                .timed_out()
            {
                return !state.stopping;
            }
        }
        false
    }

    /// True once the server is being dropped.
    pub fn is_stopping(&self) -> bool {
        self.shared.state.lock().stopping
    }

    /// Makes the close that follows the behaviour a reset (`SO_LINGER` 0) instead of a graceful
    /// close.
    pub fn reset_on_close(&mut self) -> io::Result<()> {
        socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO))?;
        self.reset = true;
        Ok(())
    }

    fn close_gracefully(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        self.drain();
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        if let Some(seen) = self.shared.received.lock().get_mut(self.index) {
            seen.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("index", &self.index)
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Our clone in `open` must go first: the socket closes (or resets) with its last handle.
        let _ = self.shared.state.lock().open.remove(&self.index);
    }
}

// ---- internals ----

#[derive(Default)]
struct Shared {
    accepted: AtomicUsize,
    received: Mutex<Vec<Vec<u8>>>,
    state: Mutex<State>,
    /// Signalled on a new connection and when the server stops.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    stopping: bool,
    /// A handle to every open connection, to shut them down when the server is dropped.
    open: HashMap<usize, TcpStream>,
    workers: Vec<JoinHandle<()>>,
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, behaviours: &[Behaviour]) {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) if shared.state.lock().stopping => return,
            // e.g. out of file descriptors: wait a little rather than spin
            Err(_) => {
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let index = {
            let mut state = shared.state.lock();
            if state.stopping {
                return;
            }
            let mut received = shared.received.lock();
            received.push(Vec::new());
            let index = received.len() - 1;
            state.open.insert(index, handle);
            shared.accepted.fetch_add(1, Ordering::SeqCst);
            index
        };
        shared.changed.notify_all();
        let behaviour = behaviours[index.min(behaviours.len() - 1)].clone();
        let conn = Connection {
            stream,
            index,
            shared: Arc::clone(shared),
            reset: false,
        };
        // On failure the connection is dropped here, which closes it.
        if let Ok(worker) = thread::Builder::new()
            .name(format!("fault-conn-{index}"))
            .spawn(move || serve(conn, &behaviour))
        {
            shared.state.lock().workers.push(worker);
        }
    }
}

/// Runs one behaviour; every I/O error just ends the connection.
fn serve(mut conn: Connection, behaviour: &Behaviour) {
    let _ = run_behaviour(&mut conn, behaviour);
    if conn.reset {
        return; // dropped with SO_LINGER 0
    }
    if !matches!(behaviour, Behaviour::RespondKeepOpen(_) | Behaviour::Stall) {
        conn.close_gracefully();
    }
}

fn run_behaviour(conn: &mut Connection, behaviour: &Behaviour) -> io::Result<()> {
    match behaviour {
        Behaviour::Respond(bytes) => {
            conn.read_request_head()?;
            conn.write_all(bytes)
        }
        Behaviour::RespondKeepOpen(bytes) => {
            conn.read_request_head()?;
            conn.write_all(bytes)?;
            conn.drain();
            Ok(())
        }
        Behaviour::RespondThenReset { bytes } => {
            conn.read_request_head()?;
            conn.write_all(bytes)?;
            conn.reset_on_close()
        }
        Behaviour::Stall => {
            conn.drain();
            Ok(())
        }
        Behaviour::Garbage(bytes) => conn.write_all(bytes),
        Behaviour::HugeHeaders(n) => {
            conn.read_request_head()?;
            write_huge_headers(conn, *n)
        }
        Behaviour::Delay(delay, bytes) => {
            conn.read_request_head()?;
            if conn.sleep(*delay) {
                conn.write_all(bytes)?;
            }
            Ok(())
        }
        Behaviour::SlowBody {
            head,
            body,
            bytes_per_sec,
        } => {
            conn.read_request_head()?;
            conn.write_all(head)?;
            write_slowly(conn, body, (*bytes_per_sec).max(1))
        }
        Behaviour::Custom(f) => {
            f(conn);
            Ok(())
        }
    }
}

fn write_huge_headers(conn: &mut Connection, n: usize) -> io::Result<()> {
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")?;
    let filler = [b'a'; 1000];
    let mut written = 0;
    let mut line = 0;
    while written < n {
        let prefix = format!("X-Filler-{line}: ");
        let value = (n - written)
            .saturating_sub(prefix.len() + 2)
            .clamp(1, filler.len());
        conn.write_all(prefix.as_bytes())?;
        conn.write_all(&filler[..value])?;
        conn.write_all(b"\r\n")?;
        written += prefix.len() + value + 2;
        line += 1;
    }
    conn.write_all(b"\r\n")
}

fn write_slowly(conn: &mut Connection, body: &[u8], bytes_per_sec: u64) -> io::Result<()> {
    let step = usize::try_from(bytes_per_sec / 20)
        .unwrap_or(usize::MAX)
        .max(1);
    let started = Instant::now();
    let mut sent = 0usize;
    for chunk in body.chunks(step) {
        // chunk k goes out once the pace allows the bytes before it
        let due = Duration::from_secs_f64(sent as f64 / bytes_per_sec as f64);
        if !conn.sleep(due.saturating_sub(started.elapsed())) {
            return Ok(());
        }
        conn.write_all(chunk)?;
        sent += chunk.len();
    }
    Ok(())
}
