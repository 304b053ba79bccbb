//! The inet callback column: WinINet's callback mode, every request driven from the session's
//! status callback.
//!
//! Each of `in_flight` lanes runs requests one after another: `start_send`; on its
//! `REQUEST_COMPLETE` the status is checked and the body read with 64 KiB `start_read`s (the size
//! `inet get` asks for), looping while they return `Started::Done` and continuing from the
//! `REQUEST_COMPLETE` of one that went `Pending`; at the end of the body the lane closes the
//! request and opens and sends the next one, still inside the callback. Unlike `inet get` (which
//! forwards every completion to its main thread) nothing hops to another thread here; the main
//! thread only starts the lanes and waits for the last one. Every `start_read` is counted, and
//! those that were done at once.

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Instant;

use inet_core::{Completion, HandleKind, HandleRef, Notification, Session, Started, Status};
use inet_http::{HttpRequest, RequestOptions};
use parking_lot::Mutex;

use crate::job::{Job, Reads, Timing};
use crate::Result;

/// Bytes asked for by each `start_read` (as `inet get` does).
pub const READ_CHUNK: usize = 64 * 1024;

/// Runs `job` in this process on a new session; the transfer is timed from the first request on.
pub fn run(job: &Job, ca: &Path) -> Result<Timing> {
    let started = Instant::now();
    let (url, count, in_flight, bytes) = match job {
        Job::Stream { url, bytes } => (url, 1, 1, *bytes),
        Job::Many {
            url,
            count,
            in_flight,
            bytes,
        } => (url, *count, *in_flight, *bytes),
    };
    let (done_tx, done_rx) = mpsc::channel();
    let lanes = in_flight.clamp(1, count.max(1));
    let driver = Arc::new(Driver {
        url: url.clone(),
        count,
        bytes,
        session: OnceLock::new(),
        lanes: (0..lanes).map(|_| Lane::default()).collect(),
        next: AtomicUsize::new(0),
        running: AtomicUsize::new(lanes),
        done: Mutex::new(Some(done_tx)),
    });
    let callback = driver.clone();
    let mut builder = Session::builder()
        .add_root_certificates_file(ca)
        .max_connections_per_host(in_flight)
        .status_callback(move |n| callback.on_notification(n));
    if url.starts_with("https:") {
        // Load the trust store while setting up, as reqwest's client builder does (over plain
        // HTTP inet never loads it, and neither does this).
        builder = builder.preload_tls();
    }
    let session = builder.build()?;
    // A non-owning reference: the callback opens requests with it without keeping the session
    // open.
    let _ = driver.session.set(HandleRef::clone(&session));
    let setup = started.elapsed();
    if count > 0 {
        for lane in 0..lanes {
            driver.next.fetch_add(1, Ordering::Relaxed);
            driver.start_request(lane);
        }
        done_rx
            .recv()
            .map_err(|_| "callback mode: the driver went away")??;
    }
    let transfer = started.elapsed() - setup;
    session.close();
    let reads = driver
        .lanes
        .iter()
        .fold(Reads { total: 0, done: 0 }, |sum, lane| Reads {
            total: sum.total + lane.reads.load(Ordering::Relaxed),
            done: sum.done + lane.reads_done.load(Ordering::Relaxed),
        });
    Ok(Timing {
        setup,
        transfer,
        reads: Some(reads),
    })
}

/// Shared by the main thread and the status callback.
#[derive(Debug)]
struct Driver {
    url: String,
    /// Requests to make in all.
    count: usize,
    /// The body length every response must have.
    bytes: u64,
    session: OnceLock<HandleRef>,
    /// Lane `i` runs the requests of context `i + 1`.
    lanes: Vec<Lane>,
    /// Requests started so far (claimed by the lanes).
    next: AtomicUsize,
    /// Lanes still running.
    running: AtomicUsize,
    /// Tells the main thread the outcome: the first failure, or success once every lane ended.
    done: Mutex<Option<mpsc::Sender<Result<(), String>>>>,
}

/// One request at a time. Notifications of one handle never overlap, so a lane's state is only
/// touched by one thread at a time; the lock is never held across a call into inet.
#[derive(Debug, Default)]
struct Lane {
    req: Mutex<Option<HttpRequest>>,
    /// Body bytes of the current request.
    got: AtomicU64,
    reads: AtomicU64,
    reads_done: AtomicU64,
}

impl Driver {
    fn on_notification(&self, n: &Notification) {
        let Status::RequestComplete(result) = &n.status else {
            return;
        };
        if n.kind != HandleKind::HttpRequest {
            return;
        }
        let Some(lane) = (n.context.0 as usize)
            .checked_sub(1)
            .filter(|&i| i < self.lanes.len())
        else {
            return;
        };
        let req = match &*self.lanes[lane].req.lock() {
            Some(r) if r.handle().id() == n.handle => r.clone(),
            _ => return,
        };
        match result {
            Err(e) => self.fail(format!("inet callback: {e}")),
            Ok(Completion::Data(data)) if data.is_empty() => self.end_request(lane, &req),
            Ok(Completion::Data(data)) => {
                self.lanes[lane]
                    .got
                    .fetch_add(data.len() as u64, Ordering::Relaxed);
                self.read_more(lane, &req);
            }
            // The send's completion: the response head is here.
            Ok(_) => match req.status_code() {
                Ok(200) => self.read_more(lane, &req),
                Ok(code) => self.fail(format!("inet callback: status {code} from {}", self.url)),
                Err(e) => self.fail(format!("inet callback: {e}")),
            },
        }
    }

    /// Opens the lane's next request and starts sending it.
    fn start_request(&self, lane: usize) {
        let Some(session) = self.session.get() else {
            return self.fail("inet callback: no session".into());
        };
        let options = RequestOptions::default().context(lane as u64 + 1);
        let req = match inet_http::open(session, &self.url, options) {
            Ok(req) => req,
            Err(e) => return self.fail(format!("inet callback: {e}")),
        };
        self.lanes[lane].got.store(0, Ordering::Relaxed);
        *self.lanes[lane].req.lock() = Some(req.clone());
        if let Err(e) = req.start_send(None, None) {
            self.fail(format!("inet callback: {e}"));
        }
    }

    /// Reads until a read goes pending (its REQUEST_COMPLETE brings us back) or the body ends.
    fn read_more(&self, lane: usize, req: &HttpRequest) {
        let counts = &self.lanes[lane];
        loop {
            let started = req.start_read(READ_CHUNK);
            counts.reads.fetch_add(1, Ordering::Relaxed);
            match started {
                Ok(Started::Done(data)) => {
                    counts.reads_done.fetch_add(1, Ordering::Relaxed);
                    if data.is_empty() {
                        return self.end_request(lane, req);
                    }
                    counts.got.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
                Ok(Started::Pending(_)) => return,
                Err(e) => return self.fail(format!("inet callback: {e}")),
            }
        }
    }

    /// The body has ended: check its length, close the request, start the next or end the lane.
    fn end_request(&self, lane: usize, req: &HttpRequest) {
        let got = self.lanes[lane].got.load(Ordering::Relaxed);
        if got != self.bytes {
            return self.fail(format!(
                "inet callback: got {got} bytes, expected {}",
                self.bytes
            ));
        }
        self.lanes[lane].req.lock().take();
        req.close();
        if self.next.fetch_add(1, Ordering::Relaxed) < self.count {
            self.start_request(lane);
        } else if self.running.fetch_sub(1, Ordering::AcqRel) == 1 {
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
