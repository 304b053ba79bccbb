//! Where a request goes: its URL's host, port and scheme, and the session's proxy on the way
//! ([`Target`]). Worked out once per exchange and read by the connect step (pool key, TCP, TLS,
//! tunnel) and by head building (request-target form). Holds no connection and sends nothing.

use inet_core::transport::{PoolKey, TlsVerify};
use inet_core::{Error, ErrorKind, Proxy, Result};

use crate::exchange::Plan;

/// Where one exchange goes.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    /// The URL's host: lower case, IPv6 without brackets.
    pub host: String,
    pub port: u16,
    pub https: bool,
    /// The session's proxy, if any.
    pub proxy: Option<&'a Proxy>,
}

impl<'a> Target<'a> {
    /// The target of `plan`'s URL; only http and https are accepted.
    pub fn of(plan: &Plan, proxy: Option<&'a Proxy>) -> Result<Target<'a>> {
        let https = match plan.url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(Error::new(
                    ErrorKind::UnrecognizedScheme,
                    format!("{} {}: {other} is not http or https", plan.method, plan.url),
                ))
            }
        };
        let host = plan
            .url
            .host_str()
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("{}: no host", plan.url)))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = plan
            .url
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
            scheme: if self.https { "https" } else { "http" }.to_string(),
            host: self.host.clone(),
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
pub(crate) fn url_label(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    format!("{host}:{port}")
}
