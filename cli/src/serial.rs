//! One driver, run by whichever thread brings it work: the transfers of `inet get` and `inet cat`
//! are driven from the status callback's threads, one event at a time, not from the main thread.
//!
//! Posting every send's `REQUEST_COMPLETE` to the main thread (as a WinINet program posts to its
//! UI thread) cost a futex wake-up and two thread switches per URL: 20,000 small URLs made 20,000
//! voluntary context switches. Here the thread that posts an event runs the driver itself, unless
//! another thread is running it; then the event waits in the queue for that thread, which takes
//! every queued event before it lets go. The driver's own calls into inet may notify on the
//! calling thread (a send that completes at once): such an event is queued like any other — the
//! driver is busy — and taken after the call returns, never run inside it. So no lock is held
//! across a call into inet that its callback would need, and nothing waits for a lock held long.

use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use inet::HandleRef;

/// What [`Serial`] drives.
pub trait Drive: Send {
    type Event: Send;

    /// Take one event.
    fn handle(&mut self, event: Self::Event);

    /// After each event (and at the start): start what may start now.
    fn advance(&mut self);

    /// Whether all the work is done (the main thread is told once, after the `advance` that
    /// finds it so).
    fn finished(&self) -> bool;
}

/// A driver and the events waiting for it (see the module docs).
pub struct Serial<D: Drive> {
    queue: Mutex<Queue<D::Event>>,
    driver: Mutex<State<D>>,
}

/// The driver, and the main thread until it has been told the work is done.
struct State<D> {
    driver: D,
    main: Option<mpsc::Sender<Main>>,
}

impl<D: Drive> std::fmt::Debug for Serial<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = lock(&self.queue);
        f.debug_struct("Serial")
            .field("queued", &queue.events.len())
            .field("running", &queue.running)
            .finish_non_exhaustive()
    }
}

struct Queue<E> {
    /// `None` asks only for [`Drive::advance`] (the start).
    events: VecDeque<Option<E>>,
    /// A thread is running the driver: it takes what is queued before it stops.
    running: bool,
}

impl<D: Drive> Serial<D> {
    /// `driver`, telling `main` [`Main::Finished`] once its work is done.
    pub fn new(driver: D, main: mpsc::Sender<Main>) -> Self {
        Serial {
            queue: Mutex::new(Queue {
                events: VecDeque::new(),
                running: false,
            }),
            driver: Mutex::new(State {
                driver,
                main: Some(main),
            }),
        }
    }

    /// Start the driver: [`Drive::advance`] with no event, on this thread unless another runs it.
    pub fn start(&self) {
        self.run(None);
    }

    /// Give the driver `event`: run on this thread unless another runs the driver now.
    pub fn post(&self, event: D::Event) {
        self.run(Some(event));
    }

    /// Run `f` on the driver (when its work is over: the exit status).
    pub fn with<T>(&self, f: impl FnOnce(&D) -> T) -> T {
        f(&lock(&self.driver).driver)
    }

    fn run(&self, event: Option<D::Event>) {
        {
            let mut queue = lock(&self.queue);
            queue.events.push_back(event);
            if queue.running {
                return;
            }
            queue.running = true;
        }
        // Should the driver panic, the next poster runs it again rather than queueing forever.
        let stop = Stop(&self.queue);
        loop {
            let next = {
                let mut queue = lock(&self.queue);
                match queue.events.pop_front() {
                    Some(next) => next,
                    None => {
                        queue.running = false;
                        break;
                    }
                }
            };
            let mut guard = lock(&self.driver);
            let State { driver, main } = &mut *guard;
            if let Some(event) = next {
                driver.handle(event);
            }
            driver.advance();
            if driver.finished() {
                if let Some(main) = main.take() {
                    let _ = main.send(Main::Finished);
                }
            }
        }
        std::mem::forget(stop);
    }
}

/// What the main thread hears while the driver runs elsewhere: the end of the transfers, and of
/// the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Main {
    /// Every transfer has finished.
    Finished,
    /// The session's HANDLE_CLOSING: nothing more will be notified.
    SessionClosed,
}

/// Where the status callback and the bodies' ends send what they hear: events to the driver
/// (run by the posting thread), the session's end to the main thread.
#[derive(Debug)]
pub struct Post<D: Drive> {
    /// Set once the driver exists. Weak: the driver holds the bodies, which post here, and is
    /// freed with the main thread's reference.
    driver: OnceLock<Weak<Serial<D>>>,
    pub main: mpsc::Sender<Main>,
}

impl<D: Drive> Post<D> {
    pub fn new(main: mpsc::Sender<Main>) -> Self {
        Post {
            driver: OnceLock::new(),
            main,
        }
    }

    /// Events go to `driver` from now on.
    pub fn connect(&self, driver: &Arc<Serial<D>>) {
        let _ = self.driver.set(Arc::downgrade(driver));
    }

    /// Give the driver `event` (dropped before [`connect`](Self::connect) and after the driver
    /// is gone: no transfer is running then).
    pub fn event(&self, event: D::Event) {
        if let Some(driver) = self.driver.get().and_then(Weak::upgrade) {
            driver.post(event);
        }
    }
}

/// Run `driver` to the end of its work, driven by the threads that post to it through `post`
/// (whose main-thread side is `rx`); then close `session` and wait (at most `linger`) for its
/// `HANDLE_CLOSING`, the last notification of all — until then other threads may still be
/// delivering the transfers' last notifications, and a trace would end short. Gives `driver`
/// back to `result` (the exit status).
pub fn run_to_end<D: Drive, T>(
    driver: D,
    post: &Post<D>,
    rx: &mpsc::Receiver<Main>,
    session: &HandleRef,
    linger: Duration,
    result: impl FnOnce(&D) -> T,
) -> T {
    let driver = Arc::new(Serial::new(driver, post.main.clone()));
    post.connect(&driver);
    driver.start();
    let closed = wait_for_main(rx, Main::Finished, None);
    session.close();
    if !closed {
        wait_for_main(rx, Main::SessionClosed, Some(linger));
    }
    driver.with(result)
}

/// Wait on the main thread's channel for `what` (at most `limit`); true when the session's
/// `HANDLE_CLOSING` came meanwhile (or is `what`).
fn wait_for_main(rx: &mpsc::Receiver<Main>, what: Main, limit: Option<Duration>) -> bool {
    let deadline = limit.map(|l| Instant::now() + l);
    let mut closed = false;
    loop {
        let next = match deadline {
            None => rx.recv().ok(),
            Some(d) => d
                .checked_duration_since(Instant::now())
                .and_then(|left| rx.recv_timeout(left).ok()),
        };
        // The senders live in the session's callback and in the driver: all gone only at the end.
        let Some(m) = next else { return closed };
        closed |= m == Main::SessionClosed;
        if m == what {
            return closed;
        }
    }
}

/// Clears `running` if the driver unwinds out of [`Serial::run`].
struct Stop<'a, E>(&'a Mutex<Queue<E>>);

impl<E> Drop for Stop<'_, E> {
    fn drop(&mut self) {
        lock(self.0).running = false;
    }
}

/// Both locks guard values that are replaced whole: a poisoned one is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier, OnceLock};

    /// Records what it saw; an event of 0 posts 100 from inside `handle` (an inet call that
    /// notifies on the calling thread).
    #[derive(Default)]
    struct Log {
        seen: Vec<u32>,
        advances: usize,
        depth: usize,
        deepest: usize,
        serial: Arc<OnceLock<Arc<Serial<Log>>>>,
    }

    impl Drive for Log {
        type Event = u32;

        fn handle(&mut self, event: u32) {
            self.depth += 1;
            self.deepest = self.deepest.max(self.depth);
            self.seen.push(event);
            if event == 0 {
                if let Some(s) = self.serial.get() {
                    s.post(100);
                }
            }
            self.depth -= 1;
        }

        fn advance(&mut self) {
            self.advances += 1;
        }

        fn finished(&self) -> bool {
            self.seen.contains(&7)
        }
    }

    fn serial() -> (Arc<Serial<Log>>, mpsc::Receiver<Main>) {
        let cell = Arc::new(OnceLock::new());
        let (tx, rx) = mpsc::channel();
        let log = Log {
            serial: cell.clone(),
            ..Log::default()
        };
        let s = Arc::new(Serial::new(log, tx));
        let _ = cell.set(s.clone());
        (s, rx)
    }

    #[test]
    fn an_event_posted_from_inside_the_driver_runs_after_the_one_that_posted_it() {
        let (s, main) = serial();
        s.start();
        s.post(1);
        s.post(0);
        s.post(2);
        s.with(|log| {
            assert_eq!(log.seen, [1, 0, 100, 2]);
            assert_eq!(log.deepest, 1, "never run inside itself");
            assert_eq!(log.advances, 5, "after each event and at the start");
        });
        assert!(main.try_recv().is_err(), "not finished yet");
        s.post(7);
        s.post(8);
        assert_eq!(main.try_recv(), Ok(Main::Finished));
        assert!(main.try_recv().is_err(), "told once");
    }

    #[test]
    fn events_from_many_threads_are_all_taken_one_at_a_time() {
        let (s, _main) = serial();
        let threads = 8;
        let each = 500;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads as u32)
            .map(|t| {
                let (s, barrier) = (s.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    for i in 0..each {
                        s.post(1 + t * 10_000 + i);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a posting thread");
        }
        s.with(|log| {
            assert_eq!(log.seen.len(), threads * each as usize);
            assert_eq!(log.deepest, 1);
            // Each thread's events in the order it posted them.
            for t in 0..threads as u32 {
                let mine: Vec<u32> = log
                    .seen
                    .iter()
                    .copied()
                    .filter(|e| (e - 1) / 10_000 == t)
                    .collect();
                let posted: Vec<u32> = (0..each).map(|i| 1 + t * 10_000 + i).collect();
                assert_eq!(mine, posted);
            }
        });
    }
}
