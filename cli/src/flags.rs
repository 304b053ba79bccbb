//! The flags `inet get` and `inet cat` share: credentials, headers, certificates, limits, trace,
//! quiet, and how many transfers run at once.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use inet::SessionBuilder;

use crate::trace::TraceFormat;

/// The window of --speed-limit when --speed-time is not given (curl's default).
pub(crate) const DEFAULT_SPEED_TIME: Duration = Duration::from_secs(30);

/// How many transfers run at once unless `--parallel` says otherwise.
pub const DEFAULT_PARALLEL: usize = 8;

/// The flags of every command that fetches URLs.
#[derive(Debug, Args)]
pub struct Transfer {
    /// Add (or replace) a request header; repeatable. HTTP only: ignored for ftp:// and
    /// gopher:// URLs, as curl does. A malformed one fails with 12153.
    #[arg(short = 'H', long = "header", value_name = "K: V")]
    pub headers: Vec<String>,

    /// Credentials: HTTP basic auth, FTP login (over the URL's user-info). Without it, a
    /// `~/.netrc` entry for the host (`$NETRC` names another file) is used.
    #[arg(short, long, value_name = "USER:PASSWORD")]
    pub user: Option<String>,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,

    /// Accept any certificate (unknown CA, wrong host name, expired).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Connect, send and receive timeouts, in seconds (fractions allowed).
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    pub timeout: Option<Duration>,

    /// The connect timeout alone (name resolution, TCP, TLS handshake), in seconds; over
    /// --timeout's for connecting.
    #[arg(long, value_name = "S", value_parser = crate::get::parse_seconds)]
    pub connect_timeout: Option<Duration>,

    #[command(flatten)]
    pub limits: crate::calls::Limits,

    /// Run at most N transfers at once (default 8); more URLs wait their turn, in order.
    #[arg(short = 'Z', long, value_name = "N", default_value_t = DEFAULT_PARALLEL,
          value_parser = parse_count)]
    pub parallel: usize,

    /// At most N connections to one host at once (default 6); transfers beyond
    /// wait for a connection.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub max_connections_per_host: Option<usize>,

    /// Print every status notification on stderr, as JSON lines or human lines.
    #[arg(long, value_name = "FORMAT")]
    pub trace: Option<TraceFormat>,

    /// No progress: no bars on a terminal, no progress lines otherwise. Errors are still
    /// printed.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--parallel`, `--max-connections-per-host`: a whole number from 1 to 4096.
fn parse_count(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a whole number from 1 to 4096")),
    }
}

impl Transfer {
    /// Apply the session-wide flags: timeouts, low-speed limit, CA file, connections per host.
    pub fn session(&self, mut builder: SessionBuilder) -> SessionBuilder {
        builder = crate::calls::with_timeouts(builder, self.timeout, self.connect_timeout);
        builder = self.limits.apply(builder);
        if let Some(pem) = &self.cacert {
            builder = builder.add_root_certificates_file(pem);
        }
        if let Some(n) = self.max_connections_per_host {
            builder = builder.max_connections_per_host(n);
        }
        builder
    }

    /// The request header lines, CRLF-separated, or `None`.
    pub fn header_lines(&self) -> Option<String> {
        (!self.headers.is_empty()).then(|| self.headers.join("\r\n"))
    }
}
