//! `ftp://` and `ftps://` URLs (RFC 1738 §3.2) as the parts an FTP connection needs: server,
//! login, path and transfer type. Pure: no I/O.
//!
//! - `ftp://` is plain FTP, port 21 by default.
//! - `ftps://` is **explicit** FTPS (`AUTH TLS` on the control connection, RFC 4217), also on
//!   port 21 by default: that is what inet's [`Security::Explicit`](crate::Security::Explicit)
//!   speaks. Note that curl reads `ftps://` as *implicit* FTPS (TLS from the first byte, port
//!   990) and spells explicit FTPS `ftp://` with `--ssl-reqd`; for an implicit-FTPS server, give
//!   `Security::Implicit` and the port yourself.
//! - User and password are percent-decoded; none means an anonymous login.
//! - The path is percent-decoded and taken relative to the login directory, as RFC 1738 says
//!   (`ftp://host/pub/file` names `pub/file`); a path starting with `%2F` is absolute
//!   (`ftp://host/%2Fetc/motd` names `/etc/motd`). A trailing `/` is kept: it says "a directory".
//! - RFC 1738's `;type=a` (ASCII), `;type=i` (binary) and `;type=d` (a directory listing) at the
//!   end of the path are read and taken off.
//!
//! Errors: a scheme other than `ftp`/`ftps` is UNRECOGNIZED_SCHEME (12006); anything malformed
//! is INVALID_URL (12005). No message, and no `Debug` output, shows the password.

use std::fmt;

use inet_core::{Error, ErrorKind, Result};

use crate::proto::TransferType;

/// The default port of both `ftp://` and `ftps://` (explicit FTPS starts in plain text on the
/// FTP port).
pub const DEFAULT_PORT: u16 = 21;

/// An `ftp://` or `ftps://` URL, parsed: `ftps://` is explicit FTPS on port 21 (curl's is
/// implicit, on 990); user, password and path are percent-decoded; the path is relative to the
/// login directory unless it starts with `%2F`; `;type=a|i|d` is read and taken off.
///
/// ```
/// use inet_ftp::{FtpUrl, TransferType};
///
/// let url = FtpUrl::parse("ftp://ann:s%40cret@example.com/pub/notes%20v2.txt;type=a")?;
/// assert_eq!(url.host, "example.com");
/// assert_eq!(url.port, 21);
/// assert_eq!(url.user.as_deref(), Some("ann"));
/// assert_eq!(url.password.as_deref(), Some("s@cret"));
/// assert_eq!(url.path, "pub/notes v2.txt");
/// assert_eq!(url.transfer_type, Some(TransferType::Ascii));
/// assert!(!url.secure);
/// // Neither Display nor Debug shows the password.
/// assert_eq!(url.to_string(), "ftp://ann@example.com/pub/notes%20v2.txt");
///
/// let err = FtpUrl::parse("gopher://example.com/").unwrap_err();
/// assert_eq!(err.code(), 12006);
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FtpUrl {
    /// The server's host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The control port: the URL's, else 21 (for `ftps://` too: explicit FTPS).
    pub port: u16,
    /// The user name, percent-decoded; `None` for an anonymous login.
    pub user: Option<String>,
    /// The password, percent-decoded; `None` when the URL has none.
    pub password: Option<String>,
    /// The path relative to the login directory, percent-decoded: `""` is the login directory
    /// itself, a trailing `/` marks a directory, a leading `/` (from `%2F`) an absolute path.
    pub path: String,
    /// RFC 1738's `;type=a` (ASCII) or `;type=i` (binary), when given.
    pub transfer_type: Option<TransferType>,
    /// `;type=d`: the URL asks for a directory listing.
    pub directory_listing: bool,
    /// `ftps://`: explicit FTPS (`AUTH TLS`).
    pub secure: bool,
}

impl FtpUrl {
    /// Parse an `ftp://` or `ftps://` URL.
    pub fn parse(input: &str) -> Result<FtpUrl> {
        let shown = redact(input);
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidUrl,
                format!("parsing the URL {shown:?}: {why}"),
            )
        };
        let url = match ::url::Url::parse(input.trim()) {
            Ok(url) => url,
            // A scheme we do not speak is reported as such even when the rest is malformed.
            Err(e) => {
                return Err(match inet_core::url_text::scheme_of(input) {
                    Some(s) if !is_ftp_scheme(&s) => unrecognized(&shown, &s),
                    _ => invalid(&e.to_string()),
                })
            }
        };
        let secure = match url.scheme() {
            "ftp" => false,
            "ftps" => true,
            other => return Err(unrecognized(&shown, other)),
        };
        // The url crate follows WHATWG, which reads `ftp:host` and `ftp:///host` as
        // `ftp://host/`; RFC 1738 wants `//` and a server right after the scheme.
        if !url.has_authority() || !inet_core::url_text::has_authority(input.trim()) {
            return Err(invalid("no `//` and server after the scheme"));
        }
        let host = match url.host() {
            Some(::url::Host::Domain(d)) if !d.is_empty() && !d.contains('%') => {
                d.to_ascii_lowercase()
            }
            Some(::url::Host::Ipv4(a)) => a.to_string(),
            Some(::url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(invalid("no server name")),
        };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        if port == 0 {
            return Err(invalid("port 0"));
        }
        if url.query().is_some() {
            return Err(invalid(
                "an FTP URL has no query (write `?` in a name as %3F)",
            ));
        }
        if url.fragment().is_some() {
            return Err(invalid(
                "an FTP URL has no fragment (write `#` in a name as %23)",
            ));
        }
        let user = match url.username() {
            "" => None,
            u => Some(decode(u, "user name").map_err(|w| invalid(&w))?),
        };
        let password = url
            .password()
            .map(|p| decode(p, "password"))
            .transpose()
            .map_err(|w| invalid(&w))?;
        if password.is_some() && user.is_none() {
            return Err(invalid("a password without a user name"));
        }
        let (raw_path, typecode) = split_typecode(url.path());
        let (transfer_type, directory_listing) = match typecode {
            None => (None, false),
            Some(t) if t.eq_ignore_ascii_case("a") => (Some(TransferType::Ascii), false),
            Some(t) if t.eq_ignore_ascii_case("i") => (Some(TransferType::Binary), false),
            Some(t) if t.eq_ignore_ascii_case("d") => (None, true),
            Some(t) => return Err(invalid(&format!("unknown ;type={t} (a, i or d are known)"))),
        };
        // RFC 1738: the path is relative to the login directory; its first `/` only separates
        // it from the host. A `%2F` right after it makes the path absolute.
        let relative = raw_path.strip_prefix('/').unwrap_or(raw_path);
        let path = decode(relative, "path").map_err(|w| invalid(&w))?;
        Ok(FtpUrl {
            host,
            port,
            user,
            password,
            path,
            transfer_type,
            directory_listing,
            secure,
        })
    }

    /// A URL with no credentials, for a handle's `tracing` span.
    pub(crate) fn traced(host: &str, port: u16, path: &str, secure: bool) -> FtpUrl {
        FtpUrl {
            host: host.to_string(),
            port,
            user: None,
            password: None,
            path: path.to_string(),
            transfer_type: None,
            directory_listing: false,
            secure,
        }
    }

    /// True when the path names a directory: the login directory (`""`), a path ending in
    /// `/`, or a `;type=d` URL.
    pub fn is_directory(&self) -> bool {
        self.directory_listing || self.path.is_empty() || self.path.ends_with('/')
    }

    /// The last name of the path (`pub/notes.txt` → `notes.txt`), or `None` for a directory
    /// URL.
    pub fn file_name(&self) -> Option<&str> {
        if self.path.ends_with('/') {
            return None;
        }
        self.path.rsplit('/').next().filter(|n| !n.is_empty())
    }
}

impl fmt::Display for FtpUrl {
    /// The URL again, without the password, percent-encoded, with the default port and the
    /// `;type=` left out: `ftp://ann@example.com/pub/notes%20v2.txt`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "ftps://" } else { "ftp://" })?;
        if let Some(user) = &self.user {
            write!(f, "{}@", encode(user, false))?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        f.write_str("/")?;
        // An absolute path's first `/` is written %2F, so that it reads back the same.
        match self.path.strip_prefix('/') {
            Some(rest) => write!(f, "%2F{}", encode(rest, true)),
            None => f.write_str(&encode(&self.path, true)),
        }
    }
}

impl fmt::Debug for FtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("path", &self.path)
            .field("transfer_type", &self.transfer_type)
            .field("directory_listing", &self.directory_listing)
            .field("secure", &self.secure)
            .finish()
    }
}

fn is_ftp_scheme(s: &str) -> bool {
    s.eq_ignore_ascii_case("ftp") || s.eq_ignore_ascii_case("ftps")
}

fn unrecognized(shown: &str, scheme: &str) -> Error {
    Error::new(
        ErrorKind::UnrecognizedScheme,
        format!("parsing the URL {shown:?}: {scheme}:// is not ftp:// or ftps://"),
    )
}

/// `input` with the password of its user-info replaced by `****`, for messages. Works on text
/// that does not parse as a URL too.
pub(crate) fn redact(input: &str) -> String {
    let Some(start) = input.find("://").map(|i| i + 3) else {
        return input.to_string();
    };
    let rest = &input[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return input.to_string();
    };
    let Some(colon) = authority[..at].find(':') else {
        return input.to_string();
    };
    format!(
        "{}{}****{}",
        &input[..start],
        &authority[..=colon],
        &rest[at..]
    )
}

/// Splits RFC 1738's `;type=X` off the end of a path.
fn split_typecode(path: &str) -> (&str, Option<&str>) {
    let Some((before, after)) = path.rsplit_once(';') else {
        return (path, None);
    };
    // Only in the last segment.
    if after.contains('/') {
        return (path, None);
    }
    match after.split_once('=') {
        Some((key, value)) if key.eq_ignore_ascii_case("type") => (before, Some(value)),
        _ => (path, None),
    }
}

/// Percent-decode `s` to UTF-8; CR, LF and NUL are refused (they would end an FTP command).
fn decode(s: &str, what: &str) -> std::result::Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => return Err(format!("a bad %-escape in the {what}")),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    if out.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(format!("the {what} holds CR, LF or NUL"));
    }
    String::from_utf8(out).map_err(|_| format!("the {what} is not UTF-8 once decoded"))
}

/// Percent-encode what is not unreserved (RFC 3986), keeping `/` when `keep_slash`.
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> FtpUrl {
        FtpUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn code(s: &str) -> u32 {
        FtpUrl::parse(s).map_or_else(|e| e.code(), |u| panic!("{s} parsed: {u:?}"))
    }

    #[test]
    fn ftp_urls_default_to_port_21_and_an_anonymous_login() {
        let u = parse("ftp://Example.COM/pub/file.txt");
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, 21);
        assert_eq!((u.user, u.password), (None, None));
        assert_eq!(u.path, "pub/file.txt");
        assert_eq!(u.transfer_type, None);
        assert!(!u.secure);
    }

    #[test]
    fn ftps_is_explicit_ftps_on_port_21_unless_a_port_is_given() {
        let u = parse("ftps://example.com/x");
        assert!(u.secure);
        assert_eq!(u.port, 21);
        assert_eq!(parse("FTPS://example.com:990/x").port, 990);
    }

    #[test]
    fn the_port_and_ip_addresses_are_read() {
        let u = parse("ftp://127.0.0.1:2121/");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 2121));
        let u = parse("ftp://[::1]:2121/a");
        assert_eq!((u.host.as_str(), u.port), ("::1", 2121));
        assert_eq!(u.to_string(), "ftp://[::1]:2121/a");
    }

    #[test]
    fn user_and_password_are_percent_decoded() {
        let u = parse("ftp://a%20b:p%3Aw%40d%2F@host/");
        assert_eq!(u.user.as_deref(), Some("a b"));
        assert_eq!(u.password.as_deref(), Some("p:w@d/"));
        let u = parse("ftp://ann@host/");
        assert_eq!((u.user.as_deref(), u.password), (Some("ann"), None));
    }

    #[test]
    fn the_path_is_relative_to_the_login_directory_and_percent_decoded() {
        assert_eq!(parse("ftp://h").path, "");
        assert_eq!(parse("ftp://h/").path, "");
        assert_eq!(parse("ftp://h/dir/").path, "dir/");
        assert_eq!(
            parse("ftp://h/a%20dir/caf%C3%A9.txt").path,
            "a dir/café.txt"
        );
        assert_eq!(parse("ftp://h/%2Fetc/motd").path, "/etc/motd");
        assert_eq!(parse("ftp://h/%2fetc/motd").path, "/etc/motd");
    }

    #[test]
    fn directories_and_file_names() {
        assert!(parse("ftp://h").is_directory());
        assert!(parse("ftp://h/pub/").is_directory());
        assert!(parse("ftp://h/pub;type=d").is_directory());
        assert!(!parse("ftp://h/pub/x").is_directory());
        assert_eq!(parse("ftp://h/pub/x.bin").file_name(), Some("x.bin"));
        assert_eq!(parse("ftp://h/x").file_name(), Some("x"));
        assert_eq!(parse("ftp://h/pub/").file_name(), None);
        assert_eq!(parse("ftp://h/").file_name(), None);
    }

    #[test]
    fn rfc_1738_typecodes_are_read_and_taken_off_the_path() {
        let u = parse("ftp://h/f.txt;type=a");
        assert_eq!(
            (u.path.as_str(), u.transfer_type),
            ("f.txt", Some(TransferType::Ascii))
        );
        let u = parse("ftp://h/f.bin;TYPE=I");
        assert_eq!(
            (u.path.as_str(), u.transfer_type),
            ("f.bin", Some(TransferType::Binary))
        );
        let u = parse("ftp://h/pub;type=d");
        assert_eq!((u.path.as_str(), u.directory_listing), ("pub", true));
        // A `;` elsewhere is part of a name.
        assert_eq!(parse("ftp://h/a;b/c").path, "a;b/c");
        assert_eq!(parse("ftp://h/a;b").path, "a;b");
        assert_eq!(code("ftp://h/f;type=x"), 12005);
    }

    #[test]
    fn other_schemes_are_unrecognized_12006() {
        for s in [
            "http://h/x",
            "https://h/",
            "gopher://h/",
            "sftp://h/x",
            "file:///etc/passwd",
            "mailto:a@b",
            "sftp://user:pw@[bad",
        ] {
            assert_eq!(code(s), 12006, "{s}");
        }
    }

    #[test]
    fn malformed_urls_are_invalid_12005() {
        for s in [
            "",
            "no scheme",
            "/just/a/path",
            "ftp://",
            "ftps:x",
            "ftp:x",
            "ftp:/x",
            "ftp:///x",
            "ftps:///x",
            "ftp://h:99999/",
            "ftp://h:0/",
            "ftp://h:port/",
            "ftp://[::1/",
            "ftp://h/x?y=1",
            "ftp://h/x#frag",
            "ftp://h/bad%zzescape",
            "ftp://h/a%0D%0ADELE%20b",
            "ftp://h/nul%00",
            "ftp://h/%FF%FE",
            "ftp://:secret@h/",
        ] {
            assert_eq!(code(s), 12005, "{s}");
        }
    }

    #[test]
    fn no_message_shows_the_password() {
        for s in [
            "ftp://ann:hunter2@h:0/",
            "ftp://ann:hunter2@h/x?q",
            "ftp://ann:hunter2@[bad/",
            "gopher://ann:hunter2@h/",
            "gopher://ann:hunter2@[bad/",
            "ftp://ann:hunter2@h/f;type=q",
        ] {
            let e = FtpUrl::parse(s).expect_err(s);
            let text = format!("{e} {e:?}");
            assert!(!text.contains("hunter2"), "{s}: {text}");
            assert!(text.contains("ann:****@"), "{s}: {text}");
        }
        let u = parse("ftp://ann:hunter2@h/x");
        assert!(!format!("{u} {u:?}").contains("hunter2"));
    }

    #[test]
    fn display_writes_a_url_that_parses_back_the_same_without_the_password() {
        for s in [
            "ftp://h/",
            "ftp://ann@h:2121/a%20b/c%3Fd.txt",
            "ftps://h/dir/",
            "ftp://h/%2Fetc/motd",
            "ftp://a%40b@h/caf%C3%A9",
        ] {
            let u = parse(s);
            assert_eq!(u.to_string(), s);
            assert_eq!(parse(&u.to_string()), u);
        }
        assert_eq!(parse("ftp://h:21/x;type=i").to_string(), "ftp://h/x");
    }

    #[test]
    fn redact_replaces_only_the_password() {
        assert_eq!(redact("ftp://a:b@h/x"), "ftp://a:****@h/x");
        assert_eq!(redact("ftp://a@h/x"), "ftp://a@h/x");
        assert_eq!(redact("ftp://h/x@y:z"), "ftp://h/x@y:z");
        assert_eq!(redact("ftp://a:b:c@d@h/"), "ftp://a:****@h/");
        assert_eq!(redact("no url"), "no url");
    }
}
