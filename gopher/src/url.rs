//! `gopher://` and `gophers://` URLs (RFC 4266) as the parts a Gopher request needs: the server,
//! the item's type and selector, and a search query. Pure: no I/O.
//!
//! - The path is `/<type><selector>`; an empty path (or `/`) is the root menu (type `1`).
//! - Percent-escapes are decoded; the selector is kept as bytes (sent exactly so).
//! - `%09` starts a search query (type 7 items); a second `%09` (a Gopher+ string) is refused.
//! - A `?…` after the path stays part of the selector (RFC 4266 has no query; curl sends it so);
//!   a `#…` fragment is dropped.
//! - `gophers://` is Gopher over TLS. The port is 70 unless given.
//!
//! Errors: a scheme other than `gopher`/`gophers` is UNRECOGNIZED_SCHEME (12006); anything
//! malformed is INVALID_URL (12005).

use std::fmt;

use inet_core::{Error, ErrorKind, Result};

use crate::proto::{ItemType, Locator, DEFAULT_PORT};

/// A `gopher://` or `gophers://` URL, parsed (see the module docs). `Display` writes it back
/// canonically — lower-case host, port left out when 70, selector percent-encoded — and never
/// with user information.
///
/// ```
/// use inet_gopher::{GopherUrl, ItemType};
///
/// let url = GopherUrl::parse("gopher://Example.org:7070/7/search%09gopher%20rfc")?;
/// assert_eq!((url.host.as_str(), url.port, url.secure), ("example.org", 7070, false));
/// assert_eq!(url.item_type, ItemType::IndexServer);
/// assert_eq!(url.selector, b"/search");
/// assert_eq!(url.query.as_deref(), Some("gopher rfc"));
/// assert_eq!(url.to_string(), "gopher://example.org:7070/7/search%09gopher%20rfc");
/// let locator = url.locator()?; // what GopherFind / GopherFile take
/// assert_eq!(locator.selector(), b"/search");
///
/// assert_eq!(GopherUrl::parse("http://example.org/").unwrap_err().code(), 12006);
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GopherUrl {
    /// `gophers://`: TLS on the connection.
    pub secure: bool,
    /// The server's host name or address, lower-case (an IPv6 address without its brackets).
    pub host: String,
    /// The URL's port, else 70.
    pub port: u16,
    /// The path's first character (`1`, a menu, when the path is empty or `/`).
    pub item_type: ItemType,
    /// The selector, percent-decoded, as bytes (sent exactly so).
    pub selector: Vec<u8>,
    /// The search words after `%09`, when the URL has them.
    pub query: Option<String>,
}

impl GopherUrl {
    /// Parse a `gopher://` or `gophers://` URL.
    pub fn parse(input: &str) -> Result<GopherUrl> {
        let text = input.trim();
        let invalid = |why: &str| {
            Error::new(
                ErrorKind::InvalidUrl,
                format!("parsing the URL {text:?}: {why}"),
            )
        };
        let scheme = inet_core::url_text::scheme_of(text).ok_or_else(|| invalid("not a URL"))?;
        let secure = match scheme.as_str() {
            "gopher" => false,
            "gophers" => true,
            other => {
                return Err(Error::new(
                    ErrorKind::UnrecognizedScheme,
                    format!("parsing the URL {text:?}: a {other} URL is no gopher:// URL"),
                ))
            }
        };
        let url = ::url::Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        let host = match url.host() {
            Some(::url::Host::Domain(d))
                if !d.is_empty() && inet_core::url_text::has_authority(text) =>
            {
                d.to_ascii_lowercase()
            }
            Some(::url::Host::Ipv4(a)) => a.to_string(),
            Some(::url::Host::Ipv6(a)) => a.to_string(),
            _ => return Err(invalid("no server name")),
        };
        if host.contains('%') {
            return Err(invalid("no server name"));
        }
        let port = match url.port() {
            Some(0) => return Err(invalid("port 0")),
            Some(p) => p,
            None => DEFAULT_PORT,
        };
        // The query part (`?…`) is part of the selector.
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let decoded = percent_decode(path.strip_prefix('/').unwrap_or(&path));
        let (type_byte, rest) = match decoded.split_first() {
            Some((&t, rest)) => (t, rest),
            None => (b'1', &[][..]),
        };
        let (selector, query) = match rest.iter().position(|&b| b == b'\t') {
            None => (rest.to_vec(), None),
            Some(i) => {
                let search = &rest[i + 1..];
                if search.contains(&b'\t') {
                    return Err(invalid("Gopher+ strings (a second %09) are not supported"));
                }
                let search = String::from_utf8(search.to_vec())
                    .map_err(|_| invalid("the search words are not UTF-8"))?;
                (rest[..i].to_vec(), Some(search))
            }
        };
        Ok(GopherUrl {
            secure,
            host,
            port,
            item_type: ItemType::from_byte(type_byte),
            selector,
            query,
        })
    }

    /// The URL of an item (a menu entry's locator), with no query. For the URL a menu entry
    /// points to, see [`item_url`](Self::item_url).
    pub fn of_locator(locator: &Locator, secure: bool) -> GopherUrl {
        GopherUrl {
            secure,
            host: locator.host().to_ascii_lowercase(),
            port: locator.port(),
            item_type: locator.item_type(),
            selector: locator.selector().to_vec(),
            query: None,
        }
    }

    /// The root menu of a server.
    pub(crate) fn root(host: &str, port: u16, secure: bool) -> GopherUrl {
        GopherUrl {
            secure,
            host: host.to_ascii_lowercase(),
            port,
            item_type: ItemType::Directory,
            selector: Vec::new(),
            query: None,
        }
    }

    /// The URL a menu entry points to, as a client follows it: its locator's URL, or the address
    /// of an `h` item whose selector is `URL:<address>`; `None` for entries that point nowhere
    /// (info lines, errors, no host).
    pub fn item_url(locator: &Locator, secure: bool) -> Option<String> {
        let t = locator.item_type();
        if t.is_info() || t.is_error() || locator.host().is_empty() {
            return None;
        }
        if let Some(address) = locator.selector().strip_prefix(b"URL:") {
            return Some(String::from_utf8_lossy(address).into_owned());
        }
        Some(GopherUrl::of_locator(locator, secure).to_string())
    }

    /// The item's locator (what [`GopherConnection`](crate::GopherConnection)'s finds and files
    /// take). A selector with TAB, CR, LF or NUL makes none (INVALID_URL).
    pub fn locator(&self) -> Result<Locator> {
        Locator::new(self.item_type, "", &self.selector, &self.host, self.port)
            .map_err(|e| Error::new(ErrorKind::InvalidUrl, format!("{self}: {e}")).with_source(e))
    }

    /// Whether the item is a menu or a search (read as a menu).
    pub fn is_menu(&self) -> bool {
        self.item_type.is_directory() || self.item_type.is_index_server()
    }

    /// The selector's last `/`-separated name (for a local file name); `None` when it has none.
    pub fn file_name(&self) -> Option<String> {
        let last = self.selector.rsplit(|&b| b == b'/').next()?;
        let name = String::from_utf8_lossy(last).into_owned();
        (!name.is_empty() && name != "." && name != "..").then_some(name)
    }
}

impl fmt::Display for GopherUrl {
    /// `gopher://host[:port]/<type><selector>[%09<query>]`, percent-encoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure {
            "gophers://"
        } else {
            "gopher://"
        })?;
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        f.write_str("/")?;
        // A type character that is not URL-safe (none of the named types is) is escaped too.
        let t = self.item_type.as_byte();
        if t.is_ascii_alphanumeric() || b"-._~+".contains(&t) {
            write!(f, "{}", char::from(t))?;
        } else {
            write!(f, "%{t:02X}")?;
        }
        encode(f, &self.selector)?;
        if let Some(q) = &self.query {
            f.write_str("%09")?;
            encode(f, q.as_bytes())?;
        }
        Ok(())
    }
}

fn encode(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            write!(f, "{}", char::from(b))?;
        } else {
            write!(f, "%{b:02X}")?;
        }
    }
    Ok(())
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> GopherUrl {
        GopherUrl::parse(s).unwrap()
    }

    #[test]
    fn the_path_is_a_type_then_a_selector_and_an_empty_path_is_the_root_menu() {
        let u = url("gopher://h:7070/9/data/rand%201M.bin");
        assert_eq!(u.item_type, ItemType::Binary);
        assert_eq!(u.selector, b"/data/rand 1M.bin");
        assert_eq!((u.host.as_str(), u.port, u.secure), ("h", 7070, false));
        for root in ["gopher://h", "gopher://h/", "gopher://h/1"] {
            let u = url(root);
            assert_eq!(
                (u.item_type, u.selector.as_slice()),
                (ItemType::Directory, &b""[..])
            );
            assert_eq!(u.port, 70);
            assert!(u.is_menu());
        }
        assert!(url("gophers://h/1/x").secure);
        assert_eq!(url("GOPHER://EXAMPLE.org/0x").host, "example.org");
        assert_eq!(url("gopher://[::1]:7070/0x").host, "::1");
    }

    #[test]
    fn percent_09_starts_the_search_and_a_question_mark_stays_in_the_selector() {
        let u = url("gopher://h/7/search%09gopher%20rfc");
        assert_eq!(u.item_type, ItemType::IndexServer);
        assert_eq!(u.selector, b"/search");
        assert_eq!(u.query.as_deref(), Some("gopher rfc"));
        let u = url("gopher://h/0/cgi?a=1#frag");
        assert_eq!((u.selector.as_slice(), u.query), (&b"/cgi?a=1"[..], None));
        let e = GopherUrl::parse("gopher://h/7/s%09a%09+").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
    }

    #[test]
    fn other_schemes_and_hostless_urls_are_refused_with_wininet_codes() {
        assert_eq!(GopherUrl::parse("ftp://h/x").unwrap_err().code(), 12006);
        assert_eq!(GopherUrl::parse("gopher:///1/x").unwrap_err().code(), 12005);
        assert_eq!(GopherUrl::parse("gopher:h/1/x").unwrap_err().code(), 12005);
        assert_eq!(GopherUrl::parse("gopher://h:0/").unwrap_err().code(), 12005);
        assert_eq!(GopherUrl::parse("no url").unwrap_err().code(), 12005);
    }

    #[test]
    fn a_selector_with_a_line_end_makes_no_locator() {
        let u = url("gopher://h/0/a%0D%0Ab");
        assert_eq!(u.locator().unwrap_err().code(), 12005);
        let l = url("gopher://h:7070/0/a.txt").locator().unwrap();
        assert_eq!(
            (l.item_type(), l.selector(), l.host(), l.port()),
            (ItemType::TextFile, &b"/a.txt"[..], "h", 7070)
        );
    }

    #[test]
    fn file_names_are_the_selectors_last_name() {
        assert_eq!(
            url("gopher://h/9/a/b.bin").file_name().as_deref(),
            Some("b.bin")
        );
        assert_eq!(url("gopher://h/1/dir/").file_name(), None);
        assert_eq!(url("gopher://h/").file_name(), None);
    }

    #[test]
    fn display_is_canonical_without_user_information_and_reads_back_the_same() {
        let u = url("gopher://ann:secret@H:70/7/a%20b%09x%20y");
        assert_eq!(u.to_string(), "gopher://h/7/a%20b%09x%20y");
        assert_eq!(url(&u.to_string()), u);
        assert_eq!(
            url("gophers://[::1]:7/1").to_string(),
            "gophers://[::1]:7/1"
        );
    }

    #[test]
    fn item_urls_escape_the_selector_and_read_back_the_same() {
        let l = Locator::new(ItemType::TextFile, "x", b"/a b?.txt", "h", 7070).unwrap();
        let s = GopherUrl::item_url(&l, false).unwrap();
        assert_eq!(s, "gopher://h:7070/0/a%20b%3F.txt");
        let back = url(&s);
        assert_eq!(
            (back.item_type, back.selector),
            (ItemType::TextFile, b"/a b?.txt".to_vec())
        );
        let l = Locator::new(ItemType::Directory, "x", b"/d", "h", 70).unwrap();
        assert_eq!(GopherUrl::item_url(&l, true).unwrap(), "gophers://h/1/d");
        let link = Locator::new(ItemType::Html, "w", b"URL:http://e/", "h", 70).unwrap();
        assert_eq!(GopherUrl::item_url(&link, false).unwrap(), "http://e/");
        let info = Locator::new(ItemType::Info, "hi", b"", "null.host", 1).unwrap();
        assert_eq!(GopherUrl::item_url(&info, false), None);
    }
}
