//! Gopher failures as core `Error`s with WinINet's codes.

use inet_core::{Error, ErrorKind};

use crate::proto::ProtoError;

/// What the protocol core refused, as an error naming `what` was being done: a server's bytes
/// that cannot be read → INVALID_SERVER_RESPONSE (12152); a caller's locator →
/// GOPHER_INVALID_LOCATOR (12134); a caller's argument → INVALID_PARAMETER (87); a plain
/// Gopher server asked for Gopher+ → GOPHER_NOT_GOPHER_PLUS (12136).
pub(crate) fn protocol(what: &str, e: ProtoError) -> Error {
    let kind = match &e {
        ProtoError::InvalidLocator(_) => ErrorKind::GopherInvalidLocator,
        ProtoError::InvalidArgument(_) => ErrorKind::InvalidParameter,
        ProtoError::NotGopherPlus(_) => ErrorKind::GopherNotGopherPlus,
        _ => ErrorKind::InvalidServerResponse,
    };
    Error::new(kind, format!("{what}: {e}")).with_source(e)
}
