//! A handle's incoming stream as the ecosystem's reader traits: [`AsyncReader`] implements
//! `futures_io::AsyncRead` and `AsyncBufRead` (so `futures::io::copy`, `async-compression`,
//! `BufReader`, and tokio through `tokio-util`'s compat layer), [`BlockingReader`] implements
//! `std::io::Read` and `BufRead`.
//!
//! No copy is added: a read of 64 KiB or more goes into the caller's buffer exactly as
//! [`Incoming::read`] does (straight from the socket when the stream allows it), and
//! `poll_fill_buf` reads into the adapter's own 64 KiB buffer the same way. A smaller read is
//! served out of that buffer, filled by one read: the one copy a plain read that small makes
//! anyway (out of the reader's buffer), without an operation on the handle per piece. The adapter holds no borrowed buffer across polls: a poll
//! reads what is there now ([`Incoming::poll_read`]), and only when the socket has nothing does
//! it keep a future — [`Incoming::readable`], which owns what it needs — until the socket has
//! something. That wait is an operation on the handle: the receive timeout, the low-speed limit
//! and the deadline apply, and closing the handle ends it (the read fails with
//! `ConnectionAborted` carrying OPERATION_CANCELLED). Progress notifications and
//! RECEIVING_RESPONSE / RESPONSE_RECEIVED come as for every read.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_lite::io::{AsyncBufRead, AsyncRead, AsyncWrite};

use crate::error::Result;
use crate::handle::Handle;
use crate::reader::Incoming;

/// Size of an adapter's own buffer, allocated on the first `fill_buf` or small read (never for
/// reads of this size or more).
const BUFFER: usize = 64 * 1024;

/// The wait kept between polls.
type Wait = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// A readable handle as `futures_io::AsyncRead` + `AsyncBufRead` (see the module docs). Holds an
/// owner of the handle: the handle stays open while the reader lives.
#[must_use = "a reader does nothing unless read"]
pub struct AsyncReader {
    incoming: Incoming,
    _owner: Handle,
    waiting: Option<Wait>,
    own: Buffer,
}

/// The adapters' own buffer, for `fill_buf`: `bytes[pos..filled]` not yet consumed.
#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    pos: usize,
    filled: usize,
}

impl Buffer {
    fn unread(&self) -> &[u8] {
        &self.bytes[self.pos..self.filled]
    }

    /// Copy buffered bytes out (a `read` after a `fill_buf` that was not wholly consumed).
    fn copy_to(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.filled - self.pos);
        out[..n].copy_from_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }

    /// Room for the next fill (the buffer is empty when this is called).
    fn room(&mut self) -> &mut [u8] {
        if self.bytes.is_empty() {
            self.bytes = vec![0; BUFFER];
        }
        (self.pos, self.filled) = (0, 0);
        &mut self.bytes
    }
}

impl fmt::Debug for AsyncReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncReader")
            .field("incoming", &self.incoming)
            .field("waiting", &self.waiting.is_some())
            .field("buffered", &self.own.unread().len())
            .finish()
    }
}

impl AsyncReader {
    /// A reader of `incoming`, keeping `owner` (its handle) open meanwhile.
    pub fn new(incoming: Incoming, owner: Handle) -> Self {
        AsyncReader {
            incoming,
            _owner: owner,
            waiting: None,
            own: Buffer::default(),
        }
    }

    /// Read into `out`, waiting for the socket as needed (see the module docs).
    fn poll_stream(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            if let Some(wait) = self.waiting.as_mut() {
                let waited = ready!(wait.as_mut().poll(cx));
                self.waiting = None;
                waited?;
            }
            match self.incoming.poll_read(cx, out) {
                Poll::Ready(r) => return Poll::Ready(r.map_err(io::Error::from)),
                Poll::Pending => self.waiting = Some(Box::pin(self.incoming.readable())),
            }
        }
    }
}

impl AsyncRead for AsyncReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.own.unread().is_empty() && buf.len() < BUFFER {
            // A small read (`futures::io::copy` asks 8 KiB at a time): one read of the buffer's
            // size serves several, each a copy out of it — the copy the reader would make from its
            // own buffer for a read this small anyway, without an operation per piece.
            let mut own = std::mem::take(&mut this.own);
            let polled = this.poll_stream(cx, own.room());
            this.own = own;
            this.own.filled = ready!(polled)?;
        }
        if !this.own.unread().is_empty() || buf.len() < BUFFER {
            return Poll::Ready(Ok(this.own.copy_to(buf)));
        }
        this.poll_stream(cx, buf)
    }
}

impl AsyncBufRead for AsyncReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.own.unread().is_empty() {
            let mut own = std::mem::take(&mut this.own);
            let polled = this.poll_stream(cx, own.room());
            this.own = own;
            this.own.filled = ready!(polled)?;
        }
        Poll::Ready(Ok(this.own.unread()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().own.consume(amt);
    }
}

/// A readable handle as `std::io::Read` + `BufRead`, for blocking code: each read is the
/// handle's blocking read (see the module docs). Holds an owner of the handle.
#[must_use = "a reader does nothing unless read"]
pub struct BlockingReader {
    incoming: Incoming,
    _owner: Handle,
    own: Buffer,
}

impl fmt::Debug for BlockingReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingReader")
            .field("incoming", &self.incoming)
            .field("buffered", &self.own.unread().len())
            .finish()
    }
}

impl BlockingReader {
    /// A reader of `incoming`, keeping `owner` (its handle) open meanwhile.
    pub fn new(incoming: Incoming, owner: Handle) -> Self {
        BlockingReader {
            incoming,
            _owner: owner,
            own: Buffer::default(),
        }
    }
}

impl io::Read for BlockingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.own.unread().is_empty() && buf.len() < BUFFER {
            // Small reads (`std::io::copy` asks 8 KiB at a time) are served from one read of the
            // buffer's size (see `AsyncReader`'s `poll_read`).
            self.own.filled = self.incoming.read_blocking(self.own.room())?;
        }
        if !self.own.unread().is_empty() || buf.len() < BUFFER {
            return Ok(self.own.copy_to(buf));
        }
        Ok(self.incoming.read_blocking(buf)?)
    }
}

impl io::BufRead for BlockingReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.own.unread().is_empty() {
            let n = self.incoming.read_blocking(self.own.room())?;
            self.own.filled = n;
        }
        Ok(self.own.unread())
    }

    fn consume(&mut self, amt: usize) {
        self.own.consume(amt);
    }
}

// ----- uploads --------------------------------------------------------------------------------

/// An owned operation a writer keeps across polls.
pub type OwnedOperation = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// What an upload gives the writer adapters ([`AsyncWriter`], [`BlockingWriter`]): a protocol
/// crate implements it over its send path (HTTP's send-ex body, an FTP file opened for writing).
///
/// The poll methods try once without a timer, on the caller's bytes (no copy added), and return
/// `Pending` with the waker registered with the socket when the connection takes nothing now;
/// the writer then keeps [`writable`](Self::writable), an operation on the handle that waits
/// within the send timeout, the low-speed limit and the deadline, and that closing the handle
/// cancels.
pub trait Outgoing: Send + Sync + 'static {
    /// Send what the connection takes of `buf` now: the count taken (more than 0 for a
    /// non-empty `buf`).
    fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize>>;
    /// Push out what was taken but is still buffered (a framed piece, the TLS layer's record).
    fn poll_push(&self, cx: &mut Context<'_>) -> Poll<Result<()>>;
    /// An operation on the handle: wait until the connection can take bytes.
    fn writable(&self) -> OwnedOperation;
    /// An operation on the handle: end the upload and check the server's answer (HTTP: end
    /// the request and read the response head; FTP: finish the transfer, `226` checked).
    fn finish(&self) -> OwnedOperation;
}

/// Where a writer is between polls.
#[derive(Default)]
struct Writing {
    /// The wait for the socket (`Outgoing::writable`) or the upload's end (`finish`).
    waiting: Option<OwnedOperation>,
    /// `finish` is the operation in `waiting`.
    finishing: bool,
    /// The upload ended well: closing again is a no-op, writing an error.
    finished: bool,
}

impl Writing {
    /// Run `attempt` until it is ready, keeping the wait for the socket between polls.
    fn drive<T>(
        &mut self,
        out: &dyn Outgoing,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut(&dyn Outgoing, &mut Context<'_>) -> Poll<Result<T>>,
    ) -> Poll<io::Result<T>> {
        if self.finished {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the upload is finished",
            )));
        }
        loop {
            if self.finishing {
                // A write after a close that has not finished: the close goes on first.
                ready!(self.poll_finish(out, cx))?;
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the upload is finished",
                )));
            }
            if let Some(wait) = self.waiting.as_mut() {
                let waited = ready!(wait.as_mut().poll(cx));
                self.waiting = None;
                waited?;
            }
            match attempt(out, cx) {
                Poll::Ready(r) => return Poll::Ready(r.map_err(io::Error::from)),
                Poll::Pending => self.waiting = Some(out.writable()),
            }
        }
    }

    /// Push everything out, then end the upload (once).
    fn poll_close(&mut self, out: &dyn Outgoing, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.finished {
            return Poll::Ready(Ok(()));
        }
        if !self.finishing {
            ready!(self.drive(out, cx, |o, cx| o.poll_push(cx)))?;
            self.waiting = Some(out.finish());
            self.finishing = true;
        }
        self.poll_finish(out, cx)
    }

    fn poll_finish(&mut self, out: &dyn Outgoing, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(wait) = self.waiting.as_mut() else {
            self.waiting = Some(out.finish());
            return self.poll_finish(out, cx);
        };
        let r = ready!(wait.as_mut().poll(cx));
        (self.waiting, self.finishing) = (None, false);
        self.finished = r.is_ok();
        Poll::Ready(r.map_err(io::Error::from))
    }
}

/// An upload as `futures_io::AsyncWrite` (for `futures::io::copy` into it; tokio through
/// `tokio-util`'s compat layer). Each write goes from the caller's buffer to the connection
/// through the protocol's own send path — no copy added, progress notified as for `write` —
/// and `poll_close` ends the upload and checks the server's answer (HTTP: HttpEndRequest, the
/// response head read; FTP: the transfer finished, `226` checked). Closing the handle cancels:
/// a write under way or a later one fails (`ConnectionAborted` carrying OPERATION_CANCELLED, or
/// INVALID_HANDLE), never a silent success. Holds an owner of the handle.
#[must_use = "a writer does nothing unless written to and closed"]
pub struct AsyncWriter {
    out: Box<dyn Outgoing>,
    _owner: Handle,
    writing: Writing,
}

impl fmt::Debug for AsyncWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncWriter")
            .field("handle", &self._owner)
            .field("waiting", &self.writing.waiting.is_some())
            .field("finishing", &self.writing.finishing)
            .field("finished", &self.writing.finished)
            .finish()
    }
}

impl AsyncWriter {
    /// A writer to `out`, keeping `owner` (its handle) open meanwhile.
    pub fn new(out: impl Outgoing, owner: Handle) -> Self {
        AsyncWriter {
            out: Box::new(out),
            _owner: owner,
            writing: Writing::default(),
        }
    }
}

impl AsyncWrite for AsyncWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        this.writing
            .drive(&*this.out, cx, |o, cx| o.poll_send(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.writing.finished {
            return Poll::Ready(Ok(()));
        }
        this.writing.drive(&*this.out, cx, |o, cx| o.poll_push(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.writing.poll_close(&*this.out, cx)
    }
}

/// An upload as `std::io::Write`, for blocking code (`std::io::copy` into it): each write
/// blocks until the connection took some of the caller's bytes (no copy added); `flush` pushes
/// out what is buffered; [`finish`](Self::finish) ends the upload and checks the server's
/// answer. `std::io::Write` has no close: dropping the writer without `finish` ends nothing
/// (end the upload on the handle, or close it to cancel). Holds an owner of the handle.
#[must_use = "a writer does nothing unless written to and finished"]
pub struct BlockingWriter {
    inner: AsyncWriter,
}

impl fmt::Debug for BlockingWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingWriter")
            .field("inner", &self.inner)
            .finish()
    }
}

impl BlockingWriter {
    /// A writer to `out`, keeping `owner` (its handle) open meanwhile.
    pub fn new(out: impl Outgoing, owner: Handle) -> Self {
        BlockingWriter {
            inner: AsyncWriter::new(out, owner),
        }
    }

    /// Push out what is buffered, end the upload and check the server's answer (HTTP: the
    /// response head read; FTP: `226`), blocking.
    pub fn finish(mut self) -> io::Result<()> {
        use futures_lite::AsyncWriteExt;
        crate::reactor::block_on(self.inner.close())
    }
}

impl io::Write for BlockingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use futures_lite::AsyncWriteExt;
        crate::reactor::block_on(self.inner.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        use futures_lite::AsyncWriteExt;
        crate::reactor::block_on(self.inner.flush())
    }
}
