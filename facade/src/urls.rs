//! URL utilities (WinINet: InternetCrackUrl, InternetCreateUrl, InternetCombineUrl,
//! InternetCanonicalizeUrl) on the `url` crate, for every scheme inet speaks.
//!
//! What WinINet adds to RFC 3986 is kept: a port always has a value (the scheme's default when
//! the URL names none), the query and fragment are the "extra info", and two scheme details are
//! read from the path — FTP's `;type=a|i|d` (RFC 1738) and the Gopher item type, the first
//! character of a gopher path (RFC 4266).
//!
//! ```
//! use inet::urls::{crack_url, combine_url};
//!
//! let parts = crack_url("ftp://ann:pw@example.com/pub/a.txt;type=a")?;
//! assert_eq!((parts.host.as_str(), parts.port, parts.path.as_str()), ("example.com", 21, "/pub/a.txt"));
//! assert_eq!(parts.ftp_type, Some('a'));
//! assert_eq!(combine_url("http://h/a/b/c", "../d?x")?, "http://h/a/d?x");
//! # Ok::<(), inet::Error>(())
//! ```

use inet_core::{Error, ErrorKind, Result};
use url::Url;

/// The schemes inet speaks, with their default ports.
const SCHEMES: &[(&str, u16)] = &[
    ("http", 80),
    ("https", 443),
    ("ftp", 21),
    // Explicit FTPS (AUTH TLS) on the FTP port: inet's reading of ftps://.
    ("ftps", 21),
    ("gopher", 70),
    // No registered port: gophers:// servers in the wild use 70 too.
    ("gophers", 70),
];

/// The default port of a scheme inet speaks.
pub fn default_port(scheme: &str) -> Option<u16> {
    SCHEMES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
        .map(|&(_, p)| p)
}

/// A URL's parts, as InternetCrackUrl gives them (WinINet: `URL_COMPONENTS`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UrlParts {
    /// `http`, `https`, `ftp`, `ftps`, `gopher` or `gophers`, lowercase.
    pub scheme: String,
    /// The user name, percent-decoded; None when the URL has none.
    pub user: Option<String>,
    /// The password, percent-decoded.
    pub password: Option<String>,
    /// The host: a name (lowercase), an IPv4 address, or an IPv6 address without brackets.
    pub host: String,
    /// The port: the URL's, else the scheme's default.
    pub port: u16,
    /// The path as written (percent-encoded), without FTP's `;type=` suffix; at least `/`.
    pub path: String,
    /// The query and fragment as written, with their `?` and `#`; empty when none.
    pub extra: String,
    /// FTP: the `;type=` code (`a`, `i` or `d`), when given.
    pub ftp_type: Option<char>,
    /// Gopher: the item type, the first character of the path (`1` for an empty path).
    pub gopher_type: Option<char>,
}

impl UrlParts {
    /// Parts for `scheme://host/` with the scheme's default port; set the other fields.
    ///
    /// ```
    /// use inet::urls::{create_url, UrlParts};
    /// let mut p = UrlParts::new("gopher", "example.org")?;
    /// p.path = "/0/about.txt".into();
    /// assert_eq!(create_url(&p)?, "gopher://example.org/0/about.txt");
    /// # Ok::<(), inet::Error>(())
    /// ```
    pub fn new(scheme: &str, host: &str) -> Result<UrlParts> {
        let port = default_port(scheme).ok_or_else(|| unknown_scheme(scheme, scheme))?;
        Ok(UrlParts {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_string(),
            port,
            path: "/".into(),
            ..UrlParts::default()
        })
    }
}

fn unknown_scheme(url: &str, scheme: &str) -> Error {
    Error::new(
        ErrorKind::UnrecognizedScheme,
        format!("{}: inet does not speak {scheme}", shown(url)),
    )
}

/// `url` without its password, for messages.
fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.chars().take(200).collect(),
    }
}

fn parse(url: &str) -> Result<Url> {
    let parsed = Url::parse(url.trim()).map_err(|e| {
        Error::new(ErrorKind::InvalidUrl, format!("{}: not a URL", shown(url))).with_source(e)
    })?;
    if default_port(parsed.scheme()).is_none() {
        return Err(unknown_scheme(url, parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::new(
            ErrorKind::InvalidUrl,
            format!("{}: no host", shown(url)),
        ));
    }
    Ok(parsed)
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// WinINet: InternetCrackUrl. Unknown scheme → UNRECOGNIZED_SCHEME (12006); not a URL, or no
/// host → INVALID_URL (12005).
pub fn crack_url(url: &str) -> Result<UrlParts> {
    let u = parse(url)?;
    let scheme = u.scheme().to_string();
    let host = match u.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        _ => u.host_str().unwrap_or_default().to_string(),
    };
    let port = u
        .port()
        .or_else(|| default_port(&scheme))
        .unwrap_or_default();
    let mut path = u.path().to_string();
    if path.is_empty() {
        path.push('/');
    }
    let mut ftp_type = None;
    if scheme.starts_with("ftp") {
        if let Some(i) = path.rfind(";type=") {
            let code = &path[i + ";type=".len()..];
            if code.len() == 1 {
                let c = code.chars().next().map(|c| c.to_ascii_lowercase());
                if matches!(c, Some('a' | 'i' | 'd')) {
                    ftp_type = c;
                    path.truncate(i);
                }
            }
        }
    }
    let gopher_type = scheme
        .starts_with("gopher")
        .then(|| path.chars().nth(1).unwrap_or('1'));
    let mut extra = String::new();
    if let Some(q) = u.query() {
        extra.push('?');
        extra.push_str(q);
    }
    if let Some(f) = u.fragment() {
        extra.push('#');
        extra.push_str(f);
    }
    Ok(UrlParts {
        scheme,
        user: (!u.username().is_empty()).then(|| decode(u.username())),
        password: u.password().map(decode),
        host,
        port,
        path,
        extra,
        ftp_type,
        gopher_type,
    })
}

/// WinINet: InternetCreateUrl. The port is written only when it is not the scheme's default;
/// user and password are percent-encoded; `ftp_type` is appended as `;type=x`.
pub fn create_url(parts: &UrlParts) -> Result<String> {
    let default =
        default_port(&parts.scheme).ok_or_else(|| unknown_scheme(&parts.scheme, &parts.scheme))?;
    let host = if parts.host.contains(':') && !parts.host.starts_with('[') {
        format!("[{}]", parts.host)
    } else {
        parts.host.clone()
    };
    let path = if parts.path.starts_with('/') {
        parts.path.clone()
    } else {
        format!("/{}", parts.path)
    };
    let base = format!("{}://{host}{path}{}", parts.scheme, parts.extra);
    let mut u = Url::parse(&base).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("creating a URL for {}://{host}: bad parts", parts.scheme),
        )
        .with_source(e)
    })?;
    let bad = |what: &str| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("creating a URL for {}://{host}: bad {what}", parts.scheme),
        )
    };
    if parts.port != default {
        u.set_port(Some(parts.port)).map_err(|_| bad("port"))?;
    }
    if let Some(user) = &parts.user {
        u.set_username(user).map_err(|_| bad("user name"))?;
    }
    if let Some(pw) = &parts.password {
        u.set_password(Some(pw)).map_err(|_| bad("password"))?;
    }
    if let Some(t) = parts.ftp_type {
        let p = format!("{};type={t}", u.path());
        u.set_path(&p);
    }
    Ok(u.to_string())
}

/// WinINet: InternetCombineUrl. `relative` resolved against `base` as RFC 3986 §5 says
/// (dot segments removed). An absolute `relative` replaces the base.
pub fn combine_url(base: &str, relative: &str) -> Result<String> {
    let b = parse(base)?;
    let joined = b.join(relative.trim()).map_err(|e| {
        Error::new(
            ErrorKind::InvalidUrl,
            format!("combining {} with {relative:?}", shown(base)),
        )
        .with_source(e)
    })?;
    if default_port(joined.scheme()).is_none() {
        return Err(unknown_scheme(joined.as_str(), joined.scheme()));
    }
    Ok(joined.to_string())
}

/// InternetCanonicalizeUrl's flags (`ICU_*`). The default — no flag — encodes unsafe
/// characters and removes `.` and `..` segments, as WinINet does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct Canonicalize {
    /// ICU_DECODE: decode `%XX` escapes (the result is for display, not for sending).
    pub decode: bool,
    /// ICU_NO_META: keep `.` and `..` segments as written.
    pub no_meta: bool,
    /// ICU_ENCODE_SPACES_ONLY: encode spaces only, nothing else.
    pub encode_spaces_only: bool,
    /// ICU_BROWSER_MODE: leave what follows `?` or `#` as written.
    pub browser_mode: bool,
}

impl Canonicalize {
    /// No flag: encode, remove dot segments.
    pub fn new() -> Self {
        Self::default()
    }

    /// ICU_DECODE.
    pub fn decode(mut self) -> Self {
        self.decode = true;
        self
    }

    /// ICU_NO_META.
    pub fn no_meta(mut self) -> Self {
        self.no_meta = true;
        self
    }

    /// ICU_ENCODE_SPACES_ONLY.
    pub fn encode_spaces_only(mut self) -> Self {
        self.encode_spaces_only = true;
        self
    }

    /// ICU_BROWSER_MODE.
    pub fn browser_mode(mut self) -> Self {
        self.browser_mode = true;
        self
    }
}

/// WinINet: InternetCanonicalizeUrl.
///
/// ```
/// use inet::urls::{canonicalize_url, Canonicalize};
///
/// assert_eq!(canonicalize_url("http://h/a/./b/../c d", Canonicalize::new())?, "http://h/a/c%20d");
/// let keep = Canonicalize::new().no_meta().encode_spaces_only();
/// assert_eq!(canonicalize_url("http://h/a/./b/../c d", keep)?, "http://h/a/./b/../c%20d");
/// assert_eq!(canonicalize_url("http://h/caf%C3%A9", Canonicalize::new().decode())?, "http://h/café");
/// # Ok::<(), inet::Error>(())
/// ```
pub fn canonicalize_url(url: &str, flags: Canonicalize) -> Result<String> {
    let raw = url.trim();
    if flags.no_meta || flags.encode_spaces_only {
        // The url crate always normalises; for these flags work on the text as written, after
        // checking that it is a URL inet speaks.
        parse(raw)?;
        let (head, tail) = match raw.find(['?', '#']) {
            Some(i) if flags.browser_mode => raw.split_at(i),
            _ => (raw, ""),
        };
        let mut out = head.replace(' ', "%20");
        if !flags.encode_spaces_only {
            out = encode_unsafe(&out);
        }
        out.push_str(tail);
        return Ok(if flags.decode { decode_all(&out) } else { out });
    }
    let u = parse(raw)?;
    let mut out = u.to_string();
    if flags.browser_mode {
        // Put back what followed `?`/`#` as it was written.
        if let (Some(i), Some(j)) = (out.find(['?', '#']), raw.find(['?', '#'])) {
            out.truncate(i);
            out.push_str(&raw[j..]);
        }
    }
    Ok(if flags.decode { decode_all(&out) } else { out })
}

/// Percent-encode what may not appear in a URL as written (controls, space, non-ASCII, `"<>\^`{|}`).
fn encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Decode every `%XX` (invalid UTF-8 results keep their escapes).
pub(crate) fn decode_all(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cracking_gives_default_ports_and_decoded_credentials() {
        let p = crack_url("http://a%40b:p%3Aw@Example.COM/x/y?q=1#f").unwrap();
        assert_eq!(p.scheme, "http");
        assert_eq!(p.user.as_deref(), Some("a@b"));
        assert_eq!(p.password.as_deref(), Some("p:w"));
        assert_eq!(p.host, "example.com");
        assert_eq!(p.port, 80);
        assert_eq!(p.path, "/x/y");
        assert_eq!(p.extra, "?q=1#f");
        assert_eq!(crack_url("https://h").unwrap().port, 443);
        assert_eq!(crack_url("ftps://h:2121/").unwrap().port, 2121);
        let v6 = crack_url("gopher://[::1]:7070/").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 7070));
    }

    #[test]
    fn scheme_details_in_the_path_are_read() {
        assert_eq!(crack_url("ftp://h/a;type=i").unwrap().ftp_type, Some('i'));
        assert_eq!(crack_url("ftp://h/a;type=i").unwrap().path, "/a");
        assert_eq!(crack_url("ftp://h/a;type=x").unwrap().ftp_type, None);
        assert_eq!(
            crack_url("gopher://h/0/about").unwrap().gopher_type,
            Some('0')
        );
        assert_eq!(crack_url("gopher://h").unwrap().gopher_type, Some('1'));
        assert_eq!(crack_url("http://h/0/x").unwrap().gopher_type, None);
    }

    #[test]
    fn bad_urls_and_schemes_have_their_codes() {
        assert_eq!(crack_url("mailto:x@y").unwrap_err().code(), 12006);
        assert_eq!(crack_url("not a url").unwrap_err().code(), 12005);
        assert_eq!(crack_url("http://").unwrap_err().code(), 12005);
        let e = crack_url("telnet://u:secret@h/").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn creating_round_trips_cracking() {
        for url in [
            "http://h/x?q=1",
            "https://u:p@h:8443/a/b",
            "ftp://h/pub/a.txt;type=a",
            "gopher://h:7070/1/dir",
            "http://[::1]:8080/",
        ] {
            let parts = crack_url(url).unwrap();
            assert_eq!(create_url(&parts).unwrap(), url, "{parts:?}");
        }
        let mut p = UrlParts::new("http", "h").unwrap();
        p.user = Some("a b".into());
        p.password = Some("p@ss".into());
        assert_eq!(create_url(&p).unwrap(), "http://a%20b:p%40ss@h/");
        assert_eq!(UrlParts::new("irc", "h").unwrap_err().code(), 12006);
    }

    #[test]
    fn combining_follows_rfc3986() {
        // RFC 3986 §5.4.1 examples.
        let base = "http://a/b/c/d;p?q";
        for (rel, want) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("/g", "http://a/g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("../..", "http://a/"),
            ("../../../g", "http://a/g"),
        ] {
            assert_eq!(combine_url(base, rel).unwrap(), want, "{rel}");
        }
        assert_eq!(combine_url(base, "ftp://x/y").unwrap(), "ftp://x/y");
        assert_eq!(combine_url(base, "mailto:a@b").unwrap_err().code(), 12006);
    }

    #[test]
    fn canonicalizing_honours_the_flags() {
        let d = Canonicalize::default();
        assert_eq!(
            canonicalize_url("HTTP://H/a/../b", d).unwrap(),
            "http://h/b"
        );
        let browser = Canonicalize::new().browser_mode();
        assert_eq!(
            canonicalize_url("http://h/a b?x y", browser).unwrap(),
            "http://h/a%20b?x y"
        );
        assert_eq!(decode_all("100%"), "100%");
        assert_eq!(decode_all("%zz%4"), "%zz%4");
    }
}
