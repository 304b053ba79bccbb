//! Locators: one item's type, display string, selector, host, port and Gopher+ marker — a menu
//! line without its line end (RFC 1436 §3.8). WinINet: `GopherCreateLocator` builds one,
//! `GopherGetLocatorType` reads its type; `GopherFindFirstFile` and `GopherOpenFile` take one.
//!
//! Also [`request_line`]: what a client sends to fetch a selector.
//!
//! The selector is kept as bytes: a server that names its items in Latin-1 gets exactly the
//! bytes it sent back. Display strings and host names are text (UTF-8 when valid, else Latin-1).

use std::borrow::Cow;
use std::fmt;

use super::item::{flags, ItemType};
use super::{bytes_to_text, excerpt, ProtoError};

/// The Gopher port (RFC 1436), used when a locator gives none.
pub const DEFAULT_PORT: u16 = 70;

/// The fifth field of a Gopher+ menu line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GopherPlus {
    /// `+`: the item's server speaks Gopher+ (attributes can be asked for).
    Plus,
    /// `?`: a Gopher+ item that asks the user questions before it is fetched (`+ASK`).
    Ask,
}

impl GopherPlus {
    /// The character that marks it: `+` or `?`.
    pub fn as_char(self) -> char {
        match self {
            GopherPlus::Plus => '+',
            GopherPlus::Ask => '?',
        }
    }
}

/// One Gopher item: where it is and what it is.
///
/// Built by [`Locator::new`] (which refuses fields that would break the line) or read by
/// [`Locator::parse`] and the menu parser; either way [`Locator::to_bytes`] writes it back as a
/// menu line that parses to an equal locator.
///
/// ```
/// use inet_gopher::proto::{ItemType, Locator};
///
/// let loc = Locator::new(ItemType::TextFile, "About", "/about.txt", "example.org", 70)?;
/// assert_eq!(loc.to_bytes(), b"0About\t/about.txt\texample.org\t70");
/// assert_eq!(Locator::parse(&loc.to_bytes())?, loc);
/// assert!(Locator::new(ItemType::TextFile, "x", "/a\tb", "example.org", 70).is_err());
/// # Ok::<(), inet_gopher::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locator {
    item_type: ItemType,
    display: String,
    selector: Vec<u8>,
    host: String,
    port: u16,
    gopher_plus: Option<GopherPlus>,
}

impl Locator {
    /// A locator from its parts (WinINet: `GopherCreateLocator`). Port 0 means
    /// [`DEFAULT_PORT`], as WinINet's `INTERNET_INVALID_PORT_NUMBER` does.
    ///
    /// Refused with [`ProtoError::InvalidArgument`]: a TAB, CR, LF or NUL in any field (it
    /// would shift the fields or end the line), an empty host, and a type byte that is not
    /// printable ASCII.
    pub fn new(
        item_type: ItemType,
        display: &str,
        selector: impl AsRef<[u8]>,
        host: &str,
        port: u16,
    ) -> Result<Locator, ProtoError> {
        let byte = item_type.as_byte();
        if !byte.is_ascii_graphic() {
            return Err(ProtoError::InvalidArgument(format!(
                "item type byte {byte:#04x} is not printable ASCII"
            )));
        }
        let selector = selector.as_ref();
        check_field("display string", display.as_bytes())?;
        check_field("selector", selector)?;
        check_field("host", host.as_bytes())?;
        if host.is_empty() {
            return Err(ProtoError::InvalidArgument("the host is empty".into()));
        }
        Ok(Locator {
            item_type,
            display: display.to_owned(),
            selector: selector.to_vec(),
            host: host.to_owned(),
            port: if port == 0 { DEFAULT_PORT } else { port },
            gopher_plus: None,
        })
    }

    /// The same locator with a Gopher+ marker (or none).
    #[must_use]
    pub fn with_gopher_plus(mut self, marker: Option<GopherPlus>) -> Locator {
        self.gopher_plus = marker;
        self
    }

    /// Reads a locator string: `type display \t selector \t host \t port [\t +]`, with or
    /// without a line end.
    ///
    /// Missing trailing fields are allowed: no selector is the empty selector (the server's
    /// root), no host is the empty host (the server the locator is used with), no port is
    /// [`DEFAULT_PORT`]. A fifth field `+` or `?` is the Gopher+ marker; anything else there,
    /// and any later field, is ignored.
    ///
    /// Refused with [`ProtoError::InvalidLocator`]: an empty string, a type byte that is not
    /// printable ASCII, a port that is not a number from 0 to 65535, a line break or NUL inside.
    ///
    /// ```
    /// use inet_gopher::proto::{GopherPlus, ItemType, Locator};
    ///
    /// let loc = Locator::parse(b"1Docs\t/docs\tgopher.example\t7070\t+\r\n")?;
    /// assert_eq!(loc.item_type(), ItemType::Directory);
    /// assert_eq!((loc.display(), loc.selector(), loc.host(), loc.port()),
    ///            ("Docs", &b"/docs"[..], "gopher.example", 7070));
    /// assert_eq!(loc.gopher_plus(), Some(GopherPlus::Plus));
    ///
    /// let short = Locator::parse(b"0Readme")?;
    /// assert_eq!((short.selector(), short.host(), short.port()), (&b""[..], "", 70));
    /// # Ok::<(), inet_gopher::proto::ProtoError>(())
    /// ```
    pub fn parse(line: &[u8]) -> Result<Locator, ProtoError> {
        let line = strip_line_end(line);
        if line.contains(&b'\0') || line.contains(&b'\n') || line.contains(&b'\r') {
            return Err(ProtoError::InvalidLocator(format!(
                "a line break or NUL inside: {}",
                excerpt(line)
            )));
        }
        match Fields::split(line) {
            None => Err(ProtoError::InvalidLocator(format!(
                "no printable type byte: {}",
                excerpt(line)
            ))),
            Some(fields) => fields.into_locator("", DEFAULT_PORT).ok_or_else(|| {
                ProtoError::InvalidLocator(format!("the port is not a number: {}", excerpt(line)))
            }),
        }
    }

    /// The item's type.
    pub fn item_type(&self) -> ItemType {
        self.item_type
    }

    /// What a menu shows for the item.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The selector, as the server sent it: send exactly these bytes to fetch the item.
    pub fn selector(&self) -> &[u8] {
        &self.selector
    }

    /// The selector as text (UTF-8 when valid, else Latin-1), for showing it.
    pub fn selector_text(&self) -> Cow<'_, str> {
        match std::str::from_utf8(&self.selector) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => Cow::Owned(bytes_to_text(&self.selector)),
        }
    }

    /// The server's host name; empty when the locator named none (use the server it came
    /// from).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Gopher+ marker, if the locator carries one.
    pub fn gopher_plus(&self) -> Option<GopherPlus> {
        self.gopher_plus
    }

    /// Whether the item's server speaks Gopher+ (marker `+` or `?`).
    pub fn is_gopher_plus(&self) -> bool {
        self.gopher_plus.is_some()
    }

    /// WinINet's `GOPHER_TYPE_*` flags for this locator (WinINet: `GopherGetLocatorType`):
    /// the type's flag, plus `GOPHER_PLUS` and `ASK` from the marker.
    ///
    /// ```
    /// use inet_gopher::proto::{item::flags, GopherPlus, ItemType, Locator};
    ///
    /// let loc = Locator::new(ItemType::Directory, "d", "/", "h", 70)?
    ///     .with_gopher_plus(Some(GopherPlus::Plus));
    /// assert_eq!(loc.wininet_type(), flags::DIRECTORY | flags::GOPHER_PLUS);
    /// # Ok::<(), inet_gopher::proto::ProtoError>(())
    /// ```
    pub fn wininet_type(&self) -> u32 {
        let plus = match self.gopher_plus {
            None => 0,
            Some(GopherPlus::Plus) => flags::GOPHER_PLUS,
            Some(GopherPlus::Ask) => flags::GOPHER_PLUS | flags::ASK,
        };
        self.item_type.wininet_flag() | plus
    }

    /// The locator as a menu line, without a line end: `type display \t selector \t host \t
    /// port`, then `\t +` or `\t ?` when it has a Gopher+ marker.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.display.len() + self.selector.len() + self.host.len() + 12);
        self.encode(&mut out);
        out
    }

    /// Appends [`to_bytes`](Self::to_bytes) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.item_type.as_byte());
        out.extend_from_slice(self.display.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(&self.selector);
        out.push(b'\t');
        out.extend_from_slice(self.host.as_bytes());
        out.push(b'\t');
        out.extend_from_slice(self.port.to_string().as_bytes());
        if let Some(marker) = self.gopher_plus {
            out.push(b'\t');
            out.push(if marker == GopherPlus::Plus {
                b'+'
            } else {
                b'?'
            });
        }
    }

    /// The request that fetches this item: [`request_line`] with its selector.
    pub fn request(&self, query: Option<&str>, plus: Option<&str>) -> Result<Vec<u8>, ProtoError> {
        request_line(&self.selector, query, plus)
    }
}

impl fmt::Display for Locator {
    /// The menu line as text (the selector shown as [`Locator::selector_text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}\t{}\t{}\t{}",
            char::from(self.item_type.as_byte()),
            self.display,
            self.selector_text(),
            self.host,
            self.port
        )?;
        if let Some(marker) = self.gopher_plus {
            write!(f, "\t{}", marker.as_char())?;
        }
        Ok(())
    }
}

/// The line a client sends to ask for `selector` (RFC 1436 §2; Gopher+ §2.3):
/// `selector [\t query] [\t plus] CRLF`.
///
/// `query` is a search's words (type 7); `plus` is a Gopher+ request suffix: `+` for the item
/// with a Gopher+ reply header, `!` for its attributes (`!+ABSTRACT` for one block), `$` for the
/// attributes of every item of a menu, `+text/plain` for one view.
///
/// Refused with [`ProtoError::InvalidArgument`]: a TAB, CR, LF or NUL in the selector or the
/// query (it would shift the fields or smuggle a second request), a CR, LF or NUL in `plus`.
///
/// ```
/// use inet_gopher::proto::request_line;
///
/// assert_eq!(request_line(b"/docs", None, None)?, b"/docs\r\n");
/// assert_eq!(request_line(b"/search", Some("gopher rfc"), None)?, b"/search\tgopher rfc\r\n");
/// assert_eq!(request_line(b"/a.txt", None, Some("!"))?, b"/a.txt\t!\r\n");
/// assert!(request_line(b"/a\r\n/b", None, None).is_err());
/// # Ok::<(), inet_gopher::proto::ProtoError>(())
/// ```
pub fn request_line(
    selector: &[u8],
    query: Option<&str>,
    plus: Option<&str>,
) -> Result<Vec<u8>, ProtoError> {
    check_field("selector", selector)?;
    let mut out = Vec::with_capacity(selector.len() + 8);
    out.extend_from_slice(selector);
    if let Some(query) = query {
        check_field("search query", query.as_bytes())?;
        out.push(b'\t');
        out.extend_from_slice(query.as_bytes());
    }
    if let Some(plus) = plus {
        if plus.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
            return Err(ProtoError::InvalidArgument(format!(
                "the Gopher+ suffix holds a line break or NUL: {plus:?}"
            )));
        }
        out.push(b'\t');
        out.extend_from_slice(plus.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

// ---- helpers (the menu parser uses them too) ----

/// A menu line cut into its fields (without interpreting the port).
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    pub(crate) item_type: ItemType,
    pub(crate) display: &'a [u8],
    /// `None` when the line has no TAB at all.
    pub(crate) selector: Option<&'a [u8]>,
    pub(crate) host: Option<&'a [u8]>,
    pub(crate) port: Option<&'a [u8]>,
    pub(crate) plus: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    /// Splits a line (without its line end) on TABs; `None` when it does not start with a
    /// printable ASCII type byte.
    pub(crate) fn split(line: &'a [u8]) -> Option<Fields<'a>> {
        let (&type_byte, rest) = line.split_first()?;
        if !type_byte.is_ascii_graphic() {
            return None;
        }
        let mut parts = rest.split(|&b| b == b'\t');
        Some(Fields {
            item_type: ItemType::from_byte(type_byte),
            display: parts.next().unwrap_or_default(),
            selector: parts.next(),
            host: parts.next(),
            port: parts.next(),
            plus: parts.next(),
        })
    }

    /// The locator, with `host` and `port` for missing fields; `None` when the port field is
    /// not a number from 0 to 65535.
    pub(crate) fn into_locator(self, host: &str, port: u16) -> Option<Locator> {
        let port = match self.port.map(<[u8]>::trim_ascii) {
            None | Some(b"") => port,
            Some(digits) => parse_port(digits)?,
        };
        let host = match self.host {
            None => host.to_owned(),
            Some(h) => bytes_to_text(h),
        };
        let gopher_plus = match self.plus.map(|p| p.trim_ascii()) {
            Some(b"+") => Some(GopherPlus::Plus),
            Some(b"?") => Some(GopherPlus::Ask),
            _ => None,
        };
        Some(Locator {
            item_type: self.item_type,
            display: bytes_to_text(self.display),
            selector: self.selector.unwrap_or_default().to_vec(),
            host,
            port,
            gopher_plus,
        })
    }
}

/// `line` without a final CRLF or LF.
pub(crate) fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

pub(crate) fn parse_port(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    u16::try_from(value).ok()
}

fn check_field(what: &str, value: &[u8]) -> Result<(), ProtoError> {
    if value
        .iter()
        .any(|b| matches!(b, b'\t' | b'\r' | b'\n' | b'\0'))
    {
        return Err(ProtoError::InvalidArgument(format!(
            "the {what} holds a TAB, line break or NUL: {}",
            excerpt(value)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: &[u8]) -> Locator {
        Locator::parse(line).unwrap()
    }

    #[test]
    fn a_full_line_is_read_field_by_field() {
        let l = loc(b"0Hello text\t/hello.txt\t127.0.0.1\t18070\r\n");
        assert_eq!(l.item_type(), ItemType::TextFile);
        assert_eq!(l.display(), "Hello text");
        assert_eq!(l.selector(), b"/hello.txt");
        assert_eq!((l.host(), l.port()), ("127.0.0.1", 18070));
        assert_eq!(l.gopher_plus(), None);
    }

    #[test]
    fn the_fifth_field_is_the_gopher_plus_marker() {
        assert_eq!(
            loc(b"1D\t/d\th\t70\t+").gopher_plus(),
            Some(GopherPlus::Plus)
        );
        assert_eq!(
            loc(b"1D\t/d\th\t70\t?").gopher_plus(),
            Some(GopherPlus::Ask)
        );
        assert_eq!(loc(b"1D\t/d\th\t70\tx").gopher_plus(), None);
        assert_eq!(
            loc(b"1D\t/d\th\t70\t+\textra").gopher_plus(),
            Some(GopherPlus::Plus)
        );
    }

    #[test]
    fn missing_trailing_fields_take_defaults() {
        let l = loc(b"0Readme\t/readme");
        assert_eq!(
            (l.selector(), l.host(), l.port()),
            (&b"/readme"[..], "", 70)
        );
        let l = loc(b"0Readme\t/readme\texample.org");
        assert_eq!((l.host(), l.port()), ("example.org", 70));
        let l = loc(b"0Readme\t/readme\texample.org\t");
        assert_eq!(l.port(), 70);
    }

    #[test]
    fn a_bad_port_is_an_invalid_locator() {
        for line in [
            &b"0x\t/x\th\tseventy"[..],
            b"0x\t/x\th\t65536",
            b"0x\t/x\th\t-1",
        ] {
            assert!(
                matches!(Locator::parse(line), Err(ProtoError::InvalidLocator(_))),
                "{line:?}"
            );
        }
        assert_eq!(loc(b"0x\t/x\th\t 65535 ").port(), 65535);
    }

    #[test]
    fn empty_strings_control_type_bytes_and_inner_line_breaks_are_invalid_locators() {
        for line in [
            &b""[..],
            b"\r\n",
            b" x\t/x\th\t70",
            b"\x01x",
            b"0a\nb\t/\th\t70",
            b"0\0",
        ] {
            assert!(
                matches!(Locator::parse(line), Err(ProtoError::InvalidLocator(_))),
                "{line:?}"
            );
        }
    }

    #[test]
    fn building_refuses_fields_that_would_break_the_line() {
        for bad in ["a\tb", "a\rb", "a\nb", "a\0b"] {
            assert!(Locator::new(ItemType::TextFile, bad, "/", "h", 70).is_err());
            assert!(Locator::new(ItemType::TextFile, "d", bad, "h", 70).is_err());
            assert!(Locator::new(ItemType::TextFile, "d", "/", bad, 70).is_err());
        }
        assert!(Locator::new(ItemType::TextFile, "d", "/", "", 70).is_err());
        assert!(Locator::new(ItemType::Unknown(b' '), "d", "/", "h", 70).is_err());
        assert!(Locator::new(ItemType::Unknown(0xe9), "d", "/", "h", 70).is_err());
    }

    #[test]
    fn building_with_port_zero_uses_the_gopher_port() {
        let l = Locator::new(ItemType::Directory, "", "", "h", 0).unwrap();
        assert_eq!(l.port(), DEFAULT_PORT);
    }

    #[test]
    fn built_locators_round_trip_with_their_marker() {
        let l = Locator::new(ItemType::IndexServer, "Søk", "/search", "h.example", 7070)
            .unwrap()
            .with_gopher_plus(Some(GopherPlus::Ask));
        assert_eq!(l.to_bytes(), "7Søk\t/search\th.example\t7070\t?".as_bytes());
        assert_eq!(loc(&l.to_bytes()), l);
        assert_eq!(l.to_string(), "7Søk\t/search\th.example\t7070\t?");
    }

    #[test]
    fn a_latin1_selector_is_kept_byte_for_byte() {
        let l = loc(b"0Gr\xfc\xdfe\t/gr\xfc\xdfe.txt\th\t70");
        assert_eq!(l.display(), "Grüße");
        assert_eq!(l.selector(), b"/gr\xfc\xdfe.txt");
        assert_eq!(l.selector_text(), "/grüße.txt");
        assert_eq!(l.request(None, None).unwrap(), b"/gr\xfc\xdfe.txt\r\n");
    }

    #[test]
    fn wininet_type_adds_the_gopher_plus_flags() {
        let l = loc(b"7S\t/s\th\t70\t?");
        assert_eq!(
            l.wininet_type(),
            flags::INDEX_SERVER | flags::GOPHER_PLUS | flags::ASK
        );
        assert_eq!(loc(b"9B\t/b\th\t70").wininet_type(), flags::BINARY);
    }

    #[test]
    fn request_lines_join_selector_query_and_suffix_with_tabs() {
        assert_eq!(request_line(b"", None, None).unwrap(), b"\r\n");
        assert_eq!(
            request_line(b"/s", Some("a b"), Some("+")).unwrap(),
            b"/s\ta b\t+\r\n"
        );
        assert_eq!(request_line(b"/d", None, Some("$")).unwrap(), b"/d\t$\r\n");
    }

    #[test]
    fn request_lines_refuse_smuggled_fields_and_lines() {
        assert!(request_line(b"/a\tb", None, None).is_err());
        assert!(request_line(b"/a", Some("x\ty"), None).is_err());
        assert!(request_line(b"/a", Some("x\r\n/etc"), None).is_err());
        assert!(request_line(b"/a", None, Some("+\r\n")).is_err());
        assert!(request_line(b"/a\0", None, None).is_err());
    }
}
