//! A recording status callback: what every notification said, per handle, in order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use inet_core::{HandleId, Notification, Status};
use parking_lot::{Condvar, Mutex};

/// One notification as recorded.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The handle it was about.
    pub handle: HandleId,
    /// Its parent.
    pub parent: Option<HandleId>,
    /// The INTERNET_STATUS_* code.
    pub code: u32,
    /// The context value.
    pub context: u64,
    /// For REQUEST_COMPLETE: 0 on success, else the error code.
    pub error: Option<u32>,
    /// For a successful REQUEST_COMPLETE: the bytes it carried (Data) or its count (Count).
    pub amount: Option<u64>,
    /// For REDIRECT: the URL; for other statuses, their display text.
    pub text: String,
    /// When it arrived.
    pub at: Instant,
}

/// Records every notification; clone it into a callback with [`Recorder::callback`].
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<(Mutex<Vec<Seen>>, Condvar)>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("seen", &self.inner.0.lock().len())
            .finish()
    }
}

impl Recorder {
    /// A new, empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one notification.
    pub fn record(&self, n: &Notification) {
        let error = match &n.status {
            Status::RequestComplete(Err(e)) => Some(e.code()),
            Status::RequestComplete(Ok(_)) => Some(0),
            _ => None,
        };
        let amount = match &n.status {
            Status::RequestComplete(Ok(inet_core::Completion::Data(b))) => Some(b.len() as u64),
            Status::RequestComplete(Ok(inet_core::Completion::Count(c))) => Some(*c),
            _ => None,
        };
        let text = match &n.status {
            Status::Redirect(u) => u.clone(),
            s => s.to_string(),
        };
        let seen = Seen {
            handle: n.handle,
            parent: n.parent,
            code: n.status.code(),
            context: n.context.0,
            error,
            amount,
            text,
            at: Instant::now(),
        };
        self.inner.0.lock().push(seen);
        self.inner.1.notify_all();
    }

    /// A status callback that records into this recorder.
    pub fn callback(&self) -> impl Fn(&Notification) + Send + Sync + 'static {
        let r = self.clone();
        move |n| r.record(n)
    }

    /// Everything seen so far.
    pub fn all(&self) -> Vec<Seen> {
        self.inner.0.lock().clone()
    }

    /// The codes seen for one handle, in order, leaving out byte progress.
    pub fn codes(&self, h: HandleId) -> Vec<u32> {
        self.all()
            .into_iter()
            .filter(|s| s.handle == h && s.code != inet_core::STATUS_PROGRESS)
            .map(|s| s.code)
            .collect()
    }

    /// Forget everything seen so far.
    pub fn clear(&self) {
        self.inner.0.lock().clear();
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

    /// Wait for a notification with `code` about handle `h`.
    pub fn wait_code(&self, h: HandleId, code: u32, limit: Duration) -> bool {
        self.wait_for(limit, |s| s.iter().any(|x| x.handle == h && x.code == code))
    }

    /// The REQUEST_COMPLETE error codes of handle `h` (0 for success), in order.
    pub fn completions(&self, h: HandleId) -> Vec<u32> {
        self.all()
            .into_iter()
            .filter(|s| s.handle == h)
            .filter_map(|s| s.error)
            .collect()
    }
}
