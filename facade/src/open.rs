//! One call for any URL (WinINet: InternetOpenUrl): http, https, ftp, ftps, gopher and gophers,
//! each connected and requested by its protocol crate, and returned as a [`UrlStream`] that reads
//! the same whatever the scheme.
//!
//! In callback mode the call creates the URL's connection handle at once (HANDLE_CREATED, with
//! the options' context) and returns it; REQUEST_COMPLETE arrives on that handle, carrying the
//! [`UrlStream`] as `Completion::Value` — where WinINet's dwResult carries the new handle.

use std::fmt;

use bytes::Bytes;
use inet_core::{
    AsyncReader, BlockingReader, Completion, Context, Error, ErrorKind, Handle, HandleRef, Pending,
    Result, Started, Value,
};
#[cfg(feature = "ftp")]
use inet_ftp::{
    Access, FtpConnection, FtpFile, FtpOptions, FtpUrl, Security, TransferOptions, TransferType,
};
#[cfg(feature = "gopher")]
use inet_gopher::{GopherConnection, GopherFile, GopherOptions, GopherUrl, Locator};
#[cfg(feature = "http")]
use inet_http::{HttpRequest, RequestOptions};

use crate::urls::crack_url;

/// How [`open_url`] opens a URL.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct OpenUrlOptions {
    /// HTTP: extra request header lines (`Name: value`, CRLF-separated).
    pub headers: Option<String>,
    /// HTTP: the request's options (flags, redirects, limits).
    #[cfg(feature = "http")]
    pub http: RequestOptions,
    /// FTP: data connections, certificate checks (the user and password come from the URL;
    /// anonymous without).
    #[cfg(feature = "ftp")]
    pub ftp: FtpOptions,
    /// Gopher: certificate checks for gophers:// (TLS itself follows the scheme).
    #[cfg(feature = "gopher")]
    pub gopher: GopherOptions,
    /// The context of the handles the call creates.
    pub context: Context,
}

impl OpenUrlOptions {
    /// Defaults: no extra headers, passive FTP, context 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Extra HTTP header lines.
    pub fn headers(mut self, headers: &str) -> Self {
        self.headers = Some(headers.to_string());
        self
    }

    /// The context of the handles created.
    pub fn context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }
}

/// What [`open_url`] returns: the URL's data, read the same way for every scheme (WinINet:
/// InternetReadFile on the handle InternetOpenUrl returned). An FTP URL ending in `/` reads
/// its directory listing; a Gopher menu URL reads the menu's text.
#[derive(Clone)]
#[non_exhaustive]
pub enum UrlStream {
    /// An HTTP or HTTPS response (status and headers on the request).
    #[cfg(feature = "http")]
    Http(HttpRequest),
    /// An FTP or FTPS file (or listing).
    #[cfg(feature = "ftp")]
    Ftp(FtpFile),
    /// A Gopher item (or menu).
    #[cfg(feature = "gopher")]
    Gopher(GopherFile),
}

impl fmt::Debug for UrlStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "http")]
            UrlStream::Http(r) => f.debug_tuple("Http").field(r).finish(),
            #[cfg(feature = "ftp")]
            UrlStream::Ftp(x) => f.debug_tuple("Ftp").field(x).finish(),
            #[cfg(feature = "gopher")]
            UrlStream::Gopher(x) => f.debug_tuple("Gopher").field(x).finish(),
        }
    }
}

impl From<UrlStream> for Completion {
    fn from(s: UrlStream) -> Self {
        Completion::Value(Value::new(s))
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            #[cfg(feature = "http")]
            UrlStream::Http($s) => $e,
            #[cfg(feature = "ftp")]
            UrlStream::Ftp($s) => $e,
            #[cfg(feature = "gopher")]
            UrlStream::Gopher($s) => $e,
        }
    };
}

impl UrlStream {
    /// The handle the data is read from.
    pub fn handle(&self) -> &Handle {
        each!(self, s => s.handle())
    }

    /// Close it (and the connection handle over it, which closes with its last child).
    pub fn close(&self) {
        each!(self, s => s.close())
    }

    /// The data as a `futures_io::AsyncRead` + `AsyncBufRead`, with no extra copy (see
    /// `HttpRequest::async_reader`); keeps the handle open while it lives.
    pub fn async_reader(&self) -> AsyncReader {
        each!(self, s => s.async_reader())
    }

    /// The data as a `std::io::Read` + `BufRead`, for blocking code; keeps the handle open while
    /// it lives.
    pub fn blocking_reader(&self) -> BlockingReader {
        each!(self, s => s.blocking_reader())
    }

    /// WinINet: InternetReadFile. 0 at the end.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        each!(self, s => s.read(buf).await)
    }

    /// [`read`](Self::read) in callback mode (owned bytes, at most `max`).
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        each!(self, s => s.start_read(max))
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        each!(self, s => s.read_blocking(buf))
    }

    /// WinINet: InternetQueryDataAvailable.
    pub async fn query_data_available(&self) -> Result<u64> {
        each!(self, s => s.query_data_available().await)
    }

    /// Everything (left), at most `limit` bytes (more: NOT_ENOUGH_MEMORY).
    pub async fn read_to_end(&self, limit: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.read(&mut buf).await?;
            if n == 0 {
                return Ok(out);
            }
            if (out.len() + n) as u64 > limit {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    format!("reading the whole URL: more than {limit} bytes"),
                ));
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    /// [`read_to_end`](Self::read_to_end), blocking.
    pub fn read_to_end_blocking(&self, limit: u64) -> Result<Vec<u8>> {
        inet_core::block_on(self.read_to_end(limit))
    }
}

/// A URL's connection, opened (HANDLE_CREATED sent), and the request still to make on it.
enum Prepared {
    #[cfg(feature = "http")]
    Http(HttpRequest, Option<String>),
    #[cfg(feature = "ftp")]
    Ftp(FtpConnection, FtpTarget),
    #[cfg(feature = "gopher")]
    Gopher(GopherConnection, Locator, Option<String>),
}

#[cfg(feature = "ftp")]
enum FtpTarget {
    File(String, TransferType),
    Listing(String),
}

impl Prepared {
    /// The handle a callback-mode call completes on: the connection handle.
    fn connection(&self) -> Result<HandleRef> {
        match self {
            #[cfg(feature = "http")]
            Prepared::Http(r, _) => r.handle().parent().ok_or_else(|| {
                Error::new(ErrorKind::Internal, "an HTTP request without a connection")
            }),
            #[cfg(feature = "ftp")]
            Prepared::Ftp(c, _) => Ok((**c.handle()).clone()),
            #[cfg(feature = "gopher")]
            Prepared::Gopher(c, _, _) => Ok((**c.handle()).clone()),
        }
    }

    /// The request, as one future, run on the connection handle in the form the caller chose:
    /// the protocol crates' operations are composed here, not started, so that one operation is
    /// registered on the handle.
    async fn request(self, context: Context) -> Result<UrlStream> {
        // Only FTP and Gopher pass the context on (HTTP's request handle has it already).
        let _ = context;
        {
            match self {
                #[cfg(feature = "http")]
                Prepared::Http(req, headers) => {
                    req.send(headers.as_deref(), None).await?;
                    Ok(UrlStream::Http(req))
                }
                #[cfg(feature = "ftp")]
                Prepared::Ftp(conn, FtpTarget::File(path, t)) => {
                    let opts = TransferOptions::new().transfer_type(t);
                    let f = conn
                        .open_file_op(&path, Access::Read, opts, context)
                        .await?;
                    Ok(UrlStream::Ftp(f))
                }
                #[cfg(feature = "ftp")]
                Prepared::Ftp(conn, FtpTarget::Listing(dir)) => {
                    let line = if dir.is_empty() {
                        "LIST".to_string()
                    } else {
                        format!("LIST {dir}")
                    };
                    let f = conn
                        .command_with_data_op(&line, TransferType::Ascii, context)
                        .await?;
                    Ok(UrlStream::Ftp(f))
                }
                #[cfg(feature = "gopher")]
                Prepared::Gopher(conn, locator, query) => {
                    let t = locator.item_type();
                    let f = if t.is_directory() || t.is_index_server() {
                        conn.open_raw_op(&locator, query.as_deref(), context)?
                            .await?
                    } else {
                        conn.open_file_op(&locator, None, context)?.await?
                    };
                    Ok(UrlStream::Gopher(f))
                }
            }
        }
    }
}

/// Check the URL and open its connection handle (no network I/O yet).
fn prepare(session: &HandleRef, url: &str, options: &OpenUrlOptions) -> Result<Prepared> {
    let parts = crack_url(url)?;
    let ctx = options.context;
    match parts.scheme.as_str() {
        #[cfg(feature = "http")]
        "http" | "https" => {
            let mut http = options.http.clone();
            http.context = ctx;
            let req = inet_http::open(session, url, http)?;
            Ok(Prepared::Http(req, options.headers.clone()))
        }
        #[cfg(feature = "ftp")]
        "ftp" | "ftps" => {
            // inet-ftp's own reading of the URL: credentials, ftps:// as explicit FTPS, the path
            // relative to the login directory, `;type=`.
            let url = FtpUrl::parse(url)?;
            let mut ftp = options.ftp.clone();
            if let Some(user) = &url.user {
                ftp = ftp.credentials(user, url.password.as_deref().unwrap_or(""));
            }
            if url.secure {
                ftp = ftp.security(Security::Explicit);
            }
            let target = if url.is_directory() {
                FtpTarget::Listing(url.path.clone())
            } else {
                let t = url.transfer_type.unwrap_or(TransferType::Binary);
                FtpTarget::File(url.path.clone(), t)
            };
            let conn = FtpConnection::open(session, &url.host, url.port, ftp, ctx)?;
            Ok(Prepared::Ftp(conn, target))
        }
        #[cfg(feature = "gopher")]
        "gopher" | "gophers" => {
            // inet-gopher's own reading of the URL (RFC 4266), as the CLI's.
            let url = GopherUrl::parse(url)?;
            let locator = url.locator()?;
            let opts = options.gopher.secure(url.secure);
            let conn = GopherConnection::open(session, &url.host, url.port, opts, ctx)?;
            Ok(Prepared::Gopher(conn, locator, url.query))
        }
        other => Err(Error::new(
            ErrorKind::UnrecognizedScheme,
            format!("opening a {other} URL: this build of inet has no {other} support"),
        )),
    }
}

/// WinINet: InternetOpenUrl. Connect, send or request, and return the URL's data as a
/// [`UrlStream`]: an HTTP response after its head arrived (any status), an FTP file being
/// downloaded, a Gopher item. Unknown scheme → UNRECOGNIZED_SCHEME (12006); malformed URL →
/// INVALID_URL (12005).
///
/// ```no_run
/// use inet::{OpenUrlOptions, Session};
///
/// let session = Session::new()?;
/// for url in ["http://127.0.0.1:8080/hello.txt", "ftp://127.0.0.1:2121/welcome.txt", "gopher://127.0.0.1:7070/0/about.txt"] {
///     let stream = inet::open_url_blocking(&session, url, OpenUrlOptions::new())?;
///     println!("{}", String::from_utf8_lossy(&stream.read_to_end_blocking(1 << 20)?));
/// }
/// # Ok::<(), inet::Error>(())
/// ```
pub async fn open_url(
    session: &HandleRef,
    url: &str,
    options: OpenUrlOptions,
) -> Result<UrlStream> {
    let prepared = prepare(session, url, &options)?;
    let conn = prepared.connection()?;
    let op = prepared.request(options.context);
    // The connection handle closes with its children once the caller drops the stream.
    conn.run(op).await
}

/// [`open_url`] in callback mode: returns the URL's connection handle at once (keep it to
/// cancel by closing it); REQUEST_COMPLETE on that handle carries the [`UrlStream`]
/// (`completion.value::<UrlStream>()`; keep a clone).
pub fn start_open_url(
    session: &HandleRef,
    url: &str,
    options: OpenUrlOptions,
) -> Result<(Handle, Pending)> {
    let prepared = prepare(session, url, &options)?;
    let conn = prepared.connection()?;
    let op = prepared.request(options.context);
    let pending = conn.start(op)?;
    Ok((conn.to_handle(), pending))
}

/// [`open_url`], blocking.
pub fn open_url_blocking(
    session: &HandleRef,
    url: &str,
    options: OpenUrlOptions,
) -> Result<UrlStream> {
    let prepared = prepare(session, url, &options)?;
    let conn = prepared.connection()?;
    let op = prepared.request(options.context);
    conn.block(op)
}

#[cfg(all(test, feature = "ftp", feature = "gopher"))]
mod tests {
    use super::*;

    #[test]
    fn ftp_paths_are_relative_to_the_login_directory_and_decoded() {
        let path = |u: &str| FtpUrl::parse(u).unwrap().path;
        assert_eq!(path("ftp://h/pub/a%20b.txt"), "pub/a b.txt");
        assert_eq!(path("ftp://h/%2Fetc/x"), "/etc/x");
        assert_eq!(path("ftp://h"), "");
    }
}
