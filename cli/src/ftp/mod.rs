//! The FTP side of `inet`: `get ftp://…`, `put`, `ls`, `mkdir`, `rmdir`, `rm`, `mv`.
//!
//! Every step runs in WinINet's callback mode, as `inet get` does for HTTP: the main thread
//! calls a `start_…` function (it returns at once, `ERROR_IO_PENDING`), and the session's status
//! callback traces, moves the progress bar and forwards the `REQUEST_COMPLETE` to the main thread,
//! which takes the next step. An FTP command line is a sequence (log in, then the one operation),
//! so the main thread simply waits for each completion in turn ([`Client::call`]).

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use inet::ftp::{DataConnection, FtpConnection, FtpOptions, FtpUrl, Security, TransferType};
use inet::transport::TlsVerify;
use inet::{Context, Error, ErrorKind, HandleKind};

use crate::exit;
use crate::progress::Meter;
use crate::trace::{TraceFormat, Tracer};

pub mod commands;
pub mod get;
pub mod listing;

/// The context every handle of an FTP command carries (one transfer per session).
pub const CTX: u64 = 1;

/// The URL rules, trace and exit statuses, shared by every FTP subcommand's `--help` (a macro,
/// so that `concat!` can put examples before it).
macro_rules! ftp_help {
    () => {
        r#"URLs:
  ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH — port 21 by default; anonymous without a user.
  ftps://… is explicit FTPS (AUTH TLS), also on port 21 by default (curl's ftps:// is implicit
  TLS on port 990). The path is relative to the login directory (RFC 1738); start it with %2F for
  an absolute one. Percent-escapes are decoded (%20 is a space). `;type=a` asks for ASCII.
  --user u:p overrides the URL's user and password; without either, the ~/.netrc entry for
  the host is used ($NETRC names another file), else the login is anonymous.

Trace:
  --trace json|text prints every status notification on stderr, in the same format as for HTTP
  (see `inet get --help`), ending with the session's HANDLE_CLOSING.

Exit status:
  0   success
  1   an FTP or network error, or a local file that cannot be read; stderr has one line,
      `inet: <command> <URL>: <what> (<WinINet error name> <code>)`: 12015 for a refused login,
      12003 (ERROR_INTERNET_EXTENDED_ERROR) with the server's reply for a refusal such as
      `550 No such file`, 12029 when nothing listens
  2   bad command line
  23  the output could not be written (-o FILE, stdout)
  130 interrupted (Ctrl-C): every transfer cancelled, files written so far kept"#
    };
}
pub(crate) use ftp_help;

/// The flags every FTP subcommand takes.
#[derive(Debug, Args)]
pub struct FtpFlags {
    /// Log in as USER with PASSWORD (overrides the URL's user-info); without either, a
    /// `~/.netrc` entry for the host (`$NETRC` names another file); anonymous when none.
    #[arg(short, long, value_name = "USER:PASSWORD")]
    pub user: Option<String>,

    /// Active mode: the server connects back for data (EPRT/PORT). Passive (EPSV/PASV) otherwise.
    #[arg(long)]
    pub active: bool,

    /// Wait for each command's answer before the next: by default, once EPSV has worked, a
    /// download sends EPSV and RETR/LIST together. For servers or middleboxes that lose one.
    #[arg(long)]
    pub no_pipelining: bool,

    /// Transfer as ASCII text (TYPE A: line ends converted); binary (TYPE I) otherwise.
    #[arg(long)]
    pub ascii: bool,

    /// Print every status notification on stderr, as JSON lines or human lines.
    #[arg(long, value_name = "FORMAT")]
    pub trace: Option<TraceFormat>,

    /// Connect, send and receive timeouts, in seconds (fractions allowed).
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    pub timeout: Option<Duration>,

    /// The connect timeout alone, in seconds (over --timeout's for connecting).
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    pub connect_timeout: Option<Duration>,

    /// Also trust the CA certificates in this PEM file (ftps://).
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,

    /// Accept any certificate (ftps://).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// No progress bar or progress lines (uploads, downloads to files). Errors are still
    /// printed.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub limits: crate::calls::Limits,
}

impl FtpFlags {
    pub fn common(&self) -> Common {
        Common {
            user: self.user.clone(),
            active: self.active,
            no_pipelining: self.no_pipelining,
            ascii: self.ascii,
            trace: self.trace,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            cacert: self.cacert.clone(),
            insecure: self.insecure,
            quiet: self.quiet,
            limits: self.limits,
        }
    }
}

/// What every FTP command line sets up the same way (from [`FtpFlags`] or `inet get`'s flags).
#[derive(Debug, Clone, Default)]
pub struct Common {
    pub user: Option<String>,
    pub active: bool,
    /// `--no-pipelining`: each command waits for the last one's answer.
    pub no_pipelining: bool,
    pub ascii: bool,
    pub trace: Option<TraceFormat>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub cacert: Option<PathBuf>,
    pub insecure: bool,
    /// `--quiet`: no progress.
    pub quiet: bool,
    /// `--max-time`, `--speed-limit`, `--speed-time`.
    pub limits: crate::calls::Limits,
}

impl Common {
    /// TYPE A when `--ascii` or the URL's `;type=a` asks for it.
    pub fn transfer_type(&self, url: &FtpUrl) -> TransferType {
        if self.ascii {
            TransferType::Ascii
        } else {
            url.transfer_type.unwrap_or(TransferType::Binary)
        }
    }

    /// Login, security and data connection for `url`.
    pub(crate) fn options(&self, url: &FtpUrl) -> FtpOptions {
        self.options_with(url, crate::netrc::lookup)
    }

    /// The login: `--user`, else the URL's user and password, else the `netrc` entry for the
    /// host (for the URL's user, when it has no password); anonymous when none gives one.
    fn credentials(
        &self,
        url: &FtpUrl,
        netrc: impl Fn(&str, Option<&str>) -> Option<crate::netrc::Entry>,
    ) -> Option<(String, String)> {
        if let Some(u) = &self.user {
            let (name, password) = u.split_once(':').unwrap_or((u, ""));
            return Some((name.to_string(), password.to_string()));
        }
        if let (Some(name), Some(password)) = (&url.user, &url.password) {
            return Some((name.clone(), password.clone()));
        }
        match netrc(&url.host, url.user.as_deref()) {
            Some(e) => Some((e.login, e.password)),
            None => url.user.clone().map(|name| (name, String::new())),
        }
    }

    /// [`options`](Self::options) with this netrc lookup.
    fn options_with(
        &self,
        url: &FtpUrl,
        netrc: impl Fn(&str, Option<&str>) -> Option<crate::netrc::Entry>,
    ) -> FtpOptions {
        let mut options = FtpOptions::new();
        if let Some((name, password)) = self.credentials(url, netrc) {
            options = options.credentials(&name, &password);
        }
        if url.secure {
            options = options.security(Security::Explicit);
        }
        if self.active {
            options = options.data_connection(DataConnection::Active);
        }
        if self.no_pipelining {
            options = options.pipelining(false);
        }
        if self.insecure {
            options = options.tls_verify(
                TlsVerify::strict()
                    .accept_invalid_certs(true)
                    .accept_invalid_hostnames(true),
            );
        }
        options
    }
}

/// Parse an `ftp://` or `ftps://` URL for `command`; a bad one is reported and ends the run.
pub fn parse_url(command: &str, url: &str) -> Result<FtpUrl, u8> {
    FtpUrl::parse(url).map_err(|e| {
        eprintln!(
            "inet: {command}: {}",
            crate::calls::one_line(&e.to_string())
        );
        exit::INET
    })
}

/// Why an FTP command failed; each class has its exit status.
#[derive(Debug)]
pub enum Failure {
    /// An inet error (FTP, network, or a local file inet read).
    Inet(Error),
    /// inet could not create or write the local file of a download (FtpGetFile writes `-o
    /// FILE` itself): a write failure, as for HTTP.
    LocalWrite(Error),
    /// Writing the output (stdout) failed.
    Write(io::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Inet(_) => exit::INET,
            Failure::LocalWrite(_) | Failure::Write(_) => exit::WRITE,
        }
    }

    /// A download's error: one about its local file (inet-ftp's local-file codes) is a
    /// [`Failure::LocalWrite`].
    pub fn of_download(e: Error) -> Self {
        match e.kind() {
            ErrorKind::FileNotFound | ErrorKind::AccessDenied | ErrorKind::WriteFault => {
                Failure::LocalWrite(e)
            }
            _ => Failure::Inet(e),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Inet(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Inet(e) | Failure::LocalWrite(e) => f.write_str(&error_text(e)),
            Failure::Write(e) => write!(f, "{e}"),
        }
    }
}

/// `message: what: source (NAME code)`, `Error`'s Display: inet-ftp's errors name the
/// server's reply once (its code and first line, as the source).
fn error_text(e: &Error) -> String {
    e.to_string()
}

/// Print the outcome of `command` on `url` as one line and return the exit status.
pub fn report(command: &str, url: &FtpUrl, outcome: Result<(), Failure>) -> u8 {
    match outcome {
        Ok(()) => exit::OK,
        Err(f) => {
            eprintln!(
                "inet: {command} {url}: {}",
                crate::calls::one_line(&f.to_string())
            );
            f.exit_code()
        }
    }
}

/// Parse nothing more: open a session and a connection for `url`, log in, run `op`, close, and
/// report — the shape of every FTP command.
pub fn run_one(
    command: &str,
    url: &FtpUrl,
    common: &Common,
    t0: Instant,
    meter: Meter,
    op: impl FnOnce(&Client) -> Result<(), Failure>,
) -> u8 {
    meter.start();
    let client = match client(url, common, t0, meter.clone()) {
        Ok(c) => c,
        Err(e) => {
            meter.finish(false);
            return report(command, url, Err(e.into()));
        }
    };
    let outcome = client
        .login()
        .map_err(Failure::from)
        .and_then(|()| op(&client));
    meter.finish(outcome.is_ok());
    client.finish();
    report(command, url, outcome)
}

/// A session with one FTP connection handle, driven from the main thread in callback mode.
pub type Client = crate::calls::Client<FtpConnection>;

/// Make the session and the (not yet logged-in) connection handle of `url`.
fn client(url: &FtpUrl, common: &Common, t0: Instant, meter: Meter) -> inet::Result<Client> {
    let settings = crate::calls::Settings {
        timeout: common.timeout,
        connect_timeout: common.connect_timeout,
        cacert: common.cacert.as_deref(),
        limits: common.limits,
    };
    let kinds = &[
        HandleKind::ConnectFtp,
        HandleKind::FtpFind,
        HandleKind::FtpFile,
    ];
    // Closing sends QUIT, which waits at most 5 s; one more for the rest.
    let patience = Duration::from_secs(6);
    let tracer = common.trace.map(|f| Tracer::new(f, t0));
    Client::new(settings, kinds, tracer, meter, patience, |session| {
        FtpConnection::open(
            session,
            &url.host,
            url.port,
            common.options(url),
            Context(CTX),
        )
    })
}

impl Client {
    /// Connect and log in (InternetConnect).
    pub fn login(&self) -> inet::Result<()> {
        self.call(self.conn().start_login()).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_overrides_the_urls_credentials() {
        let no_netrc = |_: &str, _: Option<&str>| None;
        let url = FtpUrl::parse("ftp://ann:pw@h/").unwrap();
        let common = Common::default();
        assert_eq!(common.options_with(&url, no_netrc).user(), "ann");
        let common = Common {
            user: Some("bob:x".into()),
            ..Common::default()
        };
        assert_eq!(common.options_with(&url, no_netrc).user(), "bob");
        let anonymous = FtpUrl::parse("ftp://h/").unwrap();
        assert_eq!(
            Common::default().options_with(&anonymous, no_netrc).user(),
            "anonymous"
        );
    }

    #[test]
    fn netrc_fills_in_what_neither_the_flag_nor_the_url_gives() {
        let netrc = |host: &str, login: Option<&str>| {
            let text = "machine h login carl password c\nmachine h login ann password a";
            crate::netrc::find(text, host, login)
        };
        let bare = FtpUrl::parse("ftp://h/").unwrap();
        let common = Common::default();
        assert_eq!(
            common.credentials(&bare, netrc),
            Some(("carl".into(), "c".into()))
        );
        let named = FtpUrl::parse("ftp://ann@h/").unwrap();
        assert_eq!(
            common.credentials(&named, netrc),
            Some(("ann".into(), "a".into()))
        );
        let full = FtpUrl::parse("ftp://ann:url@h/").unwrap();
        assert_eq!(
            common.credentials(&full, netrc),
            Some(("ann".into(), "url".into()))
        );
        let other = FtpUrl::parse("ftp://other/").unwrap();
        assert_eq!(common.credentials(&other, netrc), None);
    }

    #[test]
    fn no_pipelining_turns_it_off() {
        let no_netrc = |_: &str, _: Option<&str>| None;
        let url = FtpUrl::parse("ftp://h/").unwrap();
        assert!(Common::default()
            .options_with(&url, no_netrc)
            .is_pipelining());
        let off = Common {
            no_pipelining: true,
            ..Common::default()
        };
        assert!(!off.options_with(&url, no_netrc).is_pipelining());
    }

    #[test]
    fn ascii_comes_from_the_flag_or_the_url() {
        let plain = FtpUrl::parse("ftp://h/f").unwrap();
        let typed = FtpUrl::parse("ftp://h/f;type=a").unwrap();
        let flag = Common {
            ascii: true,
            ..Common::default()
        };
        assert_eq!(
            Common::default().transfer_type(&plain),
            TransferType::Binary
        );
        assert_eq!(Common::default().transfer_type(&typed), TransferType::Ascii);
        assert_eq!(flag.transfer_type(&plain), TransferType::Ascii);
    }
}
