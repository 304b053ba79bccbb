//! FTP failures as core `Error`s with WinINet's codes, and [`ServerReply`], the reply a refusal
//! carries so that callers can tell a `4xx` (try again later) from a `5xx` (don't).

use std::fmt;

use inet_core::{Error, ErrorKind};

use crate::proto::dialog::DialogError;
use crate::proto::{ProtoError, Reply, ReplyClass};

/// The server's reply behind an FTP error: its code and full text, multi-line included. Found
/// with [`server_reply`] on an [`Error`] of kind `ExtendedError` (12003), `LoginFailure`
/// (12015), `FtpDropped` (12111) or `FtpNoPassiveMode` (12112).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerReply {
    /// The three-digit code.
    pub code: u16,
    /// Every line as sent, codes included, joined by `\n`.
    pub text: String,
}

impl ServerReply {
    /// A `4xx` reply: the server may accept the same command later.
    pub fn is_transient(&self) -> bool {
        self.code / 100 == 4
    }

    /// A `5xx` reply: the command will not succeed as it is.
    pub fn is_permanent(&self) -> bool {
        self.code / 100 == 5
    }
}

impl From<&Reply> for ServerReply {
    fn from(r: &Reply) -> Self {
        ServerReply {
            code: r.code,
            text: r.text.clone(),
        }
    }
}

impl fmt::Display for ServerReply {
    /// The code and the first line of the text (` …` when more lines follow), which is what an
    /// error message needs; [`text`](Self::text) holds every line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reply = Reply {
            code: self.code,
            text: self.text.clone(),
        };
        write!(f, "{} {}", self.code, first_line(&reply))
    }
}

impl std::error::Error for ServerReply {}

/// The server reply an FTP error carries, if any.
///
/// ```
/// # use inet_ftp::{server_reply, ServerReply};
/// # fn f(err: &inet_core::Error) {
/// if let Some(reply) = server_reply(err) {
///     if reply.is_transient() { /* try again later */ }
/// }
/// # }
/// ```
pub fn server_reply(err: &Error) -> Option<&ServerReply> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(reply) = s.downcast_ref::<ServerReply>() {
            return Some(reply);
        }
        source = s.source();
    }
    None
}

/// A reply that ended an operation, as an error: `421` → FTP_DROPPED (12111), else
/// EXTENDED_ERROR (12003); the message names what was being done, the reply's code and text.
pub(crate) fn refused(what: &str, reply: &Reply) -> Error {
    let kind = if reply.code == 421 {
        ErrorKind::FtpDropped
    } else {
        ErrorKind::ExtendedError
    };
    // The reply itself is the source: Display shows its code and first line once.
    let class = match reply.class() {
        ReplyClass::TransientNegative => " (a transient refusal)",
        _ => "",
    };
    Error::new(kind, format!("{what}{class}")).with_source(ServerReply::from(reply))
}

/// A dialog's failure as an error, `what` naming the operation.
pub(crate) fn dialog(what: &str, e: DialogError) -> Error {
    match e {
        DialogError::Closing(r) => refused(what, &r),
        DialogError::LoginRefused(r) => {
            Error::new(ErrorKind::LoginFailure, what.to_string()).with_source(ServerReply::from(&r))
        }
        DialogError::Refused { command, reply } => refused(&format!("{what}: {command}"), &reply),
        DialogError::NoPassiveMode(r) => Error::new(
            ErrorKind::FtpNoPassiveMode,
            format!(
                "{what}: the server refused EPSV and PASV: {} {}",
                r.code,
                first_line(&r)
            ),
        )
        .with_source(ServerReply::from(&r)),
        DialogError::Invalid(p) => protocol(what, p),
    }
}

/// Bytes the protocol core refused, as an error: a bad argument from the caller is
/// INVALID_PARAMETER (87); anything from the server is INVALID_SERVER_RESPONSE (12152).
pub(crate) fn protocol(what: &str, e: ProtoError) -> Error {
    let kind = match e {
        ProtoError::InvalidArgument(_) => ErrorKind::InvalidParameter,
        _ => ErrorKind::InvalidServerResponse,
    };
    Error::new(kind, format!("{what}: {e}")).with_source(e)
}

fn first_line(reply: &Reply) -> String {
    let message = reply.message();
    let line = message.lines().next().unwrap_or("").trim();
    let mut s: String = line.chars().take(200).collect();
    if reply.text.contains('\n') {
        s.push_str(" …");
    }
    s
}

/// A local file's error (FtpGetFile's target, FtpPutFile's source): not there → FILE_NOT_FOUND
/// (2), not allowed → ACCESS_DENIED (5), anything else while writing → WRITE_FAULT (29), while
/// reading → READ_FAULT (30); the I/O error is the source.
pub(crate) fn local(what: &str, path: &std::path::Path, e: std::io::Error, writing: bool) -> Error {
    let kind = match e.kind() {
        std::io::ErrorKind::NotFound => ErrorKind::FileNotFound,
        std::io::ErrorKind::PermissionDenied => ErrorKind::AccessDenied,
        _ if writing => ErrorKind::WriteFault,
        _ => ErrorKind::ReadFault,
    };
    Error::new(kind, format!("{what}: {}", path.display())).with_source(e)
}
