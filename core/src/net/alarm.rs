//! A connection's timer for its timeouts, set as rarely as correctness allows.
//!
//! Setting an async-io timer is a trip through its reactor: a notification (an eventfd write and
//! read), a timerfd update and an extra wait, four system calls — as much as the request itself
//! on a keep-alive connection. Two things made that happen on every wait:
//! - each wait wanted its timeout a little later than the last one did, so the timer was set
//!   again;
//! - a connection serves one task after another (requests from the pool), and async-io moves a
//!   timer's registration whenever it is polled with another task's waker.
//!
//! So an [`Alarm`] keeps the time already set while it is at most 1/16 of the time left (and at
//! most 1 s) early, and polls its timer with a waker of its own — a relay to whichever task waits
//! now — so the registration stays put from task to task. Going off early only makes the caller
//! check the clock and set the alarm again: nothing times out early. Knows nothing of what is
//! being timed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::reactor::Timer;
use parking_lot::Mutex;

/// See the module docs.
pub(crate) struct Alarm {
    timer: Timer,
    /// When `timer` is set to go off (None: not set, or it has gone off).
    armed: Option<Instant>,
    relay: Arc<Relay>,
    /// `relay` as a waker, made once.
    relay_waker: Waker,
}

/// Forwards the timer's wakeup to the task waiting now.
#[derive(Default)]
struct Relay {
    waiter: Mutex<Option<Waker>>,
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // A stale waker (its task finished) makes a spurious wakeup at worst.
        let waiter = self.waiter.lock().clone();
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

impl Alarm {
    pub(crate) fn new() -> Self {
        let relay = Arc::new(Relay::default());
        Alarm {
            timer: Timer::never(),
            armed: None,
            relay_waker: Waker::from(relay.clone()),
            relay,
        }
    }

    /// Make the alarm go off at `at`, or a little earlier (see the module docs); `now` is the
    /// caller's reading of the clock.
    pub(crate) fn set(&mut self, at: Instant, now: Instant) {
        if let Some(current) = self.armed {
            let left = at.saturating_duration_since(now);
            let slack = (left / 16).min(Duration::from_secs(1));
            if current <= at && at.duration_since(current) <= slack {
                return;
            }
        }
        self.timer.set_at(at);
        self.armed = Some(at);
    }

    /// Resolves when the alarm goes off; it stays quiet then until [`set`](Self::set) again.
    pub(crate) fn ring(&mut self) -> Ring<'_> {
        Ring { alarm: self }
    }
}

/// The future of [`Alarm::ring`].
pub(crate) struct Ring<'a> {
    alarm: &'a mut Alarm,
}

impl Future for Ring<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let alarm = &mut *self.get_mut().alarm;
        if alarm.armed.is_none() {
            return Poll::Pending;
        }
        {
            let mut waiter = alarm.relay.waiter.lock();
            if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waiter = Some(cx.waker().clone());
            }
        }
        let mut relayed = Context::from_waker(&alarm.relay_waker);
        match Pin::new(&mut alarm.timer).poll(&mut relayed) {
            Poll::Ready(_) => {
                alarm.armed = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_off_at_the_time_set_and_is_quiet_after() {
        let mut alarm = Alarm::new();
        let t0 = Instant::now();
        alarm.set(t0 + Duration::from_millis(20), t0);
        crate::reactor::block_on(alarm.ring());
        assert!(t0.elapsed() >= Duration::from_millis(20));
        let quiet = crate::reactor::block_on(futures_lite::future::poll_once(alarm.ring()));
        assert!(quiet.is_none());
    }

    #[test]
    fn a_slightly_later_time_keeps_the_earlier_one_and_a_much_later_one_moves_it() {
        let mut alarm = Alarm::new();
        let now = Instant::now();
        let base = now + Duration::from_secs(60);
        alarm.set(base, now);
        alarm.set(base + Duration::from_millis(500), now);
        assert_eq!(alarm.armed, Some(base));
        alarm.set(base + Duration::from_secs(5), now);
        assert_eq!(alarm.armed, Some(base + Duration::from_secs(5)));
        // Earlier than set: always moved, so that it never goes off late.
        alarm.set(base, now);
        assert_eq!(alarm.armed, Some(base));
    }

    #[test]
    fn wakes_the_task_waiting_now_not_the_one_that_set_it() {
        let mut alarm = Alarm::new();
        let now = Instant::now();
        alarm.set(now + Duration::from_millis(30), now);
        // A first "task" polls once and goes away.
        assert!(crate::reactor::block_on(futures_lite::future::poll_once(alarm.ring())).is_none());
        // Another one (another thread, another waker) waits for it.
        let t0 = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| crate::reactor::block_on(alarm.ring()));
        });
        assert!(t0.elapsed() < Duration::from_secs(5));
    }
}
