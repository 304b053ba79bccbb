//! The inet callback column: WinINet's callback mode, every step started from the session's
//! status callback, one after another on one connection handle.
//!
//! `start_login`; on its `REQUEST_COMPLETE`, `start_open_file` (FtpOpenFile); on the file
//! handle's arrival (`Completion::Value`), a download reads with 64 KiB `start_read`s (the size
//! `inet get` asks for), looping while they return `Started::Done` and going on from the
//! `REQUEST_COMPLETE` of one that went `Pending`; an upload `start_write`s 256 KiB blocks read
//! from the local file, the next from the previous one's `REQUEST_COMPLETE`. At the end of a file
//! `start_finish` (the `226`), then the file handle is closed and the next file opened, still
//! inside the callback. The main thread only starts the login and waits for the outcome. Every
//! `start_read` is counted, and those that were done at once.

use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Instant;

use inet_core::{Completion, Context, HandleKind, Notification, Session, Started, Status};
use inet_ftp::{Access, FtpConnection, FtpFile, TransferOptions};
use parking_lot::Mutex;

use crate::job::{Job, Reads, Server, Timing};
use crate::Result;

/// Bytes asked for by each `start_read` (as `inet get` does).
const READ_CHUNK: usize = 64 * 1024;

/// Bytes per `start_write` (as `put_file` moves them).
const WRITE_BLOCK: usize = 256 * 1024;

/// Runs `job` in this process on a new session; the transfer is timed from the login's
/// `REQUEST_COMPLETE` on.
pub fn run(server: &Server, job: &Job) -> Result<Timing> {
    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel();
    let driver = Arc::new(Driver {
        job: job.clone(),
        conn: OnceLock::new(),
        state: Mutex::new(State {
            step: Step::LoggingIn,
            file: None,
            local: None,
            logged_in: None,
        }),
        index: AtomicUsize::new(0),
        got: AtomicU64::new(0),
        reads: AtomicU64::new(0),
        reads_done: AtomicU64::new(0),
        done: Mutex::new(Some(done_tx)),
    });
    let callback = driver.clone();
    let session = Session::builder()
        .status_callback(move |n| callback.on_notification(n))
        .build()?;
    let conn = FtpConnection::open(
        &session,
        "127.0.0.1",
        server.port,
        server.options(),
        Context(1),
    )?;
    let _ = driver.conn.set(conn.clone());
    let _pending = conn.start_login()?;
    done_rx
        .recv()
        .map_err(|_| "callback mode: the driver went away")??;
    let done = Instant::now();
    conn.close();
    let logged_in = driver
        .state
        .lock()
        .logged_in
        .ok_or("callback mode: no login time")?;
    Ok(Timing {
        setup: logged_in - started,
        transfer: done - logged_in,
        reads: Some(Reads {
            total: driver.reads.load(Ordering::Relaxed),
            done: driver.reads_done.load(Ordering::Relaxed),
        })
        .filter(|r| r.total > 0),
    })
}

/// Which operation's `REQUEST_COMPLETE` comes next: one at a time, so the step says what a
/// completion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    LoggingIn,
    Opening,
    Reading,
    Writing,
    Finishing,
}

#[derive(Debug)]
struct State {
    step: Step,
    /// The open file handle.
    file: Option<FtpFile>,
    /// The upload's local file.
    local: Option<File>,
    /// When the login completed: the transfer's time starts there.
    logged_in: Option<Instant>,
}

/// Shared by the main thread and the status callback. The lock is never held across a call into
/// inet (a completion may be delivered on the calling thread, inside the call).
#[derive(Debug)]
struct Driver {
    job: Job,
    conn: OnceLock<FtpConnection>,
    state: Mutex<State>,
    /// The file being moved (the many-files job's counter).
    index: AtomicUsize,
    /// Bytes of the current file.
    got: AtomicU64,
    reads: AtomicU64,
    reads_done: AtomicU64,
    /// Tells the main thread the outcome: the first failure, or success at the end.
    done: Mutex<Option<mpsc::Sender<Result<(), String>>>>,
}

impl Driver {
    fn on_notification(&self, n: &Notification) {
        let Status::RequestComplete(result) = &n.status else {
            return;
        };
        if !matches!(n.kind, HandleKind::ConnectFtp | HandleKind::FtpFile) {
            return;
        }
        let completion = match result {
            Ok(c) => c,
            Err(e) => return self.fail(format!("inet callback: {e}")),
        };
        let step = self.state.lock().step;
        match step {
            Step::LoggingIn => {
                self.state.lock().logged_in = Some(Instant::now());
                self.open_next();
            }
            Step::Opening => match completion.value::<FtpFile>() {
                Some(file) => {
                    self.state.lock().file = Some(file.clone());
                    match self.job {
                        Job::Stor { .. } => self.write_more(file),
                        _ => self.read_more(file),
                    }
                }
                None => self.fail(format!("inet callback: opened, but got {completion:?}")),
            },
            Step::Reading => match (completion, self.current_file()) {
                (Completion::Data(data), Some(file)) if data.is_empty() => self.finish(&file),
                (Completion::Data(data), Some(file)) => {
                    self.got.fetch_add(data.len() as u64, Ordering::Relaxed);
                    self.read_more(&file);
                }
                (other, _) => self.fail(format!("inet callback: a read gave {other:?}")),
            },
            Step::Writing => match self.current_file() {
                Some(file) => self.write_more(&file),
                None => self.fail("inet callback: no file to write".into()),
            },
            Step::Finishing => self.end_file(),
        }
    }

    fn current_file(&self) -> Option<FtpFile> {
        self.state.lock().file.clone()
    }

    fn set_step(&self, step: Step) {
        self.state.lock().step = step;
    }

    /// Opens the job's next file (the step is set first: the completion may come on another
    /// thread before the call returns).
    fn open_next(&self) {
        let Some(conn) = self.conn.get() else {
            return self.fail("inet callback: no connection".into());
        };
        let (path, access) = match &self.job {
            Job::Retr { path, .. } => (path.clone(), Access::Read),
            Job::Stor { local, remote, .. } => {
                match File::open(local) {
                    Ok(f) => self.state.lock().local = Some(f),
                    Err(e) => return self.fail(format!("inet callback: {}: {e}", local.display())),
                }
                (remote.clone(), Access::Write)
            }
            Job::Many { dir, .. } => (
                Job::small_file(dir, self.index.load(Ordering::Relaxed)),
                Access::Read,
            ),
        };
        self.got.store(0, Ordering::Relaxed);
        self.set_step(Step::Opening);
        if let Err(e) = conn.start_open_file(&path, access, TransferOptions::new(), Context(2)) {
            self.fail(format!("inet callback: {e}"));
        }
    }

    /// Reads until a read goes pending (its REQUEST_COMPLETE brings us back) or the file ends.
    fn read_more(&self, file: &FtpFile) {
        self.set_step(Step::Reading);
        loop {
            let started = file.start_read(READ_CHUNK);
            self.reads.fetch_add(1, Ordering::Relaxed);
            match started {
                Ok(Started::Done(data)) => {
                    self.reads_done.fetch_add(1, Ordering::Relaxed);
                    if data.is_empty() {
                        return self.finish(file);
                    }
                    self.got.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                Ok(Started::Pending(_)) => return,
                Err(e) => return self.fail(format!("inet callback: {e}")),
            }
        }
    }

    /// Writes the local file's next blocks — while the socket takes them at once (WinINet's
    /// InternetWriteFile completing synchronously, no REQUEST_COMPLETE) — until one goes
    /// pending (its REQUEST_COMPLETE brings us back) or the file ends.
    fn write_more(&self, file: &FtpFile) {
        loop {
            let mut block = vec![0u8; WRITE_BLOCK];
            let read = match self.state.lock().local.as_mut() {
                Some(local) => local.read(&mut block),
                None => return self.fail("inet callback: no local file".into()),
            };
            match read {
                Ok(0) => return self.finish(file),
                Ok(n) => {
                    block.truncate(n);
                    self.got.fetch_add(n as u64, Ordering::Relaxed);
                    self.set_step(Step::Writing);
                    match file.start_write(block.into()) {
                        Ok(Started::Done(_)) => {}
                        Ok(Started::Pending(_)) => return,
                        Err(e) => return self.fail(format!("inet callback: {e}")),
                    }
                }
                Err(e) => return self.fail(format!("inet callback: reading the local file: {e}")),
            }
        }
    }

    /// Ends the file's transfer (the server's `226`).
    fn finish(&self, file: &FtpFile) {
        self.set_step(Step::Finishing);
        if let Err(e) = file.start_finish() {
            self.fail(format!("inet callback: {e}"));
        }
    }

    /// The file is done: check its length, close it, open the next or report the end.
    fn end_file(&self) {
        let file = {
            let mut state = self.state.lock();
            state.local = None;
            state.file.take()
        };
        if let Some(file) = file {
            file.close();
        }
        let (count, bytes) = match &self.job {
            Job::Retr { bytes, .. } | Job::Stor { bytes, .. } => (1, *bytes),
            Job::Many { count, bytes, .. } => (*count, *bytes),
        };
        let got = self.got.load(Ordering::Relaxed);
        if got != bytes {
            return self.fail(format!("inet callback: got {got} bytes, expected {bytes}"));
        }
        if self.index.fetch_add(1, Ordering::Relaxed) + 1 < count {
            self.open_next();
        } else {
            self.report(Ok(()));
        }
    }

    fn fail(&self, message: String) {
        self.report(Err(message));
    }

    /// The first report reaches the main thread; later ones are dropped.
    fn report(&self, outcome: Result<(), String>) {
        if let Some(tx) = self.done.lock().take() {
            let _ = tx.send(outcome);
        }
    }
}
