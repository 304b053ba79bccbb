//! A connection with the session's limits applied to every read, write, flush and wait: the
//! send and receive timeouts per step, the low-speed limit, and an overall deadline. All time
//! arithmetic saturates (a `Duration::MAX` timeout is no timeout, never a panic). Knows no
//! protocol; does not touch the pool (which owns idle connections) nor the handle tree.

use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, FutureExt};

use crate::error::{Error, ErrorKind, Result};
use crate::net::alarm::Alarm;
use crate::net::mark::MarkGauge;
use crate::net::Stream;
use crate::options::{LowSpeed, Options};

/// A connected stream plus what inet needs to use it well: its peer, a label for error messages
/// ("host:port"), the send/receive timeouts, the low-speed limit and the deadline, and whether it
/// came from the pool.
pub struct Conn {
    stream: Stream,
    /// Everything else about the connection, apart from the stream so that a TLS upgrade can
    /// swap the stream and keep the rest. Boxed: a connection is moved a dozen times per request
    /// (out of the pool, into the body reader, back), and 300 bytes copied each time cost more
    /// than the one allocation per connection.
    link: Box<Link>,
    pub(crate) idle_since: Instant,
}

/// What inet knows and keeps about a connection besides its stream.
struct Link {
    peer: SocketAddr,
    /// Shared: a response's body reader keeps a copy for its messages (no allocation each).
    label: Arc<str>,
    send_timeout: Option<Duration>,
    receive_timeout: Option<Duration>,
    low_speed: Option<LowSpeed>,
    window: SpeedWindow,
    deadline: Option<Instant>,
    /// The timer of every step's timeout, set as rarely as correctness allows.
    alarm: Alarm,
    reused: bool,
    written: u64,
    buffer: Vec<u8>,
    coalesce: Coalesce,
    /// The low-water mark to use while coalescing, and what moves it.
    gauge: MarkGauge,
    /// While coalescing a stream of known length ([`Conn::coalesce_reads_of`]): the bytes still
    /// to come. `None`: unknown (the stream runs to the peer's close).
    coalesce_left: Option<u64>,
}

/// Whether reads are batched by the socket's receive low-water mark (see
/// [`Conn::coalesce_reads`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Coalesce {
    /// Every arrival is reported (the default, and where the mark cannot be set).
    Off,
    /// The mark is at the gauge's level; a wait for it lasts at most [`COALESCE_WAIT`].
    On,
    /// A wait outlasted [`COALESCE_WAIT`]: the mark is at 1 byte until something is read.
    Lowered,
}

/// The receive window a coalescing stream is given (see [`Conn::coalesce_reads`]).
const OPEN_WINDOW: usize = 2 * 1024 * 1024;

/// How long a wait for the mark may last before whatever came is read: the most a slow stream's
/// bytes are held back.
const COALESCE_WAIT: Duration = Duration::from_millis(10);

/// Bytes moved (either way) since `start`, for the low-speed limit.
#[derive(Clone, Copy)]
struct SpeedWindow {
    start: Instant,
    bytes: u64,
}

enum Raced<T> {
    Done(T),
    TimerFired,
}

/// How a bounded step ended without an error.
enum Stepped<T> {
    /// Its I/O finished.
    Done(T),
    /// Its wait under the low-water mark lasted [`COALESCE_WAIT`] (the I/O was dropped).
    CapPassed,
}

impl Conn {
    /// Wrap `stream`, connected to `peer`, applying `options`' timeouts.
    pub fn new(
        stream: Stream,
        peer: SocketAddr,
        label: impl Into<String>,
        options: &Options,
    ) -> Self {
        let now = Instant::now();
        Conn {
            stream,
            link: Box::new(Link {
                peer,
                label: Arc::from(label.into()),
                send_timeout: options.send_timeout,
                receive_timeout: options.receive_timeout,
                low_speed: options.low_speed,
                window: SpeedWindow {
                    start: now,
                    bytes: 0,
                },
                deadline: None,
                alarm: Alarm::new(),
                reused: false,
                written: 0,
                buffer: Vec::new(),
                coalesce: Coalesce::Off,
                gauge: MarkGauge::new(),
                coalesce_left: None,
            }),
            idle_since: now,
        }
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.link.peer
    }

    /// "host:port", as used in error messages.
    pub fn label(&self) -> &str {
        &self.link.label
    }

    /// [`label`](Self::label), to keep: a count on the connection's own copy.
    pub fn shared_label(&self) -> Arc<str> {
        self.link.label.clone()
    }

    /// The connection's read buffer, at least `min_len` long (contents unspecified). It travels
    /// with the connection, through the pool too, so a request on a reused connection neither
    /// allocates nor zeroes one. Give it back with [`keep_buffer`](Self::keep_buffer).
    pub fn take_buffer(&mut self, min_len: usize) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.link.buffer);
        if buf.len() < min_len {
            buf.resize(min_len, 0);
        }
        buf
    }

    /// Keep `buf` for the next [`take_buffer`](Self::take_buffer); a bulk-sized one (over
    /// 64 KiB) is dropped rather than held by an idle connection.
    pub fn keep_buffer(&mut self, buf: Vec<u8>) {
        if buf.len() <= 64 * 1024 {
            self.link.buffer = buf;
        }
    }

    /// Bytes written on this connection so far (all requests).
    pub fn bytes_written(&self) -> u64 {
        self.link.written
    }

    /// True when this connection came from the pool (it served an earlier request).
    pub fn is_reused(&self) -> bool {
        self.link.reused
    }

    pub(crate) fn mark_reused(&mut self) {
        self.link.reused = true;
        // The last exchange's deadline is not the next one's.
        self.link.deadline = None;
        self.restart_speed_window();
    }

    /// Whether this connection's TLS handshake resumed a stored session (`None`: not TLS); see
    /// [`start_tls_resuming`](crate::transport::start_tls_resuming).
    pub fn tls_resumed(&self) -> Option<bool> {
        self.stream.tls_resumed()
    }

    /// The stream.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Replace the stream by what `f` makes of it (a TLS handshake over it), keeping the settings.
    pub(crate) async fn upgrade<F, Fut>(self, f: F) -> Result<Conn>
    where
        F: FnOnce(Stream) -> Fut,
        Fut: std::future::Future<Output = Result<Stream>>,
    {
        let Conn {
            stream,
            link,
            idle_since,
        } = self;
        Ok(Conn {
            stream: f(stream).await?,
            link,
            idle_since,
        })
    }

    /// Override the receive timeout for this connection.
    pub fn set_receive_timeout(&mut self, t: Option<Duration>) {
        self.link.receive_timeout = t;
    }

    /// Set (or clear) the moment every read, write, flush and wait on this connection must be
    /// done by: a total time limit for a whole exchange, body included, where the send and receive
    /// timeouts only bound each step. Past it, I/O fails with `ERROR_INTERNET_TIMEOUT`. A
    /// connection taken from the pool starts with none.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.link.deadline = deadline;
    }

    /// The deadline set by [`set_deadline`](Self::set_deadline).
    pub fn deadline(&self) -> Option<Instant> {
        self.link.deadline
    }

    /// Start a new low-speed measurement window (call when a transfer starts).
    pub fn restart_speed_window(&mut self) {
        self.link.window = SpeedWindow {
            start: Instant::now(),
            bytes: 0,
        };
    }

    /// The stream runs to the peer's close (an FTP data connection, a binary Gopher item): have
    /// the kernel report it readable only once 128 KiB have come (512 KiB while the server is
    /// the limit; see `mark.rs`), or the peer closed. A server writing small pieces (8 KiB)
    /// otherwise wakes its reader every few pieces — ~12,000 sleeps and wakeups per GiB, a
    /// quarter of the client's CPU. A wait for the mark lasts at most 10 ms; then the mark drops
    /// to 1 byte until something is read, so a slow or stalled stream delivers what came within
    /// 10 ms, and the receive timeout and the low-speed limit see it as before. Not for a stream
    /// whose peer waits for an answer before closing (its last bytes would wait out the 10 ms).
    /// Where the mark cannot be set, reads go on as before.
    pub fn coalesce_reads(&mut self) {
        if self.link.coalesce != Coalesce::Off {
            return;
        }
        self.start_coalescing();
    }

    /// [`coalesce_reads`](Self::coalesce_reads) for the next `left` bytes of a stream of known
    /// length whose connection goes on after them (a response body with a `Content-Length`, its
    /// connection kept alive): the peer does not close after the last byte, so the mark must never
    /// ask for more than is still to come. Coalescing ends once no more than twice the mark is
    /// left — a margin above what the TLS layer can hold, since the mark counts encrypted bytes
    /// and `left` plain ones — and the last bytes are read as without it; the connection then
    /// reports every byte again for whatever it serves next. Nothing happens for a stream too
    /// short to gain from it (`left` within twice the mark), or one already coalescing.
    pub fn coalesce_reads_of(&mut self, left: u64) {
        if self.link.coalesce != Coalesce::Off || self.link.left_within_margin(left) {
            return;
        }
        self.start_coalescing();
        if self.link.coalesce != Coalesce::Off {
            self.link.coalesce_left = Some(left);
        }
    }

    /// Stop what [`coalesce_reads`](Self::coalesce_reads) or
    /// [`coalesce_reads_of`](Self::coalesce_reads_of) started: reads are reported byte by byte
    /// again.
    pub(crate) fn end_coalescing(&mut self) {
        let Conn { stream, link, .. } = self;
        link.stop_coalescing(stream);
    }

    fn start_coalescing(&mut self) {
        let tcp = self.stream.tcp();
        // Linux grows the receive buffer for a mark above half of it, and then clamps the
        // advertised window to the mark: the server could send only one mark's worth before our
        // wakeup, and would stall while we are woken. Asking for a 2 MiB mark first makes the
        // buffer ~4 MiB and the window 2 MiB — what the buffer's autotuning reaches for a bulk
        // stream, and a bound on what a slow reader leaves queued in the kernel; the real mark,
        // set next, is then below the buffer's half and changes neither.
        if tcp.set_receive_low_water(OPEN_WINDOW).is_ok() {
            // A mark is set from here on, so waits are capped whatever happens next.
            self.link.coalesce = Coalesce::On;
            let _ = tcp.set_receive_low_water(self.link.gauge.mark());
        }
    }

    /// Read into `buf`; `Ok(0)` is the end of the stream. Fails with `ERROR_INTERNET_TIMEOUT` when
    /// nothing arrives within the receive timeout, the low-speed limit is crossed or the deadline
    /// passes.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Receive)?;
        // Bytes already waiting in the socket need no timer: on bulk transfers that is most reads,
        // and arming a timer costs a trip through the reactor.
        let ready = match futures_lite::future::poll_once(stream.read(buf)).await {
            Some(ready) => ready,
            None if link.coalesce != Coalesce::Off => return self.read_coalesced(buf).await,
            None => {
                link.bounded(link.receive_timeout, Direction::Receive, stream.read(buf))
                    .await?
            }
        };
        let n = link.account(ready, Direction::Receive)?;
        link.after_read(stream, n);
        Ok(n)
    }

    /// The wait of [`read`](Self::read) on a coalescing stream: at most [`COALESCE_WAIT`] under
    /// the mark, then with the mark lowered; the receive timeout counts from the first wait.
    async fn read_coalesced(&mut self, buf: &mut [u8]) -> Result<usize> {
        let Conn { stream, link, .. } = self;
        let step = Step::start(link.receive_timeout);
        loop {
            let cap_at = link.cap_at();
            match link
                .step(step, cap_at, Direction::Receive, stream.read(buf))
                .await?
            {
                Stepped::Done(ready) => {
                    link.woke(stream);
                    let n = link.account(ready, Direction::Receive)?;
                    link.after_read(stream, n);
                    return Ok(n);
                }
                Stepped::CapPassed => link.lower_mark(stream),
            }
        }
    }

    /// About to send something whose answer cannot have come yet (a command on a control
    /// connection): forget the socket's "maybe readable" and arm it now, so that the read after
    /// the send waits for the reactor's event instead of first making a system call that finds
    /// nothing. Nothing is lost: arming reports at once what is already there. Skipped while
    /// the TLS layer holds bytes (they are read without the socket).
    pub fn expect_answer(&self) {
        if self.stream.buffered() == 0 {
            self.stream.watch_idle();
        }
    }

    /// Wait, within the receive timeout (and the low-speed limit and the deadline), until the
    /// socket has something to read (or has closed), without reading. Right after a request is
    /// sent its answer cannot be there yet: waiting first saves the read that would find nothing.
    /// A TLS stream that already holds decrypted bytes returns at once.
    pub async fn wait_readable(&mut self) -> Result<()> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Receive)?;
        let tcp = match stream {
            Stream::Tcp(tcp) => &*tcp,
            Stream::Tls(tls) if tls.buffered() == 0 => tls.get_ref(),
            Stream::Tls(_) => return Ok(()),
            Stream::ResumableTls(tls) if tls.buffered() == 0 => tls.get_ref(),
            Stream::ResumableTls(_) => return Ok(()),
        };
        link.bounded(link.receive_timeout, Direction::Receive, tcp.readable())
            .await?
            .map_err(|e| Error::io(e, format!("receiving from {}", link.label)))
    }

    /// One read attempt without a timer, for poll-based readers: `Pending` (with `cx`'s waker
    /// registered with the socket) when nothing can be read now. The caller bounds the wait that
    /// follows with [`wait_socket_readable`](Self::wait_socket_readable), where the timeouts apply.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Receive)?;
        match Pin::new(&mut *stream).poll_read(cx, buf) {
            Poll::Ready(ready) => {
                let n = link.account(ready, Direction::Receive)?;
                link.after_read(stream, n);
                Poll::Ready(Ok(n))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Wait, within the receive timeout (and the low-speed limit and the deadline), until the
    /// socket itself has something to read, after [`poll_read`](Self::poll_read) found nothing.
    /// Unlike [`wait_readable`](Self::wait_readable) it does not trust the TLS layer's buffer:
    /// `Pending` from a read means what the TLS layer holds is not a whole record yet.
    pub async fn wait_socket_readable(&mut self) -> Result<()> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Receive)?;
        // `poll_readable`, not `readable()`: the read that found nothing registered through it, so
        // an event that came since counts, and no extra trip through the reactor is needed.
        let tcp = stream.tcp();
        let wait = std::future::poll_fn(|cx| tcp.poll_readable(cx));
        let cap_at = link.cap_at();
        match link
            .step(
                Step::start(link.receive_timeout),
                cap_at,
                Direction::Receive,
                wait,
            )
            .await?
        {
            Stepped::Done(ready) => {
                link.woke(stream);
                ready.map_err(|e| Error::io(e, format!("receiving from {}", link.label)))
            }
            // The caller's next read takes whatever came.
            Stepped::CapPassed => {
                link.lower_mark(stream);
                Ok(())
            }
        }
    }

    /// One write attempt without a timer, for poll-based writers (the upload adapters): the
    /// bytes the connection took, or `Pending` (with `cx`'s waker registered with the socket)
    /// when it takes none now. The caller bounds the wait that follows with
    /// [`wait_socket_writable`](Self::wait_socket_writable), where the timeouts apply. A TLS
    /// stream must be given the same bytes again after `Pending`.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Send)?;
        let ready = match Pin::new(stream).poll_write(cx, buf) {
            Poll::Ready(ready) => ready,
            Poll::Pending => return Poll::Pending,
        };
        let n = link.account(ready, Direction::Send)?;
        if n == 0 && !buf.is_empty() {
            return Poll::Ready(Err(Error::new(
                ErrorKind::ConnectionAborted,
                format!("sending to {}: the connection is closed", link.label),
            )));
        }
        link.written += n as u64;
        Poll::Ready(Ok(n))
    }

    /// One flush attempt without a timer (see [`poll_write`](Self::poll_write)).
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Send)?;
        Pin::new(stream)
            .poll_flush(cx)
            .map_err(|e| Error::io(e, format!("sending to {}", link.label)))
    }

    /// Wait, within the send timeout (and the low-speed limit and the deadline), until the
    /// socket can take bytes, after [`poll_write`](Self::poll_write) or
    /// [`poll_flush`](Self::poll_flush) returned `Pending`.
    pub async fn wait_socket_writable(&mut self) -> Result<()> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Send)?;
        let tcp = stream.tcp();
        link.bounded(
            link.send_timeout,
            Direction::Send,
            std::future::poll_fn(|cx| tcp.poll_writable(cx)),
        )
        .await?
        .map_err(|e| Error::io(e, format!("sending to {}", link.label)))
    }

    /// Write all of `data` (and flush), each write bounded by the send timeout, the low-speed
    /// limit and the deadline.
    pub async fn write_all(&mut self, mut data: &[u8]) -> Result<()> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Send)?;
        while !data.is_empty() {
            let ready = link
                .bounded(link.send_timeout, Direction::Send, stream.write(data))
                .await?;
            let n = link.account(ready, Direction::Send)?;
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::ConnectionAborted,
                    format!("sending to {}: the connection is closed", link.label),
                ));
            }
            link.written += n as u64;
            data = &data[n..];
        }
        link.bounded(link.send_timeout, Direction::Send, stream.flush())
            .await?
            .map_err(|e| Error::io(e, format!("sending to {}", link.label)))
    }

    /// Say that nothing more will be sent — TLS's `close_notify`, then the end of the TCP
    /// stream — within the send timeout (and the deadline), keeping reading possible. An FTP
    /// upload's data connection ends so (a TLS one cut without `close_notify` can count as
    /// truncated); the server's verdict comes on another connection.
    pub async fn finish_sending(&mut self) -> Result<()> {
        let Conn { stream, link, .. } = self;
        link.check_deadline(Direction::Send)?;
        link.bounded(link.send_timeout, Direction::Send, stream.close())
            .await?
            .map_err(|e| Error::io(e, format!("closing the connection to {}", link.label)))?;
        // Closing TLS sent close_notify; the socket still needs its end of stream.
        let _ = stream.tcp().get_ref().shutdown(std::net::Shutdown::Write);
        Ok(())
    }
}

impl Link {
    /// Run one I/O step until it finishes, bounded by `timeout` (the step's own: send or
    /// receive), the low-speed limit and the deadline; the alarm goes off at the earliest of
    /// them, and a check that finds none passed lets the same step go on.
    async fn bounded<T>(
        &mut self,
        timeout: Option<Duration>,
        direction: Direction,
        io: impl std::future::Future<Output = T>,
    ) -> Result<T> {
        // Most steps are done at the first try (a write the socket takes, a flush with nothing
        // buffered): they need neither the clock nor the alarm.
        let mut io = std::pin::pin!(io);
        if let Some(v) = futures_lite::future::poll_once(io.as_mut()).await {
            return Ok(v);
        }
        match self.step(Step::start(timeout), None, direction, io).await? {
            Stepped::Done(v) => Ok(v),
            // `step` ends so only when given a cap, and none was given.
            Stepped::CapPassed => Err(Error::new(
                ErrorKind::Internal,
                format!("{} {}: a wait ended early", direction.verb(), self.label),
            )),
        }
    }

    /// [`bounded`](Self::bounded) for `step`, also ended (with `io` dropped) at `cap_at`: a
    /// coalescing wait's limit.
    async fn step<T>(
        &mut self,
        step: Step,
        cap_at: Option<Instant>,
        direction: Direction,
        io: impl std::future::Future<Output = T>,
    ) -> Result<Stepped<T>> {
        let mut io = std::pin::pin!(io);
        let mut now = step.started;
        loop {
            let outcome = match [self.next_check(step), cap_at].into_iter().flatten().min() {
                None => Raced::Done(io.as_mut().await),
                Some(at) => race(&mut self.alarm, at, now, io.as_mut()).await,
            };
            match outcome {
                Raced::Done(v) => return Ok(Stepped::Done(v)),
                Raced::TimerFired => {
                    self.on_timer(step, direction)?;
                    now = Instant::now();
                    if cap_at.is_some_and(|at| now >= at) {
                        return Ok(Stepped::CapPassed);
                    }
                }
            }
        }
    }

    /// When a wait starting now must stop waiting for the low-water mark (`None`: not
    /// coalescing, or the mark is lowered already).
    fn cap_at(&self) -> Option<Instant> {
        match self.coalesce {
            Coalesce::On => Instant::now().checked_add(COALESCE_WAIT),
            Coalesce::Off | Coalesce::Lowered => None,
        }
    }

    /// A wait outlasted [`COALESCE_WAIT`]: read what came, and until something does, be told of
    /// every byte. If the mark cannot be lowered it stays, and every wait stays capped.
    fn lower_mark(&mut self, stream: &Stream) {
        let tcp = stream.tcp();
        if tcp.set_receive_low_water(1).is_ok() {
            self.coalesce = Coalesce::Lowered;
        }
        tcp.assume_readable();
    }

    /// A wait under the mark ended with the socket readable: let the gauge judge the last
    /// wakeup, and move the mark if it says so (if that fails the mark stays where it was).
    fn woke(&mut self, stream: &Stream) {
        if self.coalesce == Coalesce::On {
            if let Some(mark) = self.gauge.woke() {
                if self
                    .coalesce_left
                    .is_some_and(|left| self.left_within_margin(left))
                {
                    self.stop_coalescing(stream);
                } else {
                    let _ = stream.tcp().set_receive_low_water(mark);
                }
            }
        }
    }

    /// Whether `left` bytes are too few to wait for the mark: a mark the stream may not reach
    /// (see [`Conn::coalesce_reads_of`]).
    fn left_within_margin(&self, left: u64) -> bool {
        left <= (self.gauge.mark() as u64).saturating_mul(2)
    }

    /// Back to being told of every byte (the mark at 1). If the mark cannot be lowered, waits
    /// stay capped at [`COALESCE_WAIT`]: slower, never stuck.
    fn stop_coalescing(&mut self, stream: &Stream) {
        self.coalesce_left = None;
        if self.coalesce == Coalesce::Off {
            return;
        }
        self.coalesce = match stream.tcp().set_receive_low_water(1) {
            Ok(()) => Coalesce::Off,
            Err(_) => Coalesce::On,
        };
    }

    /// After a read of `n` bytes: count them for the gauge; bytes after a lowered mark mean the
    /// stream flows again.
    fn after_read(&mut self, stream: &Stream, n: usize) {
        if self.coalesce == Coalesce::Off {
            return;
        }
        self.gauge.read(n);
        if let Some(left) = self.coalesce_left {
            let left = left.saturating_sub(n as u64);
            self.coalesce_left = Some(left);
            if self.left_within_margin(left) {
                self.stop_coalescing(stream);
                return;
            }
        }
        if self.coalesce == Coalesce::Lowered && n > 0 {
            self.coalesce = match stream.tcp().set_receive_low_water(self.gauge.mark()) {
                Ok(()) => Coalesce::On,
                // Left at 1 byte: reads as without coalescing.
                Err(_) => Coalesce::Off,
            };
        }
    }

    /// When the timer must next fire for one I/O step: the earliest of the step's own timeout,
    /// the end of the low-speed window and the deadline (`None`: nothing bounds the step).
    fn next_check(&self, step: Step) -> Option<Instant> {
        let window_end = self
            .low_speed
            .and_then(|ls| self.window.start.checked_add(ls.window));
        [step.timeout_at, window_end, self.deadline]
            .into_iter()
            .flatten()
            .min()
    }

    /// The timer fired during a step: fail if the deadline passed, the step's timeout passed or
    /// the low-speed window ended too slow; else the step goes on.
    fn on_timer(&mut self, step: Step, direction: Direction) -> Result<()> {
        let now = Instant::now();
        self.check_deadline_at(now, direction)?;
        if step.timeout_at.is_some_and(|at| now >= at) {
            let what = match direction {
                Direction::Receive => "nothing arrived",
                Direction::Send => "no progress",
            };
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {}: {what} in {:?}",
                    direction.verb(),
                    self.label,
                    step.timeout.unwrap_or_default()
                ),
            ));
        }
        self.check_speed(now, direction)
    }

    /// Fail once the deadline has passed (the clock is read only when there is one).
    fn check_deadline(&self, direction: Direction) -> Result<()> {
        match self.deadline {
            Some(_) => self.check_deadline_at(Instant::now(), direction),
            None => Ok(()),
        }
    }

    /// [`check_deadline`](Self::check_deadline) at `now`.
    fn check_deadline_at(&self, now: Instant, direction: Direction) -> Result<()> {
        match self.deadline {
            Some(d) if now >= d => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {}: the total time limit was reached",
                    direction.verb(),
                    self.label
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Count a finished read or write against the low-speed window.
    fn account(&mut self, ready: std::io::Result<usize>, direction: Direction) -> Result<usize> {
        match ready {
            Ok(n) => {
                self.window.bytes = self.window.bytes.saturating_add(n as u64);
                if self.low_speed.is_some() {
                    self.check_speed(Instant::now(), direction)?;
                }
                Ok(n)
            }
            Err(e) => Err(Error::io(e, format!("{} {}", direction.verb(), self.label))),
        }
    }

    /// At the end of a low-speed window: fail if the window was too slow, else start a new one.
    /// Bytes both ways count: a transfer is slow when neither sending nor receiving moves.
    fn check_speed(&mut self, now: Instant, direction: Direction) -> Result<()> {
        let Some(ls) = self.low_speed else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(self.window.start);
        if elapsed < ls.window {
            return Ok(());
        }
        let needed = (ls.bytes_per_sec as f64 * elapsed.as_secs_f64()) as u64;
        if self.window.bytes < needed {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "{} {}: {} bytes in {:.1} s, below the low-speed limit of {} B/s",
                    direction.verb(),
                    self.label,
                    self.window.bytes,
                    elapsed.as_secs_f64(),
                    ls.bytes_per_sec
                ),
            ));
        }
        self.window = SpeedWindow {
            start: now,
            bytes: 0,
        };
        Ok(())
    }
}

/// Which way bytes move in a step, for messages.
#[derive(Clone, Copy)]
enum Direction {
    Receive,
    Send,
}

impl Direction {
    fn verb(self) -> &'static str {
        match self {
            Direction::Receive => "receiving from",
            Direction::Send => "sending to",
        }
    }
}

/// One I/O step's own timeout (send or receive), started now. A timeout too large to add to
/// the clock (`Duration::MAX`) is no timeout.
#[derive(Clone, Copy)]
struct Step {
    timeout: Option<Duration>,
    timeout_at: Option<Instant>,
    /// When the step started (the alarm measures its slack from it on the first wait).
    started: Instant,
}

impl Step {
    fn start(timeout: Option<Duration>) -> Step {
        let started = Instant::now();
        Step {
            timeout,
            timeout_at: timeout.and_then(|t| started.checked_add(t)),
            started,
        }
    }
}

/// Run `io` until it finishes or the alarm goes off, at `at` or a little earlier (see
/// [`Alarm`]).
async fn race<T>(
    alarm: &mut Alarm,
    at: Instant,
    now: Instant,
    io: impl std::future::Future<Output = T>,
) -> Raced<T> {
    alarm.set(at, now);
    async { Raced::Done(io.await) }
        .or(async {
            alarm.ring().await;
            Raced::TimerFired
        })
        .await
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("label", &self.link.label)
            .field("peer", &self.link.peer)
            .field("tls", &self.stream.is_tls())
            .field("reused", &self.link.reused)
            .finish()
    }
}
