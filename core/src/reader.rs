//! One reader for every protocol's downloads: an HTTP response body, an FTP file or listing on its
//! data connection, a Gopher item. It owns the connection while the stream lasts and does what is
//! the same everywhere — buffering, reads straight into the caller's buffer, owned reads for
//! callback mode, "how much is readable now" (WinINet's InternetQueryDataAvailable), progress,
//! RECEIVING_RESPONSE / RESPONSE_RECEIVED around each network read, and handing the connection
//! back when the stream ends or the handle gives up.
//!
//! What differs per protocol comes in through three small traits, so this file knows no protocol:
//! - [`Framing`]: where the stream's payload is among the bytes on the wire, and where it ends
//!   (HTTP's Content-Length and chunked framing; "until the peer closes" for FTP; Gopher's
//!   `.` line);
//! - [`Transform`]: an optional payload decoder (gzip/deflate; Gopher's dot-unstuffing);
//! - [`Ending`]: what becomes of the connection at the end (back to the pool, closed, or the
//!   protocol's own bookkeeping such as FTP's pending `226`).
//!
//! [`Incoming`] ties a reader to a handle and gives its operations in the three forms of every
//! inet operation (future, callback mode, blocking), plus the no-wait `try_read`.

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::HandleRef;
use crate::net::Conn;
use crate::operation::Started;
use crate::progress::ProgressMeter;
use crate::read_buf::ReadBuf;
use crate::status::{Direction, Status};

/// Network reads go into a buffer of at most this size (bulk streams); small ones never grow it
/// this far. 1 GiB over loopback HTTP in 64 KiB callback-mode reads, coalesced: 0.33 s of CPU
/// with 256 KiB, 0.31 s with 512 KiB, 0.28 s with 1 MiB (fewer, longer `recvfrom` calls).
const BULK_BUFFER: usize = 1024 * 1024;
/// A stream of known length coalesces its reads when at least this much of it is still on the
/// wire (a few setsockopt calls are nothing against it; a shorter one gains little).
const COALESCE_MIN: u64 = 1024 * 1024;
/// Reads at least this large go straight into the caller's buffer when the framing allows it.
const DIRECT_READ_MIN: usize = 64 * 1024;
/// Decoded bytes staged for "how much is readable now" on transformed streams.
const STAGE_SIZE: usize = 16 * 1024;

/// What one [`Framing::frame`] call found at the start of the wire bytes it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// Bytes used (payload and framing); the reader drops them and offers the rest again.
    pub consumed: usize,
    /// Payload bytes among them, as a range of the input (within `..consumed`; may be empty).
    pub payload: Range<usize>,
}

/// Where a stream's payload is among the bytes on the wire, and where the stream ends.
pub trait Framing: Send + 'static {
    /// Take framing and at most one run of payload bytes from the start of `wire`. Once
    /// [`is_done`](Self::is_done), nothing more may be consumed: bytes left over belong to
    /// whatever follows on the connection.
    fn frame(&mut self, wire: &[u8]) -> Result<Framed>;

    /// Payload bytes known to follow on the wire exactly as they are (a length-delimited body):
    /// up to that many may be read straight into the caller's buffer, and when a reader starts
    /// with 1 MiB or more of them still on the wire, it coalesces its reads until near their end
    /// ([`Conn::coalesce_reads_of`]). `None` when unknown.
    fn verbatim(&self) -> Option<u64> {
        None
    }

    /// The peer closed the connection: fine when that ends the stream, an error when the stream
    /// was cut short.
    fn end_of_stream(&mut self) -> Result<()>;

    /// True when the stream runs until the peer closes the connection, and the peer waits for
    /// nothing from us before closing: the reader then lets the kernel batch its wakeups
    /// ([`Conn::coalesce_reads`]). Keep false for a stream the peer may leave open once done.
    fn runs_to_close(&self) -> bool {
        false
    }

    /// True once the whole stream has been framed.
    fn is_done(&self) -> bool;
}

/// A payload decoder between the framing and the caller (gzip, deflate, dot-unstuffing).
pub trait Transform: Send + 'static {
    /// Decode from `input` into `output`; returns `(consumed, produced)`. Called with empty
    /// input once the framing is done, to drain what the decoder holds back.
    fn transform(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)>;

    /// The stream has ended and every held-back byte was drained: check the encoded stream ended
    /// too.
    fn finish(&mut self) -> Result<()>;
}

/// The [`Framing`] of a stream that is all payload until the peer closes the connection: an FTP
/// data connection (RFC 959 stream mode), a binary Gopher item. Every byte may be read straight
/// into the caller's buffer.
#[derive(Debug, Default, Clone, Copy)]
pub struct UntilClose {
    done: bool,
}

impl Framing for UntilClose {
    fn frame(&mut self, wire: &[u8]) -> Result<Framed> {
        Ok(Framed {
            consumed: wire.len(),
            payload: 0..wire.len(),
        })
    }

    fn verbatim(&self) -> Option<u64> {
        (!self.done).then_some(u64::MAX)
    }

    fn runs_to_close(&self) -> bool {
        true
    }

    fn end_of_stream(&mut self) -> Result<()> {
        self.done = true;
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

/// What becomes of the connection when the stream is over.
pub trait Ending: Send + 'static {
    /// The stream ended as its framing says. `clean` is true when nothing at all was left
    /// unread on the connection (neither in inet's buffer nor in the TLS layer's), so that it
    /// can serve another exchange.
    fn finished(self: Box<Self>, handle: &HandleRef, conn: Conn, clean: bool);

    /// The stream is given up before its end (the handle closed, or a read failed): the
    /// connection cannot be reused.
    fn abandoned(self: Box<Self>, handle: &HandleRef, conn: Conn);
}

/// An [`Ending`] that closes the connection, telling the callback (CLOSING_CONNECTION,
/// CONNECTION_CLOSED).
#[derive(Debug, Default, Clone, Copy)]
pub struct CloseAtEnd;

impl Ending for CloseAtEnd {
    fn finished(self: Box<Self>, handle: &HandleRef, conn: Conn, _clean: bool) {
        close_connection(handle, conn);
    }

    fn abandoned(self: Box<Self>, handle: &HandleRef, conn: Conn) {
        close_connection(handle, conn);
    }
}

/// Close `conn`, telling `handle`'s callback (CLOSING_CONNECTION, then CONNECTION_CLOSED).
pub fn close_connection(handle: &HandleRef, conn: Conn) {
    handle.notify(Status::ClosingConnection);
    conn.stream().shutdown();
    drop(conn);
    handle.notify(Status::ConnectionClosed);
}

/// A read after the connection was handed on.
fn gone(label: &str) -> Error {
    Error::new(
        ErrorKind::ConnectionAborted,
        format!("reading from {label}: the connection is gone"),
    )
}

/// Where a reader is.
enum Phase {
    /// Payload may still come.
    Reading,
    /// The stream ended and the connection was handed on.
    Finished,
}

/// A stream being read off a connection (see the module docs). Owns the connection until the
/// stream ends.
pub struct Reader {
    link: Option<(Conn, Box<dyn Ending>)>,
    /// Bytes from the network: `buf[start..end]` not yet through the framing. Owned reads take
    /// large pieces of it without a copy (`read_buf.rs`).
    buf: ReadBuf,
    start: usize,
    end: usize,
    /// Payload bytes (after framing) in `buf` not yet handed out or decoded.
    avail: Range<usize>,
    framing: Box<dyn Framing>,
    transform: Option<Box<dyn Transform>>,
    /// Decoded bytes held for the caller: `stage[staged]` (transformed streams only, filled by
    /// [`fill`](Self::fill) so that "how much is readable" is exact).
    stage: Vec<u8>,
    staged: Range<usize>,
    /// Scratch for owned reads of transformed streams, kept between reads.
    scratch: Vec<u8>,
    progress: ProgressMeter,
    /// The connection's own label, shared (no copy per stream).
    label: Arc<str>,
    phase: Phase,
    /// Bytes the last network read put straight into the caller's buffer.
    direct: Option<usize>,
    /// The last network read filled all the room it was given: a bulk stream, worth a bigger
    /// buffer (fewer system calls).
    filled: bool,
}

impl fmt::Debug for Reader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("label", &self.label)
            .field("buffered", &(self.end - self.start + self.avail.len()))
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl Reader {
    /// A reader of a stream that has its connection to itself, none of it read yet, the
    /// connection closed at its end ([`CloseAtEnd`]): an FTP data connection, a Gopher reply.
    pub fn dedicated(
        conn: Conn,
        framing: Box<dyn Framing>,
        transform: Option<Box<dyn Transform>>,
        total: Option<u64>,
    ) -> Self {
        Reader::new(
            conn,
            Vec::new(),
            0..0,
            framing,
            transform,
            total,
            Box::new(CloseAtEnd),
        )
    }

    /// A reader of the stream on `conn`. `buf[start..end]` holds bytes already read from it (what
    /// came after a response head, say), given as `filled`; `total` is the payload size when known, for progress.
    pub fn new(
        mut conn: Conn,
        buf: Vec<u8>,
        filled: Range<usize>,
        framing: Box<dyn Framing>,
        transform: Option<Box<dyn Transform>>,
        total: Option<u64>,
        ending: Box<dyn Ending>,
    ) -> Self {
        let label = conn.shared_label();
        let end = filled.end.min(buf.len());
        let start = filled.start.min(end);
        // Long streams let the kernel gather bytes before waking the reader (see
        // `Conn::coalesce_reads`): 1 GiB over HTTP at 0.29 s of CPU instead of 0.34 s.
        if framing.runs_to_close() {
            conn.coalesce_reads();
        } else if let Some(left) = framing.verbatim() {
            let on_the_wire = left.saturating_sub((end - start) as u64);
            if on_the_wire >= COALESCE_MIN {
                conn.coalesce_reads_of(on_the_wire);
            }
        }
        Reader {
            link: Some((conn, ending)),
            buf: buf.into(),
            start,
            end,
            avail: 0..0,
            framing,
            transform,
            stage: Vec::new(),
            staged: 0..0,
            scratch: Vec::new(),
            progress: ProgressMeter::new(Direction::Receive, total),
            label,
            phase: Phase::Reading,
            direct: None,
            filled: false,
        }
    }

    /// "host:port" of the connection, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// True once the whole stream has been handed out.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished)
    }

    /// Payload bytes handed out so far (after decoding).
    pub fn delivered(&self) -> u64 {
        self.progress.done()
    }

    /// When the stream is already over (an empty body: HEAD, 204, 304, `Content-Length: 0`):
    /// hand the connection on now rather than on the first read. A transform has nothing to do
    /// on an empty payload, so it is not consulted (an empty gzip body is no body at all).
    pub fn finish_if_empty(&mut self, h: &HandleRef) {
        if self.framing.is_done() && self.avail.is_empty() && self.progress.done() == 0 {
            self.transform = None;
            self.finish(h);
        }
    }

    /// Read payload into `out`; 0 means the stream has ended. Waits for the network when nothing
    /// is buffered.
    pub async fn read(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() || self.is_finished() {
            return Ok(0);
        }
        loop {
            if let Some(n) = self.step(h, out)? {
                return Ok(n);
            }
            self.fetch(h, out).await?;
            if let Some(n) = self.direct.take() {
                return Ok(n);
            }
        }
    }

    /// Read up to `max` bytes into a new owned buffer (callback mode); empty at the end. Network
    /// reads go into the reader's own buffer (up to 1 MiB at a time), so that several owned
    /// reads are served by one system call; a piece of 16 KiB or more is a slice of that buffer
    /// (`read_buf.rs`), a smaller one a copy of only the bytes read: nothing is zeroed per read.
    pub async fn read_owned(&mut self, h: &HandleRef, max: usize) -> Result<Bytes> {
        if max == 0 || self.is_finished() {
            return Ok(Bytes::new());
        }
        loop {
            if let Some(b) = self.step_owned(h, max)? {
                return Ok(b);
            }
            self.fetch(h, &mut []).await?;
        }
    }

    /// [`read_owned`](Self::read_owned) without waiting: `Ok(None)` when it would have to wait,
    /// else what `read_owned` would return. Callback mode's try. Each network read it makes is
    /// notified as `read_owned`'s are (RECEIVING_RESPONSE, RESPONSE_RECEIVED); one that would
    /// block is not.
    pub fn try_read_owned(&mut self, h: &HandleRef, max: usize) -> Result<Option<Bytes>> {
        if max == 0 || self.is_finished() {
            return Ok(Some(Bytes::new()));
        }
        self.try_steps(h, |r, h| r.step_owned(h, max))
    }

    /// Run `step` until it has an answer, reading the network between tries without waiting:
    /// `Ok(None)` when a read would have to wait. The non-waiting twin of the loops of
    /// [`read_owned`](Self::read_owned) and [`fill`](Self::fill).
    fn try_steps<T>(
        &mut self,
        h: &HandleRef,
        mut step: impl FnMut(&mut Self, &HandleRef) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        loop {
            if let Some(v) = step(self, h)? {
                return Ok(Some(v));
            }
            if !self.try_fetch(h)? {
                return Ok(None);
            }
        }
    }

    /// Read only what can be had without waiting: `Ok(None)` when a read would have to wait.
    pub fn try_read(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<Option<usize>> {
        if out.is_empty() || self.is_finished() {
            return Ok(Some(0));
        }
        match self.step(h, out)? {
            Some(n) => Ok(Some(n)),
            // Bytes already in the socket are available too (WinINet's IRF_NO_WAIT returns what
            // has arrived): one read that does not wait.
            None if self.try_fetch(h)? => self.step(h, out),
            None => Ok(None),
        }
    }

    /// One network read into the buffer if the socket has bytes (or has closed) now; false when
    /// it would wait. RECEIVING_RESPONSE / RESPONSE_RECEIVED are sent only for a read that got
    /// something.
    fn try_fetch(&mut self, h: &HandleRef) -> Result<bool> {
        self.make_room();
        if self.link.is_none() || self.end == self.buf.len() {
            return Ok(false);
        }
        // `poll_fetch` with a waker nobody waits on: its bookkeeping (notifications, the bulk
        // mark that grows the buffer, the end of the stream) is the waiting reads' own.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.poll_fetch(h, &mut cx, &mut []) {
            Poll::Ready(fetched) => fetched.map(|()| true),
            Poll::Pending => Ok(false),
        }
    }

    /// Wait until some payload can be handed out or the stream has ended; returns how many
    /// bytes a read would get now (0: the stream has ended). Exact also for transformed streams:
    /// decoded bytes are staged, so a decoder holding output back is not mistaken for the end.
    pub async fn fill(&mut self, h: &HandleRef) -> Result<usize> {
        loop {
            if let Some(n) = self.fill_step(h)? {
                return Ok(n);
            }
            self.fetch(h, &mut []).await?;
        }
    }

    /// [`fill`](Self::fill) without waiting: `Ok(None)` when it would have to wait.
    pub fn try_fill(&mut self, h: &HandleRef) -> Result<Option<usize>> {
        self.try_steps(h, Self::fill_step)
    }

    /// What [`fill`](Self::fill) can say from what is buffered: the count, or `None` when it
    /// takes a network read.
    fn fill_step(&mut self, h: &HandleRef) -> Result<Option<usize>> {
        loop {
            if self.is_finished() {
                return Ok(Some(0));
            }
            if !self.staged.is_empty() {
                return Ok(Some(self.staged.len()));
            }
            if self.transform.is_none() && !self.avail.is_empty() {
                return Ok(Some(self.avail.len()));
            }
            // Without a transform this does nothing and says so.
            if self.stage_some(h)? {
                continue;
            }
            if self.unframe()? {
                continue;
            }
            if self.framing.is_done() {
                self.finish_transform()?;
                self.finish(h);
                return Ok(Some(0));
            }
            return Ok(None);
        }
    }

    /// Decode some payload into the stage; true when that made progress.
    fn stage_some(&mut self, h: &HandleRef) -> Result<bool> {
        let Some(dec) = self.transform.as_mut() else {
            return Ok(false);
        };
        // With no input this drains what the decoder holds back (an inflater with output
        // pending), which must count as readable, not as the end.
        if self.stage.len() < STAGE_SIZE {
            self.stage.resize(STAGE_SIZE, 0);
        }
        let (used, produced) = dec.transform(&self.buf[self.avail.clone()], &mut self.stage)?;
        self.avail.start += used;
        if produced > 0 {
            self.staged = 0..produced;
            // Counted as delivered when staged: "readable now" bytes are the caller's already.
            self.progress.add(h, produced as u64);
        }
        Ok(used > 0 || produced > 0)
    }

    fn finish_transform(&mut self) -> Result<()> {
        match self.transform.as_mut() {
            Some(dec) => dec.finish(),
            None => Ok(()),
        }
    }

    /// Run buffered network bytes through the framing; true when that made progress (framing
    /// consumed, or payload now in `avail`).
    fn unframe(&mut self) -> Result<bool> {
        if !self.avail.is_empty() || self.start == self.end || self.framing.is_done() {
            return Ok(false);
        }
        let framed = self.framing.frame(&self.buf[self.start..self.end])?;
        let consumed = framed.consumed.min(self.end - self.start);
        if framed.payload.start < framed.payload.end && framed.payload.end <= consumed {
            self.avail = self.start + framed.payload.start..self.start + framed.payload.end;
        }
        self.start += consumed;
        Ok(consumed > 0 || !self.avail.is_empty())
    }

    /// Hand out what can be handed out without the network. `Ok(None)`: need more bytes.
    fn step(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<Option<usize>> {
        loop {
            if !self.staged.is_empty() {
                let n = self.staged.len().min(out.len());
                out[..n].copy_from_slice(&self.stage[self.staged.start..self.staged.start + n]);
                self.staged.start += n;
                return Ok(Some(n));
            }
            if !self.avail.is_empty() {
                let n = match &mut self.transform {
                    None => {
                        let n = self.avail.len().min(out.len());
                        out[..n].copy_from_slice(&self.buf[self.avail.start..self.avail.start + n]);
                        self.avail.start += n;
                        n
                    }
                    Some(dec) => {
                        let (used, produced) = dec.transform(&self.buf[self.avail.clone()], out)?;
                        self.avail.start += used;
                        if used == 0 && produced == 0 {
                            return Err(Error::new(
                                ErrorKind::DecodingFailed,
                                format!(
                                    "decoding the data from {}: the decoder made no progress",
                                    self.label
                                ),
                            ));
                        }
                        produced
                    }
                };
                if n > 0 {
                    self.progress.add(h, n as u64);
                    return Ok(Some(n));
                }
                continue;
            }
            if self.unframe()? {
                continue;
            }
            // A decoder may hold output back (it stopped when `out` was full): drain it before
            // waiting for the network, or before calling the stream finished.
            if let Some(dec) = &mut self.transform {
                let (_, produced) = dec.transform(&[], out)?;
                if produced > 0 {
                    self.progress.add(h, produced as u64);
                    return Ok(Some(produced));
                }
            }
            if !self.framing.is_done() {
                return Ok(None);
            }
            self.finish_transform()?;
            self.finish(h);
            return Ok(Some(0));
        }
    }

    /// [`step`](Self::step) for owned reads: untransformed payload is copied straight out of the
    /// buffer into the new `Bytes`.
    fn step_owned(&mut self, h: &HandleRef, max: usize) -> Result<Option<Bytes>> {
        if self.transform.is_none() && self.staged.is_empty() {
            if self.avail.is_empty() {
                self.unframe()?;
            }
            if !self.avail.is_empty() {
                let n = self.avail.len().min(max);
                let b = self.buf.hand_out(self.avail.start..self.avail.start + n);
                self.avail.start += n;
                self.progress.add(h, n as u64);
                if self.avail.is_empty() && self.start == self.end && self.framing.is_done() {
                    // The last payload byte went out: release the connection now, not on the
                    // next read.
                    self.finish(h);
                }
                return Ok(Some(b));
            }
        }
        let want = max.min(BULK_BUFFER);
        let mut out = std::mem::take(&mut self.scratch);
        if out.len() < want {
            out.resize(want, 0);
        }
        let result = self
            .step(h, &mut out[..want])
            .map(|r| r.map(|n| Bytes::copy_from_slice(&out[..n])));
        self.scratch = out;
        result
    }

    /// One network read, into `out` directly when the framing allows and nothing needs decoding
    /// (then handed out as is, through `self.direct`), else into the buffer.
    async fn fetch(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<()> {
        let direct = self.prepare_fetch(out);
        let limit = self.direct_limit(out);
        let room = self.buf.len() - self.end;
        let live = self.live();
        let (conn, _) = self.link.as_mut().ok_or_else(|| gone(&self.label))?;
        h.notify(Status::ReceivingResponse);
        let n = if direct {
            conn.read(&mut out[..limit]).await?
        } else {
            conn.read(&mut self.buf.writable(live)[self.end..]).await?
        };
        h.notify(Status::ResponseReceived(n as u64));
        if !direct {
            self.filled = n == room;
        }
        self.fetched(h, out, direct, n)
    }

    /// [`fetch`](Self::fetch) as one poll: `Pending` (the waker registered with the socket)
    /// when the socket has nothing now. Nothing is notified then, so RECEIVING_RESPONSE and
    /// RESPONSE_RECEIVED still come in pairs, around each read that took place.
    fn poll_fetch(
        &mut self,
        h: &HandleRef,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<Result<()>> {
        let direct = self.prepare_fetch(out);
        let limit = self.direct_limit(out);
        let room = self.buf.len() - self.end;
        let live = self.live();
        let (conn, _) = self.link.as_mut().ok_or_else(|| gone(&self.label))?;
        let polled = if direct {
            conn.poll_read(cx, &mut out[..limit])
        } else {
            conn.poll_read(cx, &mut self.buf.writable(live)[self.end..])
        };
        let Poll::Ready(n) = polled else {
            return Poll::Pending;
        };
        let n = n?;
        h.notify(Status::ReceivingResponse);
        h.notify(Status::ResponseReceived(n as u64));
        if !direct {
            self.filled = n == room;
        }
        Poll::Ready(self.fetched(h, out, direct, n))
    }

    /// Before a network read: whether it goes straight into `out` (else room is made in the
    /// buffer).
    fn prepare_fetch(&mut self, out: &[u8]) -> bool {
        let direct = self.transform.is_none()
            && self.start == self.end
            && out.len() >= DIRECT_READ_MIN
            && matches!(self.framing.verbatim(), Some(r) if r > 0);
        if !direct {
            self.make_room();
        }
        direct
    }

    /// How much of `out` a direct read may fill: no further than the verbatim payload goes.
    fn direct_limit(&self, out: &[u8]) -> usize {
        self.framing.verbatim().map_or(out.len(), |r| {
            out.len().min(usize::try_from(r).unwrap_or(usize::MAX))
        })
    }

    /// After a network read of `n` bytes (into `out` when `direct`, else into the buffer).
    fn fetched(&mut self, h: &HandleRef, out: &[u8], direct: bool, n: usize) -> Result<()> {
        if n == 0 {
            self.framing.end_of_stream()?;
            return Ok(());
        }
        if direct {
            let framed = self.framing.frame(&out[..n])?;
            if framed.consumed != n || framed.payload != (0..n) {
                return Err(Error::new(
                    ErrorKind::Internal,
                    format!(
                        "reading from {}: the framing promised {n} verbatim bytes",
                        self.label
                    ),
                ));
            }
            self.progress.add(h, n as u64);
            if self.framing.is_done() {
                self.finish(h);
            }
            self.direct = Some(n);
        } else {
            self.end += n;
        }
        Ok(())
    }

    /// [`read`](Self::read) as one poll, for poll-based adapters: reads straight into `out` as
    /// `read` does, and returns `Pending` when the socket has nothing now, its waker registered.
    /// The wait that follows goes through [`wait_socket`](Self::wait_socket), which applies
    /// the timeouts. Nothing is held across the `Pending`: the reader is as before the call.
    pub fn poll_read(
        &mut self,
        h: &HandleRef,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<Result<usize>> {
        if out.is_empty() || self.is_finished() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(n) = self.step(h, out)? {
                return Poll::Ready(Ok(n));
            }
            if let Err(e) = ready!(self.poll_fetch(h, cx, out)) {
                return Poll::Ready(Err(e));
            }
            if let Some(n) = self.direct.take() {
                return Poll::Ready(Ok(n));
            }
        }
    }

    /// Wait (within the receive timeout, the low-speed limit and the deadline) until the socket
    /// has something to read, after [`poll_read`](Self::poll_read) returned `Pending`.
    pub async fn wait_socket(&mut self) -> Result<()> {
        match self.link.as_mut() {
            Some((conn, _)) => conn.wait_socket_readable().await,
            // Finished meanwhile: the next poll says so.
            None => Ok(()),
        }
    }

    /// Where the buffer holds bytes not yet handed out: payload after framing, then wire bytes
    /// not yet framed (`avail` lies before `start`).
    fn live(&self) -> Range<usize> {
        let from = if self.avail.is_empty() {
            self.start
        } else {
            self.avail.start
        };
        from..self.end
    }

    /// Make room at the end of the buffer for a network read: reuse it from the start when
    /// empty, move a partial frame down when full, grow it (up to 1 MiB) for bulk streams.
    fn make_room(&mut self) {
        if self.start == self.end && self.avail.is_empty() {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() && self.avail.is_empty() {
            let live = self.live();
            self.buf.writable(live).copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len()
            || (self.buf.len() < BULK_BUFFER && (self.filled || self.end > self.buf.len() / 2))
        {
            self.filled = false;
            let grown = (self.buf.len() * 2).clamp(16 * 1024, BULK_BUFFER.max(self.buf.len()));
            let live = self.live();
            self.buf.resize(grown, live);
        }
    }

    /// The stream has ended: final progress, and the connection goes to the [`Ending`].
    fn finish(&mut self, h: &HandleRef) {
        if self.is_finished() {
            return;
        }
        self.phase = Phase::Finished;
        self.progress.finish(h);
        if let Some((mut conn, ending)) = self.link.take() {
            // Bytes after the stream would be the start of an answer nobody asked for.
            let clean = self.start == self.end && conn.stream().buffered() == 0;
            if clean {
                // The buffer travels with the connection, for its next exchange.
                if let Some(buf) = std::mem::take(&mut self.buf).into_plain() {
                    conn.keep_buffer(buf);
                }
                (self.start, self.end, self.avail) = (0, 0, 0..0);
            }
            ending.finished(h, conn, clean);
        }
    }

    /// Give up on the rest of the stream: the connection cannot be reused.
    pub fn abandon(mut self, h: &HandleRef) {
        if let Some((conn, ending)) = self.link.take() {
            ending.abandoned(h, conn);
        }
    }
}

/// What a handle's [`Incoming`] holds.
enum Slot {
    /// Nothing to read yet (before a stream was set, or after a reset).
    NotYet,
    /// A stream, between operations.
    Ready(Box<Reader>),
    /// Lent to the operation running now.
    Lent,
    /// A read failed: every later read fails the same way, loudly.
    Failed(Error),
}

/// A handle's incoming stream (see the module docs), with its operations in the three forms.
/// Cheap to clone; clones share the stream.
///
/// Every future here is cancel-safe: dropping a pending `read` (in a `select!`, under a timeout)
/// puts the stream back as it was, and the next read goes on where it would have.
#[derive(Clone)]
pub struct Incoming {
    handle: HandleRef,
    slot: Arc<Mutex<Slot>>,
    /// Says why a read before any stream fails (e.g. "send the request first"); called only
    /// then, so that opening a handle formats no message.
    not_yet: Arc<dyn Fn() -> String + Send + Sync>,
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.slot.lock() {
            Slot::NotYet => "not yet",
            Slot::Ready(r) if r.is_finished() => "finished",
            Slot::Ready(_) => "ready",
            Slot::Lent => "reading",
            Slot::Failed(_) => "failed",
        };
        f.debug_struct("Incoming")
            .field("handle", &self.handle.id())
            .field("state", &state)
            .finish()
    }
}

impl Incoming {
    /// An empty stream for `handle`; reads fail with INCORRECT_HANDLE_STATE and what `not_yet`
    /// says as the message until [`set`](Self::set) gives it a reader. On close, the reader (if
    /// any) is abandoned before `HANDLE_CLOSING`.
    pub fn new(handle: &HandleRef, not_yet: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let slot = Arc::new(Mutex::new(Slot::NotYet));
        let weak = Arc::downgrade(&slot);
        let h = handle.clone();
        handle.on_close(move || {
            if let Some(slot) = weak.upgrade() {
                let old = std::mem::replace(&mut *slot.lock(), Slot::NotYet);
                if let Slot::Ready(r) = old {
                    r.abandon(&h);
                }
            }
        });
        Incoming {
            handle: handle.clone(),
            slot,
            not_yet: Arc::new(not_yet),
        }
    }

    /// Start reading `reader` (a new response, a new transfer); a previous stream is abandoned.
    pub fn set(&self, reader: impl Into<Box<Reader>>) {
        let old = std::mem::replace(&mut *self.slot.lock(), Slot::Ready(reader.into()));
        if let Slot::Ready(r) = old {
            r.abandon(&self.handle);
        }
    }

    /// Forget the stream (abandoning it): reads fail as before the first [`set`](Self::set)
    /// until the next one.
    pub fn reset(&self) {
        let old = std::mem::replace(&mut *self.slot.lock(), Slot::NotYet);
        if let Slot::Ready(r) = old {
            r.abandon(&self.handle);
        }
    }

    /// True once a stream was set and has been read to its end.
    pub fn is_finished(&self) -> bool {
        matches!(&*self.slot.lock(), Slot::Ready(r) if r.is_finished())
    }

    /// WinINet: InternetReadFile. Read into `buf`; 0 means the stream has ended.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.handle.run(Box::pin(read_into(self, buf))).await
    }

    /// [`read`](Self::read) in callback mode, with an owned buffer of up to `max` bytes: done at
    /// once when the bytes are there (buffered, or in the socket), as WinINet's InternetReadFile
    /// returns TRUE, and no REQUEST_COMPLETE follows; else pending, and REQUEST_COMPLETE carries
    /// the bytes (`Completion::Data`, empty at the end).
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        // Tried without a future first: a read served at once allocates nothing but its bytes.
        self.handle.try_then_start(
            || try_read_owned(self, max),
            || {
                let this = self.clone();
                async move { read_owned(&this, max).await }
            },
        )
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        self.handle.block(Box::pin(read_into(self, buf)))
    }

    /// WinINet: InternetReadFileEx with IRF_NO_WAIT. Only what is buffered: `Ok(None)` when a
    /// read would have to wait, `Ok(Some(0))` at the end.
    pub fn try_read(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        let _op = self.handle.begin_operation()?;
        let mut lent = Lent::take(self)?;
        let Some(reader) = lent.reader.as_deref_mut() else {
            return Ok(Some(0));
        };
        let r = reader.try_read(&self.handle, buf);
        lent.settle(r)
    }

    /// [`read`](Self::read) as one poll, for poll-based adapters
    /// ([`AsyncReader`](crate::AsyncReader)): reads into `buf` what can be read now — from the buffer, or
    /// straight from the socket into `buf`, with no copy more than `read` makes — and returns
    /// `Pending` when the socket has nothing, `cx`'s waker registered with it. The operation
    /// begins and ends within the call, so nothing is pending on the handle afterwards; wait
    /// with [`readable`](Self::readable) before polling again, which applies the timeouts and
    /// is cancelled by closing the handle.
    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        let _op = self.handle.begin_operation()?;
        let mut lent = Lent::take(self)?;
        let Some(reader) = lent.reader.as_deref_mut() else {
            return Poll::Ready(Ok(0));
        };
        match reader.poll_read(&self.handle, cx, buf) {
            Poll::Ready(r) => Poll::Ready(lent.settle(r)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// An operation on the handle: wait until the socket has something to read, after
    /// [`poll_read`](Self::poll_read) returned `Pending`. Bounded by the receive timeout, the
    /// low-speed limit and the deadline; closing the handle ends it with
    /// OPERATION_CANCELLED. It owns what it needs, so it can be kept across polls.
    pub fn readable(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.clone();
        async move { this.handle.run(Box::pin(wait_socket(&this))).await }
    }

    /// WinINet: InternetQueryDataAvailable. Bytes readable without waiting; waits for the
    /// network when none are; 0 at the end.
    pub async fn query_data_available(&self) -> Result<u64> {
        self.handle.run(Box::pin(available(self))).await
    }

    /// [`query_data_available`](Self::query_data_available) in callback mode: done at once when
    /// bytes are readable; else REQUEST_COMPLETE carries the count.
    pub fn start_query_data_available(&self) -> Result<Started<u64>> {
        self.handle.try_then_start(
            || try_available(self),
            || {
                let this = self.clone();
                async move { available(&this).await }
            },
        )
    }

    /// [`query_data_available`](Self::query_data_available), blocking.
    pub fn query_data_available_blocking(&self) -> Result<u64> {
        self.handle.block(Box::pin(available(self)))
    }

    /// Read the whole (rest of the) stream, failing with NOT_ENOUGH_MEMORY-class
    /// [`ErrorKind::TooLarge`] once it passes `limit` bytes (an endless stream, a
    /// decompression bomb). `expected` sizes the first allocation (a Content-Length); the
    /// buffer then grows by doubling.
    ///
    /// It is many reads: dropped (or over its limit) after it took some bytes, those bytes are
    /// gone, so the stream is marked failed and later reads say so instead of going on from
    /// the middle.
    pub async fn read_to_end(&self, expected: Option<u64>, limit: u64) -> Result<Vec<u8>> {
        let mut collecting = Collecting {
            incoming: self,
            taken: 0,
            finished: false,
        };
        // One operation for the whole body, not one per read: a small body is then one
        // registration and one allocation, and no other read can slip in between its reads.
        let collect = self.collect(expected, limit, &mut collecting.taken);
        let result = self.handle.run(Box::pin(collect)).await;
        collecting.finished = result.is_ok();
        result
    }

    /// The reads of [`read_to_end`](Self::read_to_end), run as its one operation.
    async fn collect(
        &self,
        expected: Option<u64>,
        limit: u64,
        taken: &mut usize,
    ) -> Result<Vec<u8>> {
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let too_large = || {
            Error::new(
                ErrorKind::TooLarge,
                format!("reading the whole stream: more than the limit of {limit} bytes"),
            )
        };
        let first = expected
            .and_then(|n| usize::try_from(n).ok())
            .map_or(16 * 1024, |n| n.clamp(1, 1 << 20))
            .min(cap.saturating_add(1));
        let mut out = Vec::with_capacity(first);
        loop {
            let full = out.len() == out.capacity();
            if full && expected.is_some_and(|e| out.len() as u64 >= e) {
                // All announced bytes are in: a small read to see the end, rather than a doubled
                // buffer. (When the size was a compressed one, more comes, and `extend` grows the
                // buffer by doubling.)
                let mut probe = [0u8; 64];
                let n = read_into(self, &mut probe).await?;
                if n == 0 {
                    return Ok(out);
                }
                out.extend_from_slice(&probe[..n]);
                *taken = out.len();
            } else {
                if full {
                    out.reserve(out.len().clamp(16 * 1024, 1 << 24));
                }
                let len = out.len();
                // Read into the spare room, but never further than one byte past the limit.
                let room = (out.capacity() - len).min(cap.saturating_add(1) - len.min(cap));
                out.resize(len + room.max(1), 0);
                let n = read_into(self, &mut out[len..]).await?;
                out.truncate(len + n);
                *taken = out.len();
                if n == 0 {
                    return Ok(out);
                }
            }
            if out.len() > cap {
                return Err(too_large());
            }
        }
    }
}

/// A `read_to_end` in progress (see there): dropped unfinished after it took bytes, it fails the
/// stream loudly.
struct Collecting<'a> {
    incoming: &'a Incoming,
    taken: usize,
    finished: bool,
}

impl Drop for Collecting<'_> {
    fn drop(&mut self) {
        if self.finished || self.taken == 0 {
            return;
        }
        let error = Error::new(
            ErrorKind::IncorrectHandleState,
            format!(
                "reading: an unfinished read_to_end took {} bytes, so what follows would not \
                 follow what was read",
                self.taken
            ),
        );
        let mut st = self.incoming.slot.lock();
        // A read still lent (dropped with this) finds the slot no longer `Lent` and does not put
        // its reader back.
        match std::mem::replace(&mut *st, Slot::Failed(error)) {
            Slot::Ready(r) => {
                drop(st);
                r.abandon(&self.incoming.handle);
            }
            // Failed already (with its own error), or reset for a new stream meanwhile.
            earlier @ (Slot::Failed(_) | Slot::NotYet) => *st = earlier,
            Slot::Lent => {}
        }
    }
}

/// The reader taken out of a slot for one operation. Dropped before it is settled (the
/// operation's future was dropped mid-read), it puts the reader back as it is: a reader is
/// consistent at every await point, since nothing is taken from the network or handed out
/// across one.
struct Lent<'a> {
    slot: &'a Mutex<Slot>,
    handle: &'a HandleRef,
    /// None: the stream was over before this operation (or a failed read abandoned it).
    reader: Option<Box<Reader>>,
}

impl<'a> Lent<'a> {
    fn take(incoming: &'a Incoming) -> Result<Self> {
        let slot = &*incoming.slot;
        let handle = &incoming.handle;
        let mut st = slot.lock();
        match std::mem::replace(&mut *st, Slot::Lent) {
            Slot::Ready(r) if r.is_finished() => {
                *st = Slot::Ready(r);
                Ok(Lent {
                    slot,
                    handle,
                    reader: None,
                })
            }
            Slot::Ready(r) => Ok(Lent {
                slot,
                handle,
                reader: Some(r),
            }),
            Slot::Failed(e) => {
                *st = Slot::Failed(e.clone());
                Err(e)
            }
            Slot::NotYet => {
                *st = Slot::NotYet;
                Err(Error::new(
                    ErrorKind::IncorrectHandleState,
                    (incoming.not_yet)(),
                ))
            }
            Slot::Lent => Err(Error::new(
                ErrorKind::IncorrectHandleState,
                "reading: another read is using the stream",
            )),
        }
    }

    /// End the operation: on an error the stream is abandoned and every later read fails with
    /// that error.
    fn settle<T>(mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            if let Some(r) = self.reader.take() {
                *self.slot.lock() = Slot::Failed(e.clone());
                r.abandon(self.handle);
            }
        }
        result
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(r) = self.reader.take() {
            let mut st = self.slot.lock();
            if matches!(*st, Slot::Lent) {
                *st = Slot::Ready(r);
            }
        }
    }
}

async fn read_into(incoming: &Incoming, buf: &mut [u8]) -> Result<usize> {
    let mut lent = Lent::take(incoming)?;
    let Some(reader) = lent.reader.as_deref_mut() else {
        return Ok(0);
    };
    let r = reader.read(&incoming.handle, buf).await;
    lent.settle(r)
}

async fn read_owned(incoming: &Incoming, max: usize) -> Result<Bytes> {
    let mut lent = Lent::take(incoming)?;
    let Some(reader) = lent.reader.as_deref_mut() else {
        return Ok(Bytes::new());
    };
    let r = reader.read_owned(&incoming.handle, max).await;
    lent.settle(r)
}

/// [`read_owned`] without waiting: `None` when it would wait.
fn try_read_owned(incoming: &Incoming, max: usize) -> Option<Result<Bytes>> {
    try_lent(incoming, Bytes::new(), |r, h| r.try_read_owned(h, max))
}

/// A try on the lent reader (`at_end` when there is none): `None` when it would wait, and the
/// reader goes back as it was; an error fails the stream, as in the waiting forms.
fn try_lent<T>(
    incoming: &Incoming,
    at_end: T,
    try_now: impl FnOnce(&mut Reader, &HandleRef) -> Result<Option<T>>,
) -> Option<Result<T>> {
    let mut lent = match Lent::take(incoming) {
        Ok(lent) => lent,
        Err(e) => return Some(Err(e)),
    };
    let Some(reader) = lent.reader.as_deref_mut() else {
        return Some(Ok(at_end));
    };
    try_now(reader, &incoming.handle)
        .transpose()
        .map(|r| lent.settle(r))
}

async fn wait_socket(incoming: &Incoming) -> Result<()> {
    let mut lent = Lent::take(incoming)?;
    let Some(reader) = lent.reader.as_deref_mut() else {
        return Ok(());
    };
    let r = reader.wait_socket().await;
    lent.settle(r)
}

/// [`available`] without waiting: `None` when it would wait.
fn try_available(incoming: &Incoming) -> Option<Result<u64>> {
    try_lent(incoming, 0, |r, h| Ok(r.try_fill(h)?.map(|n| n as u64)))
}

async fn available(incoming: &Incoming) -> Result<u64> {
    let mut lent = Lent::take(incoming)?;
    let Some(reader) = lent.reader.as_deref_mut() else {
        return Ok(0);
    };
    let r = reader.fill(&incoming.handle).await.map(|n| n as u64);
    lent.settle(r)
}
