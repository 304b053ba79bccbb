//! Where `inet get` writes bodies: a file per `-o`, else stdout in URL order.
//!
//! Stdout is shared by every URL without `-o`, yet the transfers run at once. The first unfinished
//! one streams to stdout (through a 64 KiB buffer written out whenever one of its reads has to
//! wait for the network, and at its end); later ones are held in memory until every one before
//! them has finished, so the bodies come out whole and in the order the URLs were given.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Where one transfer's body goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `-o FILE`.
    File(PathBuf),
    /// Stdout (no `-o`, or `-o -`).
    Stdout,
}

/// The progress names of the targets that are files, keyed by their place in the list counted
/// from 1 (the transfers' contexts).
pub fn file_names<'a>(targets: impl Iterator<Item = &'a Target>) -> Vec<(u64, String)> {
    targets
        .enumerate()
        .filter_map(|(i, t)| match t {
            Target::File(p) => Some((i as u64 + 1, p.display().to_string())),
            Target::Stdout => None,
        })
        .collect()
}

/// An open destination for one transfer.
#[derive(Debug)]
pub enum Sink {
    File(BufWriter<File>, PathBuf),
    Stdout(usize),
}

impl Sink {
    /// Create the file (when the response has arrived, so a failed transfer leaves no empty file).
    pub fn open(target: &Target, job: usize) -> io::Result<Sink> {
        match target {
            Target::File(path) => File::create(path)
                .map(|f| Sink::File(BufWriter::new(f), path.clone()))
                .map_err(|e| annotate(e, "creating", path)),
            Target::Stdout => Ok(Sink::Stdout(job)),
        }
    }

    /// Open the file to add to its end (`--continue`); stdout as [`open`](Self::open).
    pub fn append(target: &Target, job: usize) -> io::Result<Sink> {
        match target {
            Target::File(path) => std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map(|f| Sink::File(BufWriter::new(f), path.clone()))
                .map_err(|e| annotate(e, "appending to", path)),
            Target::Stdout => Ok(Sink::Stdout(job)),
        }
    }

    /// Write `data`; `stdout` is locked only for a stdout sink (a file needs no one else).
    pub fn write(&mut self, stdout: &Mutex<StdoutQueue>, data: &[u8]) -> io::Result<()> {
        match self {
            Sink::File(f, path) => f.write_all(data).map_err(|e| annotate(e, "writing", path)),
            Sink::Stdout(job) => lock(stdout).write(*job, data),
        }
    }

    /// A read went pending: write out what is buffered, so that what has come is in the file
    /// (or on stdout) while the network is waited for.
    pub fn pause(&mut self, stdout: &Mutex<StdoutQueue>) -> io::Result<()> {
        match self {
            Sink::File(f, path) => f.flush().map_err(|e| annotate(e, "writing", path)),
            Sink::Stdout(_) => lock(stdout).flush(),
        }
    }

    /// Flush and close; for stdout, let the next transfer in line go.
    pub fn finish(self, stdout: &mut StdoutQueue) -> io::Result<()> {
        match self {
            Sink::File(mut f, path) => f.flush().map_err(|e| annotate(e, "writing", &path)),
            Sink::Stdout(job) => stdout.finish(job),
        }
    }
}

fn annotate(e: io::Error, doing: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{doing} {}: {e}", path.display()))
}

/// The stdout queue shared by the driver and the threads writing bodies
/// (`crate::handoff::ToSink`).
pub fn lock(stdout: &Mutex<StdoutQueue>) -> MutexGuard<'_, StdoutQueue> {
    // The queue is consistent between calls: a panic mid-write leaves bytes unwritten, which the
    // write's error already reports.
    stdout.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Orders the stdout bodies of concurrent transfers (see the module docs).
#[derive(Debug, Default)]
pub struct StdoutQueue {
    /// The jobs writing to stdout, in URL order.
    order: Vec<usize>,
    /// `order[pos]` is the one streaming now.
    pos: usize,
    held: HashMap<usize, Vec<u8>>,
    finished: HashSet<usize>,
    /// Stdout, opened at the first write. Not std's `Stdout`: that is line-buffered and splits
    /// every write at its last newline, two system calls for each piece of a binary body.
    out: Option<BufWriter<File>>,
}

/// What stdout takes at once: one read's worth.
const STDOUT_BUFFER: usize = crate::handoff::READ_CHUNK;

impl StdoutQueue {
    /// A queue for these jobs (URL indices), in the order their bodies must appear.
    pub fn new(order: Vec<usize>) -> Self {
        StdoutQueue {
            order,
            ..Self::default()
        }
    }

    fn write(&mut self, job: usize, data: &[u8]) -> io::Result<()> {
        if self.order.get(self.pos) == Some(&job) {
            self.out()?.write_all(data).map_err(on_stdout)
        } else {
            self.held.entry(job).or_default().extend_from_slice(data);
            Ok(())
        }
    }

    /// `job` is complete (or failed): release the bodies waiting behind it. Jobs that never
    /// opened a sink (failed before a response) must be finished too, or they block the line.
    pub fn finish(&mut self, job: usize) -> io::Result<()> {
        self.finished.insert(job);
        while let Some(&current) = self.order.get(self.pos) {
            if let Some(held) = self.held.remove(&current) {
                self.out()?.write_all(&held).map_err(on_stdout)?;
            }
            if !self.finished.contains(&current) {
                break;
            }
            self.pos += 1;
        }
        self.flush()
    }

    /// Write out what is buffered: at the end of each body, and when the body streaming now
    /// has to wait for the network (so a slow stream is seen as it comes).
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.flush().map_err(on_stdout),
            None => Ok(()),
        }
    }

    fn out(&mut self) -> io::Result<&mut BufWriter<File>> {
        let out = match self.out.take() {
            Some(out) => out,
            None => {
                let file = stdout_file().map_err(on_stdout)?;
                BufWriter::with_capacity(STDOUT_BUFFER, file)
            }
        };
        Ok(self.out.insert(out))
    }
}

fn on_stdout(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("writing to stdout: {e}"))
}

/// Stdout as a file of its own (a duplicate of the descriptor), unbuffered by std. Nothing else
/// writes to stdout while bodies go there.
#[cfg(unix)]
fn stdout_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

#[cfg(windows)]
fn stdout_file() -> io::Result<File> {
    use std::os::windows::io::AsHandle;
    Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
}
