//! What names a handle: its [`HandleId`], the application's [`Context`] for it, and its
//! [`HandleKind`] (with WinINet's type codes). Plain values, the leaves of the crate: this module
//! must not use any other module of it but `hash`.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU64;

/// A map keyed by handle id.
pub(crate) type IdMap<V> = HashMap<HandleId, V, crate::hash::Quick>;

/// A handle's identity: unique within its session and never reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandleId(NonZeroU64);

impl HandleId {
    pub(crate) fn new(n: NonZeroU64) -> Self {
        HandleId(n)
    }

    /// The number behind the id (1 for a session's own handle, counting up).
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for HandleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandleId({})", self.0)
    }
}

impl fmt::Display for HandleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The application's value for a handle (WinINet: `dwContext`), handed back in every notification.
///
/// Unlike WinINet, 0 is an ordinary value: a handle with context 0 is still notified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context(pub u64);

impl From<u64> for Context {
    fn from(v: u64) -> Self {
        Context(v)
    }
}

/// What a handle is, with its WinINet handle-type code ([`HandleKind::code`],
/// `INTERNET_HANDLE_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandleKind {
    /// A session (InternetOpen), type 1.
    Internet,
    /// An FTP connection (InternetConnect, FTP service), type 2.
    ConnectFtp,
    /// A Gopher connection, type 3.
    ConnectGopher,
    /// An HTTP connection, type 4.
    ConnectHttp,
    /// An FTP directory listing (FtpFindFirstFile), type 5.
    FtpFind,
    /// An open FTP file (FtpOpenFile), type 7.
    FtpFile,
    /// A Gopher menu listing (GopherFindFirstFile), type 9.
    GopherFind,
    /// An open Gopher item (GopherOpenFile), type 11.
    GopherFile,
    /// An HTTP request (HttpOpenRequest), type 13.
    HttpRequest,
}

impl HandleKind {
    /// WinINet's `INTERNET_HANDLE_TYPE_*` number.
    pub fn code(self) -> u32 {
        match self {
            HandleKind::Internet => 1,
            HandleKind::ConnectFtp => 2,
            HandleKind::ConnectGopher => 3,
            HandleKind::ConnectHttp => 4,
            HandleKind::FtpFind => 5,
            HandleKind::FtpFile => 7,
            HandleKind::GopherFind => 9,
            HandleKind::GopherFile => 11,
            HandleKind::HttpRequest => 13,
        }
    }

    /// A short lower-case name: "session", "connection", "request", "find", "file".
    pub fn short_name(self) -> &'static str {
        match self {
            HandleKind::Internet => "session",
            HandleKind::ConnectFtp | HandleKind::ConnectGopher | HandleKind::ConnectHttp => {
                "connection"
            }
            HandleKind::FtpFind | HandleKind::GopherFind => "find",
            HandleKind::FtpFile | HandleKind::GopherFile => "file",
            HandleKind::HttpRequest => "request",
        }
    }
}
