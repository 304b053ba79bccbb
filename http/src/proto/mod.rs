//! Sans-IO HTTP/1.1: bytes in, parsed values out.
//!
//! Nothing in here owns a socket, a timer or an executor. The driver reads bytes from the transport
//! and hands them to these functions and state machines; it writes whatever they encode. That split
//! keeps every protocol rule testable with byte strings (and fuzzable), the way `quinn-proto` is.
//!
//! Code map:
//! - [`headers`]: [`HeaderList`], the ordered header store with WinINet's
//!   `HttpAddRequestHeaders` modifiers.
//! - [`request`]: [`RequestHead`], the request line and headers, encoded to bytes.
//! - [`response`]: [`parse_response_head`], the incremental status-line and header parser.
//! - [`body`]: message framing: [`body_kind`], [`BodyDecoder`], [`ChunkedEncoder`].
//! - [`decode`]: `Content-Encoding` (gzip, deflate) via [`ContentDecoder`].
//! - [`redirect`]: the pure redirect policy (which method, which URL, is it a downgrade).
//! - [`compose`](mod@compose): the request head from a [`RequestSpec`]: the caller's headers plus defaults.
//! - [`method`]: what a method allows ([`is_idempotent`], [`needs_length`]).
//! - [`redact`]: URL text without credentials ([`without_userinfo`]), for messages.
//! - [`persist`]: whether a connection outlives a response ([`keeps_alive`]).
//!
//! Every fallible function returns [`ProtoError`]; nothing here panics on bytes from the network.

pub mod body;
pub mod compose;
pub mod decode;
pub mod headers;
pub mod method;
pub mod persist;
pub mod redact;
pub mod redirect;
pub mod request;
pub mod response;

use std::fmt;

pub use body::{body_kind, transfer_coding, BodyDecoder, BodyKind, ChunkedEncoder, Decoded};
pub use compose::{basic, compose, CacheDirective, Composed, RequestSpec, TargetForm};
pub use decode::ContentDecoder;
pub use headers::{HeaderError, HeaderErrorKind, HeaderList, Modifier};
pub use method::{is_idempotent, needs_length};
pub use persist::keeps_alive;
pub use redact::without_userinfo;
pub use redirect::{
    drop_origin_bound_headers, is_downgrade, redirect_method, resolve_location, same_origin,
    RedirectRule, ORIGIN_BOUND_HEADERS,
};
pub use request::RequestHead;
pub use response::{parse_response_head, HeadSequence, ResponseHead, MAX_INTERIM_RESPONSES};

/// Why the protocol core refused some bytes or some request.
///
/// The variants stay distinct because the driver maps them onto different WinINet error codes:
/// a malformed response is `ERROR_HTTP_INVALID_SERVER_RESPONSE` (12152), a body cut short by the
/// peer is `ERROR_INTERNET_CONNECTION_ABORTED` (12030), a bad header from the caller is
/// `ERROR_HTTP_INVALID_HEADER` (12153), and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoError {
    /// The response head did not end within `limit` bytes.
    HeadTooLarge {
        /// The configured maximum size of a response head, in bytes.
        limit: usize,
    },
    /// The server sent something that is not valid HTTP/1.x: a garbage status line, a bad header,
    /// broken chunked framing, conflicting `Content-Length` values, a redirect to nowhere.
    InvalidResponse(String),
    /// The request the caller asked us to send cannot be written as HTTP/1.x (bad target, bad
    /// version).
    InvalidRequest(String),
    /// A header supplied by the caller is malformed (see [`HeaderError`] for the precise kind).
    InvalidHeader(String),
    /// The connection ended before the body was complete.
    Incomplete {
        /// Total body bytes announced, when the framing says (`Content-Length`); `None` for a
        /// chunked body, whose total is unknown until its last chunk.
        expected: Option<u64>,
        /// Body bytes received before the end.
        received: u64,
    },
    /// The `Content-Encoding` stream (gzip, deflate) is corrupt or truncated.
    Decoding(String),
    /// A redirect to a scheme HTTP cannot follow (`ftp:`, `mailto:`…): WinINet's
    /// ERROR_HTTP_REDIRECT_FAILED ("the scheme changed").
    UnsupportedRedirect(String),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::HeadTooLarge { limit } => {
                write!(f, "response head larger than the limit of {limit} bytes")
            }
            ProtoError::InvalidResponse(msg) => write!(f, "invalid server response: {msg}"),
            ProtoError::InvalidRequest(msg) => write!(f, "invalid request: {msg}"),
            ProtoError::InvalidHeader(msg) => write!(f, "invalid header: {msg}"),
            ProtoError::Incomplete {
                expected: Some(expected),
                received,
            } => write!(
                f,
                "connection closed after {received} of {expected} body bytes"
            ),
            ProtoError::Incomplete {
                expected: None,
                received,
            } => write!(
                f,
                "connection closed inside a chunked body after {received} bytes"
            ),
            ProtoError::Decoding(msg) => write!(f, "content decoding failed: {msg}"),
            ProtoError::UnsupportedRedirect(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for ProtoError {}

impl From<HeaderError> for ProtoError {
    fn from(err: HeaderError) -> Self {
        ProtoError::InvalidHeader(err.to_string())
    }
}

/// Turns header bytes into text without losing any byte.
///
/// Headers are bytes, not text: servers send UTF-8, Latin-1 and worse. Valid UTF-8 is kept as
/// is (what a user reading `Content-Disposition` expects); anything else is read as ISO-8859-1,
/// which maps every byte to one `char`, so no byte is lost or replaced by U+FFFD.
pub(crate) fn bytes_to_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_header_bytes_are_kept_as_utf8() {
        assert_eq!(bytes_to_text("naïve".as_bytes()), "naïve");
    }

    #[test]
    fn non_utf8_header_bytes_are_read_as_latin1() {
        assert_eq!(bytes_to_text(b"caf\xe9"), "café");
    }

    #[test]
    fn incomplete_error_says_how_much_arrived() {
        let err = ProtoError::Incomplete {
            expected: Some(10),
            received: 4,
        };
        assert_eq!(
            err.to_string(),
            "connection closed after 4 of 10 body bytes"
        );
    }
}
