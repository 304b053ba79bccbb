//! The Gopher side of `inet`: `get gopher://…` and `ls gopher://…` (gophers:// too).
//!
//! As for FTP, every step runs in WinINet's callback mode: the main thread calls a `start_…`
//! function (it returns at once, `ERROR_IO_PENDING`), and the session's status callback traces,
//! moves the progress bar and forwards the `REQUEST_COMPLETE` to the main thread, which takes the
//! next step ([`Client::call`]). A Gopher command is one request on its own connection: open the
//! item (or read the menu), then read.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use inet::gopher::{GopherConnection, GopherOptions};
use inet::transport::TlsVerify;
use inet::{Context, Error, ErrorKind, HandleKind};

use crate::exit;
use crate::progress::Meter;
use crate::trace::{TraceFormat, Tracer};

pub mod commands;
pub mod get;
pub mod listing;
pub mod reply;

pub use inet::gopher::GopherUrl;

/// The context every handle of a Gopher command carries (one request per session).
pub const CTX: u64 = 1;

/// The URL rules, errors, trace and exit statuses, shared by the Gopher parts of `--help`.
macro_rules! gopher_help {
    () => {
        r#"Gopher URLs (RFC 4266):
  gopher://HOST[:PORT]/<type><selector> — port 70 by default; the path's first character is the
  item's type (1 a menu, 0 text, 9 binary, 7 a search, …; an empty path is the root menu) and
  the rest, percent-decoded, is the selector sent to the server (a `?…` part included, as curl
  sends it). gophers://… is the same over TLS (also port 70 by default).
  A search (type 7) takes its words after %09 in the URL (gopher://h/7/search%09gopher%20rfc),
  or from --query WORDS, which needs no escaping; menus (type 1) take a query too.

Errors:
  Gopher has no status codes: a server answers a selector it cannot serve with an error item
  (a `3` menu line, RFC 1436) or, as gophernicus does for files, a bare `Error: …` line. A reply
  that is nothing else (at most 4 KiB) is reported as the server's error, exit 1, with
  ERROR_INTERNET_EXTENDED_ERROR 12003 and the server's text; --raw writes it as it came instead.
  A menu URL for an item that is no menu fails with ERROR_GOPHER_INCORRECT_LOCATOR_TYPE 12135;
  12029 when nothing listens.

Trace:
  --trace json|text prints every status notification on stderr, in the same format as for HTTP
  (see `inet get --help`), ending with the session's HANDLE_CLOSING.

Exit status:
  0   success
  1   a Gopher or network error, or the server's error reply; stderr has one line,
      `inet: <command> <URL>: <what> (<WinINet error name> <code>)`
  2   bad command line
  23  the output could not be written (-o FILE, stdout)
  130 interrupted (Ctrl-C): every transfer cancelled, files written so far kept"#
    };
}
pub(crate) use gopher_help;

/// What every Gopher command line sets up the same way.
#[derive(Debug, Clone, Default)]
pub struct Common {
    pub trace: Option<TraceFormat>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub cacert: Option<PathBuf>,
    pub insecure: bool,
    /// `--quiet`: no progress.
    pub quiet: bool,
    /// `--query`: the search words (instead of the URL's `%09…`).
    pub query: Option<String>,
    /// `--raw`: write an error reply as it came.
    pub raw: bool,
    /// `--max-time`, `--speed-limit`, `--speed-time`.
    pub limits: crate::calls::Limits,
}

impl Common {
    pub(crate) fn options(&self, url: &GopherUrl) -> GopherOptions {
        let mut options = GopherOptions::new().secure(url.secure);
        if self.insecure {
            options = options.tls_verify(
                TlsVerify::strict()
                    .accept_invalid_certs(true)
                    .accept_invalid_hostnames(true),
            );
        }
        options
    }

    /// The search words: `--query`, else the URL's. Both at once, or words for an item that is
    /// no menu or search, is a usage error (the message says which).
    pub fn query(&self, url: &GopherUrl) -> Result<Option<String>, String> {
        let query = match (&self.query, &url.query) {
            (Some(_), Some(_)) => {
                return Err("--query and a %09 search in the URL: give one of them".into())
            }
            (Some(q), None) | (None, Some(q)) => Some(q.clone()),
            (None, None) => None,
        };
        if query.is_some() && !url.is_menu() {
            return Err(format!(
                "a search query needs a menu or search URL (type 1 or 7), not a {}",
                url.item_type.name()
            ));
        }
        Ok(query)
    }
}

/// Parse a gopher URL for `command`; a bad one is reported and ends the run.
pub fn parse_url(command: &str, url: &str) -> Result<GopherUrl, u8> {
    GopherUrl::parse(url).map_err(|e| {
        eprintln!("inet: {command} {}: {e}", url.trim());
        exit::INET
    })
}

/// A gopher:// or gophers:// URL (by its scheme; the rest is checked when it is parsed).
pub fn is_gopher(url: &str) -> bool {
    url.trim().split_once(':').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("gopher") || scheme.eq_ignore_ascii_case("gophers")
    })
}

/// Why a Gopher command failed; each class has its exit status.
#[derive(Debug)]
pub enum Failure {
    /// An inet error, or the server's error reply (12003).
    Inet(Error),
    /// The output could not be created or written.
    Write(io::Error),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Inet(_) => exit::INET,
            Failure::Write(_) => exit::WRITE,
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
            Failure::Inet(e) => write!(f, "{e}"),
            Failure::Write(e) => write!(f, "{e}"),
        }
    }
}

/// The server's error reply as an error: ERROR_INTERNET_EXTENDED_ERROR with its text.
pub fn server_error(doing: &str, text: &str) -> Failure {
    Failure::Inet(Error::new(
        ErrorKind::ExtendedError,
        format!(
            "{doing}: the server's error reply {:?}",
            crate::calls::one_line(text)
        ),
    ))
}

/// Print the outcome of `command` on `url` as one line and return the exit status.
pub fn report(command: &str, url: &GopherUrl, outcome: Result<(), Failure>) -> u8 {
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

/// Open a session and a connection handle for `url`, run `op`, close, and report — the shape of
/// every Gopher command.
pub fn run_one(
    command: &str,
    url: &GopherUrl,
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
    let outcome = op(&client);
    meter.finish(outcome.is_ok());
    client.finish();
    report(command, url, outcome)
}

/// A session with one Gopher connection handle, driven from the main thread in callback mode.
pub type Client = crate::calls::Client<GopherConnection>;

/// Make the session and the connection handle of `url`.
fn client(url: &GopherUrl, common: &Common, t0: Instant, meter: Meter) -> inet::Result<Client> {
    let settings = crate::calls::Settings {
        timeout: common.timeout,
        connect_timeout: common.connect_timeout,
        cacert: common.cacert.as_deref(),
        limits: common.limits,
    };
    let kinds = &[
        HandleKind::ConnectGopher,
        HandleKind::GopherFind,
        HandleKind::GopherFile,
    ];
    let tracer = common.trace.map(|f| Tracer::new(f, t0));
    Client::new(
        settings,
        kinds,
        tracer,
        meter,
        Duration::from_secs(5),
        |session| {
            GopherConnection::open(
                session,
                &url.host,
                url.port,
                common.options(url),
                Context(CTX),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_comes_from_the_flag_or_the_url_never_both() {
        let search = GopherUrl::parse("gopher://h/7/s").unwrap();
        let in_url = GopherUrl::parse("gopher://h/7/s%09in%20url").unwrap();
        let flag = Common {
            query: Some("words".into()),
            ..Common::default()
        };
        assert_eq!(flag.query(&search), Ok(Some("words".into())));
        assert_eq!(Common::default().query(&in_url), Ok(Some("in url".into())));
        assert_eq!(Common::default().query(&search), Ok(None));
        assert!(flag.query(&in_url).unwrap_err().contains("give one"));
        let file = GopherUrl::parse("gopher://h/0/a.txt").unwrap();
        assert!(flag.query(&file).unwrap_err().contains("text file"));
    }

    #[test]
    fn gopher_urls_are_told_by_their_scheme() {
        assert!(is_gopher("gopher://h/"));
        assert!(is_gopher(" GOPHERS://h/"));
        assert!(!is_gopher("ftp://h/"));
        assert!(!is_gopher("gopherx://h/"));
    }
}
