//! `inet put FILE http(s)://…`: an HTTP PUT of a local file, in callback mode driven from the
//! main thread as the FTP commands are — HttpSendRequestEx with the file's length, the file in
//! 256 KiB InternetWriteFiles (each finishing at once while the socket takes it), HttpEndRequest.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use inet::http::{BodyLength, HttpRequest, RequestFlags, RequestOptions};
use inet::{Context, Direction, Error, ErrorKind, HandleKind, Started};

use crate::calls::{self, Settings};
use crate::exit;
use crate::ftp::Common;
use crate::progress::{Meter, Show};
use crate::trace::Tracer;

/// Bytes read from the file and written per InternetWriteFile.
const PIECE: usize = 256 * 1024;

/// The request's context: the only one this command starts.
const CTX: u64 = 1;

/// Why a put failed.
enum Failure {
    Inet(Error),
    /// The server refused the body (a 4xx or 5xx): curl's `--fail` status, as a refused upload
    /// must not look like success.
    Http(u16, String),
}

/// Run `inet put FILE URL` for an http:// or https:// URL.
pub fn run(file: &Path, url: &str, common: &Common, t0: Instant) -> u8 {
    let target = match url.strip_suffix('/') {
        // A directory URL: the file's name goes after it, as for FTP.
        Some(dir) => match file.file_name().and_then(|n| n.to_str()) {
            Some(name) => format!("{dir}/{name}"),
            None => {
                eprintln!(
                    "inet: put {url}: {} has no file name to append to the directory URL",
                    file.display()
                );
                return exit::USAGE;
            }
        },
        None => url.to_string(),
    };
    let show = Show::choose(common.quiet, common.trace.is_some());
    let meter = Meter::single(file.display().to_string(), Direction::Send, show);
    meter.start();
    let outcome = put(file, &target, common, t0, meter.clone());
    meter.finish(outcome.is_ok());
    match outcome {
        Ok(()) => exit::OK,
        Err(Failure::Inet(e)) => {
            eprintln!("inet: put {target}: {}", calls::one_line(&e.to_string()));
            exit::INET
        }
        Err(Failure::Http(status, reason)) => {
            eprintln!("inet: put {target}: the server answered {status} {reason}");
            exit::HTTP
        }
    }
}

fn put(file: &Path, url: &str, common: &Common, t0: Instant, meter: Meter) -> Result<(), Failure> {
    let reading = |e: std::io::Error| {
        Failure::Inet(
            Error::new(
                ErrorKind::FileNotFound,
                format!("reading {}", file.display()),
            )
            .with_source(e),
        )
    };
    let mut source = File::open(file).map_err(reading)?;
    let length = source.metadata().map_err(reading)?.len();
    let (tx, rx) = mpsc::channel();
    let deadline = common.limits.deadline();
    let settings = Settings {
        timeout: common.timeout,
        connect_timeout: common.connect_timeout,
        cacert: common.cacert.as_deref(),
        limits: common.limits,
    };
    let tracer = common.trace.map(|f| Tracer::new(f, t0));
    let session = calls::session(settings, &[HandleKind::HttpRequest], tracer, meter, tx)
        .map_err(Failure::Inet)?;
    let user = crate::netrc::user_for(url, common.user.as_deref());
    let url = crate::get::with_user(url, user.as_deref());
    let mut options = RequestOptions::default().context(Context(CTX));
    if common.insecure {
        options.flags |= RequestFlags::IGNORE_CERT_ERRORS;
    }
    let outcome = inet::http::open_method(&session, "PUT", &url, options)
        .map_err(Failure::Inet)
        .and_then(|req| {
            // Closing the request cancels what is pending (past --max-time, too).
            let sent = send(&req, &rx, deadline, &mut source, length, &reading);
            req.close();
            sent
        });
    calls::finish_session(&session, &rx, Duration::from_secs(1));
    outcome
}

/// Send-ex, the file, end-request; then the server's answer.
fn send(
    req: &HttpRequest,
    rx: &mpsc::Receiver<calls::Event>,
    deadline: Option<(Instant, Duration)>,
    source: &mut File,
    length: u64,
    reading: &dyn Fn(std::io::Error) -> Failure,
) -> Result<(), Failure> {
    calls::call_within(
        rx,
        req.start_send_ex(None, BodyLength::Known(length)),
        deadline,
    )
    .map_err(Failure::Inet)?;
    let mut sent = 0u64;
    while sent < length {
        let mut piece = vec![0u8; PIECE.min(usize::try_from(length - sent).unwrap_or(PIECE))];
        let n = source.read(&mut piece).map_err(reading)?;
        if n == 0 {
            // The file shrank while being sent: the request declared more bytes than there are.
            return Err(Failure::Inet(Error::new(
                ErrorKind::ReadFault,
                "the file got shorter while it was being sent",
            )));
        }
        piece.truncate(n);
        match req.start_write(Bytes::from(piece)).map_err(Failure::Inet)? {
            Started::Done(_) => {}
            Started::Pending(p) => {
                calls::call_within(rx, Ok(p), deadline).map_err(Failure::Inet)?;
            }
        }
        sent += n as u64;
    }
    calls::call_within(rx, req.start_end_request(), deadline).map_err(Failure::Inet)?;
    let status = req.status_code().map_err(Failure::Inet)?;
    if status >= 400 {
        return Err(Failure::Http(status, req.status_text().unwrap_or_default()));
    }
    Ok(())
}
