//! A scenario's notifications as text: one line per notification, `LABEL STATUS[ RESULT]`.
//!
//! Labels name handles by kind and creation order — `session`, `conn1`, `req1`, `find1`,
//! `file1` — so a trace reads the same on every run. REQUEST_COMPLETE carries `ok` or the error
//! code (`REQUEST_COMPLETE 12007`). Byte progress (inet's PROGRESS) is left out: its count
//! depends on timing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inet_core::{HandleId, HandleKind, Notification, Status, STATUS_PROGRESS};
use parking_lot::{Condvar, Mutex};

/// One notification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The handle it was about.
    pub handle: HandleId,
    /// The handle's kind.
    pub kind: HandleKind,
    /// The WinINet status code.
    pub code: u32,
    /// The status's name (`SENDING_REQUEST`).
    pub name: &'static str,
    /// For REQUEST_COMPLETE: 0 for success, else the error code.
    pub result: Option<u32>,
}

impl Event {
    /// The text after the label: `SENDING_REQUEST`, `REQUEST_COMPLETE ok`, `REQUEST_COMPLETE 12029`.
    pub fn text(&self) -> String {
        match self.result {
            Some(0) => format!("{} ok", self.name),
            Some(code) => format!("{} {code}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// Records every notification a session's handles get; clone it into the status callback.
#[derive(Debug, Clone, Default)]
pub struct Tracer {
    inner: Arc<(Mutex<Vec<Event>>, Condvar)>,
}

impl Tracer {
    /// An empty tracer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The status callback.
    pub fn callback(&self) -> impl Fn(&Notification) + Send + Sync + 'static {
        let t = self.clone();
        move |n| t.record(n)
    }

    fn record(&self, n: &Notification) {
        if n.status.code() == STATUS_PROGRESS {
            return;
        }
        let result = match &n.status {
            Status::RequestComplete(Ok(_)) => Some(0),
            Status::RequestComplete(Err(e)) => Some(e.code()),
            _ => None,
        };
        self.inner.0.lock().push(Event {
            handle: n.handle,
            kind: n.kind,
            code: n.status.code(),
            name: n.status.name(),
            result,
        });
        self.inner.1.notify_all();
    }

    /// Everything so far.
    pub fn events(&self) -> Vec<Event> {
        self.inner.0.lock().clone()
    }

    /// Wait until `pred` holds over the events, at most `limit`; whether it held.
    pub fn wait(&self, limit: Duration, pred: impl Fn(&[Event]) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut seen = self.inner.0.lock();
        loop {
            if pred(&seen) {
                return true;
            }
            if self.inner.1.wait_until(&mut seen, deadline).timed_out() {
                return pred(&seen);
            }
        }
    }

    /// Wait for the `n`th REQUEST_COMPLETE of `handle`.
    pub fn wait_completions(&self, handle: HandleId, n: usize, limit: Duration) -> bool {
        self.wait(limit, |s| {
            s.iter()
                .filter(|e| e.handle == handle && e.name == "REQUEST_COMPLETE")
                .count()
                >= n
        })
    }

    /// Wait for HANDLE_CLOSING of `handle`.
    pub fn wait_closed(&self, handle: HandleId, limit: Duration) -> bool {
        self.wait(limit, |s| {
            s.iter()
                .any(|e| e.handle == handle && e.name == "HANDLE_CLOSING")
        })
    }
}

/// Labels for the handles of a trace, in creation order.
pub fn labels(events: &[Event]) -> HashMap<HandleId, String> {
    let mut labels = HashMap::new();
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for e in events {
        labels.entry(e.handle).or_insert_with(|| {
            let base = match e.kind {
                HandleKind::Internet => return "session".to_string(),
                HandleKind::ConnectFtp | HandleKind::ConnectGopher | HandleKind::ConnectHttp => {
                    "conn"
                }
                HandleKind::HttpRequest => "req",
                HandleKind::FtpFind | HandleKind::GopherFind => "find",
                HandleKind::FtpFile | HandleKind::GopherFile => "file",
                _ => "handle",
            };
            let n = counts.entry(base).or_insert(0);
            *n += 1;
            format!("{base}{n}")
        });
    }
    labels
}

/// The trace as lines `LABEL TEXT`.
pub fn lines(events: &[Event]) -> Vec<String> {
    let labels = labels(events);
    events
        .iter()
        .map(|e| format!("{} {}", labels[&e.handle], e.text()))
        .collect()
}
