//! A byte stream: plain TCP, or TLS over TCP through native-tls (HTTPS) or rustls (connections
//! that resume one another's session: FTPS; see `resume.rs` for why two).

use std::fmt;
use std::io;
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::reactor::Async;
use futures_lite::{AsyncRead, AsyncWrite};

/// A connected stream, plain or TLS.
pub enum Stream {
    /// Plain TCP.
    Tcp(Async<TcpStream>),
    /// TLS over TCP (boxed: the TLS state is large, and most streams in a pool are alike).
    Tls(Box<crate::net::tls::TlsStream>),
    /// TLS over TCP that can resume a stored session (FTPS control and data connections).
    ResumableTls(Box<crate::net::resume::ResumableTlsStream>),
}

impl Stream {
    /// The TCP socket under the stream.
    pub fn tcp(&self) -> &Async<TcpStream> {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(s) => s.get_ref(),
            Stream::ResumableTls(s) => s.get_ref(),
        }
    }

    /// Bytes read from the socket and held by the TLS layer, not yet handed out (0 for TCP). A
    /// connection holding any cannot go back to the pool: they would be read as the start of the
    /// next exchange's answer.
    pub fn buffered(&self) -> usize {
        match self {
            Stream::Tcp(_) => 0,
            Stream::Tls(s) => s.buffered(),
            Stream::ResumableTls(s) => s.buffered(),
        }
    }

    /// True for TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_) | Stream::ResumableTls(_))
    }

    /// Whether the TLS handshake resumed a stored session (`None`: not TLS). A native-tls stream
    /// never offers one, so it says `false`.
    pub fn tls_resumed(&self) -> Option<bool> {
        match self {
            Stream::Tcp(_) => None,
            Stream::Tls(_) => Some(false),
            Stream::ResumableTls(s) => Some(s.resumed()),
        }
    }

    /// Without blocking: false when the peer has closed the connection or sent something unasked
    /// (for an idle keep-alive connection, both mean it cannot be reused).
    pub fn looks_alive(&self) -> bool {
        // Watched since it went idle (`watch_idle`) and the reactor saw nothing: alive, with no
        // system call. (A close the kernel has reported but the reactor not yet taken shows
        // up when the request is sent; the pool's retry of a stale connection covers that.)
        if !self.tcp().maybe_readable() {
            return true;
        }
        let mut byte = [0u8; 1];
        // Through the reactor's record: a peek that would block also says "nothing to read" there,
        // so the wait for the next answer on this connection does not try a read first.
        let peeked = self.tcp().try_read_with(|s| s.peek(&mut byte));
        matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Going idle (back into the pool): have the reactor watch for a byte or the close, so that
    /// [`looks_alive`](Self::looks_alive) needs no system call, and the next wait for an answer
    /// finds the socket armed.
    pub fn watch_idle(&self) {
        // On failure the readiness stays "maybe": looks_alive peeks, as without the watch.
        let _ = self.tcp().watch_readable();
    }

    /// Shut the socket down both ways, so that a blocked peer sees the end at once.
    pub fn shutdown(&self) {
        let _ = self.tcp().get_ref().shutdown(std::net::Shutdown::Both);
    }
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_tls() { "Tls" } else { "Tcp" };
        let peer = self.tcp().get_ref().peer_addr().ok();
        f.debug_struct("Stream")
            .field("kind", &kind)
            .field("peer", &peer)
            .finish()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::ResumableTls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::ResumableTls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::ResumableTls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_close(cx),
            Stream::ResumableTls(s) => Pin::new(s.as_mut()).poll_close(cx),
        }
    }
}
