//! A recording status callback for the core's tests.
#![allow(dead_code)]

pub mod servers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use inet_core::{HandleId, Notification, Session, SessionBuilder, Status};
use parking_lot::{Condvar, Mutex};

/// One notification as recorded: handle, code, context, error code of REQUEST_COMPLETE, time.
#[derive(Clone, Debug)]
pub struct Seen {
    pub handle: HandleId,
    pub parent: Option<HandleId>,
    pub code: u32,
    pub context: u64,
    pub error: Option<u32>,
    pub at: Instant,
    pub text: String,
}

#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<(Mutex<Vec<Seen>>, Condvar)>,
}

impl Recorder {
    pub fn record(&self, n: &Notification) {
        let error = match &n.status {
            Status::RequestComplete(Err(e)) => Some(e.code()),
            Status::RequestComplete(Ok(_)) => Some(0),
            _ => None,
        };
        let seen = Seen {
            handle: n.handle,
            parent: n.parent,
            code: n.status.code(),
            context: n.context.0,
            error,
            at: Instant::now(),
            text: n.status.to_string(),
        };
        self.inner.0.lock().push(seen);
        self.inner.1.notify_all();
    }

    pub fn callback(&self) -> impl Fn(&Notification) + Send + Sync + 'static {
        let r = self.clone();
        move |n| r.record(n)
    }

    pub fn all(&self) -> Vec<Seen> {
        self.inner.0.lock().clone()
    }

    /// Codes seen for one handle, in order.
    pub fn codes(&self, h: HandleId) -> Vec<u32> {
        self.all()
            .into_iter()
            .filter(|s| s.handle == h)
            .map(|s| s.code)
            .collect()
    }

    /// Wait until `pred` holds over what was seen, or `limit` passes; returns whether it held.
    pub fn wait_for(&self, limit: Duration, pred: impl Fn(&[Seen]) -> bool) -> bool {
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
}

pub fn session_with(rec: &Recorder, b: SessionBuilder) -> Session {
    b.status_callback(rec.callback()).build().expect("session")
}
