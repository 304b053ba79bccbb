//! `gopher://` and `gophers://` URLs as the Gopher commands read them (RFC 4266): the path is
//! `/<type><selector>`, `%09` starts a search query (type 7), percent-escapes are decoded, and a
//! `?…` after the path stays part of the selector, as curl sends it.

use std::fmt;

use inet::gopher::{ItemType, Locator};
use inet::urls::crack_url;
use inet::{Error, ErrorKind};

/// A parsed gopher URL: the server, the item's type and selector, and a search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GopherUrl {
    /// gophers://: TLS on the connection.
    pub secure: bool,
    pub host: String,
    pub port: u16,
    /// The path's first character (`1`, a menu, when the path is empty or `/`).
    pub item_type: ItemType,
    /// The selector, percent-decoded, as bytes (sent exactly so).
    pub selector: Vec<u8>,
    /// The search words after `%09`, when the URL has them.
    pub query: Option<String>,
    /// The URL as given (trimmed), for messages.
    text: String,
}

impl GopherUrl {
    /// Parse a `gopher://` or `gophers://` URL: another scheme → UNRECOGNIZED_SCHEME (12006), no
    /// host or not a URL → INVALID_URL (12005), as `inet::urls::crack_url`; a Gopher+ string
    /// (a second `%09`) → INVALID_URL.
    pub fn parse(url: &str) -> inet::Result<GopherUrl> {
        let parts = crack_url(url)?;
        let secure = match parts.scheme.as_str() {
            "gopher" => false,
            "gophers" => true,
            other => {
                return Err(Error::new(
                    ErrorKind::UnrecognizedScheme,
                    format!("{url}: a {other} URL is no gopher:// URL"),
                ))
            }
        };
        // The query part (`?…`) is part of the selector (RFC 4266 has no query; curl sends it).
        let extra = parts.extra.split('#').next().unwrap_or_default();
        let path = format!("{}{extra}", parts.path);
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
                    return Err(Error::new(
                        ErrorKind::InvalidUrl,
                        format!("{url}: Gopher+ strings (a second %09) are not supported"),
                    ));
                }
                let search = String::from_utf8(search.to_vec()).map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidUrl,
                        format!("{url}: the search words are not UTF-8"),
                    )
                })?;
                (rest[..i].to_vec(), Some(search))
            }
        };
        Ok(GopherUrl {
            secure,
            host: parts.host,
            port: parts.port,
            item_type: ItemType::from_byte(type_byte),
            selector,
            query,
            text: url.trim().to_string(),
        })
    }

    /// The item's locator.
    pub fn locator(&self) -> inet::Result<Locator> {
        Locator::new(self.item_type, "", &self.selector, &self.host, self.port).map_err(|e| {
            Error::new(ErrorKind::InvalidUrl, format!("{}: {e}", self.text)).with_source(e)
        })
    }

    /// Whether the item is a menu or a search (read as a menu).
    pub fn is_menu(&self) -> bool {
        self.item_type.is_directory() || self.item_type.is_index_server()
    }

    /// The selector's last `/`-separated name, for `-O`; None when it has none.
    pub fn file_name(&self) -> Option<String> {
        let last = self.selector.rsplit(|&b| b == b'/').next()?;
        let name = String::from_utf8_lossy(last).into_owned();
        (!name.is_empty() && name != "." && name != "..").then_some(name)
    }
}

impl fmt::Display for GopherUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The URL of a menu item, as `inet get` takes it back: `gopher://host:port/<type><selector>`
/// with the selector percent-encoded (`gophers://` when `secure`). An `h` item whose selector is
/// `URL:<address>` is that address.
pub fn item_url(locator: &Locator, secure: bool) -> Option<String> {
    let t = locator.item_type();
    if t.is_info() || t.is_error() || locator.host().is_empty() {
        return None;
    }
    if let Some(address) = locator.selector().strip_prefix(b"URL:") {
        return Some(String::from_utf8_lossy(address).into_owned());
    }
    let scheme = if secure { "gophers" } else { "gopher" };
    let host = if locator.host().contains(':') {
        format!("[{}]", locator.host())
    } else {
        locator.host().to_string()
    };
    let port = match locator.port() {
        70 => String::new(),
        p => format!(":{p}"),
    };
    let mut path = String::new();
    path.push(char::from(t.as_byte()));
    for &b in locator.selector() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    Some(format!("{scheme}://{host}{port}/{}", escape_type(&path)))
}

/// A type character that is not URL-safe (none of the named types is) is escaped too.
fn escape_type(path: &str) -> String {
    match path.as_bytes().first() {
        Some(&b) if !(b.is_ascii_alphanumeric() || b"-._~+".contains(&b)) => {
            format!("%{b:02X}{}", &path[1..])
        }
        _ => path.to_string(),
    }
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
        }
        assert!(url("gophers://h/1/x").secure);
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
        let e = GopherUrl::parse("ftp://h/x").unwrap_err();
        assert_eq!(e.code(), 12006);
        let e = GopherUrl::parse("gopher:///1/x").unwrap_err();
        assert_eq!(e.code(), 12005);
    }

    #[test]
    fn a_selector_with_a_line_end_makes_no_locator() {
        let u = url("gopher://h/0/a%0D%0Ab");
        assert_eq!(u.locator().unwrap_err().code(), 12005);
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
    fn item_urls_escape_the_selector_and_read_back_the_same() {
        let l = Locator::new(ItemType::TextFile, "x", b"/a b?.txt", "h", 7070).unwrap();
        let s = item_url(&l, false).unwrap();
        assert_eq!(s, "gopher://h:7070/0/a%20b%3F.txt");
        let back = url(&s);
        assert_eq!(
            (back.item_type, back.selector),
            (ItemType::TextFile, b"/a b?.txt".to_vec())
        );
        let l = Locator::new(ItemType::Directory, "x", b"/d", "h", 70).unwrap();
        assert_eq!(item_url(&l, true).unwrap(), "gophers://h/1/d");
        let link = Locator::new(ItemType::Html, "w", b"URL:http://e/", "h", 70).unwrap();
        assert_eq!(item_url(&link, false).unwrap(), "http://e/");
        let info = Locator::new(ItemType::Info, "hi", b"", "null.host", 1).unwrap();
        assert_eq!(item_url(&info, false), None);
    }
}
