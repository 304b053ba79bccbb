//! [`block_on`]: run a future on this thread, waiting in the reactor while it waits.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use parking::{Parker, Unparker};

use super::{Rank, Reactor};

/// Run `future` to its end on this thread.
///
/// While the future waits, this thread waits in inet's reactor if no other thread does, so the
/// wakeups of inet's sockets and timers come to it directly — the fastest way to run inet's
/// futures (callback mode's workers and every blocking call use it). Futures of other libraries
/// work too: their wakers wake this thread.
///
/// ```
/// let n = inet_core::block_on(async { 6 * 7 });
/// assert_eq!(n, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    run(Rank::Foreground, future)
}

/// [`block_on`] for a callback-mode worker: it waits in the reactor only while no foreground
/// `block_on` runs (see [`Rank`]).
pub(crate) fn block_on_background<F: Future>(future: F) -> F::Output {
    run(Rank::Background, future)
}

fn run<F: Future>(rank: Rank, future: F) -> F::Output {
    thread_local! {
        static CACHE: RefCell<Option<Runner>> = const { RefCell::new(None) };
    }
    // A `block_on` inside a `block_on` (a blocking call from a status callback on a worker)
    // cannot borrow the cache: it gets a runner of its own.
    CACHE.with(|cache| match cache.try_borrow_mut() {
        Ok(mut slot) => {
            let runner = slot.get_or_insert_with(Runner::new);
            runner.run(rank, future)
        }
        Err(_) => Runner::new().run(rank, future),
    })
}

/// A thread's parker and the waker that unparks it.
struct Runner {
    parker: Parker,
    wake: Arc<Wakeup>,
    waker: Waker,
}

struct Wakeup {
    unparker: Unparker,
    /// True while this thread is (about to be) inside `epoll_wait`: waking it needs the
    /// reactor's notification, not only the unpark.
    in_reactor: AtomicBool,
}

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.unparker.unpark() && self.in_reactor.load(Ordering::SeqCst) {
            Reactor::get().notify();
        }
    }
}

impl Runner {
    fn new() -> Runner {
        let parker = Parker::new();
        let wake = Arc::new(Wakeup {
            unparker: parker.unparker(),
            in_reactor: AtomicBool::new(false),
        });
        Runner {
            parker,
            waker: Waker::from(wake.clone()),
            wake,
        }
    }

    fn run<F: Future>(&self, rank: Rank, future: F) -> F::Output {
        let reactor = Reactor::get();
        reactor.runner_enters(rank);
        /// Counts the runner out however it ends, a panic included.
        struct Leave(&'static Reactor, Rank);
        impl Drop for Leave {
            fn drop(&mut self) {
                self.0.runner_leaves(self.1);
            }
        }
        let _leave = Leave(reactor, rank);

        let mut future = pin!(future);
        let mut cx = Context::from_waker(&self.waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            // Wait until woken, in the reactor when nobody else is.
            loop {
                if self.parker.park_timeout(Duration::ZERO) {
                    break;
                }
                if reactor.may_wait(rank) {
                    if let Some(mut driver) = reactor.driver.try_lock() {
                        self.wake.in_reactor.store(true, Ordering::SeqCst);
                        // A wake that came before the flag was set only unparked: look once more.
                        if self.parker.park_timeout(Duration::ZERO) {
                            self.wake.in_reactor.store(false, Ordering::SeqCst);
                            break;
                        }
                        reactor.drive(&mut driver, Some(&self.wake.in_reactor), None);
                        drop(driver);
                        if !reactor.may_wait(rank) {
                            // A foreground `block_on` began while this one waited: let it wait.
                            reactor.hand_over();
                        }
                        // Woken by this round (or by the notification): poll again. Else the
                        // round was for other tasks: wait again.
                        continue;
                    }
                }
                // Another thread waits in the reactor (or outranks this one) and will wake this
                // one through its waker; or, when that thread leaves `block_on` or steps aside,
                // through the standby list.
                let standby = &reactor.standby[rank as usize];
                standby.lock().push(self.wake.unparker.clone());
                // The waiter may have let go between the `try_lock` and the push, handing over
                // to nobody: look again, now that a hand-over would find this thread.
                let retry = reactor.may_wait(rank) && !reactor.driver.is_locked();
                if !retry {
                    self.parker.park();
                }
                standby
                    .lock()
                    .retain(|u| !u.same_parker(&self.wake.unparker));
                if retry {
                    continue;
                }
                break;
            }
        }
    }
}
