//! The Linux reactor: one epoll instance for the process, sockets registered once and armed
//! (oneshot) only when a task waits, timers in a sorted map, an eventfd to interrupt a wait.
//!
//! Who waits: the right to call `epoll_wait` is a lock ([`Reactor::driver`]). [`block_on`] takes
//! it whenever its future is pending and nobody else holds it, so a thread running inet's
//! futures takes its own wakeups; a callback-mode worker ([`Rank::Background`]) steps aside for
//! a blocking call's `block_on`. A thread of the reactor's own (`inet-reactor`) waits when no
//! `block_on` runs at all (futures on smol or tokio), and watches for a `block_on` that stays
//! busy so long that nobody waits (a status callback doing slow work): after 10 ms without a
//! wait it takes one round itself. While a `block_on` waits in `epoll_wait` nothing can be held
//! up, so `inet-reactor` sleeps until that wait returns: an idle session costs no wakeups.
//!
//! Readiness (see `source.rs`) is a flag per direction, set by an event and cleared only by an
//! operation that found the socket would block — never lost between the two, because an event
//! also bumps a tick the clearing compares. A socket is armed only when a task waits on it, so a
//! socket read without waiting wakes nobody.

mod block_on;
mod low_water;
mod source;
mod timer;

pub use block_on::block_on;
pub(crate) use block_on::block_on_background;
pub use source::Async;
pub use timer::Timer;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use parking::Unparker;
use parking_lot::{Condvar, Mutex};
use rustix::buffer::spare_capacity;
use rustix::event::{epoll, eventfd, EventfdFlags, Timespec};
use slab::Slab;

use source::Source;

/// The epoll key of the eventfd (a slab key never gets this large).
const NOTIFY_KEY: u64 = u64::MAX;

/// Who runs a [`block_on`]. A foreground one (a blocking call, a user's `block_on`) waits for
/// its own operation, so its wakeups come from the reactor: it should be the one waiting there.
/// A background one (a callback-mode worker, idle most of the time) waits in the reactor only
/// while no foreground one runs, and steps aside when one starts — else every wakeup of the
/// blocking call would be a hop from the worker's thread.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Rank {
    Foreground = 0,
    Background = 1,
}

/// Events taken per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 256;

/// How long a busy `block_on` may keep everyone else from waiting before `inet-reactor` takes a
/// round (see the module docs).
const WATCH_INTERVAL: Duration = Duration::from_millis(10);

/// The longest single wait: Linux before 5.11 refuses timeouts beyond `i32::MAX` milliseconds.
/// A longer wait is several of these.
const LONGEST_WAIT: Duration = Duration::from_secs(24 * 3600);

pub(crate) struct Reactor {
    epoll: OwnedFd,
    notify: OwnedFd,
    sources: Mutex<Slab<Arc<Source>>>,
    timers: Mutex<Timers>,
    /// Held by whoever may wait in `epoll_wait`; holds that waiter's buffers.
    driver: Mutex<Driver>,
    /// True while a thread is inside `epoll_wait` (set before its timeout is computed): a timer
    /// that becomes the earliest must interrupt it.
    waiting: AtomicBool,
    /// Threads inside [`block_on`] now, by rank (see [`Rank`]).
    runners: [AtomicUsize; 2],
    /// Rounds of waiting begun, for the watch of `inet-reactor`.
    rounds: AtomicU64,
    /// `block_on` threads asleep while another waits in the reactor, by rank: one is woken to
    /// take over the waiting when a `block_on` ends or a background one steps aside.
    standby: [Mutex<Vec<Unparker>>; 2],
    /// True while `inet-reactor` sleeps because a `block_on` waits in `epoll_wait` (see
    /// `watch`): that waiter wakes it on returning.
    watch_asleep: AtomicBool,
    /// Wakes `inet-reactor` when the last `block_on` ends, or (see `watch_asleep`) when the
    /// waiter returns.
    idle: Condvar,
    idle_lock: Mutex<()>,
}

/// The waiting thread's wakers to call, a buffer reused round after round. (The events buffer
/// is per thread, in `drive`: epoll's event type holds a pointer, so it cannot move between
/// threads inside this lock.)
pub(crate) struct Driver {
    wakers: Vec<Waker>,
}

#[derive(Default)]
struct Timers {
    /// Deadline and a unique id → the waker of the timer's task.
    map: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

impl Reactor {
    /// The process's reactor, made (with its thread) on first use. An error when it cannot be
    /// made (no descriptor left for epoll or the eventfd): sockets then fail to register with
    /// that error, and `block_on` and timers fall back to plain parking and sleeping.
    pub(crate) fn get() -> io::Result<&'static Reactor> {
        static REACTOR: OnceLock<Result<Reactor, i32>> = OnceLock::new();
        let made = REACTOR.get_or_init(|| {
            let reactor = Reactor::new().map_err(|e| e.raw_os_error().unwrap_or(0))?;
            let started = std::thread::Builder::new()
                .name("inet-reactor".into())
                .spawn(|| {
                    if let Ok(r) = Reactor::get() {
                        r.watch();
                    }
                });
            if let Err(e) = started {
                // Without it, futures on other executors wait only while some `block_on`
                // runs; inet's own forms still work.
                eprintln!("inet: cannot start the reactor thread: {e}");
            }
            Ok(reactor)
        });
        match made {
            Ok(r) => Ok(r),
            Err(code) => Err(io::Error::from_raw_os_error(*code)),
        }
    }

    fn new() -> io::Result<Reactor> {
        let epoll = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        let notify = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        // Edge-triggered and never read: every write is an edge of its own, and the counter
        // (2^64) cannot fill. Reading it back would cost a system call per interruption.
        epoll::add(
            &epoll,
            &notify,
            epoll::EventData::new_u64(NOTIFY_KEY),
            epoll::EventFlags::IN | epoll::EventFlags::ET,
        )?;
        Ok(Reactor {
            epoll,
            notify,
            sources: Mutex::new(Slab::new()),
            timers: Mutex::new(Timers::default()),
            driver: Mutex::new(Driver { wakers: Vec::new() }),
            waiting: AtomicBool::new(false),
            runners: [AtomicUsize::new(0), AtomicUsize::new(0)],
            rounds: AtomicU64::new(0),
            standby: [Mutex::new(Vec::new()), Mutex::new(Vec::new())],
            watch_asleep: AtomicBool::new(false),
            idle: Condvar::new(),
            idle_lock: Mutex::new(()),
        })
    }

    /// Register `fd`, armed for nothing yet (see `source.rs`); its readiness starts as "maybe
    /// ready".
    fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Source>> {
        let source = {
            let mut sources = self.sources.lock();
            let entry = sources.vacant_entry();
            let source = Arc::new(Source::new(entry.key()));
            entry.insert(source.clone());
            source
        };
        let key = source.key as u64;
        let flags = epoll::EventFlags::ONESHOT;
        if let Err(e) = epoll::add(&self.epoll, fd, epoll::EventData::new_u64(key), flags) {
            self.sources.lock().remove(source.key);
            return Err(e.into());
        }
        Ok(source)
    }

    /// Arm `fd` to report `interest` once.
    fn arm(&self, fd: BorrowedFd<'_>, key: usize, interest: epoll::EventFlags) -> io::Result<()> {
        let data = epoll::EventData::new_u64(key as u64);
        epoll::modify(&self.epoll, fd, data, interest | epoll::EventFlags::ONESHOT)?;
        Ok(())
    }

    /// Undo [`register`](Self::register); `fd` is deleted from the epoll set when given (else
    /// its closing, which follows, takes it out). An event already taken for the key can still
    /// reach the next source given it: a spurious readiness, which a read or write that would
    /// block clears again.
    fn deregister(&self, source: &Source, fd: Option<BorrowedFd<'_>>) {
        if let Some(fd) = fd {
            let _ = epoll::delete(&self.epoll, fd);
        }
        self.sources.lock().try_remove(source.key);
    }

    /// Interrupt a thread waiting in `epoll_wait` (one write; nothing when nobody waits is not
    /// knowable without a race, so callers decide).
    fn notify(&self) {
        let _ = rustix::io::write(&self.notify, &1u64.to_ne_bytes());
    }

    /// Add a timer; its id.
    fn insert_timer(&self, when: Instant, waker: Waker) -> u64 {
        let (id, earliest) = {
            let mut timers = self.timers.lock();
            let id = timers.next_id;
            timers.next_id += 1;
            timers.map.insert((when, id), waker);
            (id, timers.map.keys().next() == Some(&(when, id)))
        };
        // The new earliest deadline: a wait computed without it must end sooner.
        if earliest && self.waiting.load(Ordering::SeqCst) {
            self.notify();
        }
        id
    }

    /// Change the waker of a registered timer; false if it has gone off (removed) meanwhile.
    fn update_timer(&self, when: Instant, id: u64, waker: &Waker) -> bool {
        match self.timers.lock().map.get_mut(&(when, id)) {
            Some(w) => {
                w.clone_from(waker);
                true
            }
            None => false,
        }
    }

    fn remove_timer(&self, when: Instant, id: u64) {
        self.timers.lock().map.remove(&(when, id));
    }

    /// Take the wakers of the timers due now; the next deadline after them.
    fn fire_timers(&self, wakers: &mut Vec<Waker>) -> Option<Instant> {
        let now = Instant::now();
        let mut timers = self.timers.lock();
        while let Some(entry) = timers.map.first_entry() {
            if entry.key().0 > now {
                return Some(entry.key().0);
            }
            wakers.push(entry.remove());
        }
        None
    }

    /// One round: wait for events (at most `max_wait`; None: until an event, a timer or a
    /// notification), mark the sources, wake the tasks. `blocked` (a `block_on`'s flag "I am
    /// waiting in the reactor") is cleared as soon as the wait returns, so that wakers called in
    /// this round do not interrupt a wait that is over.
    fn drive(&self, driver: &mut Driver, blocked: Option<&AtomicBool>, max_wait: Option<Duration>) {
        self.rounds.fetch_add(1, Ordering::Relaxed);
        let mut wakers = std::mem::take(&mut driver.wakers);
        // Before the timeout is computed (see `insert_timer`).
        self.waiting.store(true, Ordering::SeqCst);
        let next = self.fire_timers(&mut wakers);
        let mut timeout = next.map(|t| t.saturating_duration_since(Instant::now()));
        if let Some(max) = max_wait {
            timeout = Some(timeout.map_or(max, |t| t.min(max)));
        }
        if !wakers.is_empty() {
            timeout = Some(Duration::ZERO);
        }
        let timespec = timeout.map(|t| {
            let t = t.min(LONGEST_WAIT);
            Timespec {
                tv_sec: t.as_secs() as _,
                tv_nsec: t.subsec_nanos() as _,
            }
        });
        thread_local! {
            static EVENTS: RefCell<Vec<epoll::Event>> =
                RefCell::new(Vec::with_capacity(EVENTS_PER_WAIT));
        }
        EVENTS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut events) => self.wait(&mut events, timespec, blocked, &mut wakers),
            // Only the lock holder drives, never twice on one thread; but should it, a buffer of
            // its own.
            Err(_) => {
                let mut own = Vec::with_capacity(EVENTS_PER_WAIT);
                self.wait(&mut own, timespec, blocked, &mut wakers)
            }
        });
        self.fire_timers(&mut wakers);
        for w in wakers.drain(..) {
            w.wake();
        }
        driver.wakers = wakers;
    }

    /// Any `block_on` running.
    fn any_runner(&self) -> bool {
        self.runners.iter().any(|r| r.load(Ordering::SeqCst) > 0)
    }

    /// Whether a runner of `rank` should wait in the reactor now: a background one only while
    /// no foreground one runs.
    fn may_wait(&self, rank: Rank) -> bool {
        rank == Rank::Foreground
            || self.runners[Rank::Foreground as usize].load(Ordering::SeqCst) == 0
    }

    /// `epoll_wait` into `events`; clear the waiting flags as soon as it returns (see `drive`),
    /// then mark the sources the events name, collecting the wakers to call.
    fn wait(
        &self,
        events: &mut Vec<epoll::Event>,
        timespec: Option<Timespec>,
        blocked: Option<&AtomicBool>,
        wakers: &mut Vec<Waker>,
    ) {
        events.clear();
        // EINTR (a signal) is an empty round; nothing else can fail with a valid epoll fd and
        // buffer.
        let _ = epoll::wait(&self.epoll, spare_capacity(&mut *events), timespec.as_ref());
        self.waiting.store(false, Ordering::SeqCst);
        if self.watch_asleep.load(Ordering::SeqCst) {
            // Nobody waits now: `inet-reactor` goes back to watching for a busy `block_on`.
            let _g = self.idle_lock.lock();
            self.idle.notify_one();
        }
        if let Some(b) = blocked {
            b.store(false, Ordering::SeqCst);
        }
        if events.is_empty() {
            return;
        }
        let sources = self.sources.lock();
        for ev in events.iter() {
            let key = ev.data.u64();
            if key == NOTIFY_KEY {
                continue;
            }
            let Some(source) = usize::try_from(key).ok().and_then(|k| sources.get(k)) else {
                continue;
            };
            let flags = ev.flags;
            use epoll::EventFlags as F;
            let hangup = flags.intersects(F::HUP | F::ERR);
            if hangup || flags.intersects(F::IN | F::RDHUP | F::PRI) {
                source.mark(source::READ, wakers);
            }
            if hangup || flags.contains(F::OUT) {
                source.mark(source::WRITE, wakers);
            }
        }
    }

    /// A `block_on` starts. If it outranks whoever waits in the reactor (`inet-reactor` for
    /// any, a worker for a foreground one), that waiter is interrupted to step aside.
    fn runner_enters(&self, rank: Rank) {
        let before = self.runners[rank as usize].fetch_add(1, Ordering::SeqCst);
        // A worker outranks only `inet-reactor`: it counts when no foreground one runs.
        let outranks = before == 0 && (rank == Rank::Foreground || self.may_wait(rank));
        if outranks && self.waiting.load(Ordering::SeqCst) {
            self.notify();
        }
    }

    /// A `block_on` ends: someone else must take over the waiting — a `block_on` asleep on
    /// standby (foreground first), or `inet-reactor` when none runs.
    fn runner_leaves(&self, rank: Rank) {
        self.runners[rank as usize].fetch_sub(1, Ordering::SeqCst);
        if !self.any_runner() {
            let _g = self.idle_lock.lock();
            self.idle.notify_one();
        } else {
            self.hand_over();
        }
    }

    /// Wake one `block_on` on standby to take the waiting: a foreground one if any, else (when
    /// no foreground one runs) a background one.
    fn hand_over(&self) {
        if let Some(u) = self.standby[Rank::Foreground as usize].lock().pop() {
            u.unpark();
            return;
        }
        if self.may_wait(Rank::Background) {
            if let Some(u) = self.standby[Rank::Background as usize].lock().pop() {
                u.unpark();
            }
        }
    }

    /// The body of `inet-reactor` (see the module docs).
    fn watch(&self) {
        loop {
            if !self.any_runner() {
                let mut driver = self.driver.lock();
                // Checked again under the lock: a `block_on` that began meanwhile waits itself.
                if !self.any_runner() {
                    self.drive(&mut driver, None, None);
                    continue;
                }
            }
            {
                let mut g = self.idle_lock.lock();
                if self.any_runner() && self.waiting.load(Ordering::SeqCst) {
                    // A `block_on` waits in `epoll_wait`: nothing can be held up before it
                    // returns. Sleep until then (it looks at `watch_asleep` on its way out) or
                    // until the last `block_on` ends — an idle session's worker costs no
                    // wakeup at all. Published before `waiting` is looked at again, so that the
                    // waiter returning in between sees it (both sequentially consistent).
                    self.watch_asleep.store(true, Ordering::SeqCst);
                    if self.waiting.load(Ordering::SeqCst) {
                        self.idle.wait(&mut g);
                    }
                    self.watch_asleep.store(false, Ordering::SeqCst);
                    continue;
                }
            }
            let before = self.rounds.load(Ordering::Relaxed);
            {
                let mut g = self.idle_lock.lock();
                if self.any_runner() {
                    self.idle.wait_for(&mut g, WATCH_INTERVAL);
                }
            }
            if self.any_runner() && self.rounds.load(Ordering::Relaxed) == before {
                // Every `block_on` is busy, or asleep on standby with the lock free: take a
                // round without waiting, so that nothing ready is held up.
                if let Some(mut driver) = self.driver.try_lock() {
                    self.drive(&mut driver, None, Some(Duration::ZERO));
                    drop(driver);
                    // A `block_on` that found the lock held by this round went on standby:
                    // it, not this thread, should wait next.
                    self.hand_over();
                }
            }
        }
    }
}
