//! The one error type of inet: a kind with its WinINet code, a message that names the host and the
//! operation, and a source chain.

use std::fmt;
use std::io;
use std::sync::Arc;

/// What went wrong, in WinINet's terms. [`ErrorKind::code`] gives the `ERROR_INTERNET_*` number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// ERROR_INVALID_HANDLE (6): the handle was closed.
    InvalidHandle,
    /// ERROR_INVALID_PARAMETER (87): an argument was rejected before anything was sent.
    InvalidParameter,
    /// ERROR_INTERNET_TIMEOUT (12002): connect, send or receive timeout, or the low-speed limit.
    Timeout,
    /// ERROR_INTERNET_EXTENDED_ERROR (12003): the server said no (FTP reply, HTTP proxy refusal…).
    ExtendedError,
    /// ERROR_INTERNET_INTERNAL_ERROR (12004).
    Internal,
    /// ERROR_INTERNET_INVALID_URL (12005).
    InvalidUrl,
    /// ERROR_INTERNET_UNRECOGNIZED_SCHEME (12006).
    UnrecognizedScheme,
    /// ERROR_INTERNET_NAME_NOT_RESOLVED (12007).
    NameNotResolved,
    /// ERROR_INTERNET_LOGIN_FAILURE (12015).
    LoginFailure,
    /// ERROR_INTERNET_INVALID_OPERATION (12016).
    InvalidOperation,
    /// ERROR_INTERNET_OPERATION_CANCELLED (12017): the handle was closed (or the future dropped).
    OperationCancelled,
    /// ERROR_INTERNET_INCORRECT_HANDLE_TYPE (12018).
    IncorrectHandleType,
    /// ERROR_INTERNET_INCORRECT_HANDLE_STATE (12019): e.g. a second operation while one is pending.
    IncorrectHandleState,
    /// ERROR_INTERNET_CANNOT_CONNECT (12029).
    CannotConnect,
    /// ERROR_INTERNET_CONNECTION_ABORTED (12030): the peer went away mid-transfer.
    ConnectionAborted,
    /// ERROR_INTERNET_CONNECTION_RESET (12031).
    ConnectionReset,
    /// ERROR_INTERNET_SEC_CERT_DATE_INVALID (12037).
    SecCertDateInvalid,
    /// ERROR_INTERNET_SEC_CERT_CN_INVALID (12038): the certificate does not name the host.
    SecCertCnInvalid,
    /// ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR (12040): a redirect would leave TLS.
    HttpsToHttpOnRedirect,
    /// ERROR_INTERNET_INVALID_CA (12045): the certificate chain is not trusted.
    InvalidCa,
    /// ERROR_INTERNET_FTP_TRANSFER_IN_PROGRESS (12110).
    FtpTransferInProgress,
    /// ERROR_HTTP_HEADER_NOT_FOUND (12150).
    HeaderNotFound,
    /// ERROR_HTTP_INVALID_SERVER_RESPONSE (12152).
    InvalidServerResponse,
    /// ERROR_HTTP_INVALID_HEADER (12153): a header the caller gave is malformed.
    InvalidHeader,
    /// ERROR_HTTP_HEADER_ALREADY_EXISTS (12155).
    HeaderAlreadyExists,
    /// ERROR_HTTP_REDIRECT_FAILED (12156): too many redirects, or a redirect that cannot be followed.
    RedirectFailed,
    /// ERROR_INTERNET_SECURITY_CHANNEL_ERROR (12157): TLS failed for another reason.
    SecurityChannel,
    /// ERROR_INTERNET_DECODING_FAILED (12175): Content-Encoding could not be decoded.
    DecodingFailed,
    /// More data than the caller's limit (an endless stream, a decompression bomb): ERROR_NOT_ENOUGH_MEMORY (8).
    TooLarge,
}

impl ErrorKind {
    /// The WinINet error number (`ERROR_INTERNET_*`, `ERROR_HTTP_*`, or a Win32 code).
    pub fn code(self) -> u32 {
        use ErrorKind::*;
        match self {
            InvalidHandle => 6,
            InvalidParameter => 87,
            Timeout => 12002,
            ExtendedError => 12003,
            Internal => 12004,
            InvalidUrl => 12005,
            UnrecognizedScheme => 12006,
            NameNotResolved => 12007,
            LoginFailure => 12015,
            InvalidOperation => 12016,
            OperationCancelled => 12017,
            IncorrectHandleType => 12018,
            IncorrectHandleState => 12019,
            CannotConnect => 12029,
            ConnectionAborted => 12030,
            ConnectionReset => 12031,
            SecCertDateInvalid => 12037,
            SecCertCnInvalid => 12038,
            HttpsToHttpOnRedirect => 12040,
            InvalidCa => 12045,
            FtpTransferInProgress => 12110,
            HeaderNotFound => 12150,
            InvalidServerResponse => 12152,
            InvalidHeader => 12153,
            HeaderAlreadyExists => 12155,
            RedirectFailed => 12156,
            SecurityChannel => 12157,
            DecodingFailed => 12175,
            TooLarge => 8,
        }
    }

    /// The WinINet constant's name, e.g. `ERROR_INTERNET_TIMEOUT`.
    pub fn name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            InvalidHandle => "ERROR_INVALID_HANDLE",
            InvalidParameter => "ERROR_INVALID_PARAMETER",
            Timeout => "ERROR_INTERNET_TIMEOUT",
            ExtendedError => "ERROR_INTERNET_EXTENDED_ERROR",
            Internal => "ERROR_INTERNET_INTERNAL_ERROR",
            InvalidUrl => "ERROR_INTERNET_INVALID_URL",
            UnrecognizedScheme => "ERROR_INTERNET_UNRECOGNIZED_SCHEME",
            NameNotResolved => "ERROR_INTERNET_NAME_NOT_RESOLVED",
            LoginFailure => "ERROR_INTERNET_LOGIN_FAILURE",
            InvalidOperation => "ERROR_INTERNET_INVALID_OPERATION",
            OperationCancelled => "ERROR_INTERNET_OPERATION_CANCELLED",
            IncorrectHandleType => "ERROR_INTERNET_INCORRECT_HANDLE_TYPE",
            IncorrectHandleState => "ERROR_INTERNET_INCORRECT_HANDLE_STATE",
            CannotConnect => "ERROR_INTERNET_CANNOT_CONNECT",
            ConnectionAborted => "ERROR_INTERNET_CONNECTION_ABORTED",
            ConnectionReset => "ERROR_INTERNET_CONNECTION_RESET",
            SecCertDateInvalid => "ERROR_INTERNET_SEC_CERT_DATE_INVALID",
            SecCertCnInvalid => "ERROR_INTERNET_SEC_CERT_CN_INVALID",
            HttpsToHttpOnRedirect => "ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR",
            InvalidCa => "ERROR_INTERNET_INVALID_CA",
            FtpTransferInProgress => "ERROR_FTP_TRANSFER_IN_PROGRESS",
            HeaderNotFound => "ERROR_HTTP_HEADER_NOT_FOUND",
            InvalidServerResponse => "ERROR_HTTP_INVALID_SERVER_RESPONSE",
            InvalidHeader => "ERROR_HTTP_INVALID_HEADER",
            HeaderAlreadyExists => "ERROR_HTTP_HEADER_ALREADY_EXISTS",
            RedirectFailed => "ERROR_HTTP_REDIRECT_FAILED",
            SecurityChannel => "ERROR_INTERNET_SECURITY_CHANNEL_ERROR",
            DecodingFailed => "ERROR_INTERNET_DECODING_FAILED",
            TooLarge => "ERROR_NOT_ENOUGH_MEMORY",
        }
    }
}

/// An inet error: [`kind`](Error::kind), WinINet [`code`](Error::code), a message naming the host
/// and the operation, and the underlying cause as [`source`](std::error::Error::source).
///
/// Cheap to clone (the cause is shared), so one error can be both handed to a status callback in
/// `REQUEST_COMPLETE` and kept by the caller.
///
/// ```
/// use inet_core::{Error, ErrorKind};
/// let e = Error::new(ErrorKind::Timeout, "receiving from example.com:80");
/// assert_eq!(e.code(), 12002);
/// assert!(e.is_timeout());
/// assert_eq!(e.to_string(), "receiving from example.com:80: timed out (ERROR_INTERNET_TIMEOUT 12002)");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of `kind`; `message` says what inet was doing, and to whom ("connecting to host:80").
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                source: None,
            }),
        }
    }

    /// Attach the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// The operation was cancelled by closing its handle (or dropping its future).
    pub fn cancelled() -> Self {
        Error::new(
            ErrorKind::OperationCancelled,
            "operation cancelled: its handle was closed",
        )
    }

    /// An I/O error on a connection, mapped onto WinINet's codes: resets → CONNECTION_RESET,
    /// timeouts → TIMEOUT, anything else that ends a transfer → CONNECTION_ABORTED.
    pub fn io(err: io::Error, message: impl Into<String>) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::ConnectionReset => ErrorKind::ConnectionReset,
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            io::ErrorKind::ConnectionRefused => ErrorKind::CannotConnect,
            _ => ErrorKind::ConnectionAborted,
        };
        Error::new(kind, message).with_source(err)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The WinINet error number, e.g. 12002 for a timeout.
    pub fn code(&self) -> u32 {
        self.inner.kind.code()
    }

    /// What inet was doing when it failed, without the code.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Timed out (connect, send, receive or the low-speed limit).
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Cancelled by closing the handle.
    pub fn is_cancelled(&self) -> bool {
        self.inner.kind == ErrorKind::OperationCancelled
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("code", &self.code());
        d.field("message", &self.inner.message);
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.inner.kind {
            ErrorKind::InvalidHandle => "the handle is closed",
            ErrorKind::InvalidParameter => "invalid argument",
            ErrorKind::Timeout => "timed out",
            ErrorKind::ExtendedError => "the server refused",
            ErrorKind::Internal => "internal error",
            ErrorKind::InvalidUrl => "invalid URL",
            ErrorKind::UnrecognizedScheme => "unrecognized scheme",
            ErrorKind::NameNotResolved => "name not resolved",
            ErrorKind::LoginFailure => "login failed",
            ErrorKind::InvalidOperation => "invalid operation",
            ErrorKind::OperationCancelled => "cancelled",
            ErrorKind::IncorrectHandleType => "wrong kind of handle",
            ErrorKind::IncorrectHandleState => "the handle is busy or in the wrong state",
            ErrorKind::CannotConnect => "cannot connect",
            ErrorKind::ConnectionAborted => "connection aborted",
            ErrorKind::ConnectionReset => "connection reset",
            ErrorKind::SecCertDateInvalid => "certificate expired or not yet valid",
            ErrorKind::SecCertCnInvalid => "certificate does not match the host name",
            ErrorKind::HttpsToHttpOnRedirect => "redirect from https to http refused",
            ErrorKind::InvalidCa => "certificate not trusted (unknown CA)",
            ErrorKind::FtpTransferInProgress => "a transfer is in progress on this connection",
            ErrorKind::HeaderNotFound => "header not found",
            ErrorKind::InvalidServerResponse => "invalid server response",
            ErrorKind::InvalidHeader => "invalid header",
            ErrorKind::HeaderAlreadyExists => "header already exists",
            ErrorKind::RedirectFailed => "redirect failed",
            ErrorKind::SecurityChannel => "TLS failed",
            ErrorKind::DecodingFailed => "content decoding failed",
            ErrorKind::TooLarge => "more data than the limit",
        };
        if self.inner.message.is_empty() {
            write!(f, "{what}")?;
        } else {
            write!(f, "{}: {what}", self.inner.message)?;
        }
        if let Some(s) = &self.inner.source {
            write!(f, ": {s}")?;
        }
        write!(f, " ({} {})", self.inner.kind.name(), self.code())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// `Result` with inet's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_onto_wininet_codes() {
        let reset = Error::io(io::ErrorKind::ConnectionReset.into(), "reading");
        assert_eq!(reset.code(), 12031);
        let eof = Error::io(io::ErrorKind::UnexpectedEof.into(), "reading");
        assert_eq!(eof.code(), 12030);
        let refused = Error::io(io::ErrorKind::ConnectionRefused.into(), "connecting");
        assert_eq!(refused.code(), 12029);
    }

    #[test]
    fn display_names_the_operation_the_cause_and_the_code() {
        let e = Error::io(io::ErrorKind::ConnectionReset.into(), "receiving from h:80");
        let s = e.to_string();
        assert!(
            s.starts_with("receiving from h:80: connection reset"),
            "{s}"
        );
        assert!(
            s.ends_with("(ERROR_INTERNET_CONNECTION_RESET 12031)"),
            "{s}"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn every_kind_has_a_distinct_code() {
        use ErrorKind::*;
        let all = [
            InvalidHandle,
            InvalidParameter,
            Timeout,
            ExtendedError,
            Internal,
            InvalidUrl,
            UnrecognizedScheme,
            NameNotResolved,
            LoginFailure,
            InvalidOperation,
            OperationCancelled,
            IncorrectHandleType,
            IncorrectHandleState,
            CannotConnect,
            ConnectionAborted,
            ConnectionReset,
            SecCertDateInvalid,
            SecCertCnInvalid,
            HttpsToHttpOnRedirect,
            InvalidCa,
            FtpTransferInProgress,
            HeaderNotFound,
            InvalidServerResponse,
            InvalidHeader,
            HeaderAlreadyExists,
            RedirectFailed,
            SecurityChannel,
            DecodingFailed,
            TooLarge,
        ];
        let mut codes: Vec<u32> = all.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
