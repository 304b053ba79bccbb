//! Session settings: timeouts, limits, proxy and TLS (WinINet: InternetSetOption).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Settings shared by every handle of a session. Built by [`SessionBuilder`](crate::SessionBuilder).
#[derive(Clone)]
#[non_exhaustive]
pub struct Options {
    /// `User-Agent` (WinINet: InternetOpen's lpszAgent).
    pub user_agent: String,
    /// Limit for name resolution plus TCP connect plus TLS handshake (INTERNET_OPTION_CONNECT_TIMEOUT).
    pub connect_timeout: Option<Duration>,
    /// Limit for one write to make progress (INTERNET_OPTION_SEND_TIMEOUT).
    pub send_timeout: Option<Duration>,
    /// Limit for one read to make progress (INTERNET_OPTION_RECEIVE_TIMEOUT).
    pub receive_timeout: Option<Duration>,
    /// Fail a transfer that stays below this speed for this long (curl's --speed-limit/--speed-time).
    pub low_speed: Option<LowSpeed>,
    /// At most this many connections in use per (scheme, host, port, proxy, TLS settings)
    /// (INTERNET_OPTION_MAX_CONNS_PER_SERVER; default 6).
    pub max_connections_per_host: usize,
    /// At most this many connections in use in all (default 256).
    pub max_connections: usize,
    /// Idle keep-alive connections are dropped after this long (default 90 s; `Duration::MAX`:
    /// never).
    pub idle_timeout: Duration,
    /// At most this many idle keep-alive connections are kept, all hosts together (default 256,
    /// as many as may be in use, so that a burst ending all at once keeps its connections); beyond
    /// it the one idle longest is closed. 0 keeps none.
    pub max_idle_connections: usize,
    /// How long a request waits for a connection when the per-host or total limit is reached
    /// before failing with `ERROR_INTERNET_TIMEOUT` (default 60 s; None: no limit).
    pub pool_wait_timeout: Option<Duration>,
    /// Proxy for every request (INTERNET_OPEN_TYPE_PROXY).
    pub proxy: Option<Proxy>,
    /// TLS settings.
    pub tls: TlsOptions,
    /// Name resolution (default: the system's, getaddrinfo).
    pub resolver: Arc<dyn Resolve>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            user_agent: concat!("inet/", env!("CARGO_PKG_VERSION")).to_string(),
            connect_timeout: Some(Duration::from_secs(60)),
            send_timeout: Some(Duration::from_secs(60)),
            receive_timeout: Some(Duration::from_secs(60)),
            low_speed: None,
            max_connections_per_host: 6,
            max_connections: 256,
            idle_timeout: Duration::from_secs(90),
            max_idle_connections: 256,
            pool_wait_timeout: Some(Duration::from_secs(60)),
            proxy: None,
            tls: TlsOptions::default(),
            resolver: Arc::new(SystemResolver),
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("send_timeout", &self.send_timeout)
            .field("receive_timeout", &self.receive_timeout)
            .field("low_speed", &self.low_speed)
            .field("max_connections_per_host", &self.max_connections_per_host)
            .field("max_connections", &self.max_connections)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("pool_wait_timeout", &self.pool_wait_timeout)
            .field("proxy", &self.proxy)
            .field("tls", &self.tls)
            .field("resolver", &self.resolver)
            .finish()
    }
}

/// A transfer slower than `bytes_per_sec` for `window` fails with `ERROR_INTERNET_TIMEOUT`.
/// Plain data: the two numbers are the whole of it, public and read directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LowSpeed {
    /// The minimum average speed over `window`.
    pub bytes_per_sec: u64,
    /// How long the transfer may stay below it.
    pub window: Duration,
}

/// An HTTP proxy: [`Proxy::new`], then [`credentials`](Proxy::credentials) when it asks for
/// them. Its fields are public to read; more may come (hence `#[non_exhaustive]`).
///
/// ```
/// let proxy = inet_core::Proxy::new("proxy.example", 3128).credentials("ann", "secret");
/// assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.example", 3128));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Proxy {
    /// Proxy host name or address.
    pub host: String,
    /// Proxy port.
    pub port: u16,
    /// `Proxy-Authorization: Basic` credentials (user, password).
    pub credentials: Option<(String, String)>,
}

impl Proxy {
    /// A proxy at `host`:`port`, without credentials.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Proxy {
            host: host.into(),
            port,
            credentials: None,
        }
    }

    /// `Proxy-Authorization: Basic` credentials.
    #[must_use]
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(u, _)| (u, "***")),
            )
            .finish()
    }
}

/// TLS settings of a session. Verification is on unless a request asks otherwise. Set through
/// the [`SessionBuilder`](crate::SessionBuilder); more settings may come (`#[non_exhaustive]`).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TlsOptions {
    /// Extra trust anchors, beside the system's roots.
    pub extra_roots: Vec<native_tls::Certificate>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

/// Turns a host name into addresses. Called off the caller's thread (it may block).
pub trait Resolve: Send + Sync + fmt::Debug + 'static {
    /// The addresses of `host`, for `port`, in the order to try them.
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}

/// The system's resolver (getaddrinfo: /etc/hosts, then DNS).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        (host, port).to_socket_addrs().map(Iterator::collect)
    }
}

/// A fixed table of names (like curl's `--resolve`); any other name is not found, without asking
/// DNS. Useful for tests and for pinning hosts.
///
/// ```
/// use inet_core::{Resolve, StaticResolver};
/// let r = StaticResolver::new().with("coffee.test", [127, 0, 0, 1].into());
/// assert_eq!(r.resolve("coffee.test", 80).unwrap()[0].to_string(), "127.0.0.1:80");
/// assert!(r.resolve("tea.test", 80).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    names: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an address for `name` (names compare case-insensitively).
    #[must_use]
    pub fn with(mut self, name: &str, ip: IpAddr) -> Self {
        self.names
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(ip);
        self
    }
}

impl Resolve for StaticResolver {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        match self.names.get(&host.to_ascii_lowercase()) {
            Some(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{host} is not in the static table"),
            )),
        }
    }
}
