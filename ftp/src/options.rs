//! How an FTP connection logs in and moves data (WinINet: InternetConnect's user, password and
//! `INTERNET_FLAG_PASSIVE`; FtpGetFile's and FtpOpenFile's flags), and the choices of each
//! transfer.

use std::fmt;

use inet_core::transport::TlsVerify;

pub use crate::proto::TransferType;

/// TLS on the control and data connections (FTPS, RFC 4217).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Plain FTP.
    #[default]
    None,
    /// Explicit FTPS: connect in plain text, then `AUTH TLS`; every data connection is
    /// protected (`PROT P`) and resumes the control connection's TLS session. `ftps://` URLs.
    Explicit,
    /// Implicit FTPS: TLS from the first byte (port 990 by convention).
    Implicit,
}

/// How the data connection is opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataConnection {
    /// The client connects to the server: `EPSV`, falling back to `PASV` (WinINet:
    /// `INTERNET_FLAG_PASSIVE`). The default.
    #[default]
    Passive,
    /// Passive, connecting to the address a `PASV` reply names instead of the control
    /// connection's peer. Only for servers behind address translation that know better than
    /// the route the control connection took; off by default, since a hostile reply could
    /// otherwise aim the client at any host.
    PassiveTrustingAddress,
    /// The server connects to the client (`EPRT`, or `PORT`): for servers that cannot do
    /// passive mode. The client must be reachable from the server.
    Active,
}

/// How to connect and log in to an FTP server (WinINet: InternetConnect with
/// `INTERNET_SERVICE_FTP`). Built with chained setters:
///
/// ```
/// use inet_ftp::{DataConnection, FtpOptions, Security};
///
/// let opts = FtpOptions::new()
///     .credentials("ann", "secret")
///     .security(Security::Explicit)
///     .data_connection(DataConnection::Active);
/// assert_eq!(opts.user(), "ann");
/// assert_eq!(FtpOptions::new().user(), "anonymous");
/// ```
#[derive(Clone, Default)]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct FtpOptions {
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) account: Option<String>,
    pub(crate) security: Security,
    pub(crate) data: DataConnection,
    pub(crate) verify: TlsVerify,
    /// Off by [`pipelining(false)`](Self::pipelining) (on by default).
    pub(crate) no_pipelining: bool,
}

impl FtpOptions {
    /// Anonymous login, plain FTP, passive mode.
    pub fn new() -> Self {
        Self::default()
    }

    /// Log in as `user` with `password` (without this: `anonymous`).
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        self.user = Some(user.to_string());
        self.password = Some(password.to_string());
        self
    }

    /// The account to give when the server asks for one (`ACCT`, reply 332).
    pub fn account(mut self, account: &str) -> Self {
        self.account = Some(account.to_string());
        self
    }

    /// Plain FTP or FTPS.
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// Passive (default) or active data connections.
    pub fn data_connection(mut self, data: DataConnection) -> Self {
        self.data = data;
        self
    }

    /// Relax certificate checks for FTPS (off by default; as HTTPS's `IGNORE_CERT_*` flags).
    pub fn tls_verify(mut self, verify: TlsVerify) -> Self {
        self.verify = verify;
        self
    }

    /// Once `EPSV` has worked on the connection, send it together with the command of each
    /// download or listing (`RETR`, `LIST`, `MLSD`, `NLST`) instead of waiting for its answer
    /// first: one round trip less per transfer, which is most of the time of a small file.
    /// On by default; turn it off for a server or middlebox that loses a command sent before
    /// the previous one was answered (RFC 959 lets a client do so; lftp's `ftp:sync-mode`).
    pub fn pipelining(mut self, on: bool) -> Self {
        self.no_pipelining = !on;
        self
    }

    /// Whether transfers may be pipelined (see [`pipelining`](Self::pipelining)).
    pub fn is_pipelining(&self) -> bool {
        !self.no_pipelining
    }

    /// The user name sent: the one given, or `anonymous`.
    pub fn user(&self) -> &str {
        self.user.as_deref().unwrap_or("anonymous")
    }

    pub(crate) fn password(&self) -> &str {
        match (&self.user, &self.password) {
            (Some(_), Some(p)) => p,
            (Some(_), None) => "",
            // RFC 1635: anonymous logins give an e-mail-like password.
            (None, _) => "inet@",
        }
    }
}

impl fmt::Debug for FtpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpOptions")
            .field("user", &self.user())
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("account", &self.account.as_ref().map(|_| "****"))
            .field("security", &self.security)
            .field("data", &self.data)
            .field("verify", &self.verify)
            .field("pipelining", &self.is_pipelining())
            .finish()
    }
}

/// What to do about a local file that exists (FtpGetFile's `fFailIfExists`, and resuming).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Existing {
    /// Replace it (the default).
    #[default]
    Replace,
    /// Fail with ERROR_FILE_EXISTS (80) before anything is sent.
    Fail,
    /// Resume: download from `REST <local size>` and append; upload the part past the remote
    /// size with `APPE`. Binary transfers only.
    Resume,
}

/// How one file moves (FtpGetFile / FtpPutFile / FtpOpenFile flags).
///
/// ```
/// use inet_ftp::{Existing, TransferOptions, TransferType};
/// let t = TransferOptions::new().transfer_type(TransferType::Ascii).existing(Existing::Fail);
/// assert_eq!(t.transfer_type, TransferType::Ascii);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "options do nothing unless given to the call they are for"]
pub struct TransferOptions {
    /// `TYPE I` (binary, the default) or `TYPE A` (text; line ends become LF here, CRLF on
    /// the wire).
    pub transfer_type: TransferType,
    /// What to do about an existing target.
    pub existing: Existing,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            transfer_type: TransferType::Binary,
            existing: Existing::Replace,
        }
    }
}

impl TransferOptions {
    /// Binary, replacing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Binary or ASCII.
    pub fn transfer_type(mut self, t: TransferType) -> Self {
        self.transfer_type = t;
        self
    }

    /// Replace, fail or resume.
    pub fn existing(mut self, e: Existing) -> Self {
        self.existing = e;
        self
    }
}
