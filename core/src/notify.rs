//! Per-handle notification delivery: a handle's [`Mailbox`] used under the handle's lock, with the
//! lock released around each callback.
//!
//! To notify, push under the handle's lock; if nobody is delivering, become the deliverer: take one
//! notification, release the lock, call the callback, and repeat until the mailbox is empty, then
//! end the delivery under the lock (so no push is lost). The rules themselves — order, queueing
//! of re-entrant pushes, the seal of `HANDLE_CLOSING` — are the mailbox's; this module adds the lock
//! and the callback:
//! - no inet lock held while user code runs;
//! - a panicking callback poisons nothing and stops nothing.
//!
//! Uses the record and status types; must not use the handle tree (`handle`) or anything above.

use std::panic::{catch_unwind, AssertUnwindSafe};
#[cfg(not(feature = "tracing"))]
use std::sync::atomic::Ordering;

use parking_lot::MutexGuard;

use crate::ids::Context;
use crate::mailbox::Push;
use crate::record::AfterLast;
use crate::status::{Handle, Notification, Record, State, Status};

/// What runs after a handle's `HANDLE_CLOSING` (see [`Deliver::push_closing_then`]).
pub(crate) type AfterClosing = AfterLast<Notification, Handle>;

/// Pushing a notification to a handle's record. A trait (with one implementation) rather than
/// methods on the record, so that a module that notifies must import it: the layering guard sees
/// that edge.
pub(crate) trait Deliver {
    /// Push `status`, taking the handle's lock.
    fn push(&self, status: Status);

    /// Push with the handle's lock already held (so that the caller's state change and the
    /// notification's place in the order are one step); delivery releases it.
    fn push_locked(&self, st: MutexGuard<'_, State>, status: Status);

    /// [`push_locked`](Self::push_locked) with the context of the operation the notification
    /// is about (a call may have given its own; `None`: the handle's).
    fn push_locked_as(
        &self,
        st: MutexGuard<'_, State>,
        status: Status,
        op_context: Option<Context>,
    );

    /// Push `HANDLE_CLOSING`, then run `then` once it has been delivered — at once if this
    /// thread delivers it, else by the thread that is delivering this handle's earlier
    /// notifications, right after it. So what `then` does (a parent's own `HANDLE_CLOSING`)
    /// cannot overtake this handle's last notifications, whichever threads deliver them.
    fn push_closing_then(&self, then: AfterClosing);
}

impl Deliver for Record {
    fn push(&self, status: Status) {
        // Nobody to tell: dropped without the lock, as the mailbox would drop it (see `quiet`).
        // A `tracing` subscriber may want it: then it goes the long way.
        #[cfg(not(feature = "tracing"))]
        if self.quiet.load(Ordering::Acquire) {
            return;
        }
        self.push_locked(self.state.lock(), status);
    }

    fn push_locked(&self, st: MutexGuard<'_, State>, status: Status) {
        let context = st.op_context;
        self.push_locked_as(st, status, context);
    }

    fn push_locked_as(
        &self,
        st: MutexGuard<'_, State>,
        status: Status,
        op_context: Option<Context>,
    ) {
        enqueue(self, st, status, op_context, None);
    }

    fn push_closing_then(&self, then: AfterClosing) {
        enqueue(
            self,
            self.state.lock(),
            Status::HandleClosing,
            None,
            Some(then),
        );
    }
}

/// Push one notification (with the handle's lock held) and deliver it if nobody is delivering;
/// `then` runs once it has been delivered or dropped (see [`Deliver::push_closing_then`]).
fn enqueue(
    rec: &Record,
    mut st: MutexGuard<'_, State>,
    status: Status,
    op_context: Option<Context>,
    then: Option<AfterClosing>,
) {
    let last = matches!(status, Status::HandleClosing);
    let note = Notification {
        handle: rec.id,
        parent: rec.parent_id(),
        kind: rec.kind,
        context: op_context.unwrap_or_else(|| rec.context()),
        status,
    };
    let listening = st.callback.is_some();
    #[cfg(feature = "tracing")]
    let traced = !st.mailbox.is_sealed();
    let pushed = if last {
        st.mailbox.push_last(note, listening)
    } else {
        st.mailbox.push(note, listening)
    };
    match pushed {
        Push::Queued => {
            if then.is_some() {
                st.after_last = then;
            }
        }
        Push::Dropped(note) => {
            // Outside the lock: a note may own a handle whose drop closes it.
            drop(st);
            // Nobody listens, but a subscriber may (never after HANDLE_CLOSING: sealed).
            #[cfg(feature = "tracing")]
            if traced {
                crate::trace::notification(&rec.span, &note);
            }
            drop(note);
            if let Some(then) = then {
                (then.run)(rec, then.parent_owner);
            }
        }
        Push::DeliverNow(note) => {
            if then.is_some() {
                st.after_last = then;
            }
            deliver(rec, st, note);
        }
    }
}

/// Deliver `first`, then whatever is pushed meanwhile, releasing the lock around each callback.
fn deliver(rec: &Record, mut st: MutexGuard<'_, State>, first: Notification) {
    #[cfg(not(feature = "tracing"))]
    let _ = rec;
    let mut next = Some(first);
    while let Some(note) = next {
        let callback = st.callback.clone();
        MutexGuard::unlocked(&mut st, move || {
            #[cfg(feature = "tracing")]
            crate::trace::notification(&rec.span, &note);
            if let Some(cb) = callback {
                // A panicking callback must not stop later notifications nor leave the flag set.
                let _ = catch_unwind(AssertUnwindSafe(|| cb(&note)));
            }
            // `note` (and the callback clone) drop here, unlocked: a note may own a handle.
        });
        next = st.mailbox.next();
    }
    // The callback may have gone while this delivery ran: the handle may be quiet now.
    rec.update_quiet(&st);
    // Delivery has ended; if it ended with HANDLE_CLOSING, whatever waited for it runs now.
    let after = st.after_last.take();
    drop(st);
    if let Some(then) = after {
        (then.run)(rec, then.parent_owner);
    }
}
