//! [`compose`]: the request head as it goes on the wire — the caller's headers plus the defaults
//! inet adds (Host, User-Agent, Accept, Accept-Encoding, credentials, cache and keep-alive
//! directives, body framing). A pure function of a [`RequestSpec`]; it opens nothing and reads no
//! session state: the driver gathers the spec from the handle, the session and the target.

use base64::Engine;
use http::{Method, Version};
use url::Url;

use super::{HeaderError, HeaderList, RequestHead};
use crate::options::BodyLength;

/// Everything that decides a request head: [`RequestSpec::new`] (an HTTP/1.1 request in origin
/// form, keep-alive, nothing else asked), then set the fields that differ. More may come
/// (`#[non_exhaustive]`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestSpec<'a> {
    /// The method.
    pub method: &'a Method,
    /// Where the request goes (http or https, with a host).
    pub url: &'a Url,
    /// HTTP/1.1 or HTTP/1.0.
    pub version: Version,
    /// The headers the caller set; they win over every default.
    pub headers: &'a HeaderList,
    /// `User-Agent` unless the caller set one.
    pub user_agent: &'a str,
    /// `Accept` media types; empty means `*/*`.
    pub accept_types: &'a [String],
    /// `Referer`.
    pub referrer: Option<&'a str>,
    /// Ask for gzip/deflate (and decode it), unless the caller set `Accept-Encoding` themselves.
    pub auto_decompress: bool,
    /// Basic credentials for the origin server.
    pub credentials: Option<(&'a str, &'a str)>,
    /// How the request target is written.
    pub form: TargetForm<'a>,
    /// Cache directives.
    pub cache: CacheDirective,
    /// Whether to ask for the connection to be kept open.
    pub keep_alive: bool,
    /// How the body is framed; `None` sends no framing header.
    pub length: Option<BodyLength>,
    /// Send `Expect: 100-continue`.
    pub expect_continue: bool,
}

impl<'a> RequestSpec<'a> {
    /// `method` on `url` with `headers`: HTTP/1.1, origin form, keep-alive, no `User-Agent`,
    /// `Accept: */*`, no referrer, credentials, compression, cache directive, body framing or
    /// `Expect`.
    pub fn new(method: &'a Method, url: &'a Url, headers: &'a HeaderList) -> Self {
        RequestSpec {
            method,
            url,
            version: Version::HTTP_11,
            headers,
            user_agent: "",
            accept_types: &[],
            referrer: None,
            auto_decompress: false,
            credentials: None,
            form: TargetForm::Origin,
            cache: CacheDirective::None,
            keep_alive: true,
            length: None,
            expect_continue: false,
        }
    }
}

/// How the request target is written: to the origin server (or through a CONNECT tunnel), or to
/// a plain-HTTP proxy, which needs the absolute URL and its own credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetForm<'a> {
    /// `/path?query`.
    Origin,
    /// `http://host:port/path?query`, with `Proxy-Authorization` when there are credentials.
    Absolute {
        /// The proxy's basic credentials.
        proxy_credentials: Option<(&'a str, &'a str)>,
    },
}

/// What the request tells caches on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheDirective {
    /// Nothing.
    None,
    /// `Cache-Control: no-cache` and `Pragma: no-cache` (WinINet's RELOAD).
    Reload,
    /// `Cache-Control: no-store` (WinINet's NO_CACHE_WRITE).
    NoStore,
}

/// A composed head, and whether inet asked for (and so will decode) compressed content.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The head to encode.
    pub head: RequestHead,
    /// `Accept-Encoding: gzip, deflate` was added by inet.
    pub decode: bool,
}

/// The request head for `spec`.
///
/// ```
/// use inet_http::proto::{compose, CacheDirective, HeaderList, RequestSpec, TargetForm};
/// let url = url::Url::parse("http://example.com:8080/a?b=1").expect("a URL");
/// let headers = HeaderList::new();
/// let mut spec = RequestSpec::new(&http::Method::GET, &url, &headers);
/// spec.user_agent = "demo/1.0";
/// assert_eq!((spec.form, spec.cache), (TargetForm::Origin, CacheDirective::None));
/// let head = compose(&spec)?.head;
/// assert_eq!(head.target, "/a?b=1");
/// assert_eq!(head.headers.get("host", 0), Some("example.com:8080"));
/// # Ok::<(), inet_http::proto::HeaderError>(())
/// ```
pub fn compose(spec: &RequestSpec<'_>) -> Result<Composed, HeaderError> {
    let url = spec.url;
    let target = match spec.form {
        TargetForm::Origin => match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        },
        TargetForm::Absolute { .. } => {
            // The proxy (and anyone on the way to it) reads this line: no credentials in it.
            let mut absolute = url.clone();
            absolute.set_fragment(None);
            let _ = absolute.set_username("");
            let _ = absolute.set_password(None);
            absolute.to_string()
        }
    };
    let mut head = RequestHead::new(spec.method.clone(), target);
    head.version = spec.version;

    // Room for the defaults below (Host, User-Agent, Accept, Accept-Encoding, a few more: ~200
    // bytes) beside the caller's: one allocation each rather than a doubling series.
    let mut headers = HeaderList::with_capacity(
        8 + spec.headers.len(),
        256 + spec
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum::<usize>(),
    );
    if !spec.headers.contains("host") {
        // `host_str` brackets IPv6 addresses; `port` is None for the scheme's default port.
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => headers.push("Host", &host_and_port(host, port))?,
            None => headers.push("Host", host)?,
        }
    }
    // A header list holds only checked headers: the caller's go in as they are.
    for (name, value) in spec.headers.iter() {
        headers.push_parsed(name, value);
    }
    headers.insert_default("User-Agent", spec.user_agent)?;
    if spec.accept_types.is_empty() {
        if !headers.contains("accept") {
            headers.push_parsed("Accept", "*/*");
        }
    } else {
        headers.insert_default("Accept", &spec.accept_types.join(", "))?;
    }
    let decode = spec.auto_decompress && !spec.headers.contains("accept-encoding");
    if decode {
        headers.push_parsed("Accept-Encoding", "gzip, deflate");
    }
    if let Some(r) = spec.referrer {
        headers.insert_default("Referer", r)?;
    }
    if let Some((u, p)) = spec.credentials {
        headers.insert_default("Authorization", &basic(u, p))?;
    }
    if let TargetForm::Absolute {
        proxy_credentials: Some((u, p)),
    } = spec.form
    {
        headers.insert_default("Proxy-Authorization", &basic(u, p))?;
    }
    match spec.cache {
        CacheDirective::None => {}
        CacheDirective::Reload => {
            headers.insert_default("Cache-Control", "no-cache")?;
            headers.insert_default("Pragma", "no-cache")?;
        }
        CacheDirective::NoStore => {
            headers.insert_default("Cache-Control", "no-store")?;
        }
    }
    if !spec.keep_alive {
        headers.set("Connection", "close")?;
    } else if spec.version == Version::HTTP_10 {
        // HTTP/1.0 closes after each response unless asked not to.
        headers.insert_default("Connection", "keep-alive")?;
    }
    match spec.length {
        Some(BodyLength::Known(n)) => {
            headers.remove("transfer-encoding");
            headers.set("Content-Length", &n.to_string())?;
        }
        Some(BodyLength::Chunked) => {
            headers.remove("content-length");
            headers.set("Transfer-Encoding", "chunked")?;
        }
        None => {}
    }
    if spec.expect_continue {
        headers.insert_default("Expect", "100-continue")?;
    }
    head.headers = headers;
    Ok(Composed { head, decode })
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// `host:port`, as the `Host` header gives a port that is not the scheme's (written without
/// `format!`, whose machinery cost a thousand instructions per request).
fn host_and_port(host: &str, port: u16) -> String {
    let mut digits = [0u8; 5];
    let mut at = digits.len();
    let mut n = port;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut value = String::with_capacity(host.len() + 1 + digits.len() - at);
    value.push_str(host);
    value.push(':');
    value.extend(digits[at..].iter().map(|&d| char::from(d)));
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Modifier;

    #[test]
    fn host_and_port_writes_every_port_as_format_would() {
        for port in [0u16, 1, 9, 10, 99, 100, 8080, 9999, 10000, 65535] {
            assert_eq!(host_and_port("[::1]", port), format!("[::1]:{port}"));
        }
    }

    fn spec<'a>(url: &'a Url, headers: &'a HeaderList) -> RequestSpec<'a> {
        RequestSpec {
            user_agent: "test/1",
            auto_decompress: true,
            ..RequestSpec::new(&Method::GET, url, headers)
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("a URL")
    }

    fn wire(c: &Composed) -> String {
        let mut out = Vec::new();
        c.head.encode(&mut out).expect("encodable");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn a_plain_get_has_host_user_agent_accept_and_accept_encoding() {
        let (u, h) = (url("http://example.com/a?b=1#frag"), HeaderList::new());
        let c = compose(&spec(&u, &h)).expect("compose");
        assert!(c.decode);
        assert_eq!(
            wire(&c),
            "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1\r\nAccept: */*\r\n\
             Accept-Encoding: gzip, deflate\r\n\r\n"
        );
    }

    #[test]
    fn the_host_header_carries_a_non_default_port_and_brackets_ipv6() {
        let h = HeaderList::new();
        let u = url("https://[::1]:8443/");
        let c = compose(&spec(&u, &h)).expect("compose");
        assert_eq!(c.head.headers.get("host", 0), Some("[::1]:8443"));
        let u = url("https://example.com:443/");
        let c = compose(&spec(&u, &h)).expect("compose");
        assert_eq!(c.head.headers.get("host", 0), Some("example.com"));
    }

    #[test]
    fn caller_headers_win_over_defaults() {
        let u = url("http://example.com/");
        let mut h = HeaderList::new();
        h.add_lines(
            "Host: other\r\nUser-Agent: mine\r\nAccept-Encoding: br",
            Modifier::Add,
        )
        .expect("valid");
        let c = compose(&spec(&u, &h)).expect("compose");
        assert!(!c.decode, "the caller asked for their own encoding");
        assert_eq!(
            c.head.headers.get_all("host").collect::<Vec<_>>(),
            ["other"]
        );
        assert_eq!(c.head.headers.get("user-agent", 0), Some("mine"));
        assert_eq!(c.head.headers.get("accept-encoding", 0), Some("br"));
    }

    #[test]
    fn credentials_become_basic_authorization() {
        let (u, h) = (url("http://example.com/"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.credentials = Some(("user", "pass"));
        let c = compose(&s).expect("compose");
        assert_eq!(
            c.head.headers.get("authorization", 0),
            Some("Basic dXNlcjpwYXNz")
        );
    }

    #[test]
    fn to_a_proxy_the_target_is_absolute_with_proxy_authorization() {
        let (u, h) = (url("http://example.com:81/x?y#z"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.form = TargetForm::Absolute {
            proxy_credentials: Some(("p", "q")),
        };
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.target, "http://example.com:81/x?y");
        assert_eq!(
            c.head.headers.get("proxy-authorization", 0),
            Some(basic("p", "q").as_str())
        );
    }

    #[test]
    fn the_absolute_form_to_a_proxy_carries_no_credentials() {
        let (u, h) = (url("http://user:secret@example.com/x"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.form = TargetForm::Absolute {
            proxy_credentials: None,
        };
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.target, "http://example.com/x");
    }

    #[test]
    fn no_keep_alive_says_close_and_http_1_0_asks_for_keep_alive() {
        let (u, h) = (url("http://example.com/"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.keep_alive = false;
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("connection", 0), Some("close"));
        let mut s = spec(&u, &h);
        s.version = Version::HTTP_10;
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("connection", 0), Some("keep-alive"));
    }

    #[test]
    fn body_framing_replaces_the_callers_framing_headers() {
        let u = url("http://example.com/");
        let mut h = HeaderList::new();
        h.add_lines("Transfer-Encoding: chunked", Modifier::Add)
            .expect("valid");
        let mut s = spec(&u, &h);
        s.length = Some(BodyLength::Known(5));
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("transfer-encoding", 0), None);
        assert_eq!(c.head.headers.get("content-length", 0), Some("5"));
        s.length = Some(BodyLength::Chunked);
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("content-length", 0), None);
        assert_eq!(c.head.headers.get("transfer-encoding", 0), Some("chunked"));
    }

    #[test]
    fn reload_and_no_store_set_cache_directives() {
        let (u, h) = (url("http://example.com/"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.cache = CacheDirective::Reload;
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("cache-control", 0), Some("no-cache"));
        assert_eq!(c.head.headers.get("pragma", 0), Some("no-cache"));
        s.cache = CacheDirective::NoStore;
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("cache-control", 0), Some("no-store"));
    }

    #[test]
    fn expect_continue_is_added_when_asked() {
        let (u, h) = (url("http://example.com/"), HeaderList::new());
        let mut s = spec(&u, &h);
        s.expect_continue = true;
        let c = compose(&s).expect("compose");
        assert_eq!(c.head.headers.get("expect", 0), Some("100-continue"));
    }
}
