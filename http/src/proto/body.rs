//! Message framing: where a response body ends, and how a request body is chunked.
//!
//! [`body_kind`] reads the framing rules of RFC 9112 §6.3 off a response head; [`BodyDecoder`]
//! then strips the framing from the bytes that follow, without copying: it hands back ranges of
//! the caller's own buffer, so a driver can pass them straight to the user. The decoder keeps no
//! buffer, only a small state, so it gives the same body however the input is split, down to one
//! byte at a time (property-tested in `tests/proto_props.rs`, fuzzed in `fuzz/`).
//!
//! A body that ends early is always an error ([`ProtoError::Incomplete`]), never a short success:
//! a truncated download that looks complete is the worst outcome for a user.

use std::ops::Range;

use http::Method;

use super::{HeaderList, ProtoError};

/// The longest chunk-size line (hex digits plus chunk extensions) we accept. Extensions are
/// ignored, so the cap only stops a server from streaming an endless one.
const MAX_CHUNK_LINE: u32 = 4096;

/// The most trailer bytes we read (and discard) after the last chunk.
const MAX_TRAILERS: u32 = 16 * 1024;

/// How the end of a response body is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// There is no body (`HEAD`, 1xx, 204, 304, a successful `CONNECT`).
    None,
    /// Exactly this many bytes follow (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// The body runs until the server closes the connection (no framing headers, or a
    /// transfer coding other than chunked last). The connection cannot be reused.
    UntilClose,
}

/// Decides how the body of a response to `request_method` with `status` and `headers` is framed
/// (RFC 9112 §6.3).
///
/// `Transfer-Encoding` wins over `Content-Length` (a server sending both is either confused or
/// attacking, and the chunked framing is the one that cannot be misread). Several
/// `Content-Length` values are accepted only when they all agree; anything else is an
/// [`InvalidResponse`](ProtoError::InvalidResponse) rather than a guess.
pub fn body_kind(
    request_method: &Method,
    status: u16,
    headers: &HeaderList,
) -> Result<BodyKind, ProtoError> {
    let no_body_status = (100..200).contains(&status) || status == 204 || status == 304;
    let tunnel = *request_method == Method::CONNECT && (200..300).contains(&status);
    if *request_method == Method::HEAD || no_body_status || tunnel {
        return Ok(BodyKind::None);
    }
    if let Some(last) = last_transfer_coding(headers) {
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            BodyKind::Chunked
        } else {
            BodyKind::UntilClose
        });
    }
    Ok(match content_length(headers)? {
        Some(length) => BodyKind::Length(length),
        None => BodyKind::UntilClose,
    })
}

/// The transfer coding to undo beneath the framing, if any: in `Transfer-Encoding: gzip, chunked`
/// the body is chunked and what the chunks carry is gzip, which a client must decode whatever it
/// asked for (transfer codings are hop-by-hop; the caller sees the content). `identity` is
/// nothing; a coding inet cannot decode (or more than one) is an
/// [`InvalidResponse`](ProtoError::InvalidResponse): the bytes could not be handed out as the
/// body.
pub fn transfer_coding(headers: &HeaderList) -> Result<Option<&str>, ProtoError> {
    let mut codings: Vec<&str> = headers
        .get_all("transfer-encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity"))
        .collect();
    if codings
        .last()
        .is_some_and(|c| c.eq_ignore_ascii_case("chunked"))
    {
        codings.pop();
    }
    match codings.as_slice() {
        [] => Ok(None),
        [one]
            if ["gzip", "x-gzip", "deflate"]
                .iter()
                .any(|known| one.eq_ignore_ascii_case(known)) =>
        {
            Ok(Some(one))
        }
        _ => Err(ProtoError::InvalidResponse(format!(
            "unsupported Transfer-Encoding {:?}",
            codings.join(", ")
        ))),
    }
}

/// The last transfer coding named by all `Transfer-Encoding` headers together, if any.
fn last_transfer_coding(headers: &HeaderList) -> Option<&str> {
    headers
        .get_all("transfer-encoding")
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|coding| !coding.is_empty())
        .last()
}

/// The one `Content-Length` value all `Content-Length` headers (and comma-separated list
/// elements) agree on.
fn content_length(headers: &HeaderList) -> Result<Option<u64>, ProtoError> {
    let mut agreed = None;
    for element in headers
        .get_all("content-length")
        .flat_map(|value| value.split(','))
    {
        let element = super::headers::trim_ows(element);
        // `u64::from_str` would accept a leading `+`; RFC 9110 allows digits only.
        let parsed = if !element.is_empty() && element.bytes().all(|b| b.is_ascii_digit()) {
            element.parse::<u64>().ok()
        } else {
            None
        };
        let Some(length) = parsed else {
            return Err(ProtoError::InvalidResponse(format!(
                "invalid Content-Length {element:?}"
            )));
        };
        match agreed {
            Some(previous) if previous != length => {
                return Err(ProtoError::InvalidResponse(format!(
                    "conflicting Content-Length values {previous} and {length}"
                )));
            }
            _ => agreed = Some(length),
        }
    }
    Ok(agreed)
}

/// The result of one [`BodyDecoder::decode`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes at the start of the input were used (body bytes and framing). The caller
    /// drops them and offers the rest again.
    pub consumed: usize,
    /// Body bytes found, as a range of the input (always within `..consumed`).
    pub data: Option<Range<usize>>,
}

/// Strips the framing from a response body.
///
/// Feed it the bytes after the head with [`decode`](Self::decode) until
/// [`is_done`](Self::is_done); if the connection ends first, call [`on_eof`](Self::on_eof),
/// which decides whether that was the end of the body or a truncation.
///
/// ```
/// use inet_http::proto::{BodyDecoder, BodyKind};
/// let mut decoder = BodyDecoder::new(BodyKind::Chunked);
/// let input = b"5\r\nhello\r\n0\r\n\r\n";
/// let decoded = decoder.decode(input)?;
/// assert_eq!(decoded.data.map(|range| &input[range]), Some(&b"hello"[..]));
/// assert_eq!(decoded.consumed, input.len());
/// assert!(decoder.is_done());
/// # Ok::<(), inet_http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyDecoder {
    state: State,
    /// Body bytes handed out so far, for [`ProtoError::Incomplete`].
    received: u64,
}

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// `remaining` more body bytes, then done.
    Length { remaining: u64 },
    /// Inside a chunked body.
    Chunked(Chunk),
    /// Everything is body until the connection closes.
    UntilClose,
    /// The body is complete; further bytes belong to the next response.
    Done,
}

/// Where a chunked decoder is, one state per position in the grammar of RFC 9112 §7.1.
/// `line` counts the bytes of the current chunk-size line, `total` the trailer bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex digits of a chunk size; `digits` tells whether any was seen.
    Size { size: u64, digits: bool, line: u32 },
    /// After the size, whitespace before `;` or the line end.
    SizeSpace { size: u64, line: u32 },
    /// Inside chunk extensions, which are skipped up to the line end.
    Extension { size: u64, line: u32 },
    /// Saw CR after the size line; LF must follow.
    SizeLf { size: u64 },
    /// `remaining` bytes of chunk data follow.
    Data { remaining: u64 },
    /// Chunk data ended; CRLF must follow.
    DataCr,
    /// Saw CR after chunk data; LF must follow.
    DataLf,
    /// After the last chunk, in the trailer section; `line_start` is true at the start of a line,
    /// where an empty line ends the message.
    Trailer { total: u32, line_start: bool },
    /// Saw CR in the trailer section; LF must follow. `last` if it was on an empty line.
    TrailerLf { total: u32, last: bool },
}

impl Chunk {
    const START: Chunk = Chunk::Size {
        size: 0,
        digits: false,
        line: 0,
    };
}

impl BodyDecoder {
    /// A decoder for a body framed as `kind` says.
    pub fn new(kind: BodyKind) -> Self {
        let state = match kind {
            BodyKind::None | BodyKind::Length(0) => State::Done,
            BodyKind::Length(remaining) => State::Length { remaining },
            BodyKind::Chunked => State::Chunked(Chunk::START),
            BodyKind::UntilClose => State::UntilClose,
        };
        BodyDecoder { state, received: 0 }
    }

    /// Takes framing and at most one run of body bytes from the start of `input`.
    ///
    /// Returns how many bytes were used and where the body bytes among them are. Call again with
    /// the unused rest (and more bytes from the network when the rest is empty). Once
    /// [`is_done`](Self::is_done), nothing more is consumed: the bytes left over are the start of
    /// the next response on the connection.
    ///
    /// After a run of body bytes, the framing that follows is consumed too, so that the call that
    /// hands out the last body byte also finishes the body when the rest of the framing is there.
    /// An error in that trailing framing is reported by the next call, so the body bytes already
    /// found are not lost.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, ProtoError> {
        match self.state {
            State::Done => Ok(Decoded {
                consumed: 0,
                data: None,
            }),
            State::UntilClose => Ok(self.take_data(input.len())),
            State::Length { remaining } => {
                let n = clamp(remaining, input.len());
                let remaining = remaining - n as u64;
                self.state = if remaining == 0 {
                    State::Done
                } else {
                    State::Length { remaining }
                };
                Ok(self.take_data(n))
            }
            State::Chunked(chunk) => self.decode_chunked(chunk, input),
        }
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// How many body bytes are left, when the framing says: `Some` for a `Content-Length` body
    /// (and `Some(0)` once done), `None` for chunked and read-until-close bodies.
    ///
    /// A driver can read up to that many bytes straight into the user's buffer, since they are
    /// all body.
    pub fn remaining_hint(&self) -> Option<u64> {
        match self.state {
            State::Length { remaining } => Some(remaining),
            State::Done => Some(0),
            State::Chunked(_) | State::UntilClose => None,
        }
    }

    /// Whether the body runs until the server closes the connection (no `Content-Length`, not
    /// chunked): nothing follows it on the connection.
    pub fn runs_to_close(&self) -> bool {
        self.state == State::UntilClose
    }

    /// Body bytes handed out so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Tells the decoder the connection ended.
    ///
    /// For a read-until-close body that is the end of the body. For a `Content-Length` body with
    /// bytes still owed, or a chunked body before its last chunk and trailers, it is
    /// [`ProtoError::Incomplete`].
    pub fn on_eof(&mut self) -> Result<(), ProtoError> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            State::Length { remaining } => Err(ProtoError::Incomplete {
                expected: Some(self.received.saturating_add(remaining)),
                received: self.received,
            }),
            State::Chunked(_) => Err(ProtoError::Incomplete {
                expected: None,
                received: self.received,
            }),
        }
    }

    /// Hands out the first `n` bytes of the input as body.
    fn take_data(&mut self, n: usize) -> Decoded {
        self.received = self.received.saturating_add(n as u64);
        Decoded {
            consumed: n,
            data: (n > 0).then_some(0..n),
        }
    }

    fn decode_chunked(&mut self, mut chunk: Chunk, input: &[u8]) -> Result<Decoded, ProtoError> {
        let mut pos = 0;
        let mut data = None;

        // Framing up to the first data byte (or the end of the body or of the input).
        while pos < input.len() {
            if let Chunk::Data { remaining } = chunk {
                let n = clamp(remaining, input.len() - pos);
                data = Some(pos..pos + n);
                pos += n;
                self.received = self.received.saturating_add(n as u64);
                chunk = match remaining - n as u64 {
                    0 => Chunk::DataCr,
                    remaining => Chunk::Data { remaining },
                };
                break;
            }
            match step(chunk, input[pos])? {
                Some(next) => chunk = next,
                None => {
                    self.state = State::Done;
                    return Ok(Decoded {
                        consumed: pos + 1,
                        data: None,
                    });
                }
            }
            pos += 1;
        }

        // Framing after the data, up to the next data byte; an error waits for the next call.
        if data.is_some() {
            while pos < input.len() && !matches!(chunk, Chunk::Data { .. }) {
                match step(chunk, input[pos]) {
                    Ok(Some(next)) => chunk = next,
                    Ok(None) => {
                        self.state = State::Done;
                        return Ok(Decoded {
                            consumed: pos + 1,
                            data,
                        });
                    }
                    Err(_) => break,
                }
                pos += 1;
            }
        }

        self.state = State::Chunked(chunk);
        Ok(Decoded {
            consumed: pos,
            data,
        })
    }
}

/// `min(remaining, available)` as a `usize` (it is at most `available`).
fn clamp(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

/// One framing byte: the next state, or `None` when the message is complete.
///
/// Pure (it does not touch the decoder), so a caller can look ahead and stop before an error.
/// Bare LF is accepted wherever CRLF is expected, as browsers do.
fn step(chunk: Chunk, byte: u8) -> Result<Option<Chunk>, ProtoError> {
    let next = match chunk {
        Chunk::Size { size, digits, line } => {
            let line = next_line_len(line)?;
            match (byte, hex_value(byte)) {
                (_, Some(digit)) => Chunk::Size {
                    size: size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(u64::from(digit)))
                        .ok_or_else(|| invalid("chunk size overflows 64 bits"))?,
                    digits: true,
                    line,
                },
                _ if !digits => return Err(invalid(&format!("bad chunk size byte {byte:#04x}"))),
                (b' ' | b'\t', _) => Chunk::SizeSpace { size, line },
                (b';', _) => Chunk::Extension { size, line },
                (b'\r', _) => Chunk::SizeLf { size },
                (b'\n', _) => after_size_line(size),
                _ => return Err(invalid(&format!("bad chunk size byte {byte:#04x}"))),
            }
        }
        Chunk::SizeSpace { size, line } => {
            let line = next_line_len(line)?;
            match byte {
                b' ' | b'\t' => Chunk::SizeSpace { size, line },
                b';' => Chunk::Extension { size, line },
                b'\r' => Chunk::SizeLf { size },
                b'\n' => after_size_line(size),
                _ => return Err(invalid("junk after the chunk size")),
            }
        }
        Chunk::Extension { size, line } => {
            let line = next_line_len(line)?;
            match byte {
                b'\r' => Chunk::SizeLf { size },
                b'\n' => after_size_line(size),
                _ => Chunk::Extension { size, line },
            }
        }
        Chunk::SizeLf { size } => match byte {
            b'\n' => after_size_line(size),
            _ => return Err(invalid("CR without LF after the chunk size")),
        },
        Chunk::DataCr => match byte {
            b'\r' => Chunk::DataLf,
            b'\n' => Chunk::START,
            _ => return Err(invalid("chunk data longer than its size")),
        },
        Chunk::DataLf => match byte {
            b'\n' => Chunk::START,
            _ => return Err(invalid("CR without LF after chunk data")),
        },
        Chunk::Trailer { total, line_start } => {
            let total = total + 1;
            if total > MAX_TRAILERS {
                return Err(invalid("chunked trailers too large"));
            }
            match byte {
                b'\r' => Chunk::TrailerLf {
                    total,
                    last: line_start,
                },
                b'\n' if line_start => return Ok(None),
                b'\n' => Chunk::Trailer {
                    total,
                    line_start: true,
                },
                _ => Chunk::Trailer {
                    total,
                    line_start: false,
                },
            }
        }
        Chunk::TrailerLf { total, last } => match byte {
            b'\n' if last => return Ok(None),
            b'\n' => Chunk::Trailer {
                total,
                line_start: true,
            },
            _ => return Err(invalid("CR without LF in the chunked trailers")),
        },
        Chunk::Data { .. } => {
            // Data is taken in bulk by the caller and never reaches here; treat a stray call as
            // a framing bug rather than panicking.
            return Err(invalid("internal: chunk data fed to the framing parser"));
        }
    };
    Ok(Some(next))
}

/// After a complete chunk-size line: data, or the trailers after the last (zero) chunk.
fn after_size_line(size: u64) -> Chunk {
    if size == 0 {
        Chunk::Trailer {
            total: 0,
            line_start: true,
        }
    } else {
        Chunk::Data { remaining: size }
    }
}

fn next_line_len(line: u32) -> Result<u32, ProtoError> {
    if line >= MAX_CHUNK_LINE {
        Err(invalid("chunk size line too long"))
    } else {
        Ok(line + 1)
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn invalid(msg: &str) -> ProtoError {
    ProtoError::InvalidResponse(msg.to_owned())
}

/// Writes a request body in chunked transfer coding, for uploads of unknown length.
///
/// WinINet: `HttpSendRequestEx` + `InternetWriteFile` without a `Content-Length`.
///
/// ```
/// use inet_http::proto::ChunkedEncoder;
/// let encoder = ChunkedEncoder::new();
/// let mut out = Vec::new();
/// encoder.encode_chunk(b"hello, world", &mut out);
/// encoder.finish(&mut out);
/// assert_eq!(out, b"C\r\nhello, world\r\n0\r\n\r\n");
/// ```
#[derive(Debug, Default)]
pub struct ChunkedEncoder {
    _private: (),
}

impl ChunkedEncoder {
    /// An encoder at the start of a body.
    pub fn new() -> Self {
        ChunkedEncoder::default()
    }

    /// Appends `data` as one chunk. Empty data writes nothing: an empty chunk would end the body.
    pub fn encode_chunk(&self, data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            return;
        }
        push_hex(data.len(), out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    /// Appends the last chunk and the empty trailer section. Takes `self`: nothing may follow.
    pub fn finish(self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"0\r\n\r\n");
    }
}

/// Appends `n` in upper-case hex without leading zeros.
fn push_hex(n: usize, out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    let mut rest = n;
    loop {
        i -= 1;
        buf[i] = DIGITS[rest % 16];
        rest /= 16;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_body_without_length_or_chunks_runs_to_the_close() {
        assert!(BodyDecoder::new(BodyKind::UntilClose).runs_to_close());
        assert!(!BodyDecoder::new(BodyKind::Length(10)).runs_to_close());
        assert!(!BodyDecoder::new(BodyKind::Chunked).runs_to_close());
        assert!(!BodyDecoder::new(BodyKind::None).runs_to_close());
    }

    fn te(value: &str) -> HeaderList {
        let mut h = HeaderList::new();
        h.push("Transfer-Encoding", value).expect("valid");
        h
    }

    #[test]
    fn gzip_under_chunked_is_a_transfer_coding_to_undo() {
        assert_eq!(transfer_coding(&te("gzip, chunked")), Ok(Some("gzip")));
        assert_eq!(transfer_coding(&te("chunked")), Ok(None));
        assert_eq!(transfer_coding(&te("identity")), Ok(None));
        assert_eq!(transfer_coding(&HeaderList::new()), Ok(None));
    }

    #[test]
    fn an_unknown_or_stacked_transfer_coding_is_an_invalid_response() {
        for value in ["compress, chunked", "gzip, deflate, chunked", "br"] {
            assert!(
                matches!(
                    transfer_coding(&te(value)),
                    Err(ProtoError::InvalidResponse(_))
                ),
                "{value}"
            );
        }
    }
    use crate::proto::Modifier;

    fn headers(text: &str) -> HeaderList {
        let mut list = HeaderList::new();
        assert_eq!(list.add_lines(text, Modifier::Add), Ok(()));
        list
    }

    fn kind(method: Method, status: u16, text: &str) -> Result<BodyKind, ProtoError> {
        body_kind(&method, status, &headers(text))
    }

    /// Feeds `pieces` one after another the way a driver would: offer each piece, drop what was
    /// consumed, offer the rest again. Returns the body and the unconsumed bytes after it.
    fn feed(decoder: &mut BodyDecoder, pieces: &[&[u8]]) -> Result<(Vec<u8>, Vec<u8>), ProtoError> {
        let mut body = Vec::new();
        let mut left = Vec::new();
        for piece in pieces {
            let mut rest: &[u8] = piece;
            while !rest.is_empty() {
                let decoded = decoder.decode(rest)?;
                assert!(decoded.consumed <= rest.len());
                if let Some(range) = decoded.data {
                    assert!(range.end <= decoded.consumed);
                    body.extend_from_slice(&rest[range]);
                }
                rest = &rest[decoded.consumed..];
                if decoded.consumed == 0 {
                    assert!(decoder.is_done(), "no progress before the end");
                    left.extend_from_slice(rest);
                    break;
                }
            }
        }
        Ok((body, left))
    }

    fn decode_whole(kind: BodyKind, input: &[u8]) -> Result<(Vec<u8>, Vec<u8>), ProtoError> {
        let mut decoder = BodyDecoder::new(kind);
        feed(&mut decoder, &[input])
    }

    const CHUNKED: &[u8] =
        b"4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
    const CHUNKED_BODY: &[u8] = b"Wikipedia in\r\n\r\nchunks.";

    #[test]
    fn head_and_bodiless_statuses_have_no_body() {
        assert_eq!(
            kind(Method::HEAD, 200, "Content-Length: 10"),
            Ok(BodyKind::None)
        );
        for status in [100, 101, 199, 204, 304] {
            assert_eq!(
                kind(Method::GET, status, "Content-Length: 10"),
                Ok(BodyKind::None)
            );
        }
    }

    #[test]
    fn successful_connect_has_no_body_but_a_failed_one_does() {
        assert_eq!(kind(Method::CONNECT, 200, ""), Ok(BodyKind::None));
        assert_eq!(
            kind(Method::CONNECT, 407, "Content-Length: 3"),
            Ok(BodyKind::Length(3))
        );
    }

    #[test]
    fn chunked_transfer_encoding_wins_over_content_length() {
        assert_eq!(
            kind(
                Method::GET,
                200,
                "Content-Length: 10\r\nTransfer-Encoding: chunked"
            ),
            Ok(BodyKind::Chunked)
        );
        assert_eq!(
            kind(Method::GET, 200, "Transfer-Encoding: gzip, CHUNKED"),
            Ok(BodyKind::Chunked)
        );
        assert_eq!(
            kind(
                Method::GET,
                200,
                "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"
            ),
            Ok(BodyKind::Chunked)
        );
    }

    #[test]
    fn transfer_encoding_not_ending_in_chunked_reads_until_close() {
        assert_eq!(
            kind(
                Method::GET,
                200,
                "Transfer-Encoding: chunked, gzip\r\nContent-Length: 3"
            ),
            Ok(BodyKind::UntilClose)
        );
    }

    #[test]
    fn content_length_gives_a_length_body() {
        assert_eq!(
            kind(Method::GET, 200, "Content-Length: 42"),
            Ok(BodyKind::Length(42))
        );
        assert_eq!(
            kind(Method::GET, 200, "Content-Length: 0"),
            Ok(BodyKind::Length(0))
        );
        assert_eq!(
            kind(Method::GET, 200, "Content-Length: 18446744073709551615"),
            Ok(BodyKind::Length(u64::MAX))
        );
    }

    #[test]
    fn repeated_equal_content_lengths_are_accepted() {
        assert_eq!(
            kind(
                Method::GET,
                200,
                "Content-Length: 7, 7\r\nContent-Length: 7"
            ),
            Ok(BodyKind::Length(7))
        );
    }

    #[test]
    fn conflicting_or_invalid_content_length_is_an_invalid_response() {
        for bad in [
            "Content-Length: 1\r\nContent-Length: 2",
            "Content-Length: 1, 2",
            "Content-Length: -1",
            "Content-Length: +1",
            "Content-Length: 0x10",
            "Content-Length: 1 2",
            "Content-Length:",
            "Content-Length: 1,",
            "Content-Length: 18446744073709551616",
        ] {
            assert!(
                matches!(
                    kind(Method::GET, 200, bad),
                    Err(ProtoError::InvalidResponse(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn no_framing_headers_reads_until_close() {
        assert_eq!(
            kind(Method::GET, 200, "Server: x"),
            Ok(BodyKind::UntilClose)
        );
    }

    #[test]
    fn length_body_stops_at_its_length_and_leaves_the_rest() {
        let result = decode_whole(BodyKind::Length(5), b"helloHTTP/1.1");
        assert_eq!(result, Ok((b"hello".to_vec(), b"HTTP/1.1".to_vec())));
    }

    #[test]
    fn length_body_remaining_hint_counts_down() {
        let mut decoder = BodyDecoder::new(BodyKind::Length(5));
        assert_eq!(decoder.remaining_hint(), Some(5));
        assert_eq!(
            decoder.decode(b"hel"),
            Ok(Decoded {
                consumed: 3,
                data: Some(0..3)
            })
        );
        assert_eq!(decoder.remaining_hint(), Some(2));
        assert!(!decoder.is_done());
        assert_eq!(decoder.decode(b"lo").map(|d| d.consumed), Ok(2));
        assert!(decoder.is_done());
        assert_eq!(decoder.remaining_hint(), Some(0));
    }

    #[test]
    fn zero_length_and_no_body_are_done_at_once() {
        assert!(BodyDecoder::new(BodyKind::Length(0)).is_done());
        assert!(BodyDecoder::new(BodyKind::None).is_done());
    }

    #[test]
    fn length_body_cut_short_is_incomplete_on_eof() {
        let mut decoder = BodyDecoder::new(BodyKind::Length(10));
        assert!(decoder.decode(b"abcd").is_ok());
        assert_eq!(
            decoder.on_eof(),
            Err(ProtoError::Incomplete {
                expected: Some(10),
                received: 4
            })
        );
    }

    #[test]
    fn until_close_body_takes_everything_and_ends_at_eof() {
        let mut decoder = BodyDecoder::new(BodyKind::UntilClose);
        assert_eq!(
            feed(&mut decoder, &[b"ab", b"", b"cd"]),
            Ok((b"abcd".to_vec(), vec![]))
        );
        assert!(!decoder.is_done());
        assert_eq!(decoder.remaining_hint(), None);
        assert_eq!(decoder.on_eof(), Ok(()));
        assert!(decoder.is_done());
        assert_eq!(decoder.received(), 4);
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers_decodes() {
        let result = decode_whole(BodyKind::Chunked, CHUNKED);
        assert_eq!(result, Ok((CHUNKED_BODY.to_vec(), vec![])));
    }

    #[test]
    fn chunked_body_split_at_every_byte_decodes_the_same() {
        for split in 0..=CHUNKED.len() {
            let (a, b) = CHUNKED.split_at(split);
            let mut decoder = BodyDecoder::new(BodyKind::Chunked);
            assert_eq!(
                feed(&mut decoder, &[a, b]),
                Ok((CHUNKED_BODY.to_vec(), vec![])),
                "split at {split}"
            );
            assert!(decoder.is_done());
        }
    }

    #[test]
    fn chunked_body_fed_one_byte_at_a_time_decodes_the_same() {
        let pieces: Vec<&[u8]> = CHUNKED.chunks(1).collect();
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        assert_eq!(
            feed(&mut decoder, &pieces),
            Ok((CHUNKED_BODY.to_vec(), vec![]))
        );
        assert!(decoder.is_done());
    }

    #[test]
    fn chunked_body_split_at_every_pair_of_bytes_decodes_the_same() {
        for i in 0..=CHUNKED.len() {
            for j in i..=CHUNKED.len() {
                let mut decoder = BodyDecoder::new(BodyKind::Chunked);
                let pieces = [&CHUNKED[..i], &CHUNKED[i..j], &CHUNKED[j..]];
                assert_eq!(
                    feed(&mut decoder, &pieces),
                    Ok((CHUNKED_BODY.to_vec(), vec![])),
                    "splits at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn chunked_body_leaves_the_next_response_unconsumed() {
        let mut input = b"3\r\nabc\r\n0\r\n\r\n".to_vec();
        input.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        let result = decode_whole(BodyKind::Chunked, &input);
        assert_eq!(
            result,
            Ok((b"abc".to_vec(), b"HTTP/1.1 200 OK\r\n".to_vec()))
        );
    }

    #[test]
    fn last_data_call_also_finishes_the_body_when_the_framing_is_there() {
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let input = b"3\r\nabc\r\n0\r\n\r\nnext";
        assert_eq!(
            decoder.decode(input),
            Ok(Decoded {
                consumed: 13,
                data: Some(3..6)
            })
        );
        assert!(decoder.is_done());
    }

    #[test]
    fn one_call_returns_at_most_one_chunk_of_data() {
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let input = b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
        let first = decoder.decode(input);
        assert_eq!(
            first,
            Ok(Decoded {
                consumed: 9,
                data: Some(3..4)
            })
        );
        let second = decoder.decode(&input[9..]);
        assert_eq!(
            second,
            Ok(Decoded {
                consumed: 8,
                data: Some(0..1)
            })
        );
        assert!(decoder.is_done());
    }

    #[test]
    fn upper_case_hex_and_leading_zeros_are_accepted() {
        let mut input = b"000A\r\n".to_vec();
        input.extend_from_slice(&[b'x'; 10]);
        input.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(
            decode_whole(BodyKind::Chunked, &input),
            Ok((vec![b'x'; 10], vec![]))
        );
    }

    #[test]
    fn bare_lf_framing_is_accepted() {
        let result = decode_whole(BodyKind::Chunked, b"3\nabc\n0\n\n");
        assert_eq!(result, Ok((b"abc".to_vec(), vec![])));
    }

    #[test]
    fn whitespace_before_a_chunk_extension_is_accepted() {
        let result = decode_whole(BodyKind::Chunked, b"3 \t;x=y\r\nabc\r\n0\r\n\r\n");
        assert_eq!(result, Ok((b"abc".to_vec(), vec![])));
    }

    #[test]
    fn bad_hex_chunk_size_is_an_invalid_response() {
        for bad in [
            &b"x\r\n"[..],
            b"\r\n",
            b";ext\r\n",
            b"3 3\r\nabc",
            b"-1\r\n",
            b"0x3\r\n",
        ] {
            let result = decode_whole(BodyKind::Chunked, bad);
            assert!(
                matches!(result, Err(ProtoError::InvalidResponse(_))),
                "{:?} gave {result:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn chunk_size_overflow_is_an_invalid_response() {
        let result = decode_whole(BodyKind::Chunked, b"10000000000000000\r\n");
        assert!(matches!(result, Err(ProtoError::InvalidResponse(_))));
        let max = decode_whole(BodyKind::Chunked, b"FFFFFFFFFFFFFFFF\r\nabc");
        assert_eq!(max, Ok((b"abc".to_vec(), vec![])));
    }

    #[test]
    fn endless_chunk_extension_is_an_invalid_response() {
        let mut input = b"3;".to_vec();
        input.resize(10_000, b'x');
        let result = decode_whole(BodyKind::Chunked, &input);
        assert!(matches!(result, Err(ProtoError::InvalidResponse(_))));
    }

    #[test]
    fn endless_trailers_are_an_invalid_response() {
        let mut input = b"0\r\n".to_vec();
        for i in 0..10_000 {
            input.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        let result = decode_whole(BodyKind::Chunked, &input);
        assert!(matches!(result, Err(ProtoError::InvalidResponse(_))));
    }

    #[test]
    fn chunk_data_longer_than_its_size_is_an_invalid_response() {
        let result = decode_whole(BodyKind::Chunked, b"2\r\nabc\r\n0\r\n\r\n");
        assert!(matches!(result, Err(ProtoError::InvalidResponse(_))));
    }

    #[test]
    fn framing_error_after_data_is_reported_by_the_next_call_keeping_the_data() {
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let input = b"2\r\nabX";
        let first = decoder.decode(input);
        assert_eq!(
            first,
            Ok(Decoded {
                consumed: 5,
                data: Some(3..5)
            })
        );
        assert!(matches!(
            decoder.decode(&input[5..]),
            Err(ProtoError::InvalidResponse(_))
        ));
    }

    #[test]
    fn chunked_body_cut_short_is_incomplete_on_eof_at_every_point() {
        for end in 0..CHUNKED.len() {
            let mut decoder = BodyDecoder::new(BodyKind::Chunked);
            assert!(feed(&mut decoder, &[&CHUNKED[..end]]).is_ok());
            let received = decoder.received();
            assert_eq!(
                decoder.on_eof(),
                Err(ProtoError::Incomplete {
                    expected: None,
                    received
                }),
                "cut at {end}"
            );
        }
    }

    #[test]
    fn finished_chunked_body_is_fine_on_eof() {
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        assert!(feed(&mut decoder, &[CHUNKED]).is_ok());
        assert_eq!(decoder.on_eof(), Ok(()));
    }

    #[test]
    fn decoding_after_done_consumes_nothing() {
        let mut decoder = BodyDecoder::new(BodyKind::Length(1));
        assert!(decoder.decode(b"a").is_ok());
        assert_eq!(
            decoder.decode(b"more"),
            Ok(Decoded {
                consumed: 0,
                data: None
            })
        );
    }

    #[test]
    fn encoder_writes_hex_sizes_and_skips_empty_chunks() {
        let encoder = ChunkedEncoder::new();
        let mut out = Vec::new();
        encoder.encode_chunk(b"", &mut out);
        assert!(out.is_empty());
        encoder.encode_chunk(&[b'a'; 255], &mut out);
        assert!(out.starts_with(b"FF\r\naaa"));
        encoder.finish(&mut out);
        assert!(out.ends_with(b"aaa\r\n0\r\n\r\n"));
    }

    #[test]
    fn encoded_chunks_decode_to_the_original() {
        let encoder = ChunkedEncoder::new();
        let mut out = Vec::new();
        let parts: [&[u8]; 3] = [b"first", &[0u8; 4096], b"\r\n0\r\n\r\n"];
        for part in parts {
            encoder.encode_chunk(part, &mut out);
        }
        encoder.finish(&mut out);
        let expected: Vec<u8> = parts.concat();
        assert_eq!(
            decode_whole(BodyKind::Chunked, &out),
            Ok((expected, vec![]))
        );
    }

    #[test]
    fn push_hex_writes_zero_and_large_values() {
        let mut out = Vec::new();
        push_hex(0, &mut out);
        out.push(b' ');
        push_hex(0x1234_ABCD, &mut out);
        assert_eq!(out, b"0 1234ABCD");
    }
}
