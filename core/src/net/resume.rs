//! TLS that resumes sessions, for connections that must: an FTPS control connection and its data
//! connections. FTPS servers (proftpd's mod_tls, vsftpd) refuse a data connection whose TLS
//! session is not the control connection's, resumed — proof that the same client opened both.
//!
//! Why rustls here and native-tls for everything else: native-tls has no session API, and the
//! `openssl` crate's `set_session` is `unsafe` (forbidden in this workspace). rustls keeps
//! sessions in a store keyed by server name ([`TlsSessions`] wraps one, shared by a control
//! connection and its data connections) and resumes from it on its own. Only the connections
//! that need it pay for a second TLS stack; HTTPS keeps native-tls, tuned and measured (see
//! ARCHITECTURE.md, "TLS session reuse (FTPS)", for the numbers behind the choice: handshake
//! times, build cost). The crypto provider is *ring*: it builds in a third of aws-lc-rs's time.
//!
//! The configuration per session and verification setting is built once, off the caller's
//! thread (it loads the system trust store, tens of milliseconds), like native-tls's connectors
//! in `tls.rs`. Each connection takes a copy that shares its certificate verifier (rustls resumes
//! a session only under the verifier that checked it) and points at the connection's
//! [`TlsSessions`].
//!
//! **TLS 1.2, not 1.3**, for these connections. Both resume against proftpd 1.3.8, but a TLS 1.3
//! session is resumed with a ticket, rustls uses each ticket once (RFC 8446 asks it to; its
//! ticket type cannot be copied), and the server hands out new ones sparingly: two after the
//! control connection's handshake, one on a resumed data connection only once the server writes
//! to it (a download). An upload's data connection brings none, so the third upload in a row found
//! no ticket left, did a full handshake and was refused (measured). A TLS 1.2 session (session
//! id, or a 1.2 ticket, which rustls keeps) resumes any number of times. rustls's TLS 1.2 offers
//! only forward-secret AEAD suites. A server that speaks TLS 1.3 only fails the handshake
//! (SECURITY_CHANNEL_ERROR).
//!
//! Sessions come from the control connection's handshake; a data connection resumed from it stores
//! the same session again.

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
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionMemoryCache, Resumption, WebPkiServerVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, HandshakeKind,
    RootCertStore, SignatureScheme,
};

use crate::error::{Error, ErrorKind, Result};
use crate::net::tls::{Bridge, TlsVerify};
use crate::options::TlsOptions;

/// TLS sessions shared by connections that must resume one another's session: an FTPS control
/// connection and its data connections. Cheap to clone (clones share the store). Default = new,
/// empty.
///
/// Sessions are kept per host name as given to
/// [`start_tls_resuming`](crate::transport::start_tls_resuming): give a data connection the
/// control connection's host, not the address a passive-mode reply named.
#[derive(Clone, Debug)]
pub struct TlsSessions {
    store: Arc<ClientSessionMemoryCache>,
}

/// Sessions kept per store: rustls keeps up to 8 TLS 1.3 tickets per host in this, so room for a
/// few hosts (one FTP connection talks to one).
const STORE_SIZE: usize = 32;

impl TlsSessions {
    /// An empty store.
    pub fn new() -> Self {
        TlsSessions {
            store: Arc::new(ClientSessionMemoryCache::new(STORE_SIZE)),
        }
    }
}

impl Default for TlsSessions {
    fn default() -> Self {
        Self::new()
    }
}

/// The session's rustls configurations, one per verification setting, each built on first use —
/// once, even when many connections ask at the same moment.
#[derive(Default)]
pub(crate) struct ResumingConfigs {
    built: Mutex<HashMap<TlsVerify, Arc<OnceCell<Arc<ClientConfig>>>>>,
}

impl fmt::Debug for ResumingConfigs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumingConfigs")
            .field("settings", &self.built.lock().len())
            .finish()
    }
}

impl ResumingConfigs {
    /// The configuration for `verify`, resuming from and storing into `sessions`. The base is
    /// built (off this thread: it reads the trust store) the first time.
    pub(crate) async fn get(
        &self,
        options: &TlsOptions,
        verify: TlsVerify,
        sessions: &TlsSessions,
    ) -> Result<Arc<ClientConfig>> {
        let cell = self.built.lock().entry(verify).or_default().clone();
        let base = cell
            .get_or_try_init(|| async {
                let options = options.clone();
                blocking::unblock(move || build(&options, verify).map(Arc::new)).await
            })
            .await?;
        // A copy shares the base's verifier (an `Arc`): rustls offers a stored session only to
        // a configuration with the verifier that checked it.
        let mut config = ClientConfig::clone(base);
        config.resumption = Resumption::store(sessions.store.clone());
        Ok(Arc::new(config))
    }
}

/// A rustls configuration (ring) for the session's trust anchors — the system's plus
/// `extra_roots` — and `verify`. Loads the system trust store: tens of milliseconds.
fn build(options: &TlsOptions, verify: TlsVerify) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let setup = |e: &dyn fmt::Display| {
        Error::new(
            ErrorKind::SecurityChannel,
            format!("setting up TLS (rustls): {e}"),
        )
    };
    // TLS 1.2 only: see the module comment.
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| setup(&e))?;
    let algorithms = provider.signature_verification_algorithms;
    if verify.accept_invalid_certs {
        // Any chain and any name; the handshake's signatures are still checked.
        let verifier = Arc::new(Relaxed {
            chain: None,
            algorithms,
        });
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth());
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(options)?), provider)
        .build()
        .map_err(|e| setup(&e))?;
    if verify.accept_invalid_hostnames {
        let verifier = Arc::new(Relaxed {
            chain: Some(verifier),
            algorithms,
        });
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth());
    }
    Ok(builder.with_webpki_verifier(verifier).with_no_client_auth())
}

/// The system's trust anchors (as OpenSSL finds them: `SSL_CERT_FILE`, `SSL_CERT_DIR`, the
/// distribution's bundle) plus the session's own. Unparsable system certificates are skipped, as
/// OpenSSL does.
fn roots(options: &TlsOptions) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    for cert in &options.extra_roots {
        let der = cert.to_der().map_err(|e| {
            Error::new(ErrorKind::InvalidParameter, "encoding a CA certificate").with_source(e)
        })?;
        roots.add(CertificateDer::from(der)).map_err(|e| {
            Error::new(
                ErrorKind::InvalidParameter,
                format!("a CA certificate rustls cannot use: {e}"),
            )
        })?;
    }
    Ok(roots)
}

/// WinINet's relaxations (SECURITY_FLAG_IGNORE_UNKNOWN_CA, SECURITY_FLAG_IGNORE_CERT_CN_INVALID):
/// with `chain`, a trusted chain for another name is accepted; without, any certificate. The
/// handshake's signatures are checked either way (they prove the peer holds the key).
#[derive(Debug)]
struct Relaxed {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain first, the name last: a name error means the chain was good.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The name rustls checks the certificate against and keeps sessions under: a DNS name or an IP
/// address (brackets of an IPv6 literal removed).
pub(crate) fn server_name(host: &str, label: &str) -> Result<ServerName<'static>> {
    let name = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_string()).map_err(|e| {
        Error::new(
            ErrorKind::SecurityChannel,
            format!("TLS handshake with {label}: {name:?} is not a host name TLS can check"),
        )
        .with_source(e)
    })
}

/// A TLS stream (rustls) over an async TCP socket, able to resume a stored session.
pub struct ResumableTlsStream {
    conn: ClientConnection,
    bridge: Bridge,
    /// Decrypted bytes rustls holds, not yet read: what the last `process_new_packets` said,
    /// less what was read since (rustls does not say otherwise).
    plaintext: usize,
}

impl fmt::Debug for ResumableTlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumableTlsStream")
            .field("tcp", self.get_ref())
            .field("resumed", &self.resumed())
            .finish()
    }
}

/// Why a handshake failed: what rustls said, or the socket.
#[derive(Debug)]
pub(crate) enum Failure {
    Tls(rustls::Error),
    Io(io::Error),
}

/// TLS handshake for `name` over `tcp` with `config`, offering a stored session if there is one.
pub(crate) async fn handshake(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    tcp: Async<TcpStream>,
) -> std::result::Result<ResumableTlsStream, Failure> {
    let conn = ClientConnection::new(config, name).map_err(Failure::Tls)?;
    let mut stream = ResumableTlsStream {
        conn,
        bridge: Bridge::new(tcp),
        plaintext: 0,
    };
    poll_fn(|cx| stream.poll_handshake(cx)).await?;
    Ok(stream)
}

/// Map a handshake failure onto WinINet's codes by rustls's error.
pub(crate) fn classify(failure: Failure, label: &str) -> Error {
    let (kind, what) = match &failure {
        Failure::Tls(rustls::Error::InvalidCertificate(e)) => match e {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                (
                    ErrorKind::SecCertCnInvalid,
                    "the certificate does not name this host",
                )
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => (
                ErrorKind::SecCertDateInvalid,
                "the certificate is outside its validity dates",
            ),
            _ => (ErrorKind::InvalidCa, "the certificate chain is not trusted"),
        },
        _ => (ErrorKind::SecurityChannel, "the TLS handshake failed"),
    };
    let err = Error::new(kind, format!("TLS handshake with {label}: {what}"));
    match failure {
        Failure::Tls(e) => err.with_source(e),
        Failure::Io(e) => err.with_source(e),
    }
}

impl ResumableTlsStream {
    /// The TCP socket under the TLS layer.
    pub fn get_ref(&self) -> &Async<TcpStream> {
        self.bridge.io()
    }

    /// Bytes a read can take without waiting for the socket: decrypted ones, and encrypted ones
    /// the bridge has read ahead. (Part of a record rustls holds until the rest arrives is not
    /// counted: that read must wait for the socket anyway.)
    pub fn buffered(&self) -> usize {
        self.plaintext + self.bridge.held()
    }

    /// Whether the handshake resumed a stored session.
    pub fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// Drive the handshake until it is done: send what rustls has, read and process what it
    /// waits for.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), Failure>> {
        loop {
            ready!(self.poll_send(cx)).map_err(Failure::Io)?;
            if !self.conn.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            match self.conn.read_tls(&mut self.bridge) {
                Ok(0) => {
                    return Poll::Ready(Err(Failure::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection during the TLS handshake",
                    ))))
                }
                Ok(_) => self.process().map_err(Failure::Tls)?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.bridge.io().poll_readable(cx)).map_err(Failure::Io)?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(Failure::Io(e))),
            }
        }
    }

    /// Process the TLS bytes rustls has read. On an error, its alert goes out if the socket takes
    /// it at once.
    fn process(&mut self) -> std::result::Result<(), rustls::Error> {
        match self.conn.process_new_packets() {
            Ok(state) => {
                self.plaintext = state.plaintext_bytes_to_read();
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.write_tls(&mut self.bridge);
                Err(e)
            }
        }
    }

    /// Without waiting: read TLS bytes (from the bridge or the socket) and process them.
    /// `WouldBlock` when none are there; at the end of the stream rustls remembers it, and reads
    /// report it.
    fn receive(&mut self) -> io::Result<()> {
        // What rustls wants to send first (an alert, a key update's answer), if the socket takes it.
        if self.conn.wants_write() {
            let _ = self.conn.write_tls(&mut self.bridge);
        }
        self.conn.read_tls(&mut self.bridge)?;
        self.process()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Receive, waiting for the socket when nothing is there.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match self.receive() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.bridge.io().poll_readable(cx))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                r => return Poll::Ready(r),
            }
        }
    }

    /// Send everything rustls has to send, waiting for the socket as needed.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.bridge) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.bridge.io().poll_writable(cx))?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Take decrypted bytes into `buf`: rustls's `WouldBlock` means none are there yet.
    fn take(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.conn.reader().read(buf)?;
        self.plaintext = self.plaintext.saturating_sub(n);
        Ok(n)
    }
}

impl AsyncRead for ResumableTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut n = loop {
            match this.take(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(this.poll_receive(cx))?;
                }
                Ok(n) if n > 0 => break n,
                // Ok(0): the peer's close_notify. An error: the peer closed without one, or the
                // stream failed (rustls keeps the error and reports it again on every read).
                r => return Poll::Ready(r),
            }
        };
        // As in `tls.rs`: keep filling a large buffer with what is already here — only that: with
        // nothing read ahead, more would take a system call that finds nothing after a reply.
        while n < buf.len() {
            match this.take(&mut buf[n..]) {
                Ok(0) => break,
                Ok(more) => n += more,
                Err(_) if this.bridge.held() == 0 => break,
                Err(_) => match this.receive() {
                    Ok(()) if this.plaintext > 0 => {}
                    // Nothing more now, or the end, or an error: the next read sees them.
                    _ => break,
                },
            }
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for ResumableTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            // rustls takes plaintext up to its buffer limit (64 KiB) and encrypts it.
            let n = this.conn.writer().write(buf)?;
            if n > 0 {
                // Send what the socket takes now; the rest goes with the next write or the flush.
                while this.conn.wants_write() {
                    match this.conn.write_tls(&mut this.bridge) {
                        Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                return Poll::Ready(Ok(n));
            }
            // Full: make room.
            ready!(this.poll_send(cx))?;
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.conn.writer().flush()?;
        this.poll_send(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.conn.send_close_notify();
        this.poll_send(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_tls_sessions_share_one_store_and_new_ones_do_not() {
        let a = TlsSessions::new();
        let b = a.clone();
        assert!(Arc::ptr_eq(&a.store, &b.store));
        assert!(!Arc::ptr_eq(&a.store, &TlsSessions::default().store));
    }

    #[test]
    fn server_names_are_addresses_or_dns_names_and_a_bad_one_fails_with_12157() {
        assert!(matches!(
            server_name("127.0.0.1", "x"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("[::1]", "x"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("ftp.example", "x"),
            Ok(ServerName::DnsName(_))
        ));
        let e = server_name("not a host", "ftp.example:21").unwrap_err();
        assert_eq!(e.code(), 12157, "{e}");
        assert!(e.to_string().contains("ftp.example:21"), "{e}");
    }

    #[test]
    fn handshake_failures_map_onto_wininet_certificate_codes() {
        let code = |e: CertificateError| {
            classify(Failure::Tls(rustls::Error::InvalidCertificate(e)), "h:21").code()
        };
        assert_eq!(code(CertificateError::UnknownIssuer), 12045);
        assert_eq!(code(CertificateError::BadSignature), 12045);
        assert_eq!(code(CertificateError::NotValidForName), 12038);
        assert_eq!(code(CertificateError::Expired), 12037);
        assert_eq!(code(CertificateError::NotValidYet), 12037);
        let other = classify(Failure::Tls(rustls::Error::HandshakeNotComplete), "h:21");
        assert_eq!(other.code(), 12157);
        let io = classify(Failure::Io(io::ErrorKind::ConnectionReset.into()), "h:21");
        assert_eq!(io.code(), 12157);
        assert!(io.to_string().contains("h:21"), "{io}");
    }

    #[test]
    fn a_configuration_is_built_once_per_verification_setting() {
        let configs = ResumingConfigs::default();
        let options = TlsOptions::default();
        let relaxed = TlsVerify {
            accept_invalid_certs: true,
            ..TlsVerify::default()
        };
        futures_lite::future::block_on(async {
            let (a, b) = (TlsSessions::new(), TlsSessions::new());
            let strict = TlsVerify::default();
            let first = configs.get(&options, strict, &a).await.unwrap();
            let second = configs.get(&options, strict, &b).await.unwrap();
            configs.get(&options, relaxed, &a).await.unwrap();
            // Each connection gets its own copy, pointing at its own store.
            assert!(!Arc::ptr_eq(&first, &second));
        });
        let built = configs.built.lock();
        assert_eq!(built.len(), 2);
        assert!(built.values().all(|cell| cell.is_initialized()));
    }
}
