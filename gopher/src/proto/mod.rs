//! Sans-IO Gopher (RFC 1436) and Gopher+: bytes and lines in, parsed values out; requests out
//! as bytes.
//!
//! Nothing in here owns a socket, a timer or an executor. The driver writes what
//! [`request_line`] produces, then hands what the server sends to the parser for the item's
//! kind: [`MenuParser`] for a menu (types 1 and 7), [`TextFraming`] (or [`TextDecoder`]) for a
//! text item, nothing at all for a binary item (read until the server closes), and
//! [`parse_reply_header`] then [`parse_attributes`] for Gopher+. That split keeps every protocol
//! rule testable with byte strings (and fuzzable).
//!
//! Code map, leaves first:
//! - [`item`]: [`ItemType`], the one-byte item types, with WinINet's `GOPHER_TYPE_*` flags.
//! - [`text`]: a text item's `.` terminator and dot-unstuffing: [`TextFraming`] (zero-copy,
//!   the shape of inet-core's `Framing`) and [`TextDecoder`] (copying, the shape of
//!   inet-core's `Transform`); [`dot_stuff`] is their inverse, for test servers.
//! - [`locator`]: [`Locator`], one item's type, display string, selector, host, port and
//!   Gopher+ marker — built (WinINet: GopherCreateLocator), parsed and encoded back; and
//!   [`request_line`], the line a client sends for a selector (with a search query and a
//!   Gopher+ suffix).
//! - [`menu`]: [`MenuParser`], the incremental, bounded menu reader ([`MenuItem`]s out).
//! - [`plus`]: Gopher+ replies: the length header ([`PlusHeader`]), attribute blocks
//!   ([`AttributeBlock`]), error replies ([`PlusError`]).
//!
//! Every fallible function returns [`ProtoError`]; nothing here panics on bytes from the network.

pub mod item;
pub mod locator;
pub mod menu;
pub mod plus;
pub mod text;

use std::fmt;

pub use item::ItemType;
pub use locator::{request_line, GopherPlus, Locator, DEFAULT_PORT};
pub use menu::{MenuItem, MenuParser, DEFAULT_MAX_LINE};
pub use plus::{
    parse_attributes, parse_error_body, parse_reply_header, AttributeBlock, PlusError, PlusHeader,
    PlusLength,
};
pub use text::{dot_stuff, AsSentFraming, TextDecoder, TextFrame, TextFraming};

/// Why the protocol core refused some bytes or some argument.
///
/// The variants stay distinct because the driver maps them onto different error codes: what a
/// server sent that cannot be read (`LineTooLong`, `InvalidReply`) is core's
/// `InvalidServerResponse` (12152, the code WinINet uses for any server it cannot read); a
/// locator string from the caller that cannot be read is `GopherInvalidLocator` (12134); a bad
/// argument is `ERROR_INVALID_PARAMETER` (87); a Gopher+ request answered by a server that does
/// not speak Gopher+ is `GopherNotGopherPlus` (12136).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoError {
    /// A menu line (or a Gopher+ header line) did not end within `limit` bytes.
    LineTooLong {
        /// The configured maximum length of one line, in bytes.
        limit: usize,
    },
    /// The server sent something that is not what was asked for: a menu with a NUL byte
    /// (binary data), a malformed Gopher+ attribute block.
    InvalidReply(String),
    /// A locator string (from the caller) that cannot be read: empty, or with a line break.
    InvalidLocator(String),
    /// An argument from the caller cannot be sent: a selector, query or host with a TAB, CR,
    /// LF or NUL (which would shift the fields or smuggle a second request).
    InvalidArgument(String),
    /// A Gopher+ request was answered without a Gopher+ reply header: the server speaks plain
    /// Gopher only.
    NotGopherPlus(String),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::LineTooLong { limit } => {
                write!(f, "line longer than the limit of {limit} bytes")
            }
            ProtoError::InvalidReply(msg) => write!(f, "invalid server reply: {msg}"),
            ProtoError::InvalidLocator(msg) => write!(f, "invalid Gopher locator: {msg}"),
            ProtoError::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
            ProtoError::NotGopherPlus(msg) => write!(f, "not a Gopher+ server: {msg}"),
        }
    }
}

impl std::error::Error for ProtoError {}

/// Turns line bytes into text without losing any byte.
///
/// Gopher predates UTF-8 and servers send anything: valid UTF-8 is kept as is; anything else is
/// read as ISO-8859-1, which maps every byte to one `char`, so no byte is lost or replaced by
/// U+FFFD.
pub(crate) fn bytes_to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// A short, printable excerpt of bad bytes for an error message.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    format!(
        "{:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_bytes_are_read_as_latin1() {
        assert_eq!(bytes_to_text(b"caf\xe9"), "café");
    }

    #[test]
    fn limit_errors_name_the_limit() {
        assert_eq!(
            ProtoError::LineTooLong { limit: 10 }.to_string(),
            "line longer than the limit of 10 bytes"
        );
    }

    #[test]
    fn excerpts_are_cut_at_80_bytes() {
        assert_eq!(excerpt(&[b'a'; 200]).len(), 82);
    }
}
