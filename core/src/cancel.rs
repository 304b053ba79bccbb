//! An operation's cancellation: the signal a handle's close sets ([`OpSignal`]) and the race of a
//! future against it ([`CancelSignal`]). Knows no handle (the handle's state holds the signal), so
//! it sits below the handle tree.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// The cancellation signal of one pending operation, set when its handle closes.
///
/// Every operation that waits makes one, so waiting on it allocates nothing: the usual single
/// waiter (the operation's own race) is kept inline. (An `event_listener::Event` cost two
/// allocations per waiting operation: its shared list, made on the first listen, and the
/// listener.)
pub(crate) struct OpSignal {
    cancelled: AtomicBool,
    waiters: Mutex<Waiters>,
}

/// Who to wake on cancel. A waiter whose future was dropped stays until then: a spurious wakeup
/// at most, and the signal lives only as long as its operation.
enum Waiters {
    None,
    One(Waker),
    Many(Vec<Waker>),
}

impl Default for OpSignal {
    fn default() -> Self {
        OpSignal {
            cancelled: AtomicBool::new(false),
            waiters: Mutex::new(Waiters::None),
        }
    }
}

impl OpSignal {
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        // Taken after the flag is set: a waiter that registers later saw the flag (below).
        let waiters = std::mem::replace(&mut *self.waiters.lock(), Waiters::None);
        match waiters {
            Waiters::None => {}
            Waiters::One(w) => w.wake(),
            Waiters::Many(ws) => ws.into_iter().for_each(Waker::wake),
        }
    }

    /// Makes a signal nobody else holds (`&mut`) as good as new, for the handle's next
    /// operation.
    pub(crate) fn reset(&mut self) {
        *self.cancelled.get_mut() = false;
        *self.waiters.get_mut() = Waiters::None;
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Ready once cancelled; else `cx` is woken by [`cancel`](Self::cancel).
    fn poll_cancelled(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_cancelled() {
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.lock();
        // Again under the lock: a `cancel` that set the flag after the look above takes the
        // waiters only after this registration, so it cannot be missed.
        if self.is_cancelled() {
            return Poll::Ready(());
        }
        let waker = cx.waker();
        match &mut *waiters {
            Waiters::None => *waiters = Waiters::One(waker.clone()),
            Waiters::One(old) if old.will_wake(waker) => {}
            Waiters::One(old) => *waiters = Waiters::Many(vec![old.clone(), waker.clone()]),
            Waiters::Many(ws) => {
                if !ws.iter().any(|w| w.will_wake(waker)) {
                    ws.push(waker.clone());
                }
            }
        }
        Poll::Pending
    }

    pub(crate) async fn cancelled(&self) {
        poll_fn(|cx| self.poll_cancelled(cx)).await
    }
}

/// An owned view of an operation's cancellation, for futures that must not borrow the
/// [`Operation`] (a callback-mode task keeps the operation beside its future, to complete it even
/// when the future panics).
pub(crate) struct CancelSignal(pub(crate) Arc<OpSignal>);

impl CancelSignal {
    /// Run `fut` until it finishes or the handle is closed (then OPERATION_CANCELLED; `fut` is
    /// dropped, releasing its sockets).
    pub(crate) async fn race<T>(
        self,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.0.is_cancelled() {
            return Err(Error::cancelled());
        }
        futures_lite::future::or(fut, async {
            self.0.cancelled().await;
            Err(Error::cancelled())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use super::*;

    /// Counts its wakes.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn a_reset_signal_is_not_cancelled_and_wakes_no_earlier_waiter() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut signal = OpSignal::default();
        // A waiter of the last operation registers, and the operation ends without a cancel.
        assert!(signal
            .poll_cancelled(&mut Context::from_waker(&waker))
            .is_pending());
        signal.reset();
        signal.cancel();
        assert_eq!(
            count.0.load(Ordering::Relaxed),
            0,
            "a stale waiter was woken"
        );
        signal.reset();
        assert!(!signal.is_cancelled());
    }
}
