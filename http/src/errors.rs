//! Protocol errors mapped onto WinINet's codes.

use inet_core::{Error, ErrorKind};

use crate::proto::{HeaderError, HeaderErrorKind, ProtoError};

/// `what` says what inet was doing, e.g. "reading the response head from host:80".
pub(crate) fn proto_error(e: ProtoError, what: &str) -> Error {
    let kind = match &e {
        ProtoError::HeadTooLarge { .. } | ProtoError::InvalidResponse(_) => {
            ErrorKind::InvalidServerResponse
        }
        ProtoError::InvalidRequest(_) => ErrorKind::InvalidParameter,
        ProtoError::InvalidHeader(_) => ErrorKind::InvalidHeader,
        ProtoError::Incomplete { .. } => ErrorKind::ConnectionAborted,
        ProtoError::Decoding(_) => ErrorKind::DecodingFailed,
        ProtoError::UnsupportedRedirect(_) => ErrorKind::RedirectFailed,
    };
    Error::new(kind, what.to_string()).with_source(e)
}

/// A header the caller gave was refused: nothing was added, nothing sent.
pub(crate) fn header_error(e: HeaderError) -> Error {
    let kind = match e.kind() {
        HeaderErrorKind::AlreadyExists => ErrorKind::HeaderAlreadyExists,
        _ => ErrorKind::InvalidHeader,
    };
    Error::new(kind, format!("adding request header {:?}", e.header())).with_source(e)
}
