//! Where a request goes: its URL's host, port and scheme, and the session's proxy on the way
//! ([`Target`]). Worked out once per exchange and read by the connect step (pool key, TCP, TLS,
//! tunnel) and by head building (request-target form); and who a connection handle talks to
//! ([`Server`]). Holds no connection and sends nothing; uses no module of this crate (it sits
//! below the driver and the handles, which both read it).

use std::borrow::Cow;
use std::fmt;

use http::Method;
use inet_core::transport::{PoolKey, TlsVerify};
use inet_core::{Error, ErrorKind, Proxy, Result};
use url::Url;

/// Who a connection handle talks to.
#[derive(Clone)]
pub(crate) struct Server {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish()
    }
}

/// Where one exchange goes.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    /// The URL's host: lower case, IPv6 without brackets. Borrowed from the URL: the `url`
    /// crate lower-cases the hosts of http and https URLs already.
    pub host: Cow<'a, str>,
    pub port: u16,
    pub https: bool,
    /// The session's proxy, if any.
    pub proxy: Option<&'a Proxy>,
}

impl<'a> Target<'a> {
    /// The target of a request's URL (`method` only names it in errors); only http and https
    /// are accepted.
    pub fn of(method: &Method, url: &'a Url, proxy: Option<&'a Proxy>) -> Result<Target<'a>> {
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(Error::new(
                    ErrorKind::UnrecognizedScheme,
                    format!("{method} {url}: {other} is not http or https"),
                ))
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("{url}: no host")))?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(host)
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        Ok(Target {
            host,
            port,
            https,
            proxy,
        })
    }

    /// The pool key of connections that can serve this target with these TLS settings.
    pub fn pool_key(&self, verify: TlsVerify) -> PoolKey {
        PoolKey {
            scheme: if self.https { "https" } else { "http" },
            host: self.host.to_string(),
            port: self.port,
            proxy: self.proxy.map(|p| (p.host.clone(), p.port)),
            tls: self.https.then_some(verify),
        }
    }

    /// Whether the request line goes to a plain-HTTP proxy (absolute form): https goes through a
    /// CONNECT tunnel instead, where the origin server reads the request.
    pub fn via_http_proxy(&self) -> Option<&'a Proxy> {
        self.proxy.filter(|_| !self.https)
    }
}

/// A host as it stands in a URL or a Host header: IPv6 addresses in brackets.
pub(crate) fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

/// "host:port" of a URL, as error messages name the server.
pub(crate) fn url_label(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    format!("{host}:{port}")
}
