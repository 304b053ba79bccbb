//! Sans-IO FTP: bytes and lines in, parsed values out; commands out as bytes.
//!
//! Nothing in here owns a socket, a timer or an executor. The driver reads the control
//! connection and hands the bytes to [`ReplyReader`]; it writes whatever [`Command::encode`]
//! produces; it feeds directory listings line by line to [`parse_list_line`] or
//! [`parse_mlsd_line`]. That split keeps every protocol rule testable with byte strings (and
//! fuzzable).
//!
//! Code map:
//! - [`reply`]: [`ReplyReader`], the incremental, bounded reply reader (RFC 959 §4.2), and
//!   [`Reply`].
//! - [`command`]: [`Command`], what the client sends, encoded without injection.
//! - [`passive`]: 227/229 replies to addresses ([`parse_pasv`], [`parse_epsv`]) and the
//!   `PORT`/`EPRT` arguments ([`format_port`], [`format_eprt`]).
//! - [`path`]: the quoted directory name of a 257 reply ([`parse_quoted_path`]).
//! - [`listing`]: directory entries from `LIST` and `MLSD` lines ([`Entry`], [`Parsed`]).
//! - [`features`]: the `FEAT` reply ([`Features`]) and the size a `150` announces.
//! - [`dialog`]: the control channel's dialogs as state machines — [`Login`](dialog::Login),
//!   [`Transfer`](dialog::Transfer), and the one-command rule [`expect`](dialog::expect).
//! - [`ascii`]: `TYPE A` line ends, both ways, streaming.
//!
//! Every fallible function returns [`ProtoError`]; nothing here panics on bytes from the network.

pub mod ascii;
pub mod command;
pub mod dialog;
pub mod features;
pub mod listing;
pub mod passive;
pub mod path;
pub mod reply;

use std::fmt;

pub use command::{Command, TransferType};
pub use features::{announced_size, Features};
pub use listing::{parse_list_line, parse_mlsd_line, Entry, EntryKind, Parsed, Timestamp};
pub use passive::{
    epsv_reply_text, format_eprt, format_port, parse_epsv, parse_pasv, pasv_reply_text,
};
pub use path::parse_quoted_path;
pub use reply::{Reply, ReplyClass, ReplyReader, DEFAULT_MAX_LINE, DEFAULT_MAX_REPLY};

/// Why the protocol core refused some bytes or some command.
///
/// The variants stay distinct because the driver maps them onto different error codes: a
/// garbage or oversized reply is core's `InvalidServerResponse` (12152, the code WinINet uses
/// for any server it cannot read), a bad argument from the caller is `ERROR_INVALID_PARAMETER`
/// (87).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtoError {
    /// A reply line did not end within `limit` bytes.
    LineTooLong {
        /// The configured maximum length of one reply line, in bytes.
        limit: usize,
    },
    /// A (multi-line) reply did not end within `limit` bytes.
    ReplyTooLong {
        /// The configured maximum size of one reply, in bytes.
        limit: usize,
    },
    /// The server sent something that is not a valid FTP reply: a line without a three-digit
    /// code, a 227 without six numbers, a 257 without a quoted name.
    InvalidReply(String),
    /// A command argument from the caller cannot be sent: it holds CR, LF or NUL (which would
    /// let it smuggle a second command), or an address the command cannot carry.
    InvalidArgument(String),
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoError::LineTooLong { limit } => {
                write!(f, "reply line longer than the limit of {limit} bytes")
            }
            ProtoError::ReplyTooLong { limit } => {
                write!(f, "reply longer than the limit of {limit} bytes")
            }
            ProtoError::InvalidReply(msg) => write!(f, "invalid server reply: {msg}"),
            ProtoError::InvalidArgument(msg) => write!(f, "invalid command argument: {msg}"),
        }
    }
}

impl std::error::Error for ProtoError {}

/// Turns line bytes into text without losing any byte.
///
/// Servers send UTF-8 (after `OPTS UTF8 ON`, often before), Latin-1 and worse. Valid UTF-8 is
/// kept as is; anything else is read as ISO-8859-1, which maps every byte to one `char`, so no
/// byte is lost or replaced by U+FFFD.
pub(crate) fn bytes_to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
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
            "reply line longer than the limit of 10 bytes"
        );
    }
}
