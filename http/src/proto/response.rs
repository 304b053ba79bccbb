//! [`parse_response_head`]: the incremental status-line and header parser.
//!
//! The driver appends whatever the socket gave it to one buffer and calls the parser again; the
//! parser either finds a complete head (and says how many bytes it took, so that the rest is
//! body), or asks for more. It does no buffering of its own, so the result cannot depend on how
//! the bytes were split across reads. `httparse` does the byte-level work; this module adds the
//! size limit, the retry when there are more headers than slots, and owned, WinINet-shaped output.

use std::ops::Range;

use http::Version;

use super::{bytes_to_text, HeaderList, ProtoError};

/// How many header slots the first parse attempt uses. Real responses have a dozen or two; a
/// head with more is retried with enough slots for anything that fits in `max_head`.
const INITIAL_HEADER_SLOTS: usize = 100;

/// The shortest possible header line is `x:\n`, so a head of `n` bytes holds at most `n / 3`
/// headers.
const MIN_HEADER_LINE: usize = 3;

/// A parsed response status line and headers.
///
/// 1xx responses come out like any other; the driver reads the next head after one, counting
/// them with a [`HeadSequence`] (which refuses `101 Switching Protocols`: inet never upgrades).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseHead {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// The status code, 100 to 999. WinINet: `HTTP_QUERY_STATUS_CODE`.
    pub status: u16,
    /// The reason phrase, possibly empty. WinINet: `HTTP_QUERY_STATUS_TEXT`.
    pub reason: String,
    /// The headers in the order received. WinINet: `HTTP_QUERY_CUSTOM` and friends.
    pub headers: HeaderList,
    /// The status line and headers as received, every line ended by CRLF (even if the server used
    /// bare LF), with the final blank line. WinINet: `HTTP_QUERY_RAW_HEADERS_CRLF`.
    pub raw: String,
}

impl ResponseHead {
    /// Whether this is an interim (1xx) response that another head will follow.
    pub fn is_informational(&self) -> bool {
        (100..200).contains(&self.status)
    }
}

/// Parses a response head from the start of `buf`.
///
/// - `Ok(Some((head, consumed)))`: a complete head took the first `consumed` bytes; what follows
///   belongs to the body (or the next response).
/// - `Ok(None)`: the head is not complete yet; call again with more bytes appended.
/// - `Err(HeadTooLarge)`: no complete head within the first `max_head` bytes. Only that prefix is
///   ever parsed, which bounds the work a hostile server can cause.
/// - `Err(InvalidResponse)`: not HTTP/1.x (a garbage status line, a bad header, obsolete line
///   folding, which RFC 9112 lets a client reject).
///
/// ```
/// use inet_http::proto::parse_response_head;
/// let bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
/// let (head, consumed) = parse_response_head(bytes, 64 * 1024)?.expect("a complete head");
/// assert_eq!(head.status, 200);
/// assert_eq!(head.headers.get("content-length", 0), Some("5"));
/// assert_eq!(&bytes[consumed..], b"hello");
/// # Ok::<(), inet_http::proto::ProtoError>(())
/// ```
pub fn parse_response_head(
    buf: &[u8],
    max_head: usize,
) -> Result<Option<(ResponseHead, usize)>, ProtoError> {
    let window = &buf[..buf.len().min(max_head)];
    let most_slots = window.len() / MIN_HEADER_LINE + 1;

    let mut slots = [httparse::EMPTY_HEADER; INITIAL_HEADER_SLOTS];
    let mut attempt = try_parse(window, &mut slots);
    let mut count = INITIAL_HEADER_SLOTS;
    while matches!(attempt, Err(Attempt::TooManyHeaders)) && count < most_slots {
        count = count.saturating_mul(4).min(most_slots);
        let mut slots = vec![httparse::EMPTY_HEADER; count];
        attempt = try_parse(window, &mut slots);
    }

    match attempt {
        Ok(Some(parsed)) => Ok(Some(parsed)),
        Ok(None) if buf.len() >= max_head => Err(ProtoError::HeadTooLarge { limit: max_head }),
        Ok(None) => Ok(None),
        Err(Attempt::TooManyHeaders) => Err(invalid("more headers than fit in the head")),
        Err(Attempt::Failed(err)) => Err(err),
    }
}

/// At most this many interim (1xx) responses may come before the final one. Servers send one
/// `100 Continue` or a few `102 Processing`/`103 Early Hints`; a server that keeps sending them
/// would otherwise hold a request open for ever.
pub const MAX_INTERIM_RESPONSES: u32 = 10;

/// The heads of one response, counted as they arrive: interim (1xx) responses, then the final
/// one. It refuses what HTTP/1.1 allows a server but no request of inet's can have asked for,
/// and bounds what an endless stream of interim responses can cost.
///
/// ```
/// use inet_http::proto::{parse_response_head, HeadSequence};
/// let mut seq = HeadSequence::new(64 * 1024);
/// let (head, used) = parse_response_head(b"HTTP/1.1 102 Processing\r\n\r\n", 1024)?.expect("a head");
/// seq.accept(&head, used)?;
/// assert_eq!(seq.interim(), 1);
/// # Ok::<(), inet_http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadSequence {
    interim: u32,
    bytes: usize,
    max_bytes: usize,
}

impl HeadSequence {
    /// A sequence whose heads together may take at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        HeadSequence {
            interim: 0,
            bytes: 0,
            max_bytes,
        }
    }

    /// Interim responses seen so far.
    pub fn interim(&self) -> u32 {
        self.interim
    }

    /// Count a head that took `used` bytes. Fails on `101 Switching Protocols` (inet never asks
    /// to upgrade, so the bytes after it are not HTTP it can read), on more than
    /// [`MAX_INTERIM_RESPONSES`] interim responses, and when the heads together pass the limit.
    pub fn accept(&mut self, head: &ResponseHead, used: usize) -> Result<(), ProtoError> {
        if head.status == 101 {
            return Err(invalid(
                "unsolicited 101 Switching Protocols (no upgrade was asked for)",
            ));
        }
        self.bytes = self.bytes.saturating_add(used);
        if head.is_informational() {
            self.interim += 1;
            if self.interim > MAX_INTERIM_RESPONSES {
                return Err(invalid(&format!(
                    "more than {MAX_INTERIM_RESPONSES} interim (1xx) responses before the final one"
                )));
            }
        }
        if self.bytes > self.max_bytes {
            return Err(invalid(&format!(
                "the interim (1xx) and final response heads together pass the limit of {} bytes",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

/// Why one parse attempt did not produce a head.
enum Attempt {
    /// The slots ran out; try again with more.
    TooManyHeaders,
    /// A real error.
    Failed(ProtoError),
}

/// One `httparse` run with a given number of header slots.
fn try_parse<'b>(
    window: &'b [u8],
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<(ResponseHead, usize)>, Attempt> {
    let mut response = httparse::Response::new(slots);
    match response.parse(window) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(consumed)) => {
            let head = build_head(&response, &window[..consumed]).map_err(Attempt::Failed)?;
            Ok(Some((head, consumed)))
        }
        Err(httparse::Error::TooManyHeaders) => Err(Attempt::TooManyHeaders),
        Err(err) => Err(Attempt::Failed(invalid(&describe(err)))),
    }
}

/// Turns `httparse`'s borrowed result into an owned [`ResponseHead`].
fn build_head(
    response: &httparse::Response<'_, '_>,
    head: &[u8],
) -> Result<ResponseHead, ProtoError> {
    let version = match response.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        _ => return Err(invalid("unsupported HTTP version")),
    };
    let status = match response.code {
        Some(code @ 100..=999) => code,
        Some(code) => return Err(invalid(&format!("status code {code:03} is out of range"))),
        None => return Err(invalid("missing status code")),
    };

    // Most heads are UTF-8 throughout: checked once, the header lines are then copied as one
    // piece and each name and value found in it by its place (one copy and no check per value;
    // 9 checks and 18 copies per nginx head before).
    let whole = std::str::from_utf8(head).ok();
    let headers = match whole.and_then(|text| header_lines(text, head, response.headers)) {
        Some(headers) => headers,
        None => {
            let text_len = response
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum();
            let mut headers = HeaderList::with_capacity(response.headers.len(), text_len);
            for header in response.headers.iter() {
                headers.push_parsed(header.name, &bytes_to_text(header.value));
            }
            headers
        }
    };

    let status_line = head_lines(head).next().unwrap_or_default();
    // `httparse` has checked the shape "HTTP/1.x NNN[ reason]", so the reason starts at byte 13.
    // Taken from the raw bytes rather than `httparse`, which drops a non-UTF-8 reason.
    let reason = bytes_to_text(status_line.get(13..).unwrap_or_default()).into_owned();

    let raw = raw_head(head, whole, crlf_only(head, response.headers));

    Ok(ResponseHead {
        version,
        status,
        reason,
        headers,
        raw,
    })
}

/// The headers `httparse` found, as a list over one copy of the lines they are on: `text` is
/// `head` checked as UTF-8. `None` if a name or value is not within `head` (then each is copied
/// on its own).
fn header_lines(text: &str, head: &[u8], headers: &[httparse::Header<'_>]) -> Option<HeaderList> {
    let place = |part: &[u8]| place_in(head, part);
    // From the first name to the last value: the lines, without the status line.
    let from = match headers.first() {
        Some(h) => place(h.name.as_bytes())?.start,
        None => 0,
    };
    let to = match headers.last() {
        Some(h) => place(h.value)?.end.max(from),
        None => from,
    };
    let lines = text.get(from..to)?;
    let within = |part: &[u8]| -> Option<Range<usize>> {
        let r = place(part)?;
        let r = r.start.checked_sub(from)?..r.end.checked_sub(from)?;
        (r.end <= lines.len()).then_some(r)
    };
    HeaderList::over_parsed(
        lines.to_owned(),
        headers
            .iter()
            .map(|h| Some((within(h.name.as_bytes())?, within(h.value)?))),
    )
}

/// Whether every line of `head` (a complete head `httparse` accepted, with `headers`) ends in
/// CRLF. Each header line starts right after the line before it ends (`httparse` refuses
/// folded lines), so the line ends are the two bytes before each header's name, and the last
/// line's with the blank line are the head's last four bytes: no need to look at every byte.
fn crlf_only(head: &[u8], headers: &[httparse::Header<'_>]) -> bool {
    head.ends_with(b"\r\n\r\n")
        && headers.iter().all(|h| {
            place_in(head, h.name.as_bytes())
                .and_then(|name| head.get(name.start.checked_sub(2)?..name.start))
                == Some(b"\r\n")
        })
}

/// Where `part` (a slice of `head`, as `httparse` gives them) lies in `head`; `None` if it does
/// not.
fn place_in(head: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(head.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= head.len()).then_some(start..end)
}

/// The head as WinINet's raw headers give it: from the status line to the blank line, every line
/// ending in CRLF. Most heads are that already (UTF-8, CRLF only) and are copied as they are;
/// others are rebuilt line by line. `whole` is `head` as text when it is UTF-8, `crlf_only`
/// whether its lines all end in CRLF (see [`crlf_only`]).
fn raw_head(head: &[u8], whole: Option<&str>, crlf_only: bool) -> String {
    let body = without_leading_blank_lines(head);
    if crlf_only {
        // `body` is `head` without a few leading CR/LF bytes: the same text from there on.
        if let Some(text) = whole.and_then(|w| w.get(head.len() - body.len()..)) {
            return text.to_owned();
        }
    }
    // Each line gains at most one byte (an LF-only line's CR), plus the blank line.
    let lines = head_lines(head).count();
    let mut raw = String::with_capacity(head.len() + lines + 2);
    for line in head_lines(head) {
        raw.push_str(&bytes_to_text(line));
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    raw
}

/// The status line and header lines of a complete head, without line endings, without the
/// leading empty lines `httparse` skips and without the final blank line.
fn head_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    without_leading_blank_lines(head)
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
}

/// `head` from its status line on: without the empty lines before it, which `httparse` skips.
fn without_leading_blank_lines(head: &[u8]) -> &[u8] {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    &head[start..]
}

/// A readable reason for an `httparse` error.
fn describe(err: httparse::Error) -> String {
    match err {
        httparse::Error::Version => "status line does not start with HTTP/1.0 or HTTP/1.1".into(),
        httparse::Error::Status => "malformed status code".into(),
        httparse::Error::HeaderName => {
            "invalid header name (or obsolete line folding, which is not supported)".into()
        }
        other => other.to_string(),
    }
}

fn invalid(msg: &str) -> ProtoError {
    ProtoError::InvalidResponse(msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 64 * 1024;

    fn parse(bytes: &[u8]) -> (ResponseHead, usize) {
        match parse_response_head(bytes, LIMIT) {
            Ok(Some(parsed)) => parsed,
            other => panic!("expected a complete head, got {other:?}"),
        }
    }

    #[test]
    fn a_few_interim_responses_then_the_final_one_are_accepted() {
        let mut seq = HeadSequence::new(LIMIT);
        for _ in 0..MAX_INTERIM_RESPONSES {
            let (h, used) = parse(b"HTTP/1.1 102 Processing\r\n\r\n");
            assert_eq!(seq.accept(&h, used), Ok(()));
        }
        let (h, used) = parse(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(seq.accept(&h, used), Ok(()));
    }

    #[test]
    fn one_interim_response_too_many_is_an_invalid_response() {
        let mut seq = HeadSequence::new(LIMIT);
        let (h, used) = parse(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
        for _ in 0..MAX_INTERIM_RESPONSES {
            assert_eq!(seq.accept(&h, used), Ok(()));
        }
        assert!(matches!(
            seq.accept(&h, used),
            Err(ProtoError::InvalidResponse(m)) if m.contains("interim")
        ));
    }

    #[test]
    fn interim_heads_count_against_the_head_size_limit() {
        let (h, used) = parse(b"HTTP/1.1 102 Processing\r\nX: aaaaaaaaaaaaaaaaaaaa\r\n\r\n");
        let mut seq = HeadSequence::new(2 * used);
        assert_eq!(seq.accept(&h, used), Ok(()));
        assert_eq!(seq.accept(&h, used), Ok(()));
        assert!(matches!(
            seq.accept(&h, used),
            Err(ProtoError::InvalidResponse(_))
        ));
    }

    #[test]
    fn an_unsolicited_101_is_an_invalid_response() {
        let (h, used) = parse(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
        assert!(matches!(
            HeadSequence::new(LIMIT).accept(&h, used),
            Err(ProtoError::InvalidResponse(m)) if m.contains("101")
        ));
    }

    #[test]
    fn complete_head_is_parsed_and_consumed_stops_at_the_body() {
        let bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
        let (head, consumed) = parse(bytes);
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.status, 200);
        assert_eq!(head.reason, "OK");
        assert_eq!(head.headers.get("content-type", 0), Some("text/plain"));
        assert_eq!(head.headers.len(), 2);
        assert_eq!(&bytes[consumed..], b"hi");
        assert_eq!(
            head.raw,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n"
        );
    }

    #[test]
    fn every_proper_prefix_of_a_head_needs_more_bytes() {
        let bytes = b"HTTP/1.1 404 Not Found\r\nServer: x\r\nX: y\r\n\r\n";
        for end in 0..bytes.len() {
            assert_eq!(parse_response_head(&bytes[..end], LIMIT), Ok(None), "{end}");
        }
        assert_eq!(parse(bytes).1, bytes.len());
    }

    #[test]
    fn http_1_0_response_is_accepted() {
        let (head, _) = parse(b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\n");
        assert_eq!(head.version, Version::HTTP_10);
    }

    #[test]
    fn interim_100_continue_is_returned_then_the_final_head_follows() {
        let bytes = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /x\r\n\r\n";
        let (interim, used) = parse(bytes);
        assert_eq!(interim.status, 100);
        assert!(interim.is_informational());
        let (last, rest) = parse(&bytes[used..]);
        assert_eq!(last.status, 201);
        assert!(!last.is_informational());
        assert_eq!(used + rest, bytes.len());
    }

    #[test]
    fn bare_lf_line_endings_are_accepted_and_raw_is_crlf() {
        let (head, consumed) = parse(b"HTTP/1.1 200 OK\nA: 1\nB: 2\n\nbody");
        assert_eq!(consumed, 27);
        assert_eq!(head.headers.get("b", 0), Some("2"));
        assert_eq!(head.raw, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n");
    }

    #[test]
    fn leading_blank_lines_are_skipped_and_counted_as_consumed() {
        let bytes = b"\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
        let (head, consumed) = parse(bytes);
        assert_eq!(head.status, 204);
        assert_eq!(consumed, bytes.len());
        assert_eq!(head.raw, "HTTP/1.1 204 No Content\r\n\r\n");
    }

    #[test]
    fn status_line_without_reason_gives_an_empty_reason() {
        let (head, _) = parse(b"HTTP/1.1 200\r\n\r\n");
        assert_eq!(head.reason, "");
        let (head, _) = parse(b"HTTP/1.1 200 \r\n\r\n");
        assert_eq!(head.reason, "");
    }

    #[test]
    fn latin1_reason_and_header_value_survive() {
        let (head, _) = parse(b"HTTP/1.1 200 Tr\xe8s bien\r\nX: caf\xe9\r\n\r\n");
        assert_eq!(head.reason, "Très bien");
        assert_eq!(head.headers.get("x", 0), Some("café"));
        assert!(head.raw.contains("X: café\r\n"));
    }

    #[test]
    fn utf8_values_come_whole_from_the_checked_head_after_blank_lines_and_with_a_body_after() {
        // The values are taken from the head checked once as UTF-8, at their places: multi-byte
        // characters, trimmed spaces, blank lines before the status line and bytes after the
        // head (the body, not UTF-8 here) must not shift or cut them.
        let bytes = "\r\nHTTP/1.1 200 Très bien\r\nX: café \r\nY:\t\u{1F600}\r\nZ:\r\n\r\n\u{ff}";
        let mut bytes = bytes.as_bytes().to_vec();
        bytes.push(0xff);
        let (head, consumed) = parse(&bytes);
        assert_eq!(consumed, bytes.len() - 3);
        assert_eq!(head.reason, "Très bien");
        assert_eq!(head.headers.get("x", 0), Some("café"));
        assert_eq!(head.headers.get("y", 0), Some("\u{1F600}"));
        assert_eq!(head.headers.get("z", 0), Some(""));
        assert_eq!(
            head.raw,
            "HTTP/1.1 200 Très bien\r\nX: café \r\nY:\t\u{1F600}\r\nZ:\r\n\r\n"
        );
    }

    #[test]
    fn a_parsed_list_over_the_head_lines_reads_edits_and_compares_as_one_built_by_hand() {
        // The list is one copy of the header lines with spans into it: what lies between the
        // spans (separators, spaces, line ends) must never show, before or after edits.
        let (head, _) = parse(b"HTTP/1.1 200 OK\r\nA:  1 \r\nBb: x, y\r\nA: 2\r\nEmpty:\r\n\r\n");
        let mut by_hand = HeaderList::new();
        for (name, value) in [("A", "1"), ("Bb", "x, y"), ("A", "2"), ("Empty", "")] {
            by_hand.push(name, value).expect("a valid header");
        }
        assert_eq!(head.headers, by_hand);
        assert_eq!(
            head.headers.to_raw(),
            "A: 1\r\nBb: x, y\r\nA: 2\r\nEmpty: \r\n"
        );
        let mut edited = head.headers.clone();
        edited.set("a", "3").expect("a valid header");
        edited.push("C", "4").expect("a valid header");
        assert_eq!(edited.to_raw(), "Bb: x, y\r\nEmpty: \r\na: 3\r\nC: 4\r\n");
    }

    #[test]
    fn a_bare_lf_ending_the_status_line_the_last_header_or_the_head_is_rebuilt_with_crlf() {
        for bytes in [
            &b"HTTP/1.1 200 OK\nA: 1\r\nB: 2\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\n",
            b"\nHTTP/1.1 200 OK\nA: 1\nB: 2\n\n",
        ] {
            let (head, _) = parse(bytes);
            assert_eq!(
                head.raw, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n",
                "{bytes:?}"
            );
        }
        let (head, _) = parse(b"HTTP/1.1 204 No Content\n\n");
        assert_eq!(head.raw, "HTTP/1.1 204 No Content\r\n\r\n");
    }

    #[test]
    fn a_head_with_one_bare_lf_among_crlfs_is_rebuilt_with_crlf() {
        let (head, _) = parse(b"HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n");
        assert_eq!(head.raw, "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n");
        assert_eq!(head.headers.get("a", 0), Some("1"));
    }

    #[test]
    fn repeated_headers_keep_their_order() {
        let (head, _) = parse(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n");
        let cookies: Vec<_> = head.headers.get_all("set-cookie").collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
    }

    #[test]
    fn hundreds_of_headers_are_all_parsed() {
        let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..1000 {
            bytes.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        let (head, consumed) = parse(&bytes);
        assert_eq!(consumed, bytes.len());
        assert_eq!(head.headers.len(), 1000);
        assert_eq!(head.headers.get("x-999", 0), Some("999"));
    }

    #[test]
    fn minimal_headers_filling_the_limit_are_all_parsed() {
        let mut bytes = b"HTTP/1.1 200 OK\r\n".to_vec();
        while bytes.len() < 3000 {
            bytes.extend_from_slice(b"x:\n");
        }
        bytes.extend_from_slice(b"\n");
        let limit = bytes.len();
        match parse_response_head(&bytes, limit) {
            Ok(Some((head, consumed))) => {
                assert_eq!(consumed, limit);
                assert_eq!(head.headers.len(), (3000 - 17) / 3 + 1);
            }
            other => panic!("expected a head, got {other:?}"),
        }
    }

    #[test]
    fn incomplete_head_at_the_limit_is_too_large() {
        let bytes = b"HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaa";
        assert_eq!(
            parse_response_head(bytes, 20),
            Err(ProtoError::HeadTooLarge { limit: 20 })
        );
        assert_eq!(parse_response_head(&bytes[..19], 20), Ok(None));
    }

    #[test]
    fn complete_head_longer_than_the_limit_is_too_large() {
        let bytes = b"HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
        assert_eq!(
            parse_response_head(bytes, bytes.len() - 1),
            Err(ProtoError::HeadTooLarge {
                limit: bytes.len() - 1
            })
        );
        assert!(matches!(
            parse_response_head(bytes, bytes.len()),
            Ok(Some(_))
        ));
    }

    #[test]
    fn garbage_status_line_is_an_invalid_response() {
        for bad in [
            &b"<html>hello</html>"[..],
            b"HTTP/2 200 OK\r\n\r\n",
            b"ICY 200 OK\r\n\r\n",
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            b"HTTP/1.1 200OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 000 Zero\r\n\r\n",
        ] {
            let result = parse_response_head(bad, LIMIT);
            assert!(
                matches!(result, Err(ProtoError::InvalidResponse(_))),
                "{:?} gave {result:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn garbage_is_detected_before_the_head_is_complete() {
        assert!(matches!(
            parse_response_head(b"<ht", LIMIT),
            Err(ProtoError::InvalidResponse(_))
        ));
    }

    #[test]
    fn obsolete_line_folding_is_rejected_cleanly() {
        let bytes = b"HTTP/1.1 200 OK\r\nX: a\r\n  continued\r\n\r\n";
        assert!(matches!(
            parse_response_head(bytes, LIMIT),
            Err(ProtoError::InvalidResponse(_))
        ));
    }

    #[test]
    fn header_with_a_control_character_is_an_invalid_response() {
        let bytes = b"HTTP/1.1 200 OK\r\nX: a\x01b\r\n\r\n";
        assert!(matches!(
            parse_response_head(bytes, LIMIT),
            Err(ProtoError::InvalidResponse(_))
        ));
    }

    #[test]
    fn header_name_with_a_space_is_an_invalid_response() {
        let bytes = b"HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n";
        assert!(matches!(
            parse_response_head(bytes, LIMIT),
            Err(ProtoError::InvalidResponse(_))
        ));
    }
}
