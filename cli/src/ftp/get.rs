//! `inet get ftp://…`: download files, to `-o FILE`, to a file named after the URL (`-O`), or to
//! stdout, `--parallel N` URLs at a time (those to stdout one after the other, in URL order),
//! each on its own session and connection.
//!
//! To a file: FtpGetFile in callback mode (`start_get_file`), resumed with `REST` under
//! `--continue`; a failed download leaves what it got, for a later `--continue`. To stdout:
//! FtpOpenFile (`start_open_file`), then reads (`start_read`, done at once when bytes are
//! waiting, else a `REQUEST_COMPLETE` with them) and `start_finish` for the server's `226`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use inet::ftp::{Access, Existing, FtpFile, FtpUrl, TransferOptions};
use inet::{Completion, Context, Direction, Error, ErrorKind, Started};

use super::{parse_url, run_one, Client, Common, Failure, CTX};
use crate::exit;
use crate::output::{file_names, Target};
use crate::progress::{Bars, Meter, Show};

/// How many bytes one read asks for.
const READ_CHUNK: usize = 64 * 1024;

/// What `inet get` asks of its ftp:// URLs.
#[derive(Debug)]
pub struct Plan<'a> {
    pub urls: &'a [String],
    /// `-o`, paired with the URLs in order.
    pub outputs: &'a [PathBuf],
    /// `-O`: URLs without an `-o` go to a file named after the URL's last name.
    pub remote_name: bool,
    /// `--continue`: resume into the existing output file.
    pub resume: bool,
    /// `--parallel`: at most this many downloads at once.
    pub parallel: usize,
    pub common: Common,
}

/// Run the downloads, `parallel` at a time; the exit status is that of the first failure in URL
/// order.
pub fn run(plan: Plan<'_>, t0: Instant) -> u8 {
    let mut jobs = Vec::new();
    for (i, raw) in plan.urls.iter().enumerate() {
        let url = match parse_url("get", raw) {
            Ok(url) => url,
            Err(code) => return code,
        };
        let target = match plan.outputs.get(i) {
            Some(p) if p.as_os_str() == "-" => Target::Stdout,
            Some(p) => Target::File(p.clone()),
            None if plan.remote_name => match url.file_name() {
                Some(name) => Target::File(PathBuf::from(name)),
                None => {
                    eprintln!("inet: get {url}: -O needs a URL that ends in a file name");
                    return exit::USAGE;
                }
            },
            None => Target::Stdout,
        };
        if plan.resume && target == Target::Stdout {
            eprintln!("inet: get {url}: --continue needs an output file (-o FILE or -O)");
            return exit::USAGE;
        }
        jobs.push((url, target));
    }
    let bars = Arc::new(Bars::new(
        &file_names(jobs.iter().map(|(_, t)| t)),
        Direction::Receive,
        Show::choose(plan.common.quiet, plan.common.trace.is_some()),
    ));
    let common = &plan.common;
    crate::calls::run_jobs(
        jobs,
        plan.parallel,
        |(_, target)| *target == Target::Stdout,
        |i, (url, target)| {
            let meter = Meter::new(bars.clone(), i as u64 + 1);
            get_one(&url, &target, plan.resume, common, t0, meter)
        },
    )
}

fn get_one(
    url: &FtpUrl,
    target: &Target,
    resume: bool,
    common: &Common,
    t0: Instant,
    meter: Meter,
) -> u8 {
    run_one("get", url, common, t0, meter, |client| match target {
        Target::File(path) => to_file(client, url, path, resume, common),
        Target::Stdout => to_stdout(client, url, common),
    })
}

/// FtpGetFile into `path` (resumed from its size with `--continue`).
fn to_file(
    client: &Client,
    url: &FtpUrl,
    path: &Path,
    resume: bool,
    common: &Common,
) -> Result<(), Failure> {
    let mut existing = Existing::Replace;
    if resume {
        existing = Existing::Resume;
        let have = fs::metadata(path).map_or(0, |m| m.len());
        if have > 0 {
            // REST past the end is an error on most servers: compare first.
            let size = match client.call(client.conn().start_file_size(&url.path))? {
                Completion::Count(n) => n,
                _ => 0,
            };
            if have == size {
                return Ok(());
            }
            if have > size {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "resuming into {}: it has {have} bytes, more than the {size} of the remote file",
                        path.display()
                    ),
                )
                .into());
            }
        }
    }
    let options = TransferOptions::new()
        .transfer_type(common.transfer_type(url))
        .existing(existing);
    let conn = client.conn();
    client
        .call(conn.start_get_file(&url.path, path, options, Context(CTX)))
        .map_err(Failure::of_download)?;
    Ok(())
}

/// FtpOpenFile, read to the end onto stdout, then the server's final reply.
fn to_stdout(client: &Client, url: &FtpUrl, common: &Common) -> Result<(), Failure> {
    let options = TransferOptions::new().transfer_type(common.transfer_type(url));
    let opened = client.call(client.conn().start_open_file(
        &url.path,
        Access::Read,
        options,
        Context(CTX),
    ))?;
    let file = opened
        .value::<FtpFile>()
        .cloned()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "opening the file: no file handle"))?;
    let outcome = copy_to_stdout(client, &file).and_then(|()| {
        client.call(file.start_finish())?;
        Ok(())
    });
    file.close();
    outcome
}

fn copy_to_stdout(client: &Client, file: &FtpFile) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
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
            break;
        }
        out.write_all(&data).map_err(Failure::Write)?;
    }
    out.flush().map_err(Failure::Write)
}
