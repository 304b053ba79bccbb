//! [`Timer`]: a future that resolves at an instant, kept in the reactor's sorted map while it is
//! polled and not yet due.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::Reactor;

/// Resolves at its deadline (to the deadline); a timer with none never does. Like async-io's
/// `Timer`, which it replaces, with the same constructors.
pub struct Timer {
    when: Option<Instant>,
    /// The reactor's entry, while registered: its id, and the waker it holds.
    registered: Option<(u64, Waker)>,
}

impl Timer {
    /// A timer that never fires.
    pub fn never() -> Timer {
        Timer {
            when: None,
            registered: None,
        }
    }

    /// Fires after `duration`; one too long for an `Instant` never fires (no overflow).
    pub fn after(duration: Duration) -> Timer {
        Timer {
            when: Instant::now().checked_add(duration),
            registered: None,
        }
    }

    /// Fires at `instant`.
    pub fn at(instant: Instant) -> Timer {
        Timer {
            when: Some(instant),
            registered: None,
        }
    }

    /// Fire at `instant` instead.
    pub fn set_at(&mut self, instant: Instant) {
        self.deregister();
        self.when = Some(instant);
    }

    /// Fire after `duration` from now instead.
    pub fn set_after(&mut self, duration: Duration) {
        self.deregister();
        self.when = Instant::now().checked_add(duration);
    }

    fn deregister(&mut self) {
        if let (Some(when), Some((id, _))) = (self.when, self.registered.take()) {
            Reactor::get().remove_timer(when, id);
        }
    }
}

impl Future for Timer {
    type Output = Instant;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        let this = self.get_mut();
        let Some(when) = this.when else {
            return Poll::Pending;
        };
        if Instant::now() >= when {
            this.deregister();
            return Poll::Ready(when);
        }
        let reactor = Reactor::get();
        match &mut this.registered {
            Some((_, w)) if w.will_wake(cx.waker()) => {}
            Some((id, w)) => {
                if reactor.update_timer(when, *id, cx.waker()) {
                    w.clone_from(cx.waker());
                } else {
                    // Gone off between the clock read above and now: it is due.
                    this.registered = None;
                    return Poll::Ready(when);
                }
            }
            None => {
                let id = reactor.insert_timer(when, cx.waker().clone());
                this.registered = Some((id, cx.waker().clone()));
            }
        }
        Poll::Pending
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("when", &self.when).finish()
    }
}
