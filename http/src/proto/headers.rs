//! [`HeaderList`]: an ordered header store with WinINet's `HttpAddRequestHeaders` semantics.
//!
//! HTTP headers are not a map. Order matters to some servers, a name may repeat (`Set-Cookie`),
//! and WinINet callers expect the spelling they used to go out on the wire. So the list keeps
//! `(name, value)` pairs in insertion order, compares names ASCII-case-insensitively, and
//! preserves the case it was given.
//!
//! Every way in validates: a name must be an RFC 9110 token and a value must hold no control
//! character but HTAB. That makes header injection (`"X: a\r\nEvil: b"`) impossible by
//! construction, so [`RequestHead::encode`](super::RequestHead::encode) can write the list as is.

use std::fmt;
use std::ops::Range;

/// How [`HeaderList::add_lines`] treats a header whose name is already present.
///
/// WinINet: the `HTTP_ADDREQ_FLAG_*` modifiers of `HttpAddRequestHeaders`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Modifier {
    /// Append the header even if one of that name exists. WinINet: `HTTP_ADDREQ_FLAG_ADD`.
    Add,
    /// Append the header, failing with [`HeaderErrorKind::AlreadyExists`] if one of that name
    /// exists. WinINet: `HTTP_ADDREQ_FLAG_ADD_IF_NEW`.
    AddIfNew,
    /// Replace the value of the first header of that name; an empty value removes that header;
    /// a header that is absent is added (unless the value is empty: there is nothing to add).
    /// WinINet: `HTTP_ADDREQ_FLAG_REPLACE`.
    Replace,
    /// Append the value to the first header of that name, after `", "`, or add the header if
    /// absent. WinINet: `HTTP_ADDREQ_FLAG_COALESCE_WITH_COMMA`.
    CoalesceComma,
    /// Append the value to the first header of that name, after `"; "` (the `Cookie` separator),
    /// or add the header if absent. WinINet: `HTTP_ADDREQ_FLAG_COALESCE_WITH_SEMICOLON`.
    CoalesceSemicolon,
}

/// What was wrong with a header handed to [`HeaderList`].
///
/// The driver maps these onto different WinINet errors (`ERROR_HTTP_HEADER_ALREADY_EXISTS` for
/// [`AlreadyExists`](HeaderErrorKind::AlreadyExists), `ERROR_HTTP_INVALID_HEADER` for the rest),
/// hence a kind rather than only a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderErrorKind {
    /// A line has no `:` separating name and value.
    MissingColon,
    /// The name is empty or not an RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
    InvalidName,
    /// The value holds CR, LF, NUL, DEL or another control character other than HTAB.
    InvalidValue,
    /// [`Modifier::AddIfNew`] was used and a header of that name exists.
    AlreadyExists,
}

/// A header refused by [`HeaderList`]; its message names the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    header: String,
    kind: HeaderErrorKind,
}

impl HeaderError {
    fn new(header: &str, kind: HeaderErrorKind) -> Self {
        HeaderError {
            header: header.to_owned(),
            kind,
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> HeaderErrorKind {
        self.kind
    }

    /// The offending header name (or the whole line, when it had no colon).
    pub fn header(&self) -> &str {
        &self.header
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` escapes control characters, so a hostile name cannot garble a log line.
        let header = &self.header;
        match self.kind {
            HeaderErrorKind::MissingColon => write!(f, "header line {header:?} has no colon"),
            HeaderErrorKind::InvalidName => {
                write!(f, "header name {header:?} is not a valid token")
            }
            HeaderErrorKind::InvalidValue => {
                write!(f, "header {header:?} has a control character in its value")
            }
            HeaderErrorKind::AlreadyExists => write!(f, "header {header:?} already exists"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// An ordered list of `(name, value)` headers; names compare case-insensitively and keep their
/// case.
///
/// WinINet: the request headers built by `HttpOpenRequest`/`HttpAddRequestHeaders`, and the
/// response headers read by `HttpQueryInfo`.
///
/// Stored as one text buffer plus spans into it: a response's dozen headers cost two allocations,
/// not two per header. Replaced or removed text stays in the buffer until the list is dropped
/// (lists are small and short-lived).
#[derive(Clone, Default)]
pub struct HeaderList {
    text: String,
    entries: Vec<Entry>,
}

/// Where one header's name and value sit in [`HeaderList::text`].
#[derive(Clone, Copy, Debug)]
struct Entry {
    name: (u32, u32),
    value: (u32, u32),
}

impl Entry {
    /// Whether this header is called `name` (ASCII-case-insensitively). The lengths are compared
    /// first and the bytes without making a `&str` of them: a lookup passes over every header,
    /// and most differ in length. (Slicing each header as text first, the lookups that frame a
    /// response and decide its keep-alive took 4,200 instructions, a tenth of a small request.)
    fn is_named(&self, text: &str, name: &str) -> bool {
        let (start, end) = (self.name.0 as usize, self.name.1 as usize);
        end.wrapping_sub(start) == name.len()
            && text
                .as_bytes()
                .get(start..end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    }
}

impl PartialEq for HeaderList {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for HeaderList {}

impl std::fmt::Debug for HeaderList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl HeaderList {
    /// An empty list.
    pub fn new() -> Self {
        HeaderList::default()
    }

    /// An empty list with room for `headers` headers of `text` bytes of names and values in all
    /// (a parsed head knows both: one allocation each instead of a doubling series).
    pub fn with_capacity(headers: usize, text: usize) -> Self {
        HeaderList {
            text: String::with_capacity(text),
            entries: Vec::with_capacity(headers),
        }
    }

    /// Adds the `Name: value` lines of `text` (separated by CRLF or LF; blank lines are skipped),
    /// treating existing names as `modifier` says.
    ///
    /// All or nothing: if any line is malformed, or [`Modifier::AddIfNew`] meets an existing
    /// name, the list is left exactly as it was. A caller that gets an error cannot know which
    /// lines "went in", so none do.
    ///
    /// WinINet: `HttpAddRequestHeaders(hRequest, text, -1, modifier)`.
    ///
    /// ```
    /// use inet_http::proto::{HeaderList, Modifier};
    /// let mut headers = HeaderList::new();
    /// headers.add_lines("Accept: text/html\r\nX-Trace: 1\r\n", Modifier::Add)?;
    /// headers.add_lines("Accept: image/png", Modifier::CoalesceComma)?;
    /// assert_eq!(headers.get("accept", 0), Some("text/html, image/png"));
    /// # Ok::<(), inet_http::proto::HeaderError>(())
    /// ```
    pub fn add_lines(&mut self, text: &str, modifier: Modifier) -> Result<(), HeaderError> {
        let lines = split_lines(text)?;
        // Apply to a copy so that a failure halfway leaves `self` untouched. Header lists are a
        // few dozen short strings; the copy is cheap next to a network round trip.
        let mut next = self.clone();
        for (name, value) in lines {
            next.apply(name, value, modifier)?;
        }
        *self = next;
        Ok(())
    }

    /// Appends one header, validating it. Leading and trailing spaces/tabs of `value` are dropped
    /// (they are not part of a field value in RFC 9110).
    pub fn push(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        let value = trim_ows(value);
        validate(name, value)?;
        self.push_unchecked(name, value);
        Ok(())
    }

    /// Removes every header called `name`, then appends `name: value`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        let value = trim_ows(value);
        validate(name, value)?;
        self.remove(name);
        self.push_unchecked(name, value);
        Ok(())
    }

    /// Appends `name: value` only if no header called `name` exists; returns whether it did.
    ///
    /// The driver uses this for defaults (`Host`, `User-Agent`, `Accept-Encoding`) so that a
    /// header the user set always wins.
    pub fn insert_default(&mut self, name: &str, value: &str) -> Result<bool, HeaderError> {
        if self.contains(name) {
            // Validate anyway: a bad default is a bug that should not hide behind a user header.
            validate(name, trim_ows(value))?;
            return Ok(false);
        }
        self.push(name, value)?;
        Ok(true)
    }

    /// The value of the `index`-th header called `name` (0 is the first).
    ///
    /// WinINet: `HttpQueryInfo` with `lpdwIndex`.
    pub fn get(&self, name: &str, index: usize) -> Option<&str> {
        self.get_all(name).nth(index)
    }

    /// The values of every header called `name`, in order.
    pub fn get_all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        self.entries
            .iter()
            .filter(move |e| e.is_named(&self.text, name))
            .map(|e| slice(&self.text, e.value))
    }

    /// Whether a header called `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.is_named(&self.text, name))
    }

    /// Removes every header called `name`; returns how many there were.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.entries.len();
        let text = &self.text;
        self.entries.retain(|e| !e.is_named(text, name));
        before - self.entries.len()
    }

    /// All headers in order, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries
            .iter()
            .map(|e| (slice(&self.text, e.name), slice(&self.text, e.value)))
    }

    /// How many headers there are (repeated names count once per line).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The headers as `Name: value\r\n` lines (no final blank line).
    ///
    /// WinINet: `HttpQueryInfo(HTTP_QUERY_RAW_HEADERS_CRLF | HTTP_QUERY_FLAG_REQUEST_HEADERS)`.
    pub fn to_raw(&self) -> String {
        let mut raw = String::new();
        for (name, value) in self.iter() {
            raw.push_str(name);
            raw.push_str(": ");
            raw.push_str(value);
            raw.push_str("\r\n");
        }
        raw
    }

    /// Writes [`to_raw`](Self::to_raw)'s text as bytes, without an intermediate `String`.
    pub(crate) fn write_raw(&self, out: &mut Vec<u8>) {
        for (name, value) in self.iter() {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    /// A list over `text`, with the headers at `spans` (`(name, value)` byte ranges of `text`,
    /// in order), already checked by a parser: one copy of a head's header lines instead of one
    /// per name and value. Values are trimmed of OWS here. `None` if a span is missing or lies
    /// outside `text`. A parser's spans border ASCII bytes (`:`, spaces, line ends), so they are
    /// at character boundaries; were one not, it would read as empty, never panic (see `slice`).
    pub(crate) fn over_parsed(
        text: String,
        spans: impl ExactSizeIterator<Item = Option<(Range<usize>, Range<usize>)>>,
    ) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut entries = Vec::with_capacity(spans.len());
        for span in spans {
            let (name, value) = span?;
            bytes.get(name.clone())?;
            // Trimmed by bytes, without making text of it.
            let (start, end) = ows_bounds(bytes.get(value.clone())?);
            entries.push(Entry {
                name: (offset(name.start), offset(name.end)),
                value: (offset(value.start + start), offset(value.start + end)),
            });
        }
        let list = HeaderList { text, entries };
        debug_assert!(list.iter().all(|(n, v)| validate(n, v).is_ok()), "{list:?}");
        Some(list)
    }

    /// Appends a header already checked: by a parser (`httparse` accepts only token names and
    /// values free of control bytes but HTAB: what [`push`](Self::push) checks), by another
    /// header list, or a constant.
    pub(crate) fn push_parsed(&mut self, name: &str, value: &str) {
        let value = trim_ows(value);
        debug_assert!(validate(name, value).is_ok(), "{name:?}: {value:?}");
        self.push_unchecked(name, value);
    }

    /// Appends a pair that the caller has already validated.
    fn push_unchecked(&mut self, name: &str, value: &str) {
        let entry = Entry {
            name: self.append(name),
            value: self.append(value),
        };
        self.entries.push(entry);
    }

    /// Copies `s` into the buffer; returns where it is.
    fn append(&mut self, s: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(s);
        (offset(start), offset(self.text.len()))
    }

    /// Applies one already-validated line.
    fn apply(&mut self, name: &str, value: &str, modifier: Modifier) -> Result<(), HeaderError> {
        let first = self
            .entries
            .iter()
            .position(|e| e.is_named(&self.text, name));
        match (modifier, first) {
            (Modifier::Add, _) | (Modifier::AddIfNew, None) => self.push_unchecked(name, value),
            (Modifier::AddIfNew, Some(_)) => {
                return Err(HeaderError::new(name, HeaderErrorKind::AlreadyExists));
            }
            (Modifier::Replace, Some(i)) if value.is_empty() => {
                self.entries.remove(i);
            }
            (Modifier::Replace, Some(i)) => {
                // The caller's spelling of the name wins along with the value.
                self.entries[i] = Entry {
                    name: self.append(name),
                    value: self.append(value),
                };
            }
            // Nothing to remove, and an empty header is not worth adding.
            (Modifier::Replace, None) if value.is_empty() => {}
            (Modifier::Replace, None) => self.push_unchecked(name, value),
            (Modifier::CoalesceComma, Some(i)) => self.coalesce(i, ", ", value),
            (Modifier::CoalesceSemicolon, Some(i)) => self.coalesce(i, "; ", value),
            (Modifier::CoalesceComma | Modifier::CoalesceSemicolon, None) => {
                self.push_unchecked(name, value)
            }
        }
        Ok(())
    }
}

/// Where a span of the buffer ends; header text is capped far below 4 GiB by the head limit and
/// by what a caller could send.
fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn slice(text: &str, (start, end): (u32, u32)) -> &str {
    text.get(start as usize..end as usize).unwrap_or("")
}

impl HeaderList {
    /// Appends `value` to header `i`'s value after `separator`, skipping empty sides so that no
    /// dangling `", "` appears.
    fn coalesce(&mut self, i: usize, separator: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let existing = slice(&self.text, self.entries[i].value).to_owned();
        let merged = if existing.is_empty() {
            value.to_owned()
        } else {
            format!("{existing}{separator}{value}")
        };
        self.entries[i].value = self.append(&merged);
    }
}

/// Splits `text` into validated `(name, value)` pairs, failing on the first bad line.
fn split_lines(text: &str) -> Result<Vec<(&str, &str)>, HeaderError> {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeaderError::new(line, HeaderErrorKind::MissingColon));
        };
        let value = trim_ows(value);
        validate(name, value)?;
        lines.push((name, value));
    }
    Ok(lines)
}

/// Checks a name and a (trimmed) value against RFC 9110.
fn validate(name: &str, value: &str) -> Result<(), HeaderError> {
    if !is_token(name) {
        return Err(HeaderError::new(name, HeaderErrorKind::InvalidName));
    }
    if !is_field_value(value) {
        return Err(HeaderError::new(name, HeaderErrorKind::InvalidValue));
    }
    Ok(())
}

/// RFC 9110 `token`: one or more `tchar`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A field value may hold any character but the ASCII controls (HTAB excepted) and DEL.
///
/// Only ASCII controls are refused: characters at or above U+0080 stand for obs-text bytes
/// (see `bytes_to_text`), and Latin-1 bytes 0x80–0x9F must survive a round trip.
fn is_field_value(s: &str) -> bool {
    s.chars().all(|c| c == '\t' || !(c.is_ascii_control()))
}

/// Drops leading and trailing optional whitespace (SP and HTAB), byte by byte: a `char` pattern
/// decodes UTF-8 and this runs for every header of every response.
pub(crate) fn trim_ows(s: &str) -> &str {
    let (start, end) = ows_bounds(s.as_bytes());
    // Both ends are next to ASCII bytes (or the ends of `s`), so at character boundaries.
    s.get(start..end).unwrap_or_default()
}

/// Where `bytes` without its leading and trailing SP and HTAB starts and ends.
fn ows_bounds(bytes: &[u8]) -> (usize, usize) {
    let is_ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ows(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |last| last + 1);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> HeaderList {
        let mut headers = HeaderList::new();
        assert_eq!(headers.add_lines(text, Modifier::Add), Ok(()));
        headers
    }

    #[test]
    fn names_compare_case_insensitively_and_keep_their_case() {
        let headers = list("Content-Type: text/plain");
        assert_eq!(headers.get("content-type", 0), Some("text/plain"));
        assert_eq!(headers.get("CONTENT-TYPE", 0), Some("text/plain"));
        assert_eq!(headers.to_raw(), "Content-Type: text/plain\r\n");
    }

    #[test]
    fn several_lines_split_on_crlf_or_lf_keep_their_order() {
        let headers = list("A: 1\r\nB: 2\nC: 3\r\n\r\n");
        let all: Vec<_> = headers.iter().collect();
        assert_eq!(all, [("A", "1"), ("B", "2"), ("C", "3")]);
    }

    #[test]
    fn value_whitespace_around_is_trimmed_and_inside_is_kept() {
        let headers = list("X:  \t a  b \t");
        assert_eq!(headers.get("x", 0), Some("a  b"));
    }

    #[test]
    fn add_appends_even_if_the_name_exists() {
        let mut headers = list("Accept: a");
        assert_eq!(headers.add_lines("accept: b", Modifier::Add), Ok(()));
        assert_eq!(headers.get_all("Accept").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(headers.get("Accept", 1), Some("b"));
        assert_eq!(headers.get("Accept", 2), None);
    }

    #[test]
    fn add_if_new_fails_when_the_name_exists_and_names_the_header() {
        let mut headers = list("Accept: a");
        let err = headers
            .add_lines("ACCEPT: b", Modifier::AddIfNew)
            .expect_err("the header exists");
        assert_eq!(err.kind(), HeaderErrorKind::AlreadyExists);
        assert_eq!(err.header(), "ACCEPT");
        assert!(err.to_string().contains("ACCEPT"));
        assert_eq!(headers, list("Accept: a"));
    }

    #[test]
    fn add_if_new_adds_an_absent_header() {
        let mut headers = list("Accept: a");
        assert_eq!(headers.add_lines("X: b", Modifier::AddIfNew), Ok(()));
        assert_eq!(headers.get("x", 0), Some("b"));
    }

    #[test]
    fn add_if_new_refuses_a_name_repeated_in_the_same_text_and_adds_nothing() {
        let mut headers = HeaderList::new();
        let err = headers
            .add_lines("X: 1\r\nY: 2\r\nx: 3", Modifier::AddIfNew)
            .expect_err("x repeats");
        assert_eq!(err.kind(), HeaderErrorKind::AlreadyExists);
        assert!(headers.is_empty());
    }

    #[test]
    fn replace_changes_only_the_first_of_that_name() {
        let mut headers = list("Cookie: a\r\nX: y\r\nCookie: b");
        assert_eq!(headers.add_lines("cookie: c", Modifier::Replace), Ok(()));
        let all: Vec<_> = headers.iter().collect();
        assert_eq!(all, [("cookie", "c"), ("X", "y"), ("Cookie", "b")]);
    }

    #[test]
    fn replace_with_an_empty_value_removes_the_first_of_that_name() {
        let mut headers = list("Cookie: a\r\nCookie: b");
        assert_eq!(headers.add_lines("Cookie:", Modifier::Replace), Ok(()));
        assert_eq!(headers.get_all("cookie").collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn replace_adds_an_absent_header_but_not_an_empty_one() {
        let mut headers = HeaderList::new();
        assert_eq!(headers.add_lines("X: 1", Modifier::Replace), Ok(()));
        assert_eq!(headers.add_lines("Y:", Modifier::Replace), Ok(()));
        assert_eq!(headers.to_raw(), "X: 1\r\n");
    }

    #[test]
    fn coalesce_with_comma_merges_into_the_first_of_that_name() {
        let mut headers = list("Accept: a\r\nAccept: z");
        assert_eq!(
            headers.add_lines("accept: b", Modifier::CoalesceComma),
            Ok(())
        );
        assert_eq!(headers.get_all("accept").collect::<Vec<_>>(), ["a, b", "z"]);
    }

    #[test]
    fn coalesce_with_semicolon_merges_cookies() {
        let mut headers = list("Cookie: a=1");
        assert_eq!(
            headers.add_lines("Cookie: b=2\r\nCookie: c=3", Modifier::CoalesceSemicolon),
            Ok(())
        );
        assert_eq!(headers.to_raw(), "Cookie: a=1; b=2; c=3\r\n");
    }

    #[test]
    fn coalesce_adds_an_absent_header() {
        let mut headers = HeaderList::new();
        assert_eq!(
            headers.add_lines("Cookie: a=1", Modifier::CoalesceSemicolon),
            Ok(())
        );
        assert_eq!(headers.get("cookie", 0), Some("a=1"));
    }

    #[test]
    fn coalesce_into_an_empty_value_adds_no_separator() {
        let mut headers = list("X:");
        assert_eq!(headers.add_lines("X: v", Modifier::CoalesceComma), Ok(()));
        assert_eq!(headers.get("x", 0), Some("v"));
    }

    #[test]
    fn a_name_that_is_not_a_token_is_refused() {
        for bad in [
            "Bad Name: v",
            "Bad(Name): v",
            ": v",
            " Folded: v",
            "Name : v",
        ] {
            let mut headers = HeaderList::new();
            let err = headers.add_lines(bad, Modifier::Add).expect_err(bad);
            assert_eq!(err.kind(), HeaderErrorKind::InvalidName, "{bad}");
        }
    }

    #[test]
    fn a_line_without_colon_is_refused() {
        let mut headers = HeaderList::new();
        let err = headers
            .add_lines("NoColon", Modifier::Add)
            .expect_err("no colon");
        assert_eq!(err.kind(), HeaderErrorKind::MissingColon);
        assert!(err.to_string().contains("NoColon"));
    }

    #[test]
    fn a_value_with_a_control_character_is_refused_naming_the_header() {
        for bad in [
            "X-Evil: a\rb",
            "X-Evil: a\0b",
            "X-Evil: a\x7fb",
            "X-Evil: a\x1bb",
        ] {
            let mut headers = HeaderList::new();
            let err = headers.add_lines(bad, Modifier::Add).expect_err(bad);
            assert_eq!(err.kind(), HeaderErrorKind::InvalidValue, "{bad:?}");
            assert!(err.to_string().contains("X-Evil"));
        }
    }

    #[test]
    fn a_tab_and_non_ascii_in_a_value_are_allowed() {
        let headers = list("X: a\tb é \u{85}");
        assert_eq!(headers.get("x", 0), Some("a\tb é \u{85}"));
    }

    #[test]
    fn one_bad_line_adds_nothing() {
        let mut headers = list("Keep: me");
        let err = headers.add_lines("A: 1\r\nB: 2\r\nBad Name: 3", Modifier::Add);
        assert!(err.is_err());
        assert_eq!(headers, list("Keep: me"));
    }

    #[test]
    fn push_refuses_header_injection() {
        let mut headers = HeaderList::new();
        let err = headers
            .push("X", "a\r\nEvil: b")
            .expect_err("CRLF in value");
        assert_eq!(err.kind(), HeaderErrorKind::InvalidValue);
        assert!(headers.is_empty());
    }

    #[test]
    fn insert_default_adds_only_when_absent() {
        let mut headers = list("user-agent: mine");
        assert_eq!(headers.insert_default("User-Agent", "inet"), Ok(false));
        assert_eq!(headers.insert_default("Accept", "*/*"), Ok(true));
        assert_eq!(headers.to_raw(), "user-agent: mine\r\nAccept: */*\r\n");
    }

    #[test]
    fn insert_default_still_validates_a_shadowed_default() {
        let mut headers = list("X: mine");
        assert!(headers.insert_default("X", "bad\n").is_err());
    }

    #[test]
    fn set_replaces_every_header_of_that_name() {
        let mut headers = list("Host: a\r\nX: 1\r\nhost: b");
        assert_eq!(headers.set("Host", "c"), Ok(()));
        assert_eq!(headers.to_raw(), "X: 1\r\nHost: c\r\n");
    }

    #[test]
    fn remove_drops_every_header_of_that_name_and_counts_them() {
        let mut headers = list("A: 1\r\na: 2\r\nB: 3");
        assert_eq!(headers.remove("A"), 2);
        assert_eq!(headers.remove("A"), 0);
        assert!(!headers.contains("a"));
        assert!(headers.contains("b"));
        assert_eq!(headers.len(), 1);
    }

    #[test]
    fn to_raw_of_an_empty_list_is_empty() {
        assert_eq!(HeaderList::new().to_raw(), "");
    }

    #[test]
    fn ows_is_trimmed_as_spaces_and_tabs_only_around_any_text() {
        assert_eq!(trim_ows(" \t a b \t "), "a b");
        assert_eq!(trim_ows("\u{a0}é\u{a0}"), "\u{a0}é\u{a0}");
        assert_eq!(trim_ows("  é  "), "é");
        assert_eq!(trim_ows(" \t "), "");
        assert_eq!(trim_ows(""), "");
        assert_eq!(trim_ows("x"), "x");
    }

    #[test]
    fn a_name_matches_only_whole_names_of_its_length_in_any_case() {
        let headers = list("Content-Length: 1\r\nContent-Length-X: 2\r\nCONTENT-length: 3");
        assert_eq!(
            headers.get_all("content-length").collect::<Vec<_>>(),
            ["1", "3"]
        );
        assert!(!headers.contains("content-lengt"));
        assert!(!headers.contains("content-length-"));
        assert!(headers.contains("CONTENT-LENGTH-x"));
    }
}
