//! TLS through native-tls: one connector per session and verification setting (built once: loading
//! the system's trust store costs tens of milliseconds), an async stream over native-tls's
//! non-blocking API, and handshake errors mapped onto WinINet's certificate codes.
//!
//! Why not async-native-tls, as the design card first named: its API rebuilds the native-tls
//! connector — and so reloads the system root bundle — on every connect (measured: ~70 ms per new
//! HTTPS connection, 64 parallel connections took 4.5 s). The adapter below is the same technique
//! (drive native-tls over a non-blocking socket, wait for readiness on `WouldBlock`) with a
//! reusable connector, and without unsafe code.

use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use crate::reactor::Async;
use async_lock::OnceCell;
use futures_lite::{AsyncRead, AsyncWrite};
use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::options::TlsOptions;

/// Per-request relaxations of certificate checks (WinINet: SECURITY_FLAG_IGNORE_UNKNOWN_CA,
/// SECURITY_FLAG_IGNORE_CERT_CN_INVALID). Part of the pool key, so a relaxed connection never
/// serves a strict request.
///
/// Built from [`TlsVerify::strict`] (the default) so that it can gain settings without breaking
/// callers:
///
/// ```
/// use inet_core::transport::TlsVerify;
///
/// let any = TlsVerify::strict().accept_invalid_certs(true).accept_invalid_hostnames(true);
/// assert!(any.accept_invalid_certs && any.accept_invalid_hostnames);
/// assert_eq!(TlsVerify::default(), TlsVerify::strict());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TlsVerify {
    /// Accept any certificate chain.
    pub accept_invalid_certs: bool,
    /// Accept a certificate for another host name.
    pub accept_invalid_hostnames: bool,
}

impl TlsVerify {
    /// Every check made.
    pub const fn strict() -> TlsVerify {
        TlsVerify {
            accept_invalid_certs: false,
            accept_invalid_hostnames: false,
        }
    }

    /// Accept any certificate chain (SECURITY_FLAG_IGNORE_UNKNOWN_CA), or not.
    #[must_use]
    pub const fn accept_invalid_certs(mut self, accept: bool) -> TlsVerify {
        self.accept_invalid_certs = accept;
        self
    }

    /// Accept a certificate for another host name (SECURITY_FLAG_IGNORE_CERT_CN_INVALID), or not.
    #[must_use]
    pub const fn accept_invalid_hostnames(mut self, accept: bool) -> TlsVerify {
        self.accept_invalid_hostnames = accept;
        self
    }
}

/// The session's connectors, one per verification setting, built on first use — once, even when
/// many connections ask at the same moment.
#[derive(Default)]
pub(crate) struct Connectors {
    built: Mutex<HashMap<TlsVerify, Arc<OnceCell<native_tls::TlsConnector>>>>,
}

impl fmt::Debug for Connectors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connectors")
            .field("settings", &self.built.lock().len())
            .finish()
    }
}

impl Connectors {
    /// Build the connector for `verify` now, on this thread (see `SessionBuilder::preload_tls`).
    pub(crate) fn preload(&self, options: &TlsOptions, verify: TlsVerify) -> Result<()> {
        let cell = self.built.lock().entry(verify).or_default().clone();
        cell.get_or_try_init_blocking(|| build(options, verify))?;
        Ok(())
    }

    /// The connector for `verify`, building it (off this thread: it reads the trust store) the
    /// first time.
    pub(crate) async fn get(
        &self,
        options: &TlsOptions,
        verify: TlsVerify,
    ) -> Result<native_tls::TlsConnector> {
        let cell = self.built.lock().entry(verify).or_default().clone();
        let connector = cell
            .get_or_try_init(|| async {
                let options = options.clone();
                blocking::unblock(move || build(&options, verify)).await
            })
            .await?;
        Ok(connector.clone())
    }
}

/// A native-tls connector for the session's trust anchors and `verify`. Loads the system trust
/// store: tens of milliseconds.
fn build(options: &TlsOptions, verify: TlsVerify) -> Result<native_tls::TlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    for cert in &options.extra_roots {
        builder.add_root_certificate(cert.clone());
    }
    builder.danger_accept_invalid_certs(verify.accept_invalid_certs);
    builder.danger_accept_invalid_hostnames(verify.accept_invalid_hostnames);
    builder
        .build()
        .map_err(|e| Error::new(ErrorKind::SecurityChannel, "setting up TLS").with_source(e))
}

/// A TLS stream over an async TCP socket.
pub struct TlsStream {
    inner: native_tls::TlsStream<Bridge>,
}

impl fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("tcp", self.get_ref().get_ref())
            .finish()
    }
}

/// What the bridge reads from the socket at once.
const BRIDGE_READ: usize = 64 * 1024;

/// The socket as native-tls sees it: plain blocking-style `Read`/`Write` over a non-blocking
/// socket, remembering which way the last `WouldBlock` went so the caller knows what to wait for.
///
/// Reads are buffered: OpenSSL reads a record's 5-byte header, then its body, each a read of
/// its own — two system calls per 16 KiB record (curl pays them too: 131,087 `recvfrom` for
/// 1 GiB). The bridge reads up to 64 KiB from the socket and serves OpenSSL from that. rustls
/// (`net/resume.rs`) reads through it too: it asks for 4 KiB at a time.
pub(crate) struct Bridge {
    io: Async<TcpStream>,
    blocked_on_write: bool,
    /// Bytes read from the socket, not yet taken by OpenSSL: `inbox[taken..filled]`.
    inbox: Vec<u8>,
    taken: usize,
    filled: usize,
}

impl Bridge {
    pub(crate) fn new(io: Async<TcpStream>) -> Self {
        Bridge {
            io,
            blocked_on_write: false,
            inbox: Vec::new(),
            taken: 0,
            filled: 0,
        }
    }

    /// Encrypted bytes read from the socket that the TLS library has not taken yet.
    pub(crate) fn held(&self) -> usize {
        self.filled - self.taken
    }

    /// The socket.
    pub(crate) fn io(&self) -> &Async<TcpStream> {
        &self.io
    }
}

impl Read for Bridge {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.blocked_on_write = false;
        if self.taken == self.filled {
            if buf.len() >= BRIDGE_READ {
                return self.io.try_read_with(|mut s| s.read(buf));
            }
            if self.inbox.len() < BRIDGE_READ {
                self.inbox.resize(BRIDGE_READ, 0);
            }
            // A `WouldBlock` or an error goes to OpenSSL as it is; the inbox is empty then.
            let inbox = &mut self.inbox;
            let n = self.io.try_read_with(|mut s| s.read(inbox))?;
            self.taken = 0;
            self.filled = n;
            if n == 0 {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.held());
        buf[..n].copy_from_slice(&self.inbox[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

impl Write for Bridge {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.io.try_write_with(|mut s| s.write(buf));
        self.blocked_on_write = matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Bridge {
    /// Wait until the socket is ready the way the last `WouldBlock` needs.
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.blocked_on_write {
            self.io.poll_writable(cx)
        } else {
            self.io.poll_readable(cx)
        }
    }
}

/// TLS handshake for `domain` (SNI and certificate checks) over `tcp`.
pub(crate) async fn handshake(
    connector: &native_tls::TlsConnector,
    domain: &str,
    tcp: Async<TcpStream>,
) -> std::result::Result<TlsStream, native_tls::Error> {
    let bridge = Bridge::new(tcp);
    let mut mid = match connector.connect(domain, bridge) {
        Ok(inner) => return Ok(TlsStream { inner }),
        Err(native_tls::HandshakeError::Failure(e)) => return Err(e),
        Err(native_tls::HandshakeError::WouldBlock(mid)) => mid,
    };
    loop {
        if let Err(e) = poll_fn(|cx| mid.get_ref().poll_ready(cx)).await {
            // The socket itself failed; let native-tls report it as a handshake failure.
            drop(e);
        }
        mid = match mid.handshake() {
            Ok(inner) => return Ok(TlsStream { inner }),
            Err(native_tls::HandshakeError::Failure(e)) => return Err(e),
            Err(native_tls::HandshakeError::WouldBlock(mid)) => mid,
        };
    }
}

impl TlsStream {
    /// The TCP socket under the TLS layer.
    pub fn get_ref(&self) -> &Async<TcpStream> {
        &self.inner.get_ref().io
    }

    /// Bytes a read can take without touching the socket: decrypted ones, and encrypted ones the
    /// bridge has read ahead.
    pub fn buffered(&self) -> usize {
        self.inner.buffered_read_size().unwrap_or(0) + self.inner.get_ref().held()
    }

    /// Run `op` until it does not block, waiting for readiness in between.
    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut native_tls::TlsStream<Bridge>) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            match op(&mut self.inner) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.inner.get_ref().poll_ready(cx))?;
                }
                r => return Poll::Ready(r),
            }
        }
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut n = ready!(this.poll_io(cx, |s| s.read(buf)))?;
        // One TLS record is at most 16 KiB: keep filling a large buffer with what is already here,
        // so that bulk reads cost one trip through the layers above per buffer, not per record.
        // Only while something is here (decrypted, or read ahead by the bridge): a read past that
        // would go to the socket — after a small response, a system call that finds nothing and
        // a trip through OpenSSL's error path, on every request.
        while n > 0 && n < buf.len() && this.buffered() > 0 {
            match this.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(more) => n += more,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // WouldBlock: that was all for now. Another error: report what was read; the
                // error comes back on the next read.
                Err(_) => break,
            }
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_io(cx, |s| s.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_io(cx, |s| s.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_io(cx, |s| s.shutdown())
    }
}

/// Map a handshake failure onto WinINet's codes by what the TLS library says.
pub(crate) fn classify(err: native_tls::Error, label: &str) -> Error {
    let text = err.to_string().to_ascii_lowercase();
    let (kind, what) = if text.contains("hostname mismatch") || text.contains("ip address mismatch")
    {
        (
            ErrorKind::SecCertCnInvalid,
            "the certificate does not name this host",
        )
    } else if text.contains("expired") || text.contains("not yet valid") {
        (
            ErrorKind::SecCertDateInvalid,
            "the certificate is outside its validity dates",
        )
    } else if text.contains("certificate verify failed")
        || text.contains("self-signed")
        || text.contains("self signed")
        || text.contains("unable to get local issuer")
    {
        (ErrorKind::InvalidCa, "the certificate chain is not trusted")
    } else {
        (ErrorKind::SecurityChannel, "the TLS handshake failed")
    };
    Error::new(kind, format!("TLS handshake with {label}: {what}")).with_source(err)
}

/// Parse every certificate in a PEM bundle.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<native_tls::Certificate>> {
    let text = String::from_utf8_lossy(pem);
    let mut certs = Vec::new();
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            break;
        };
        let block = &rest[start..start + len + END.len()];
        let cert = native_tls::Certificate::from_pem(block.as_bytes()).map_err(|e| {
            Error::new(ErrorKind::InvalidParameter, "parsing a PEM CA certificate").with_source(e)
        })?;
        certs.push(cert);
        rest = &rest[start + len + END.len()..];
    }
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            "no PEM certificate found in the CA data",
        ));
    }
    Ok(certs)
}
