//! The connection handle (WinINet: InternetConnect with INTERNET_SERVICE_HTTP).

use std::fmt;
use std::sync::Arc;

use http::Method;
use inet_core::{Context, Error, ErrorKind, Handle, HandleKind, HandleRef, Result};

use crate::options::{IntoMethod, RequestFlags, RequestOptions};
use crate::request::HttpRequest;
use crate::target::{bracketed, Server};

/// An HTTP connection handle: a server (host, port, optional basic-auth credentials) under a
/// session. Like WinINet's, it does no network I/O itself: requests opened on it connect, through
/// the session's pool.
///
/// ```no_run
/// use inet_core::Session;
/// use inet_http::{HttpConnection, RequestOptions};
///
/// let session = Session::new()?;
/// let conn = HttpConnection::connect(&session, "127.0.0.1", 8080)?;
/// let req = conn.open_request("GET", "/hello.txt", RequestOptions::default())?;
/// req.send_blocking(None, None)?;
/// println!("{}", req.status_code()?);
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpConnection {
    handle: Handle,
    server: Arc<Server>,
}

impl HttpConnection {
    /// WinINet: InternetConnect(INTERNET_SERVICE_HTTP). `HANDLE_CREATED` is sent before this
    /// returns; context 0.
    pub fn connect(session: &HandleRef, host: &str, port: u16) -> Result<Self> {
        Self::connect_with(session, host, port, None, Context(0))
    }

    /// InternetConnect with basic-auth credentials and a context value.
    pub fn connect_with(
        session: &HandleRef,
        host: &str,
        port: u16,
        credentials: Option<(&str, &str)>,
        context: Context,
    ) -> Result<Self> {
        let (handle, host) =
            session.create_connection(HandleKind::ConnectHttp, host, port, context)?;
        let server = Arc::new(Server {
            host,
            port,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        });
        Ok(HttpConnection { handle, server })
    }

    /// WinINet: HttpOpenRequest. Opens a request handle for `method` and `path` (origin form,
    /// e.g. `/a/b?q=1`); nothing is sent until [`HttpRequest::send`]. https when
    /// [`RequestFlags::SECURE`] is set. The method is a string (`"GET"`) or an
    /// [`http::Method`].
    pub fn open_request(
        &self,
        method: impl IntoMethod,
        path: &str,
        options: RequestOptions,
    ) -> Result<HttpRequest> {
        let method = method.into_method().map_err(|given| {
            Error::new(
                ErrorKind::InvalidParameter,
                format!("opening a request: {given} is not an HTTP method"),
            )
        })?;
        let secure = options.flags.contains(RequestFlags::SECURE);
        let scheme = if secure { "https" } else { "http" };
        let host = bracketed(&self.server.host);
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        let url = url::Url::parse(&format!("{scheme}://{host}:{}{path}", self.server.port))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidUrl,
                    format!("opening a request for {path:?} on {host}"),
                )
                .with_source(e)
            })?;
        HttpRequest::open(&self.handle, self.server.clone(), method, url, options)
    }

    /// HttpOpenRequest for an already parsed absolute URL on this connection's server.
    pub(crate) fn open_url(
        &self,
        method: Method,
        url: url::Url,
        options: RequestOptions,
    ) -> Result<HttpRequest> {
        HttpRequest::open(&self.handle, self.server.clone(), method, url, options)
    }

    /// The connection's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close the handle (and every request under it).
    pub fn close(&self) {
        self.handle.close();
    }
}

impl fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConnection")
            .field("handle", &self.handle)
            .field("server", &self.server)
            .finish()
    }
}
