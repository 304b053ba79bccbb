//! The one error type of inet: a kind with its WinINet code, a message that names the host and the
//! operation, and a source chain.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Defines [`ErrorKind`] from one table: each row `Variant = code, "NAME", "text";` (after its doc
/// comment) gives the variant, its WinINet number, the WinINet constant's name and the words
/// [`Error`]'s Display uses. The enum, `code()`, `name()`, `from_code()`, Display and `ALL` are
/// all generated from the rows, so adding a code is adding a row and nothing can drift apart.
macro_rules! error_kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $code:literal, $name:literal, $text:literal;
    )*) => {
        /// What went wrong, in WinINet's terms. [`ErrorKind::code`] gives the WinINet number
        /// (`ERROR_INTERNET_*`, `ERROR_HTTP_*`, `ERROR_FTP_*`, `ERROR_GOPHER_*` or a Win32 code),
        /// [`ErrorKind::name`] the constant's name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $(
                #[doc = concat!("`", $name, "` (", stringify!($code), "): ", $text, ".")]
                #[doc = ""]
                $(#[$doc])*
                $variant,
            )*
        }

        impl ErrorKind {
            /// Every kind, in the order of the table (ascending codes).
            pub const ALL: &'static [ErrorKind] = &[$(ErrorKind::$variant),*];

            /// The WinINet error number, e.g. 12002 for [`ErrorKind::Timeout`].
            pub const fn code(self) -> u32 {
                match self {
                    $(ErrorKind::$variant => $code,)*
                }
            }

            /// The WinINet constant's name, e.g. `ERROR_INTERNET_TIMEOUT`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $name,)*
                }
            }

            /// The kind with this WinINet number, if inet has one.
            ///
            /// ```
            /// use inet_core::ErrorKind;
            /// assert_eq!(ErrorKind::from_code(12002), Some(ErrorKind::Timeout));
            /// assert_eq!(ErrorKind::from_code(1), None);
            /// ```
            pub const fn from_code(code: u32) -> Option<ErrorKind> {
                match code {
                    $($code => Some(ErrorKind::$variant),)*
                    _ => None,
                }
            }

            /// A few words for people, e.g. "timed out".
            const fn text(self) -> &'static str {
                match self {
                    $(ErrorKind::$variant => $text,)*
                }
            }
        }
    };
}

error_kinds! {
    /// A local file to read is not there (FtpPutFile's source).
    FileNotFound = 2, "ERROR_FILE_NOT_FOUND", "file not found";
    /// A local file could not be opened: permission denied.
    AccessDenied = 5, "ERROR_ACCESS_DENIED", "access denied";
    /// The handle was closed.
    InvalidHandle = 6, "ERROR_INVALID_HANDLE", "the handle is closed";
    /// More data than the caller's limit (an endless stream, a decompression bomb).
    TooLarge = 8, "ERROR_NOT_ENOUGH_MEMORY", "more data than the limit";
    /// No more entries in a listing (FTP/Gopher find handles).
    NoMoreFiles = 18, "ERROR_NO_MORE_FILES", "no more files";
    /// Writing a local file failed (disk full, I/O error).
    WriteFault = 29, "ERROR_WRITE_FAULT", "writing the local file failed";
    /// Reading a local file failed.
    ReadFault = 30, "ERROR_READ_FAULT", "reading the local file failed";
    /// A local file to write exists and the caller asked not to replace it (FtpGetFile's
    /// fail-if-exists).
    FileExists = 80, "ERROR_FILE_EXISTS", "the file exists";
    /// An argument was rejected before anything was sent.
    InvalidParameter = 87, "ERROR_INVALID_PARAMETER", "invalid argument";
    /// Connect, send or receive timeout, or the low-speed limit.
    Timeout = 12002, "ERROR_INTERNET_TIMEOUT", "timed out";
    /// The server said no (FTP reply, HTTP proxy refusal…).
    ExtendedError = 12003, "ERROR_INTERNET_EXTENDED_ERROR", "the server refused";
    /// A bug or an impossible state inside inet.
    Internal = 12004, "ERROR_INTERNET_INTERNAL_ERROR", "internal error";
    /// The URL could not be parsed.
    InvalidUrl = 12005, "ERROR_INTERNET_INVALID_URL", "invalid URL";
    /// The URL's scheme is not one inet speaks.
    UnrecognizedScheme = 12006, "ERROR_INTERNET_UNRECOGNIZED_SCHEME", "unrecognized scheme";
    /// The host name has no address.
    NameNotResolved = 12007, "ERROR_INTERNET_NAME_NOT_RESOLVED", "name not resolved";
    /// The server refused the user name or password.
    LoginFailure = 12015, "ERROR_INTERNET_LOGIN_FAILURE", "login failed";
    /// The operation makes no sense on this handle or with these settings.
    InvalidOperation = 12016, "ERROR_INTERNET_INVALID_OPERATION", "invalid operation";
    /// The handle was closed (or the future dropped).
    OperationCancelled = 12017, "ERROR_INTERNET_OPERATION_CANCELLED", "cancelled";
    /// The operation needs another kind of handle.
    IncorrectHandleType = 12018, "ERROR_INTERNET_INCORRECT_HANDLE_TYPE", "wrong kind of handle";
    /// E.g. a second operation while one is pending.
    IncorrectHandleState = 12019, "ERROR_INTERNET_INCORRECT_HANDLE_STATE",
        "the handle is busy or in the wrong state";
    /// Refused, or no address could be reached.
    CannotConnect = 12029, "ERROR_INTERNET_CANNOT_CONNECT", "cannot connect";
    /// The peer went away mid-transfer.
    ConnectionAborted = 12030, "ERROR_INTERNET_CONNECTION_ABORTED", "connection aborted";
    /// The peer reset the connection.
    ConnectionReset = 12031, "ERROR_INTERNET_CONNECTION_RESET", "connection reset";
    /// The certificate has expired or is not valid yet.
    SecCertDateInvalid = 12037, "ERROR_INTERNET_SEC_CERT_DATE_INVALID",
        "certificate expired or not yet valid";
    /// The certificate does not name the host.
    SecCertCnInvalid = 12038, "ERROR_INTERNET_SEC_CERT_CN_INVALID",
        "certificate does not match the host name";
    /// A redirect would leave TLS.
    HttpsToHttpOnRedirect = 12040, "ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR",
        "redirect from https to http refused";
    /// The certificate chain is not trusted.
    InvalidCa = 12045, "ERROR_INTERNET_INVALID_CA", "certificate not trusted (unknown CA)";
    /// FTP: the control connection is busy with a transfer.
    FtpTransferInProgress = 12110, "ERROR_FTP_TRANSFER_IN_PROGRESS",
        "a transfer is in progress on this connection";
    /// FTP: the transfer's data connection was dropped.
    FtpDropped = 12111, "ERROR_FTP_DROPPED", "the FTP transfer was dropped";
    /// FTP: the server does not offer passive mode (PASV/EPSV).
    FtpNoPassiveMode = 12112, "ERROR_FTP_NO_PASSIVE_MODE", "passive mode is not available";
    /// Gopher: the server broke the protocol.
    GopherProtocolError = 12130, "ERROR_GOPHER_PROTOCOL_ERROR", "Gopher protocol error";
    /// Gopher: the locator is not a file.
    GopherNotFile = 12131, "ERROR_GOPHER_NOT_FILE", "the Gopher item is not a file";
    /// Gopher: the data received is malformed.
    GopherDataError = 12132, "ERROR_GOPHER_DATA_ERROR", "Gopher data error";
    /// Gopher: the end of the data was reached.
    GopherEndOfData = 12133, "ERROR_GOPHER_END_OF_DATA", "end of Gopher data";
    /// Gopher: the locator could not be parsed.
    GopherInvalidLocator = 12134, "ERROR_GOPHER_INVALID_LOCATOR", "invalid Gopher locator";
    /// Gopher: the locator's type does not fit the operation.
    GopherIncorrectLocatorType = 12135, "ERROR_GOPHER_INCORRECT_LOCATOR_TYPE",
        "wrong type of Gopher locator";
    /// Gopher: the item is not a Gopher+ item.
    GopherNotGopherPlus = 12136, "ERROR_GOPHER_NOT_GOPHER_PLUS", "not a Gopher+ item";
    /// Gopher: the Gopher+ attribute is not there.
    GopherAttributeNotFound = 12137, "ERROR_GOPHER_ATTRIBUTE_NOT_FOUND",
        "Gopher+ attribute not found";
    /// Gopher: the locator's type is unknown.
    GopherUnknownLocator = 12138, "ERROR_GOPHER_UNKNOWN_LOCATOR", "unknown Gopher locator type";
    /// The header asked for is not there.
    HeaderNotFound = 12150, "ERROR_HTTP_HEADER_NOT_FOUND", "header not found";
    /// The server's answer is not valid HTTP.
    InvalidServerResponse = 12152, "ERROR_HTTP_INVALID_SERVER_RESPONSE", "invalid server response";
    /// A header the caller gave is malformed.
    InvalidHeader = 12153, "ERROR_HTTP_INVALID_HEADER", "invalid header";
    /// The header is already there and the caller asked not to replace it.
    HeaderAlreadyExists = 12155, "ERROR_HTTP_HEADER_ALREADY_EXISTS", "header already exists";
    /// Too many redirects, or a redirect that cannot be followed.
    RedirectFailed = 12156, "ERROR_HTTP_REDIRECT_FAILED", "redirect failed";
    /// TLS failed for another reason.
    SecurityChannel = 12157, "ERROR_INTERNET_SECURITY_CHANNEL_ERROR", "TLS failed";
    /// Content-Encoding could not be decoded.
    DecodingFailed = 12175, "ERROR_INTERNET_DECODING_FAILED", "content decoding failed";
}

impl fmt::Display for ErrorKind {
    /// The words for people ("timed out"); [`Error`]'s Display adds the message and the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
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
    #[must_use]
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
        let what = self.inner.kind;
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

/// For the `std::io` and `futures-io` adapters: the inet error travels inside (get it back with
/// `io::Error::get_ref` and `downcast_ref::<inet_core::Error>()`); the `io::ErrorKind` says the
/// broad class. A cancelled operation is `ConnectionAborted`, never `Interrupted` (which copy
/// loops retry).
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match e.kind() {
            ErrorKind::Timeout => io::ErrorKind::TimedOut,
            ErrorKind::ConnectionReset => io::ErrorKind::ConnectionReset,
            // A read on a handle closed between two reads ends the stream like a cancelled one.
            ErrorKind::ConnectionAborted
            | ErrorKind::OperationCancelled
            | ErrorKind::InvalidHandle => io::ErrorKind::ConnectionAborted,
            ErrorKind::CannotConnect => io::ErrorKind::ConnectionRefused,
            ErrorKind::FileNotFound => io::ErrorKind::NotFound,
            ErrorKind::AccessDenied => io::ErrorKind::PermissionDenied,
            ErrorKind::InvalidParameter => io::ErrorKind::InvalidInput,
            ErrorKind::DecodingFailed | ErrorKind::InvalidServerResponse => {
                io::ErrorKind::InvalidData
            }
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
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
    fn every_kind_has_a_distinct_code_and_name_and_round_trips_through_from_code() {
        let mut codes: Vec<u32> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        let mut names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for &k in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_code(k.code()), Some(k));
            assert!(k.name().starts_with("ERROR_"), "{k:?}");
            assert!(!k.to_string().is_empty(), "{k:?}");
        }
    }

    #[test]
    fn the_table_is_in_ascending_code_order() {
        // Keeps the table readable as a list of WinINet's numbers, and ALL sorted.
        assert!(ErrorKind::ALL.windows(2).all(|w| w[0].code() < w[1].code()));
    }

    #[test]
    fn ftp_gopher_and_listing_codes_carry_wininets_numbers_and_names() {
        let expected = [
            (ErrorKind::NoMoreFiles, 18, "ERROR_NO_MORE_FILES"),
            (
                ErrorKind::FtpTransferInProgress,
                12110,
                "ERROR_FTP_TRANSFER_IN_PROGRESS",
            ),
            (ErrorKind::FtpDropped, 12111, "ERROR_FTP_DROPPED"),
            (
                ErrorKind::FtpNoPassiveMode,
                12112,
                "ERROR_FTP_NO_PASSIVE_MODE",
            ),
            (
                ErrorKind::GopherProtocolError,
                12130,
                "ERROR_GOPHER_PROTOCOL_ERROR",
            ),
            (ErrorKind::GopherNotFile, 12131, "ERROR_GOPHER_NOT_FILE"),
            (ErrorKind::GopherDataError, 12132, "ERROR_GOPHER_DATA_ERROR"),
            (
                ErrorKind::GopherEndOfData,
                12133,
                "ERROR_GOPHER_END_OF_DATA",
            ),
            (
                ErrorKind::GopherInvalidLocator,
                12134,
                "ERROR_GOPHER_INVALID_LOCATOR",
            ),
            (
                ErrorKind::GopherIncorrectLocatorType,
                12135,
                "ERROR_GOPHER_INCORRECT_LOCATOR_TYPE",
            ),
            (
                ErrorKind::GopherNotGopherPlus,
                12136,
                "ERROR_GOPHER_NOT_GOPHER_PLUS",
            ),
            (
                ErrorKind::GopherAttributeNotFound,
                12137,
                "ERROR_GOPHER_ATTRIBUTE_NOT_FOUND",
            ),
            (
                ErrorKind::GopherUnknownLocator,
                12138,
                "ERROR_GOPHER_UNKNOWN_LOCATOR",
            ),
        ];
        for (kind, code, name) in expected {
            assert_eq!((kind.code(), kind.name()), (code, name));
        }
    }

    #[test]
    fn existing_codes_and_names_are_unchanged() {
        let expected = [
            (ErrorKind::InvalidHandle, 6, "ERROR_INVALID_HANDLE"),
            (ErrorKind::InvalidParameter, 87, "ERROR_INVALID_PARAMETER"),
            (ErrorKind::Timeout, 12002, "ERROR_INTERNET_TIMEOUT"),
            (
                ErrorKind::CannotConnect,
                12029,
                "ERROR_INTERNET_CANNOT_CONNECT",
            ),
            (
                ErrorKind::HttpsToHttpOnRedirect,
                12040,
                "ERROR_INTERNET_HTTPS_TO_HTTP_ON_REDIR",
            ),
            (
                ErrorKind::SecurityChannel,
                12157,
                "ERROR_INTERNET_SECURITY_CHANNEL_ERROR",
            ),
            (
                ErrorKind::DecodingFailed,
                12175,
                "ERROR_INTERNET_DECODING_FAILED",
            ),
        ];
        for (kind, code, name) in expected {
            assert_eq!((kind.code(), kind.name()), (code, name));
        }
        // 41 before the local-file codes FtpGetFile and FtpPutFile need (2, 5, 29, 30, 80).
        assert_eq!(ErrorKind::ALL.len(), 46);
        assert_eq!(
            (ErrorKind::FileNotFound.code(), ErrorKind::FileExists.code()),
            (2, 80)
        );
    }
}
