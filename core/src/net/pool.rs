//! The connection pool of a session: idle keep-alive connections by key, and permits that cap the
//! connections in use per key and in all. Waiters are served first come, first served.
//!
//! A protocol calls [`Pool::checkout`] (or [`Pool::try_checkout`], which does not wait) before it
//! connects. The [`Lease`] it gets is a permit; [`Lease::take_idle`] then hands over an idle
//! connection when one was kept; without one the protocol connects itself. When done,
//! [`Lease::put_back`] returns a reusable connection; dropping the lease (or [`Lease::discard`])
//! frees the permit without keeping anything.
//!
//! Waiting for a permit is bounded by the session's `pool_wait_timeout`. Idle connections are
//! capped per key and in all (`max_idle_connections`, oldest dropped first), and dropped once
//! idle for `idle_timeout`: by any pool operation that finds them expired, and by a sweeper task
//! on the session's executor for a pool nobody touches any more (see `sweep`).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::reactor::Timer;
use event_listener::Event;
use futures_lite::FutureExt;
use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{Conn, TlsVerify};
use crate::options::Options;
use crate::spawn::Task;

/// What makes two connections interchangeable: scheme, host, port, proxy and TLS settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The protocol ("http", "https", "ftp"…); core does not interpret it.
    pub scheme: &'static str,
    /// Host name as the user gave it (lower-cased by the protocol).
    pub host: String,
    /// Port.
    pub port: u16,
    /// The proxy the connection goes through, if any.
    pub proxy: Option<(String, u16)>,
    /// TLS verification settings, None for plain connections.
    pub tls: Option<TlsVerify>,
}

/// A session's connection pool. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    per_host: usize,
    total: usize,
    max_idle: usize,
    idle_timeout: Duration,
    wait_timeout: Option<Duration>,
    /// False when `idle_timeout` is too large for an `Instant` (`Duration::MAX`): nothing ever
    /// expires, so no sweeper is needed.
    expires: bool,
    /// Runs the sweeper on the session's executor; set once the session exists.
    spawner: OnceLock<SpawnFn>,
    /// Wakes the sweeper when the session closes, so it ends at once instead of at its timer.
    closed: Event,
}

/// Spawns a task on the session's executor (`Shared::spawn`), failing when it cannot run one.
pub(crate) type SpawnFn = Box<dyn Fn(Task) -> Result<()> + Send + Sync>;

#[derive(Default)]
struct State {
    hosts: HashMap<PoolKey, Host, crate::hash::Quick>,
    in_use: usize,
    /// Idle connections kept, all keys together (checked against `max_idle`).
    idle: usize,
    waiters: Waiters,
    /// A sweeper task is running (or being spawned); at most one per pool.
    sweeping: bool,
    /// The session closed: keep nothing more.
    closed: bool,
}

#[derive(Default)]
struct Host {
    /// Oldest first (each is pushed when put back), so the most recently used is last.
    idle: Vec<Conn>,
    in_use: usize,
}

struct Waiter {
    key: PoolKey,
    /// Arrival order, across keys.
    seq: u64,
    granted: AtomicBool,
    event: Event,
}

/// Requests waiting for a permit: a queue per key, served oldest first across the keys that
/// have room. (One queue for all made every release scan every waiter of a full host: with
/// 10,000 requests queued for 64 connections, 10,000 steps per request.)
#[derive(Default)]
struct Waiters {
    by_key: HashMap<PoolKey, VecDeque<Arc<Waiter>>, crate::hash::Quick>,
    next_seq: u64,
}

impl Waiters {
    fn add(&mut self, key: &PoolKey) -> Arc<Waiter> {
        let w = Arc::new(Waiter {
            key: key.clone(),
            seq: self.next_seq,
            granted: AtomicBool::new(false),
            event: Event::new(),
        });
        self.next_seq += 1;
        self.by_key
            .entry(key.clone())
            .or_default()
            .push_back(w.clone());
        w
    }

    /// Take `w` out of the line (it gave its place up).
    fn remove(&mut self, w: &Arc<Waiter>) {
        if let Some(q) = self.by_key.get_mut(&w.key) {
            q.retain(|x| !Arc::ptr_eq(x, w));
            if q.is_empty() {
                self.by_key.remove(&w.key);
            }
        }
    }

    fn pop_front(&mut self, key: &PoolKey) -> Option<Arc<Waiter>> {
        let q = self.by_key.get_mut(key)?;
        let w = q.pop_front();
        if q.is_empty() {
            self.by_key.remove(key);
        }
        w
    }

    /// How many wait, all keys together (statistics: counted when asked).
    fn len(&self) -> usize {
        self.by_key.values().map(VecDeque::len).sum()
    }
}

impl State {
    /// Grants a permit for `key` if both caps leave room; whether it did.
    fn try_grant(&mut self, key: &PoolKey, per_host: usize, total: usize) -> bool {
        if self.in_use >= total {
            return false;
        }
        // One lookup on the way most requests take (the host has an entry).
        match self.hosts.get_mut(key) {
            Some(h) if h.in_use >= per_host => return false,
            Some(h) => h.in_use += 1,
            None if per_host == 0 => return false,
            None => self.new_host(key).in_use += 1,
        }
        self.in_use += 1;
        true
    }

    /// Grants a permit for `key` (the caller checked there is room).
    fn grant(&mut self, key: &PoolKey) {
        self.in_use += 1;
        match self.hosts.get_mut(key) {
            Some(h) => h.in_use += 1,
            None => self.new_host(key).in_use += 1,
        }
    }

    /// Makes `key`'s entry. The key (two strings) is cloned only then, where `entry` would clone
    /// it for every request.
    fn new_host(&mut self, key: &PoolKey) -> &mut Host {
        self.hosts.entry(key.clone()).or_default()
    }

    /// Frees a permit of `key` and keeps `conn` (if any) idle for it, within the per-key and
    /// total caps: over the total cap the oldest idle connection of any key makes room. Returns
    /// what is not kept, to be dropped outside the lock (closing a TLS connection writes).
    fn release(
        &mut self,
        key: &PoolKey,
        conn: Option<Conn>,
        per_host: usize,
        max_idle: usize,
    ) -> Vec<Conn> {
        self.in_use = self.in_use.saturating_sub(1);
        let keep = !self.closed && max_idle > 0;
        // One lookup: the permit's host always has an entry while the permit is out.
        let mut rejected = Vec::new();
        match self.hosts.get_mut(key) {
            Some(h) => {
                h.in_use = h.in_use.saturating_sub(1);
                match conn {
                    Some(conn) if keep && h.idle.len() < per_host => {
                        h.idle.push(conn);
                        self.idle += 1;
                    }
                    Some(conn) => rejected.push(conn),
                    None => {}
                }
                if h.in_use == 0 && h.idle.is_empty() {
                    self.hosts.remove(key);
                }
            }
            None => rejected.extend(conn),
        }
        while self.idle > max_idle {
            match self.remove_oldest_idle() {
                Some(old) => rejected.push(old),
                None => break,
            }
        }
        rejected
    }

    /// Take the most recently used idle connection for `key`.
    fn pop_idle(&mut self, key: &PoolKey) -> Option<Conn> {
        let conn = self.hosts.get_mut(key)?.idle.pop()?;
        self.idle -= 1;
        Some(conn)
    }

    fn remove_oldest_idle(&mut self) -> Option<Conn> {
        let key = self
            .hosts
            .iter()
            .filter_map(|(k, h)| h.idle.first().map(|c| (k, c.idle_since)))
            .min_by_key(|(_, since)| *since)
            .map(|(k, _)| k.clone())?;
        let host = self.hosts.get_mut(&key)?;
        let conn = host.idle.remove(0);
        self.idle -= 1;
        if host.in_use == 0 && host.idle.is_empty() {
            self.hosts.remove(&key);
        }
        Some(conn)
    }

    /// Take out every connection idle for `timeout` or longer; returns them (to drop outside the
    /// lock) and when the next one left expires.
    fn take_expired(&mut self, now: Instant, timeout: Duration) -> (Vec<Conn>, Option<Instant>) {
        let mut expired = Vec::new();
        let mut next: Option<Instant> = None;
        if self.idle == 0 {
            return (expired, next);
        }
        // Idle since this instant or earlier: expired. (None: nothing can be that old yet.)
        let cutoff = now.checked_sub(timeout);
        for host in self.hosts.values_mut() {
            // Oldest first: the expired ones are a prefix.
            let n = host
                .idle
                .iter()
                .take_while(|c| cutoff.is_some_and(|cutoff| c.idle_since <= cutoff))
                .count();
            expired.extend(host.idle.drain(..n));
            if let Some(at) = host
                .idle
                .first()
                .and_then(|c| c.idle_since.checked_add(timeout))
            {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        self.idle -= expired.len();
        self.hosts.retain(|_, h| h.in_use > 0 || !h.idle.is_empty());
        (expired, next)
    }

    /// Grant permits to waiters, oldest first, while there is room for them: each grant looks
    /// at the first waiter of each key, not at every waiter.
    fn serve_waiters(&mut self, per_host: usize, total: usize) -> Vec<Arc<Waiter>> {
        let mut served = Vec::new();
        while self.in_use < total {
            let hosts = &self.hosts;
            let oldest = self
                .waiters
                .by_key
                .iter()
                .filter(|(key, _)| hosts.get(*key).map_or(0, |h| h.in_use) < per_host)
                .filter_map(|(key, q)| q.front().map(|w| (w.seq, key)))
                .min_by_key(|(seq, _)| *seq)
                .map(|(_, key)| key.clone());
            let Some(w) = oldest.and_then(|key| self.waiters.pop_front(&key)) else {
                break;
            };
            self.grant(&w.key);
            w.granted.store(true, Ordering::Release);
            served.push(w);
        }
        served
    }
}

impl Pool {
    pub(crate) fn new(options: &Options) -> Self {
        Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                per_host: options.max_connections_per_host.max(1),
                total: options.max_connections.max(1),
                max_idle: options.max_idle_connections,
                idle_timeout: options.idle_timeout,
                wait_timeout: options.pool_wait_timeout,
                expires: Instant::now().checked_add(options.idle_timeout).is_some(),
                spawner: OnceLock::new(),
                closed: Event::new(),
            }),
        }
    }

    /// Let the pool run its idle sweeper with `spawn` (the session's executor).
    pub(crate) fn set_spawner(&self, spawn: SpawnFn) {
        let _ = self.inner.spawner.set(spawn);
    }

    /// Wait for a permit to use a connection for `key` (first come, first served), and take the
    /// most recently used idle connection for it if one is still alive. Dropping the future while
    /// it waits gives its place up.
    ///
    /// Waiting is bounded by the session's `pool_wait_timeout`: when every connection the limits
    /// allow stays in use that long, this fails with `ERROR_INTERNET_TIMEOUT` (12002).
    pub async fn checkout(&self, key: PoolKey) -> Result<Lease> {
        if let Admission::Queued(w) = self.inner.admit(&key, true) {
            let mut guard = WaitGuard {
                pool: &self.inner,
                waiter: w,
                done: false,
            };
            match self.inner.wait_timeout {
                None => guard.wait().await,
                Some(t) => {
                    let timed_out = async {
                        guard.wait().await;
                        false
                    }
                    .or(async {
                        // Saturates: `Duration::MAX` never fires.
                        Timer::after(t).await;
                        true
                    })
                    .await;
                    // A permit granted just as the timer fired is taken, not wasted.
                    if timed_out && !guard.waiter.granted.load(Ordering::Acquire) {
                        return Err(self.wait_timed_out(&key, t));
                    }
                    guard.done = true;
                }
            }
        }
        Ok(self.lease(key))
    }

    /// [`checkout`](Self::checkout) when it need not wait: the lease at once when the limits
    /// leave room, else `key` back (then `checkout` queues for a permit). Lets a caller skip
    /// building the waiting future on the common path, a pooled connection ready for reuse.
    pub fn try_checkout(&self, key: PoolKey) -> std::result::Result<Lease, PoolKey> {
        match self.inner.admit(&key, false) {
            Admission::Granted => Ok(self.lease(key)),
            Admission::Queued(_) | Admission::Refused => Err(key),
        }
    }

    /// The lease for a granted permit.
    fn lease(&self, key: PoolKey) -> Lease {
        Lease {
            pool: self.inner.clone(),
            key,
            released: false,
        }
    }

    fn wait_timed_out(&self, key: &PoolKey, t: Duration) -> Error {
        let st = self.inner.state.lock();
        let per_host_full = st.hosts.get(key).map_or(0, |h| h.in_use) >= self.inner.per_host;
        let limit = if per_host_full {
            format!("{} per host", self.inner.per_host)
        } else {
            format!("{} in all", self.inner.total)
        };
        Error::new(
            ErrorKind::Timeout,
            format!(
                "waiting for a connection to {}:{}: all {limit} stayed in use for {t:?}",
                key.host, key.port
            ),
        )
    }

    /// Connections in use (leased) for `key`, and idle ones kept for it.
    pub fn stats(&self, key: &PoolKey) -> (usize, usize) {
        let st = self.inner.state.lock();
        st.hosts
            .get(key)
            .map_or((0, 0), |h| (h.in_use, h.idle.len()))
    }

    /// Connections in use in all.
    pub fn in_use(&self) -> usize {
        self.inner.state.lock().in_use
    }

    /// Requests waiting for a permit.
    pub fn waiting(&self) -> usize {
        self.inner.state.lock().waiters.len()
    }

    /// Idle connections kept, all keys together.
    pub fn idle(&self) -> usize {
        self.inner.state.lock().idle
    }

    /// Drop every idle connection.
    pub fn clear(&self) {
        let dropped: Vec<Conn> = {
            let mut st = self.inner.state.lock();
            st.hosts.retain(|_, h| h.in_use > 0);
            st.idle = 0;
            st.hosts
                .values_mut()
                .flat_map(|h| h.idle.drain(..))
                .collect()
        };
        drop(dropped);
    }

    /// The session closed: drop every idle connection, keep none put back from now on, and end
    /// the sweeper.
    pub(crate) fn close(&self) {
        self.inner.state.lock().closed = true;
        self.clear();
        self.inner.closed.notify(usize::MAX);
    }
}

/// What [`Inner::admit`] did for a checkout.
enum Admission {
    /// A permit was granted.
    Granted,
    /// The limits leave no room: queued for the next free permit.
    Queued(Arc<Waiter>),
    /// The limits leave no room, and the caller did not want to wait.
    Refused,
}

impl Inner {
    /// Under one lock (so no permit freed meanwhile is missed): drop the idle connections that
    /// expired, then grant a permit for `key` if the limits leave room, else queue a waiter when
    /// `queue` says so. The expired connections are dropped after the lock (closing a TLS
    /// connection writes).
    fn admit(&self, key: &PoolKey, queue: bool) -> Admission {
        let (admission, expired) = {
            let mut st = self.state.lock();
            // Any pool operation sweeps, so expiry does not wait for the sweeper's timer.
            let (expired, _) = st.take_expired(Instant::now(), self.idle_timeout);
            let admission = if st.try_grant(key, self.per_host, self.total) {
                Admission::Granted
            } else if queue {
                Admission::Queued(st.waiters.add(key))
            } else {
                Admission::Refused
            };
            (admission, expired)
        };
        drop(expired);
        admission
    }

    /// The most recently used idle connection for `key` that is still alive (marked reused).
    fn pop_idle(&self, key: &PoolKey) -> Option<Conn> {
        loop {
            let candidate = self.state.lock().pop_idle(key)?;
            // Checked outside the lock: looks_alive is a system call.
            if candidate.idle_since.elapsed() < self.idle_timeout
                && candidate.stream().looks_alive()
            {
                let mut conn = candidate;
                conn.mark_reused();
                return Some(conn);
            }
        }
    }

    /// Drop the connections idle too long; when the next one left expires.
    fn expire_idle(&self) -> Option<Instant> {
        let (expired, next) = self
            .state
            .lock()
            .take_expired(Instant::now(), self.idle_timeout);
        drop(expired);
        next
    }

    /// Start the sweeper if idle connections can expire and none runs.
    fn ensure_sweeper(self: &Arc<Self>) {
        if !self.expires {
            return;
        }
        let Some(spawn) = self.spawner.get() else {
            return;
        };
        {
            let mut st = self.state.lock();
            if st.sweeping || st.closed || st.idle == 0 {
                return;
            }
            st.sweeping = true;
        }
        let guard = Sweeping {
            pool: Arc::downgrade(self),
            armed: true,
        };
        // Spawned outside the lock: a user's executor may run it inline, and one that drops the
        // task drops the guard, which takes the lock. An error means the task was dropped, and
        // with it the claim: expiry then happens on pool operations only.
        let _ = spawn(Box::pin(sweep(guard)));
    }
}

/// The sweeper's claim on `State::sweeping`: an executor that drops the task (shutting down)
/// gives the claim up, so the next connection put back starts a new sweeper.
struct Sweeping {
    pool: Weak<Inner>,
    armed: bool,
}

impl Drop for Sweeping {
    fn drop(&mut self) {
        if let (true, Some(inner)) = (self.armed, self.pool.upgrade()) {
            inner.state.lock().sweeping = false;
        }
    }
}

/// The sweeper: drops idle connections as they expire, so a connection to a host nobody asks for
/// again does not stay open forever, and ends when no idle connection is left (the next one put
/// back starts it again) or the session closes.
///
/// It is a task on the session's executor rather than a thread of its own, and it holds only a
/// `Weak` reference to the pool: it never keeps the session alive, and it wakes only when the next
/// connection expires or the session closes. When the session closes, [`Pool::close`] wakes it and
/// it ends; the built-in executor stops as well.
async fn sweep(mut claim: Sweeping) {
    loop {
        let (next, closed) = {
            let Some(inner) = claim.pool.upgrade() else {
                return;
            };
            let closed = inner.closed.listen();
            let next = inner.expire_idle();
            let mut st = inner.state.lock();
            match next {
                Some(at) if !st.closed => (at, closed),
                _ => {
                    // Cleared under the lock that saw nothing left to sweep, so a connection put
                    // back after this starts a new sweeper.
                    st.sweeping = false;
                    claim.armed = false;
                    return;
                }
            }
        };
        async {
            Timer::at(next).await;
        }
        .or(closed)
        .await;
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.state.lock();
        f.debug_struct("Pool")
            .field("in_use", &st.in_use)
            .field("hosts", &st.hosts.len())
            .field("waiting", &st.waiters.len())
            .finish()
    }
}

/// Waits for a permit; gives the place (or the permit, if granted meanwhile) back when dropped.
struct WaitGuard<'a> {
    pool: &'a Inner,
    waiter: Arc<Waiter>,
    done: bool,
}

impl WaitGuard<'_> {
    async fn wait(&mut self) {
        loop {
            if self.waiter.granted.load(Ordering::Acquire) {
                self.done = true;
                return;
            }
            let listener = self.waiter.event.listen();
            if self.waiter.granted.load(Ordering::Acquire) {
                self.done = true;
                return;
            }
            listener.await;
        }
    }
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let served = {
            let mut st = self.pool.state.lock();
            if self.waiter.granted.load(Ordering::Acquire) {
                // No connection comes back, so nothing is rejected.
                let _ = st.release(
                    &self.waiter.key,
                    None,
                    self.pool.per_host,
                    self.pool.max_idle,
                );
                st.serve_waiters(self.pool.per_host, self.pool.total)
            } else {
                st.waiters.remove(&self.waiter);
                Vec::new()
            }
        };
        for w in served {
            w.event.notify(1);
        }
    }
}

/// A permit to use one connection for a key.
///
/// It holds no connection itself (an idle one is taken with [`take_idle`](Self::take_idle)), so
/// it stays small in the state machines that carry it beside their connection.
pub struct Lease {
    pool: Arc<Inner>,
    key: PoolKey,
    released: bool,
}

impl Lease {
    /// The pool's most recently used idle connection for this key that is still alive (marked
    /// reused), if any. Without one, connect.
    pub fn take_idle(&mut self) -> Option<Conn> {
        if self.released {
            return None;
        }
        self.pool.pop_idle(&self.key)
    }

    /// The key this lease is for.
    pub fn key(&self) -> &PoolKey {
        &self.key
    }

    /// Return `conn` for reuse: only when the exchange on it ended cleanly and the peer keeps it
    /// open. Frees the permit.
    pub fn put_back(mut self, mut conn: Conn) {
        // Whatever it serves next is told of every byte (a body read to its end has already
        // stopped coalescing; this is the guard for one that was not).
        conn.end_coalescing();
        let now = Instant::now();
        conn.idle_since = now;
        conn.stream().watch_idle();
        self.release(Some(conn), now);
    }

    /// Free the permit without keeping a connection (same as dropping the lease).
    pub fn discard(mut self) {
        self.release(None, Instant::now());
    }

    fn release(&mut self, conn: Option<Conn>, now: Instant) {
        if self.released {
            return;
        }
        self.released = true;
        let kept = conn.is_some();
        let (served, rejected, expired) = {
            let mut st = self.pool.state.lock();
            let rejected = st.release(&self.key, conn, self.pool.per_host, self.pool.max_idle);
            // Any pool operation sweeps, so expiry does not wait for the sweeper's timer.
            let (expired, _) = st.take_expired(now, self.pool.idle_timeout);
            let served = st.serve_waiters(self.pool.per_host, self.pool.total);
            (served, rejected, expired)
        };
        drop((rejected, expired));
        for w in served {
            w.event.notify(1);
        }
        if kept {
            self.pool.ensure_sweeper();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.released {
            self.release(None, Instant::now());
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("released", &self.released)
            .finish()
    }
}
