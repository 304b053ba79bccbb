//! `inet get gopher://…`: fetch items, to `-o FILE`, to a file named after the selector (`-O`),
//! or to stdout, `--parallel N` URLs at a time (those to stdout one after the other, in URL
//! order), each on its own session and connection.
//!
//! A file item is opened with GopherOpenFile (`start_open_file`); a menu or a search with
//! `start_open_raw`, which reads it as the text the server sent. Then reads (`start_read`, done
//! at once when bytes are waiting, else a `REQUEST_COMPLETE` with them). The first 4 KiB are held
//! back until it is clear the reply is no error reply (see `reply.rs`); the output file is
//! created only then, so a failed request leaves no file.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use inet::gopher::GopherFile;
use inet::{Completion, Context, Direction, Error, ErrorKind, Started};

use super::reply::{error_reply, SNIFF_LIMIT};
use super::{parse_url, run_one, server_error, Client, Common, Failure, GopherUrl, CTX};
use crate::exit;
use crate::output::{file_names, Target};
use crate::progress::{Bars, Meter, Show};

/// How many bytes one read asks for.
const READ_CHUNK: usize = 64 * 1024;

/// What `inet get` asks of its gopher:// URLs.
#[derive(Debug)]
pub struct Plan<'a> {
    pub urls: &'a [String],
    /// `-o`, paired with the URLs in order.
    pub outputs: &'a [PathBuf],
    /// `-O`: URLs without an `-o` go to a file named after the selector's last name, here.
    pub remote_name: bool,
    /// `--parallel`: at most this many requests at once.
    pub parallel: usize,
    pub common: Common,
}

/// Run the downloads, `parallel` at a time (those to stdout one after the other, in URL order);
/// the exit status is that of the first failure in URL order.
pub fn run(plan: Plan<'_>, t0: Instant) -> u8 {
    let mut jobs = Vec::new();
    for (i, raw) in plan.urls.iter().enumerate() {
        let url = match parse_url("get", raw) {
            Ok(url) => url,
            Err(code) => return code,
        };
        let query = match plan.common.query(&url) {
            Ok(q) => q,
            Err(e) => {
                eprintln!("inet: get {url}: {e}");
                return exit::USAGE;
            }
        };
        let target = match plan.outputs.get(i) {
            Some(p) if p.as_os_str() == "-" => Target::Stdout,
            Some(p) => Target::File(p.clone()),
            None if plan.remote_name => match url.file_name() {
                Some(name) => Target::File(PathBuf::from(name)),
                None => {
                    eprintln!("inet: get {url}: -O needs a URL whose selector ends in a name");
                    return exit::USAGE;
                }
            },
            None => Target::Stdout,
        };
        jobs.push((url, query, target));
    }
    let bars = Arc::new(Bars::new(
        &file_names(jobs.iter().map(|(_, _, t)| t)),
        Direction::Receive,
        Show::choose(plan.common.quiet, plan.common.trace.is_some()),
    ));
    let common = &plan.common;
    crate::calls::run_jobs(
        jobs,
        plan.parallel,
        |(_, _, target)| *target == Target::Stdout,
        |i, (url, query, target)| {
            let meter = Meter::new(bars.clone(), i as u64 + 1);
            get_one(&url, query.as_deref(), &target, common, t0, meter)
        },
    )
}

fn get_one(
    url: &GopherUrl,
    query: Option<&str>,
    target: &Target,
    common: &Common,
    t0: Instant,
    meter: Meter,
) -> u8 {
    run_one("get", url, common, t0, meter, |client| {
        let file = open(client, url, query)?;
        let outcome = copy(client, &file, Output::new(target, !common.raw));
        file.close();
        outcome
    })
}

/// GopherOpenFile for a file item, the raw menu for a menu or search.
fn open(client: &Client, url: &GopherUrl, query: Option<&str>) -> Result<GopherFile, Failure> {
    let locator = url.locator()?;
    let conn = client.conn();
    let started = if url.is_menu() {
        conn.start_open_raw(&locator, query, Context(CTX))
    } else {
        conn.start_open_file(&locator, None, Context(CTX))
    };
    let opened = client.call(started)?;
    let file = opened
        .value::<GopherFile>()
        .cloned()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "opening the item: no file handle"))?;
    Ok(file)
}

/// Read the item to its end into `out`.
fn copy(client: &Client, file: &GopherFile, mut out: Output<'_>) -> Result<(), Failure> {
    loop {
        let data = match file.start_read(READ_CHUNK)? {
            Started::Done(data) => data,
            Started::Pending(p) => match client.call(Ok(p))? {
                Completion::Data(data) => data,
                other => {
                    let what = format!("reading: a completion without bytes: {other:?}");
                    return Err(Error::new(ErrorKind::Internal, what).into());
                }
            },
        };
        if data.is_empty() {
            return out.end();
        }
        out.write(&data)?;
    }
}

/// Where the bytes go: held back while they may still be an error reply, then to the target
/// (opened only then).
#[derive(Debug)]
struct Output<'a> {
    target: &'a Target,
    /// Hold back the first [`SNIFF_LIMIT`] bytes to look for an error reply.
    check: bool,
    held: Vec<u8>,
    sink: Option<Sink>,
}

impl<'a> Output<'a> {
    fn new(target: &'a Target, check: bool) -> Self {
        Output {
            target,
            check,
            held: Vec::new(),
            sink: None,
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        if self.sink.is_none() && self.check && self.held.len() + data.len() <= SNIFF_LIMIT {
            self.held.extend_from_slice(data);
            return Ok(());
        }
        let target = self.target;
        let sink = self.open()?;
        sink.write_all(data).map_err(|e| annotate(target, e))
    }

    /// The item has ended: an error reply fails, anything else is flushed out.
    fn end(mut self) -> Result<(), Failure> {
        if self.sink.is_none() && self.check {
            if let Some(text) = error_reply(&self.held) {
                return Err(server_error("reading the item", &text));
            }
        }
        let target = self.target;
        let sink = self.open()?;
        sink.flush().map_err(|e| annotate(target, e))
    }

    /// The sink, created on first use with the bytes held so far written to it.
    fn open(&mut self) -> Result<&mut Sink, Failure> {
        if self.sink.is_none() {
            let mut sink = match self.target {
                Target::File(path) => Sink::File(File::create(path).map_err(|e| {
                    Failure::Write(io::Error::new(
                        e.kind(),
                        format!("creating {}: {e}", path.display()),
                    ))
                })?),
                Target::Stdout => Sink::Stdout(io::stdout().lock()),
            };
            let held = std::mem::take(&mut self.held);
            sink.write_all(&held)
                .map_err(|e| annotate(self.target, e))?;
            self.sink = Some(sink);
        }
        self.sink
            .as_mut()
            .ok_or_else(|| Failure::Inet(Error::new(ErrorKind::Internal, "no output")))
    }
}

/// A write error, naming what was written.
fn annotate(target: &Target, e: io::Error) -> Failure {
    let what = match target {
        Target::File(path) => format!("writing {}: {e}", path.display()),
        Target::Stdout => format!("writing stdout: {e}"),
    };
    Failure::Write(io::Error::new(e.kind(), what))
}

/// An opened output.
#[derive(Debug)]
enum Sink {
    File(File),
    Stdout(io::StdoutLock<'static>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(s) => s.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f) => f.write_all(buf),
            Sink::Stdout(s) => s.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stdout(s) => s.flush(),
        }
    }
}
