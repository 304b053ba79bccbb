//! The reactor's API over async-io, for systems without epoll (and on Linux with
//! `--cfg inet_portable_reactor`, to compare): the same names and meanings as `epoll/`.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::{AsyncRead, AsyncWrite};

pub use async_io::Timer;

/// Run `future` to its end on this thread (async-io's `block_on`).
///
/// ```
/// let n = inet_core::block_on(async { 6 * 7 });
/// assert_eq!(n, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    async_io::block_on(future)
}

/// A non-blocking socket registered with the reactor.
pub struct Async<T>(async_io::Async<T>);

impl<T> Async<T> {
    /// The socket.
    pub fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    /// Ready to read (or closed), or `cx` woken when it is.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_readable(cx)
    }

    /// As [`poll_readable`](Self::poll_readable), for writing.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_writable(cx)
    }

    /// Start watching an idle socket (async-io keeps no readiness to consult: nothing to do).
    pub fn watch_readable(&self) -> io::Result<()> {
        Ok(())
    }

    /// Whether a read might find something: always true here (a caller peeks to know).
    pub fn maybe_readable(&self) -> bool {
        true
    }

    /// Set the receive low-water mark: not offered here (async-io's readiness could not be made
    /// to honour a wait's own time limit), so callers read as without one.
    pub fn set_receive_low_water(&self, _bytes: usize) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Take the socket as maybe readable: nothing to do (every read here tries the socket).
    pub fn assume_readable(&self) {}

    /// Wait until readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.0.readable().await
    }

    /// Wait until writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.0.writable().await
    }

    /// One non-blocking read-side operation on the socket, without waiting.
    pub fn try_read_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        op(self.0.get_ref())
    }

    /// One non-blocking write-side operation on the socket, without waiting.
    pub fn try_write_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        op(self.0.get_ref())
    }
}

impl<T: fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Async").field(self.0.get_ref()).finish()
    }
}

impl Async<TcpStream> {
    /// Connect to `addr` without blocking the thread.
    pub async fn connect(addr: SocketAddr) -> io::Result<Async<TcpStream>> {
        async_io::Async::<TcpStream>::connect(addr).await.map(Async)
    }
}

impl Async<TcpListener> {
    /// Listen on `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<Async<TcpListener>> {
        async_io::Async::<TcpListener>::bind(addr).map(Async)
    }

    /// Wait for a connection.
    pub async fn accept(&self) -> io::Result<(Async<TcpStream>, SocketAddr)> {
        let (s, peer) = self.0.accept().await?;
        Ok((Async(s), peer))
    }
}

impl AsyncRead for Async<TcpStream> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Async<TcpStream> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_close(cx)
    }
}
