//! How a request is made: WinINet's HttpOpenRequest flags and the knobs inet adds.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::time::Duration;

use http::{Method, Version};
use inet_core::Context;

/// What names a request's method: WinINet's string (`"GET"`, `"PROPFIND"`) or the `http` crate's
/// [`Method`] (by value or reference). Sealed: only these.
///
/// ```
/// use inet_http::IntoMethod;
/// assert_eq!("PUT".into_method().unwrap(), http::Method::PUT);
/// assert_eq!(http::Method::DELETE.into_method().unwrap(), "DELETE");
/// assert!("BAD METHOD".into_method().is_err());
/// ```
pub trait IntoMethod: sealed::Sealed {
    /// The method, or what the caller gave when it is not one (for the error message).
    fn into_method(self) -> std::result::Result<Method, String>;
}

impl IntoMethod for &str {
    fn into_method(self) -> std::result::Result<Method, String> {
        Method::from_bytes(self.as_bytes()).map_err(|_| format!("{self:?}"))
    }
}

impl IntoMethod for &String {
    fn into_method(self) -> std::result::Result<Method, String> {
        self.as_str().into_method()
    }
}

impl IntoMethod for Method {
    fn into_method(self) -> std::result::Result<Method, String> {
        Ok(self)
    }
}

impl IntoMethod for &Method {
    fn into_method(self) -> std::result::Result<Method, String> {
        Ok(self.clone())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for &String {}
    impl Sealed for http::Method {}
    impl Sealed for &http::Method {}
}

/// Request flags (WinINet: the `dwFlags` of HttpOpenRequest). Combine with `|`.
///
/// ```
/// use inet_http::RequestFlags;
/// let f = RequestFlags::RELOAD | RequestFlags::NO_AUTO_REDIRECT;
/// assert!(f.contains(RequestFlags::RELOAD));
/// assert!(!f.contains(RequestFlags::SECURE));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RequestFlags(u32);

impl RequestFlags {
    /// No flags: keep-alive, automatic redirects and decompression, certificate checks on.
    pub const NONE: Self = RequestFlags(0);
    /// INTERNET_FLAG_RELOAD: ask caches on the way for a fresh copy (`Cache-Control: no-cache`).
    pub const RELOAD: Self = RequestFlags(1 << 0);
    /// INTERNET_FLAG_NO_CACHE_WRITE: inet has no cache; sends `Cache-Control: no-store`.
    pub const NO_CACHE_WRITE: Self = RequestFlags(1 << 1);
    /// Do not keep the connection open (`Connection: close`). Keep-alive is on by default.
    pub const NO_KEEP_ALIVE: Self = RequestFlags(1 << 2);
    /// INTERNET_FLAG_NO_AUTO_REDIRECT: hand 3xx responses to the caller.
    pub const NO_AUTO_REDIRECT: Self = RequestFlags(1 << 3);
    /// INTERNET_FLAG_SECURE: use TLS (https).
    pub const SECURE: Self = RequestFlags(1 << 4);
    /// INTERNET_FLAG_IGNORE_CERT_CN_INVALID: accept a certificate for another host name.
    pub const IGNORE_CERT_CN_INVALID: Self = RequestFlags(1 << 5);
    /// SECURITY_FLAG_IGNORE_UNKNOWN_CA (and expired certificates): accept any chain.
    pub const IGNORE_UNKNOWN_CA: Self = RequestFlags(1 << 6);
    /// Both certificate relaxations: only when asked, per request.
    pub const IGNORE_CERT_ERRORS: Self =
        RequestFlags(Self::IGNORE_CERT_CN_INVALID.0 | Self::IGNORE_UNKNOWN_CA.0);
    /// Do not add `Accept-Encoding` nor decode gzip/deflate bodies.
    pub const NO_AUTO_DECOMPRESS: Self = RequestFlags(1 << 7);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for RequestFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        RequestFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for RequestFlags {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for RequestFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(RequestFlags, &str); 8] = [
            (RequestFlags::RELOAD, "RELOAD"),
            (RequestFlags::NO_CACHE_WRITE, "NO_CACHE_WRITE"),
            (RequestFlags::NO_KEEP_ALIVE, "NO_KEEP_ALIVE"),
            (RequestFlags::NO_AUTO_REDIRECT, "NO_AUTO_REDIRECT"),
            (RequestFlags::SECURE, "SECURE"),
            (
                RequestFlags::IGNORE_CERT_CN_INVALID,
                "IGNORE_CERT_CN_INVALID",
            ),
            (RequestFlags::IGNORE_UNKNOWN_CA, "IGNORE_UNKNOWN_CA"),
            (RequestFlags::NO_AUTO_DECOMPRESS, "NO_AUTO_DECOMPRESS"),
        ];
        let set: Vec<&str> = NAMES
            .iter()
            .filter(|(fl, _)| self.contains(*fl))
            .map(|(_, n)| *n)
            .collect();
        if set.is_empty() {
            write!(f, "NONE")
        } else {
            write!(f, "{}", set.join(" | "))
        }
    }
}

/// Everything about a request beyond method and path (WinINet: the rest of HttpOpenRequest's
/// parameters, and the per-request options of InternetSetOption).
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct RequestOptions {
    /// HTTP/1.1 (default) or HTTP/1.0.
    pub version: Version,
    /// `Referer`.
    pub referrer: Option<String>,
    /// `Accept` media types; empty sends `Accept: */*`.
    pub accept_types: Vec<String>,
    /// Flags.
    pub flags: RequestFlags,
    /// The request handle's context value.
    pub context: Context,
    /// Redirects followed automatically (default 10); more fail with ERROR_HTTP_REDIRECT_FAILED.
    pub max_redirects: u32,
    /// Follow a redirect from https to http (refused by default, ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR).
    pub allow_https_to_http: bool,
    /// Largest response head accepted (default 64 KiB); larger is ERROR_HTTP_INVALID_SERVER_RESPONSE.
    pub max_head_bytes: usize,
    /// Bodies at least this large are sent with `Expect: 100-continue` (default 1 MiB).
    pub expect_continue_from: Option<u64>,
    /// Largest body [`read_to_end`](crate::HttpRequest::read_to_end) collects (default 1 GiB);
    /// more is [`ErrorKind::TooLarge`](inet_core::ErrorKind::TooLarge). Streaming reads have no
    /// limit.
    pub max_body_size: u64,
    /// A total time limit for each send — connecting, sending, redirects, the response head —
    /// and for reading the body after it (default none: only the per-step timeouts and the
    /// low-speed limit apply). Past it, the operation fails with ERROR_INTERNET_TIMEOUT (12002).
    pub max_time: Option<Duration>,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            version: Version::HTTP_11,
            referrer: None,
            accept_types: Vec::new(),
            flags: RequestFlags::NONE,
            context: Context(0),
            max_redirects: 10,
            allow_https_to_http: false,
            max_head_bytes: 64 * 1024,
            expect_continue_from: Some(1 << 20),
            max_body_size: 1 << 30,
            max_time: None,
        }
    }
}

impl RequestOptions {
    /// Set [`max_body_size`](Self::max_body_size).
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Set the flags.
    pub fn flags(mut self, flags: RequestFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Set the context value.
    pub fn context(mut self, context: impl Into<Context>) -> Self {
        self.context = context.into();
        self
    }

    /// Set how many redirects are followed.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.max_redirects = n;
        self
    }

    /// Set the largest response head accepted.
    pub fn max_head_bytes(mut self, n: usize) -> Self {
        self.max_head_bytes = n;
        self
    }

    /// Set the total time limit of a send and the body read that follows it (curl's
    /// `--max-time`). A limit too large to add to the clock is no limit.
    pub fn max_time(mut self, limit: Duration) -> Self {
        self.max_time = Some(limit);
        self
    }
}

/// How the body of [`HttpRequest::send_ex`](crate::HttpRequest::send_ex) will be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyLength {
    /// Exactly this many bytes (`Content-Length`).
    Known(u64),
    /// Length unknown: `Transfer-Encoding: chunked`.
    Chunked,
}
