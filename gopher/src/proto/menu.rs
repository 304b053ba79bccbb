//! Menus (RFC 1436 §3.8): [`MenuParser`] turns a menu's bytes, as they arrive, into
//! [`MenuItem`]s — the answer to a directory (type 1) or a search (type 7).
//!
//! What it tolerates, since real servers differ (gophernicus ends with `.`; pygopherd does not
//! and adds a Gopher+ fifth field):
//! - lines ending in CRLF or a bare LF; blank lines (skipped);
//! - no `.` line at the end: the server closing the connection ([`MenuParser::finish`]) ends
//!   the menu too, and a last line without a line end still counts;
//! - missing trailing fields: no selector is the empty selector, no host or an empty port field
//!   is the server the menu came from ([`MenuParser::for_server`]);
//! - `i` (info) and `3` (error) lines with anything in their other fields, or none (the port of
//!   such a line, when not a number, is the server's);
//! - unknown type bytes: kept as [`ItemType::Unknown`].
//!
//! What it does not read: a line that does not start with a printable ASCII type byte, a line
//! with a CR inside (not before its LF), a line of another type without any TAB, a line whose
//! port is not a number come back whole as
//! [`MenuItem::Raw`] (never dropped). A NUL byte means the bytes are no menu at all (a binary
//! item read as one): that, and a line longer than the limit, is an error — the driver reports
//! `INVALID_SERVER_RESPONSE` (12152). Nothing here panics, and memory stays within one line's
//! limit however long the menu.

use super::locator::{parse_port, strip_line_end, Fields, Locator, DEFAULT_PORT};
use super::{bytes_to_text, excerpt, ItemType, ProtoError};

/// Default longest menu line, in bytes (without its line end): RFC 1436 keeps selectors to 255
/// bytes and display strings to 70; this leaves room for long info lines.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// One line of a menu.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MenuItem {
    /// An item, `i` info lines and `3` error lines included.
    Entry(Locator),
    /// A line in no menu format we read, kept whole (without its line end) as text.
    Raw(String),
}

/// Where the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// More bytes may come.
    Open,
    /// The server closed: the bytes buffered are all there is.
    Closed,
    /// The menu ended (`.` line, or closed and drained).
    Done,
}

/// The incremental menu parser: push bytes as they arrive (in any pieces), take items out.
///
/// ```
/// use inet_gopher::proto::{ItemType, MenuItem, MenuParser};
///
/// let mut menu = MenuParser::for_server("gopher.example", 70);
/// menu.push(b"iWelcome!\t\terror.host\t1\r\n0About\t/about.txt\tgopher.example\t70\r\n1Mo");
/// let Some(MenuItem::Entry(info)) = menu.next_item()? else { panic!() };
/// assert_eq!((info.item_type(), info.display()), (ItemType::Info, "Welcome!"));
/// let Some(MenuItem::Entry(about)) = menu.next_item()? else { panic!() };
/// assert_eq!(about.selector(), b"/about.txt");
/// assert_eq!(menu.next_item()?, None); // "1Mo…" is not a whole line yet
/// menu.push(b"re\t/more\r\n.\r\n");
/// let Some(MenuItem::Entry(more)) = menu.next_item()? else { panic!() };
/// assert_eq!((more.host(), more.port()), ("gopher.example", 70)); // the missing fields
/// assert_eq!(menu.next_item()?, None);
/// assert!(menu.is_done() && menu.terminated());
/// # Ok::<(), inet_gopher::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MenuParser {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// How far past `start` we already looked for a line end (no quadratic rescans).
    scanned: usize,
    state: State,
    terminated: bool,
    failed: Option<ProtoError>,
    host: String,
    port: u16,
    max_line: usize,
}

impl Default for MenuParser {
    fn default() -> Self {
        Self::new()
    }
}

impl MenuParser {
    /// A parser for a menu from an unnamed server: missing hosts stay empty and missing ports
    /// are [`DEFAULT_PORT`]. Lines may be up to [`DEFAULT_MAX_LINE`] bytes.
    pub fn new() -> Self {
        Self::for_server("", DEFAULT_PORT)
    }

    /// A parser for a menu read from `host`:`port`, which lines without a host or port name.
    pub fn for_server(host: &str, port: u16) -> Self {
        MenuParser {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            state: State::Open,
            terminated: false,
            failed: None,
            host: host.to_owned(),
            port,
            max_line: DEFAULT_MAX_LINE,
        }
    }

    /// The same parser with another longest line, in bytes.
    #[must_use]
    pub fn with_max_line(mut self, max_line: usize) -> Self {
        self.max_line = max_line;
        self
    }

    /// Adds bytes read from the server. Bytes after the end of the menu are dropped.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.state != State::Open {
            return;
        }
        // Drop what was consumed before growing, so the buffer holds at most about one line
        // of unread bytes plus what just arrived.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The server closed the connection: what is buffered is the rest of the menu. A last line
    /// without a line end is read as a line, and the menu ends after it even without a `.` line.
    pub fn finish(&mut self) {
        if self.state == State::Open {
            self.state = State::Closed;
        }
    }

    /// The next item; `Ok(None)` when more bytes are needed or the menu is over
    /// ([`is_done`](Self::is_done) tells which); or the error that stopped the parser, again on
    /// every later call.
    pub fn next_item(&mut self) -> Result<Option<MenuItem>, ProtoError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.read_item() {
            Ok(item) => Ok(item),
            Err(err) => {
                self.failed = Some(err.clone());
                Err(err)
            }
        }
    }

    /// True once the menu is over: its `.` line came, or the server closed and every line was
    /// read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Whether the menu ended with its `.` line (false for a menu ended by the server closing).
    pub fn terminated(&self) -> bool {
        self.terminated
    }

    /// Bytes pushed and not yet read as a line.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    fn read_item(&mut self) -> Result<Option<MenuItem>, ProtoError> {
        loop {
            if self.state == State::Done {
                return Ok(None);
            }
            let Some(line) = self.next_line()? else {
                if self.state == State::Closed {
                    self.state = State::Done;
                }
                return Ok(None);
            };
            let line = strip_line_end(&self.buf[line]);
            if line == b"." {
                self.state = State::Done;
                self.terminated = true;
                self.buf.clear();
                self.start = 0;
                return Ok(None);
            }
            if let Some(item) = parse_line(line, &self.host, self.port)? {
                return Ok(Some(item));
            }
        }
    }

    /// The next complete line's place in `buf` (line end included); at the end of a closed
    /// stream, what is left. `None` when no line is complete.
    fn next_line(&mut self) -> Result<Option<std::ops::Range<usize>>, ProtoError> {
        let unread = &self.buf[self.start..];
        let end = match unread[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(offset) => self.scanned + offset + 1,
            None => {
                self.scanned = unread.len();
                // A CR may still be waiting for its LF, so allow one byte over the line limit.
                if unread.len() > self.max_line + 1 {
                    return Err(ProtoError::LineTooLong {
                        limit: self.max_line,
                    });
                }
                if self.state == State::Open || unread.is_empty() {
                    return Ok(None);
                }
                unread.len()
            }
        };
        if strip_line_end(&unread[..end]).len() > self.max_line {
            return Err(ProtoError::LineTooLong {
                limit: self.max_line,
            });
        }
        let range = self.start..self.start + end;
        self.start += end;
        self.scanned = 0;
        Ok(Some(range))
    }
}

/// One menu line (without its line end, not the `.` line); `None` for a blank line.
fn parse_line(line: &[u8], host: &str, port: u16) -> Result<Option<MenuItem>, ProtoError> {
    if line.contains(&b'\0') {
        return Err(ProtoError::InvalidReply(format!(
            "a NUL byte in a menu line (binary data?): {}",
            excerpt(line)
        )));
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // A CR inside a line (not before its LF) makes a selector no request can carry.
    let Some(mut fields) = Fields::split(line).filter(|_| !line.contains(&b'\r')) else {
        return Ok(Some(MenuItem::Raw(bytes_to_text(line))));
    };
    let display_only = matches!(fields.item_type, ItemType::Info | ItemType::Error);
    if display_only {
        // Servers fill these fields with anything ("fake", "(NULL)", "error.host"): a port that
        // is no number is the server's.
        if fields
            .port
            .is_some_and(|p| parse_port(p.trim_ascii()).is_none())
        {
            fields.port = None;
        }
    } else if fields.selector.is_none() {
        return Ok(Some(MenuItem::Raw(bytes_to_text(line))));
    }
    Ok(Some(match fields.into_locator(host, port) {
        Some(locator) => MenuItem::Entry(locator),
        None => MenuItem::Raw(bytes_to_text(line)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::GopherPlus;

    /// Every item of `wire` fed at once, then closed.
    fn read_all(wire: &[u8]) -> Result<Vec<MenuItem>, ProtoError> {
        let mut menu = MenuParser::for_server("origin.example", 7070);
        menu.push(wire);
        menu.finish();
        let mut items = Vec::new();
        while let Some(item) = menu.next_item()? {
            items.push(item);
        }
        assert!(menu.is_done());
        Ok(items)
    }

    fn entry(item: &MenuItem) -> &Locator {
        match item {
            MenuItem::Entry(l) => l,
            MenuItem::Raw(raw) => panic!("raw line {raw:?}"),
        }
    }

    #[test]
    fn a_gophernicus_menu_reads_item_by_item_up_to_the_dot_line() {
        let wire = b"iWelcome to the inet test gopher server.\t\tnull.host\t1\r\n\
0Hello text\t/hello.txt\t127.0.0.1\t18070\r\n\
1A directory\t/dir\t127.0.0.1\t18070\r\n\
9Binary file (64 KiB)\t/bin.dat\t127.0.0.1\t18070\r\n\
7Search\t/search\t127.0.0.1\t18070\r\n\
hWeb link\tURL:http://127.0.0.1:18080/hello.txt\t127.0.0.1\t18070\r\n\
.\r\n";
        let mut menu = MenuParser::new();
        menu.push(wire);
        let mut items = Vec::new();
        while let Some(item) = menu.next_item().unwrap() {
            items.push(item);
        }
        assert!(menu.is_done() && menu.terminated());
        let types: Vec<ItemType> = items.iter().map(|i| entry(i).item_type()).collect();
        assert_eq!(
            types,
            [
                ItemType::Info,
                ItemType::TextFile,
                ItemType::Directory,
                ItemType::Binary,
                ItemType::IndexServer,
                ItemType::Html
            ]
        );
        assert_eq!(entry(&items[1]).selector(), b"/hello.txt");
        assert_eq!(entry(&items[4]).port(), 18070);
        assert_eq!(
            entry(&items[5]).selector_text(),
            "URL:http://127.0.0.1:18080/hello.txt"
        );
    }

    #[test]
    fn a_pygopherd_menu_without_a_dot_line_ends_when_the_server_closes() {
        let wire = b"iWelcome\tfake\t(NULL)\t0\r\n1A directory\t/dir\t127.0.0.1\t18071\t+\r\n";
        let items = read_all(wire).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(entry(&items[0]).port(), 0);
        assert_eq!(entry(&items[1]).gopher_plus(), Some(GopherPlus::Plus));
    }

    #[test]
    fn without_finish_an_unterminated_menu_waits_for_more() {
        let mut menu = MenuParser::new();
        menu.push(b"0A\t/a\th\t70\r\n");
        assert!(menu.next_item().unwrap().is_some());
        assert_eq!(menu.next_item().unwrap(), None);
        assert!(!menu.is_done());
        menu.finish();
        assert_eq!(menu.next_item().unwrap(), None);
        assert!(menu.is_done() && !menu.terminated());
    }

    #[test]
    fn a_last_line_without_a_line_end_counts_at_close() {
        let items = read_all(b"0A\t/a\th\t70\r\n0B\t/b\th\t70").unwrap();
        assert_eq!(entry(&items[1]).selector(), b"/b");
        let mut menu = MenuParser::new();
        menu.push(b"0A\t/a\th\t70\r\n.");
        menu.finish();
        assert!(menu.next_item().unwrap().is_some());
        assert_eq!(menu.next_item().unwrap(), None);
        assert!(menu.terminated());
    }

    #[test]
    fn lf_only_lines_and_blank_lines_are_fine() {
        let items = read_all(b"0A\t/a\th\t70\n\n   \r\n1B\t/b\th\t70\n.\n").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(entry(&items[1]).display(), "B");
    }

    #[test]
    fn missing_fields_come_from_the_server_the_menu_came_from() {
        let items =
            read_all(b"0A\t/a\r\n0B\t/b\tother.example\r\n0C\t/c\tother.example\t\r\n").unwrap();
        let places: Vec<(&str, u16)> = items
            .iter()
            .map(|i| (entry(i).host(), entry(i).port()))
            .collect();
        assert_eq!(
            places,
            [
                ("origin.example", 7070),
                ("other.example", 7070),
                ("other.example", 7070)
            ]
        );
    }

    #[test]
    fn info_and_error_lines_need_no_fields() {
        let items =
            read_all(b"iJust text\r\n3Not found\r\niodd\tfields\there\tnot-a-port\r\n").unwrap();
        assert_eq!(entry(&items[0]).display(), "Just text");
        assert_eq!(entry(&items[1]).item_type(), ItemType::Error);
        assert_eq!(entry(&items[2]).port(), 7070);
        assert_eq!(entry(&items[2]).host(), "here");
    }

    #[test]
    fn lines_nobody_can_read_come_back_raw() {
        let items = read_all(
            b"Error: File or directory not found! (null)\r\n\x1b[1mbold\r\n0bad port\t/x\th\tseventy\r\n",
        )
        .unwrap();
        assert_eq!(
            items,
            [
                MenuItem::Raw("Error: File or directory not found! (null)".into()),
                MenuItem::Raw("\x1b[1mbold".into()),
                MenuItem::Raw("0bad port\t/x\th\tseventy".into()),
            ]
        );
    }

    #[test]
    fn a_line_with_a_cr_inside_comes_back_raw() {
        // Found by the gopher_menu fuzz target: the selector "\r\x83" could not be requested.
        let items = read_all(b"1\t\r\x83\r\n0a\rb\t/x\th\t70\r\r\n").unwrap();
        assert_eq!(
            items,
            [
                MenuItem::Raw("1\t\r\u{83}".into()),
                MenuItem::Raw("0a\rb\t/x\th\t70\r".into()),
            ]
        );
    }

    #[test]
    fn only_ascii_whitespace_makes_a_blank_line() {
        // A vertical tab is no whitespace to `u8::is_ascii_whitespace` (nor a type byte).
        assert_eq!(
            read_all(b" \t\r\n\x0b\n").unwrap(),
            [MenuItem::Raw("\x0b".into())]
        );
    }

    #[test]
    fn unknown_types_are_kept() {
        let items = read_all(b"XStrange\t/x\th\t70\r\n").unwrap();
        assert_eq!(entry(&items[0]).item_type(), ItemType::Unknown(b'X'));
    }

    #[test]
    fn a_nul_byte_is_an_error_and_stays_one() {
        let mut menu = MenuParser::new();
        menu.push(b"0A\t/a\th\t70\r\n\x89PNG\x00\x00\r\n0B\t/b\th\t70\r\n");
        assert!(menu.next_item().unwrap().is_some());
        assert!(matches!(menu.next_item(), Err(ProtoError::InvalidReply(_))));
        assert!(matches!(menu.next_item(), Err(ProtoError::InvalidReply(_))));
    }

    #[test]
    fn a_line_over_the_limit_fails_even_before_its_end_arrives() {
        let mut menu = MenuParser::new().with_max_line(16);
        menu.push(b"0this line never ends and keeps going");
        assert_eq!(menu.next_item(), Err(ProtoError::LineTooLong { limit: 16 }));
        let mut menu = MenuParser::new().with_max_line(16);
        menu.push(b"0this line is far too long\r\n");
        assert_eq!(menu.next_item(), Err(ProtoError::LineTooLong { limit: 16 }));
        let mut menu = MenuParser::new().with_max_line(16);
        menu.push(b"0sixteen bytes..\r\n");
        assert!(menu.next_item().is_ok());
    }

    #[test]
    fn a_menu_split_byte_by_byte_gives_the_same_items() {
        let wire = b"iHi\t\tnull.host\t1\r\n0A\t/a\th\t70\r\n1B\t/b\th\t70\t+\n.\r\n";
        let mut menu = MenuParser::new();
        let mut items = Vec::new();
        for &byte in wire.iter() {
            menu.push(&[byte]);
            while let Some(item) = menu.next_item().unwrap() {
                items.push(item);
            }
        }
        let mut whole = MenuParser::new();
        whole.push(wire);
        let mut expected = Vec::new();
        while let Some(item) = whole.next_item().unwrap() {
            expected.push(item);
        }
        assert_eq!(items, expected);
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn bytes_after_the_dot_line_are_dropped() {
        let mut menu = MenuParser::new();
        menu.push(b".\r\n0A\t/a\th\t70\r\n");
        assert_eq!(menu.next_item().unwrap(), None);
        menu.push(b"0B\t/b\th\t70\r\n");
        assert_eq!(menu.next_item().unwrap(), None);
        assert!(menu.is_done());
        assert_eq!(menu.buffered(), 0);
    }

    #[test]
    fn a_dot_with_more_on_its_line_is_not_the_end() {
        let items = read_all(b".hidden\t/.hidden\th\t70\r\n").unwrap();
        assert_eq!(entry(&items[0]).item_type(), ItemType::Unknown(b'.'));
    }
}
