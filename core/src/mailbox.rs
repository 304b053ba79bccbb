//! Per-handle notification delivery: a mailbox with a "someone is delivering" flag.
//!
//! To notify, push under the handle's lock; if nobody is delivering, become the deliverer: take one
//! notification, release the lock, call the callback, and repeat until the mailbox is empty, then
//! clear the flag under the lock (so no push is lost). This gives, with no thread of its own:
//! - per-handle order, and never two callbacks at once for one handle;
//! - no inet lock held while user code runs;
//! - re-entrancy: a callback that notifies or closes its own handle only pushes; the outer loop
//!   delivers.
//!
//! Pushing `HANDLE_CLOSING` seals the mailbox: later pushes are dropped, so nothing follows it.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};

use parking_lot::MutexGuard;

use crate::handle::{Context, Record, State};
use crate::status::{Notification, Status};

#[derive(Default)]
pub(crate) struct Mailbox {
    queue: VecDeque<Notification>,
    delivering: bool,
    sealed: bool,
}

impl Record {
    pub(crate) fn push(&self, status: Status) {
        self.push_locked(self.state.lock(), status);
    }

    /// Push with the handle's lock already held (so that the caller's state change and the
    /// notification's place in the order are one step); delivery releases it.
    pub(crate) fn push_locked(&self, st: MutexGuard<'_, State>, status: Status) {
        let context = st.op_context;
        self.push_locked_as(st, status, context);
    }

    /// [`push_locked`](Self::push_locked) with the context of the operation the notification
    /// is about (a call may have given its own; `None`: the handle's).
    pub(crate) fn push_locked_as(
        &self,
        mut st: MutexGuard<'_, State>,
        status: Status,
        op_context: Option<Context>,
    ) {
        if st.mailbox.sealed {
            return;
        }
        if matches!(status, Status::HandleClosing) {
            st.mailbox.sealed = true;
        }
        if st.callback.is_none() && !st.mailbox.delivering {
            // Nobody listens: drop it, outside the lock (it may own a handle whose drop closes it).
            drop(st);
            drop(status);
            return;
        }
        let note = Notification {
            handle: self.id,
            parent: self.parent_id(),
            kind: self.kind,
            context: op_context.unwrap_or_else(|| self.context()),
            status,
        };
        if st.mailbox.delivering {
            st.mailbox.queue.push_back(note);
            return;
        }
        st.mailbox.delivering = true;
        deliver(st, note);
    }
}

/// Deliver `first`, then whatever is pushed meanwhile, releasing the lock around each callback.
fn deliver(mut st: MutexGuard<'_, State>, first: Notification) {
    let mut next = Some(first);
    while let Some(note) = next {
        let callback = st.callback.clone();
        MutexGuard::unlocked(&mut st, move || {
            if let Some(cb) = callback {
                // A panicking callback must not stop later notifications nor leave the flag set.
                let _ = catch_unwind(AssertUnwindSafe(|| cb(&note)));
            }
            // `note` (and the callback clone) drop here, unlocked: a note may own a handle.
        });
        next = st.mailbox.queue.pop_front();
    }
    st.mailbox.delivering = false;
}
