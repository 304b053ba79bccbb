//! Notifications as a `Stream` (`futures_core::Stream`), beside the status callback: for async
//! code that would rather `while let Some(n) = stream.next().await` than write a closure.
//!
//! [`HandleRef::notifications`] installs a callback on a handle (keeping the one it had: both are
//! told) and returns the stream of owned [`Notification`]s it collects: that handle's and those of
//! every handle created under it from then on (children inherit a callback when they are created).
//! It keeps the callback's guarantees, since it is fed by one: one handle's notifications arrive
//! in order (different handles interleave as they happened), none after a handle's
//! `HANDLE_CLOSING`; and no inet lock is held while the stream's queue is locked.
//!
//! **Bounded, dropping informational notifications first; never the ones that end something.**
//! A callback must not block (it may run on the consumer's own thread), so a slow consumer gets
//! no back-pressure; instead, once `capacity` notifications wait:
//! 1. a new one makes room by evicting the oldest waiting `PROGRESS` (a later one says more);
//! 2. with no `PROGRESS` waiting, a new informational one (resolving, connecting, sending,
//!    receiving, redirect, …) is dropped, or, when the new one is essential, the oldest waiting
//!    informational one is evicted;
//! 3. essential notifications — `HANDLE_CREATED`, `REQUEST_COMPLETE`, `HANDLE_CLOSING` — are
//!    never dropped: with only essential ones waiting, the queue goes past `capacity` for them.
//!    They are at most two per handle plus one per callback-mode operation, so they grow only as
//!    fast as the program opens handles and completes operations without reading the stream.
//!
//! [`Notifications::dropped`] counts what was dropped. Dropping the stream stops the collecting
//! (the installed callback then only calls the earlier one). The stream ends (`None`) after the
//! watched handle's own `HANDLE_CLOSING`, which comes after its children's, or when no handle
//! holds the installed callback any more.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

use futures_lite::Stream;
use parking_lot::Mutex;

use crate::handle::HandleRef;
use crate::ids::HandleId;
use crate::status::{Notification, Status, StatusCallback};

/// The stream of a handle's notifications (see the module docs).
#[must_use = "a stream does nothing unless polled"]
pub struct Notifications {
    queue: Arc<Queue>,
}

struct Queue {
    state: Mutex<QueueState>,
    capacity: usize,
    /// The handle watched: its `HANDLE_CLOSING` ends the stream.
    watched: HandleId,
}

struct QueueState {
    notes: VecDeque<Notification>,
    dropped: u64,
    /// The watched handle has closed, or no handle holds the callback any more.
    ended: bool,
    waker: Option<Waker>,
}

/// What the overflow policy does with a notification.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Progress,
    Informational,
    Essential,
}

fn class(status: &Status) -> Class {
    match status {
        Status::Progress(_) => Class::Progress,
        Status::HandleCreated(_) | Status::HandleClosing | Status::RequestComplete(_) => {
            Class::Essential
        }
        _ => Class::Informational,
    }
}

impl Queue {
    /// Take `note` in, by the overflow policy; wakes the consumer (outside the lock).
    fn push(&self, note: &Notification) {
        let ends = note.handle == self.watched && matches!(note.status, Status::HandleClosing);
        let waker = {
            let mut st = self.state.lock();
            if st.ended {
                return;
            }
            let incoming = class(&note.status);
            if st.notes.len() >= self.capacity && !st.make_room(incoming) {
                st.dropped += 1;
            } else {
                st.notes.push_back(note.clone());
            }
            st.ended |= ends;
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn end(&self) {
        let waker = {
            let mut st = self.state.lock();
            st.ended = true;
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl QueueState {
    /// The queue is full and a note of class `incoming` comes: evict one waiting note if the
    /// policy says so. False: drop the incoming one.
    fn make_room(&mut self, incoming: Class) -> bool {
        let evict = |st: &mut QueueState, c: Class| {
            let at = st.notes.iter().position(|n| class(&n.status) == c);
            at.map(|i| {
                st.notes.remove(i);
                st.dropped += 1;
            })
            .is_some()
        };
        if evict(self, Class::Progress) {
            return true;
        }
        match incoming {
            Class::Progress | Class::Informational => false,
            // Never dropped: evict an informational one if there is one, else go past capacity.
            Class::Essential => {
                evict(self, Class::Informational);
                true
            }
        }
    }
}

/// The collecting end, captured by the installed callback: when the last handle holding that
/// callback lets it go, the stream ends.
struct Feeder {
    queue: Weak<Queue>,
}

impl Drop for Feeder {
    fn drop(&mut self) {
        if let Some(q) = self.queue.upgrade() {
            q.end();
        }
    }
}

impl HandleRef {
    /// The notifications of this handle and of every handle created under it from now on, as a
    /// `Stream` of owned [`Notification`]s holding at most about `capacity` (at least 1)
    /// unread: bounded, dropping `PROGRESS` first and never `HANDLE_CREATED`, `REQUEST_COMPLETE`
    /// or `HANDLE_CLOSING` (see the module docs of `notifications.rs` for the whole policy). The
    /// handle's status callback, if it had one, is still called.
    ///
    /// Call it before opening the handles to watch: handles already open keep the callback they
    /// had. A notification carrying a new handle (`Completion::Handle`) holds an owner of it
    /// while unread.
    ///
    /// ```
    /// use futures_lite::StreamExt;
    /// use inet_core::{Context, HandleKind, Session, Status};
    ///
    /// let session = Session::new()?;
    /// let mut notes = session.notifications(64);
    /// let child = session.create_child(HandleKind::ConnectHttp, Context(7))?;
    /// drop(child);
    /// drop(session);
    /// let seen: Vec<String> = futures_lite::future::block_on(async {
    ///     let mut seen = Vec::new();
    ///     while let Some(n) = notes.next().await {
    ///         seen.push(format!("{} {}", n.handle, n.status.name()));
    ///     }
    ///     seen
    /// });
    /// assert_eq!(seen, ["#2 HANDLE_CREATED", "#2 HANDLE_CLOSING", "#1 HANDLE_CLOSING"]);
    /// # Ok::<(), inet_core::Error>(())
    /// ```
    pub fn notifications(&self, capacity: usize) -> Notifications {
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                notes: VecDeque::new(),
                dropped: 0,
                ended: false,
                waker: None,
            }),
            capacity: capacity.max(1),
            watched: self.id(),
        });
        let feeder = Feeder {
            queue: Arc::downgrade(&queue),
        };
        let earlier = self.status_callback();
        let callback: StatusCallback = Arc::new(move |n: &Notification| {
            if let Some(q) = feeder.queue.upgrade() {
                q.push(n);
            }
            if let Some(cb) = &earlier {
                cb(n);
            }
        });
        self.set_status_callback(Some(callback));
        Notifications { queue }
    }
}

impl Notifications {
    /// How many notifications the overflow policy dropped so far.
    pub fn dropped(&self) -> u64 {
        self.queue.state.lock().dropped
    }

    /// How many wait to be read.
    pub fn len(&self) -> usize {
        self.queue.state.lock().notes.len()
    }

    /// True when none wait to be read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Stream for Notifications {
    type Item = Notification;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Notification>> {
        let mut st = self.queue.state.lock();
        if let Some(n) = st.notes.pop_front() {
            return Poll::Ready(Some(n));
        }
        if st.ended {
            return Poll::Ready(None);
        }
        if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            st.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl fmt::Debug for Notifications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.queue.state.lock();
        f.debug_struct("Notifications")
            .field("watched", &self.queue.watched)
            .field("waiting", &st.notes.len())
            .field("capacity", &self.queue.capacity)
            .field("dropped", &st.dropped)
            .field("ended", &st.ended)
            .finish()
    }
}
