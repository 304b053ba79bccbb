//! `inet-http`: HTTP/1.1 and HTTPS for inet, WinINet's HTTP surface done right.
//!
//! - [`HttpConnection`] (InternetConnect) and [`HttpRequest`] (HttpOpenRequest) are handles in
//!   inet-core's tree; every operation exists as a future, in callback mode (REQUEST_COMPLETE) and
//!   blocking.
//! - [`proto`] is the sans-IO protocol core: bytes in, parsed values out.
//! - The driver (`exchange`, `body`) runs it over core's transport: keep-alive through the
//!   session's pool, a stale pooled connection retried once, redirects, gzip/deflate, basic auth,
//!   proxies, `Expect: 100-continue`.
//!
//! ```no_run
//! use inet_core::Session;
//! use inet_http::RequestOptions;
//!
//! let session = Session::builder().user_agent("demo/1.0").build()?;
//! let req = inet_http::open(&session, "http://127.0.0.1:8080/hello.txt", RequestOptions::default())?;
//! req.send_blocking(None, None)?;
//! println!("{} {}", req.status_code()?, String::from_utf8_lossy(&req.read_to_end_blocking()?));
//! # Ok::<(), inet_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (nightly): badge each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod body;
mod connection;
mod errors;
mod exchange;
mod options;
pub mod proto;
mod request;
mod target;

pub use connection::HttpConnection;
/// HTTP versions for [`RequestOptions::version`] (the `http` crate's type).
pub use http::Version;
/// The `http` crate's types that inet's API takes and gives (`status()`, `headers()`, methods),
/// re-exported so that callers use the same version of the crate.
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
pub use options::{BodyLength, IntoMethod, RequestFlags, RequestOptions};
pub use proto::Modifier;
pub use request::HttpRequest;

use inet_core::{Context, Error, ErrorKind, HandleRef, Result};

/// Open a request for an `http://` or `https://` URL: a connection handle (with the URL's
/// user:password as basic-auth credentials) and a request handle under it, as InternetOpenUrl does
/// for HTTP. Nothing is sent until [`HttpRequest::send`]. The connection closes with the request.
pub fn open(session: &HandleRef, url: &str, options: RequestOptions) -> Result<HttpRequest> {
    open_method(session, "GET", url, options)
}

/// [`open`] with another method: a string (`"POST"`) or an [`http::Method`].
pub fn open_method(
    session: &HandleRef,
    method: impl IntoMethod,
    url: &str,
    mut options: RequestOptions,
) -> Result<HttpRequest> {
    // Messages name the URL, never its password (made only when a message needs it).
    let shown = || proto::without_userinfo(url);
    let parsed = url::Url::parse(url).map_err(|e| {
        Error::new(ErrorKind::InvalidUrl, format!("opening {:?}", shown())).with_source(e)
    })?;
    let secure = match parsed.scheme() {
        "http" => false,
        "https" => true,
        other => {
            return Err(Error::new(
                ErrorKind::UnrecognizedScheme,
                format!("opening {}: {other} is not http or https", shown()),
            ))
        }
    };
    if secure {
        options.flags |= RequestFlags::SECURE;
    }
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("opening {}: no host", shown()),
        )
    })?;
    let port = parsed
        .port_or_known_default()
        .unwrap_or(if secure { 443 } else { 80 });
    let user = percent_decode(parsed.username());
    let password = parsed.password().map(percent_decode).unwrap_or_default();
    let credentials = (!user.is_empty()).then_some((user.as_str(), password.as_str()));
    let conn =
        HttpConnection::connect_with(session, host, port, credentials, Context(options.context.0))?;
    let method = method.into_method().map_err(|given| {
        Error::new(
            ErrorKind::InvalidParameter,
            format!("opening {}: {given} is not an HTTP method", shown()),
        )
    })?;
    // The request's URL carries neither credentials (they went to the connection) nor fragment.
    // (Each setter rewrites the URL's string: only called when there is something to take out.)
    let mut target = parsed;
    if !target.username().is_empty() || target.password().is_some() {
        let _ = target.set_username("");
        let _ = target.set_password(None);
    }
    if target.fragment().is_some() {
        target.set_fragment(None);
    }
    conn.open_url(method, target, options)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
