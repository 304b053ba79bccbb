//! The Gopher connection handle (WinINet: InternetConnect with INTERNET_SERVICE_GOPHER) and how a
//! request goes out: every Gopher request is a TCP connection of its own (TLS for gophers://) to
//! the locator's host, one request line, and the answer until the server closes.

use std::fmt;
use std::sync::Arc;

use inet_core::transport::{connect_tcp, start_tls, Conn, TlsVerify};
use inet_core::{Context, Error, ErrorKind, Handle, HandleKind, HandleRef, Result, Status};

use crate::errors;
use crate::proto::{ItemType, Locator};
use crate::url::GopherUrl;

/// How a Gopher connection reaches its servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct GopherOptions {
    /// gophers://: TLS on every request's connection, verified as HTTPS is.
    pub secure: bool,
    /// Relaxed certificate checks (off by default).
    pub verify: TlsVerify,
    /// Read text items as RFC 1436 says — up to the `.` line, `..` at a line's start read as
    /// `.` — instead of as sent with only a final `.` line dropped (the default: gophernicus and
    /// pygopherd send text files as they are, and unstuffing them would lose dots).
    pub dot_stuffed: bool,
}

impl GopherOptions {
    /// Plain Gopher.
    pub fn new() -> Self {
        Self::default()
    }

    /// gophers:// (TLS).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// RFC 1436 text framing (see [`dot_stuffed`](Self::dot_stuffed)).
    pub fn dot_stuffed(mut self, on: bool) -> Self {
        self.dot_stuffed = on;
        self
    }

    /// Relax certificate checks.
    pub fn tls_verify(mut self, verify: TlsVerify) -> Self {
        self.verify = verify;
        self
    }
}

#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) options: GopherOptions,
}

/// A Gopher connection handle: a default server (for the root menu) under a session. Like
/// WinINet's, it does no network I/O itself; each find, file or attribute request connects to
/// its locator's server.
///
/// ```no_run
/// use inet_core::{Context, Session};
/// use inet_gopher::{GopherConnection, GopherOptions};
///
/// let session = Session::new()?;
/// let gopher = GopherConnection::open(&session, "127.0.0.1", 70, GopherOptions::new(), Context(0))?;
/// let menu = gopher.find_first_blocking(None, None, Context(0))?;
/// while let Ok(item) = menu.next_blocking() {
///     println!("{item:?}");
/// }
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone)]
pub struct GopherConnection {
    pub(crate) handle: Handle,
    pub(crate) server: Arc<Server>,
}

impl fmt::Debug for GopherConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GopherConnection")
            .field("handle", &self.handle)
            .field("host", &self.server.host)
            .field("port", &self.server.port)
            .finish()
    }
}

impl GopherConnection {
    /// WinINet: InternetConnect(INTERNET_SERVICE_GOPHER). `HANDLE_CREATED` is sent before this
    /// returns. Port 0 means 70.
    pub fn open(
        session: &HandleRef,
        host: &str,
        port: u16,
        options: GopherOptions,
        context: Context,
    ) -> Result<Self> {
        if session.kind() != HandleKind::Internet {
            return Err(Error::new(
                ErrorKind::IncorrectHandleType,
                format!("connecting to {host}:{port}: the parent must be a session handle"),
            ));
        }
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                format!("connecting to {host:?}: not a host name"),
            ));
        }
        let handle = session.create_child(HandleKind::ConnectGopher, context)?;
        let port = if port == 0 {
            crate::proto::DEFAULT_PORT
        } else {
            port
        };
        handle.trace_url(|| GopherUrl::root(host, port, options.secure).to_string());
        Ok(GopherConnection {
            handle,
            server: Arc::new(Server {
                host: host.to_ascii_lowercase(),
                port,
                options,
            }),
        })
    }

    /// The connection's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close the handle and every find/file handle under it.
    pub fn close(&self) {
        self.handle.close();
    }

    /// The locator of this connection's root menu.
    pub fn root(&self) -> Result<Locator> {
        Locator::new(
            ItemType::Directory,
            "",
            b"",
            &self.server.host,
            self.server.port,
        )
        .map_err(|e| errors::protocol("the root menu", e))
    }

    /// The URL of a request for a handle's `tracing` span (never with user information).
    #[cfg(feature = "tracing")]
    pub(crate) fn trace_url(server: &Server, locator: &Locator, query: Option<&str>) -> String {
        let mut url = GopherUrl::of_locator(locator, server.options.secure);
        url.query = query.map(str::to_string);
        url.to_string()
    }

    pub(crate) fn parts(&self) -> (Arc<Server>, HandleRef) {
        (self.server.clone(), (*self.handle).clone())
    }
}

/// Connect to `locator`'s server and send `request` (a whole request line), reporting to `h`:
/// resolve, connect (and TLS), SENDING_REQUEST, REQUEST_SENT.
pub(crate) async fn send_request(
    h: &HandleRef,
    server: &Server,
    locator: &Locator,
    request: &[u8],
) -> Result<Conn> {
    let mut conn = connect_tcp(h, locator.host(), locator.port()).await?;
    if server.options.secure {
        conn = start_tls(h, conn, locator.host(), server.options.verify).await?;
    }
    h.notify(Status::SendingRequest);
    conn.write_all(request).await?;
    h.notify(Status::RequestSent(request.len() as u64));
    Ok(conn)
}
