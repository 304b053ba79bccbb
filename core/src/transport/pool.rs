//! The connection pool of a session: idle keep-alive connections by key, and permits that cap the
//! connections in use per key and in all. Waiters are served first come, first served.
//!
//! A protocol calls [`Pool::checkout`] before it connects. The [`Lease`] it gets is a permit, plus
//! an idle connection when one was kept ([`Lease::take_idle`]); without one the protocol connects
//! itself. When done, [`Lease::put_back`] returns a reusable connection; dropping the lease (or
//! [`Lease::discard`]) frees the permit without keeping anything.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_listener::Event;
use parking_lot::Mutex;

use crate::options::Options;
use crate::transport::{Conn, TlsVerify};

/// What makes two connections interchangeable: scheme, host, port, proxy and TLS settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// The protocol ("http", "https", "ftp"…); core does not interpret it.
    pub scheme: String,
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
    idle_timeout: Duration,
}

#[derive(Default)]
struct State {
    hosts: HashMap<PoolKey, Host, crate::hash::Quick>,
    in_use: usize,
    waiters: VecDeque<Arc<Waiter>>,
}

#[derive(Default)]
struct Host {
    idle: Vec<Conn>,
    in_use: usize,
}

struct Waiter {
    key: PoolKey,
    granted: AtomicBool,
    event: Event,
}

impl State {
    fn has_room(&self, key: &PoolKey, per_host: usize, total: usize) -> bool {
        self.in_use < total && self.hosts.get(key).map_or(0, |h| h.in_use) < per_host
    }

    fn grant(&mut self, key: &PoolKey) {
        self.in_use += 1;
        self.hosts.entry(key.clone()).or_default().in_use += 1;
    }

    fn release(&mut self, key: &PoolKey) {
        self.in_use = self.in_use.saturating_sub(1);
        if let Some(h) = self.hosts.get_mut(key) {
            h.in_use = h.in_use.saturating_sub(1);
            if h.in_use == 0 && h.idle.is_empty() {
                self.hosts.remove(key);
            }
        }
    }

    /// Grant permits to waiters, in order, while there is room for them.
    fn serve_waiters(&mut self, per_host: usize, total: usize) -> Vec<Arc<Waiter>> {
        let mut served = Vec::new();
        let mut i = 0;
        while i < self.waiters.len() && self.in_use < total {
            if self.has_room(&self.waiters[i].key, per_host, total) {
                if let Some(w) = self.waiters.remove(i) {
                    self.grant(&w.key);
                    w.granted.store(true, Ordering::Release);
                    served.push(w);
                }
            } else {
                i += 1;
            }
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
                idle_timeout: options.idle_timeout,
            }),
        }
    }

    /// Wait for a permit to use a connection for `key` (first come, first served), and take the
    /// most recently used idle connection for it if one is still alive. Dropping the future while
    /// it waits gives its place up.
    pub async fn checkout(&self, key: PoolKey) -> Lease {
        let waiter = {
            let mut st = self.inner.state.lock();
            if st.has_room(&key, self.inner.per_host, self.inner.total) {
                st.grant(&key);
                None
            } else {
                let w = Arc::new(Waiter {
                    key: key.clone(),
                    granted: AtomicBool::new(false),
                    event: Event::new(),
                });
                st.waiters.push_back(w.clone());
                Some(w)
            }
        };
        if let Some(w) = waiter {
            let mut guard = WaitGuard {
                pool: &self.inner,
                waiter: w,
                done: false,
            };
            guard.wait().await;
        }
        let idle = self.pop_idle(&key);
        Lease {
            pool: self.inner.clone(),
            key,
            idle,
            released: false,
        }
    }

    fn pop_idle(&self, key: &PoolKey) -> Option<Conn> {
        loop {
            let candidate = self
                .inner
                .state
                .lock()
                .hosts
                .get_mut(key)
                .and_then(|h| h.idle.pop())?;
            // Checked outside the lock: looks_alive is a system call.
            if candidate.idle_since.elapsed() < self.inner.idle_timeout
                && candidate.stream().looks_alive()
            {
                let mut conn = candidate;
                conn.mark_reused();
                return Some(conn);
            }
        }
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

    /// Drop every idle connection.
    pub fn clear(&self) {
        let dropped: Vec<Conn> = {
            let mut st = self.inner.state.lock();
            st.hosts.retain(|_, h| h.in_use > 0);
            st.hosts
                .values_mut()
                .flat_map(|h| h.idle.drain(..))
                .collect()
        };
        drop(dropped);
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
                st.release(&self.waiter.key);
                st.serve_waiters(self.pool.per_host, self.pool.total)
            } else {
                st.waiters.retain(|w| !Arc::ptr_eq(w, &self.waiter));
                Vec::new()
            }
        };
        for w in served {
            w.event.notify(1);
        }
    }
}

/// A permit to use one connection for a key, with the idle connection the pool had, if any.
pub struct Lease {
    pool: Arc<Inner>,
    key: PoolKey,
    idle: Option<Conn>,
    released: bool,
}

impl Lease {
    /// The pooled connection this lease came with (marked reused), if any. Without one, connect.
    pub fn take_idle(&mut self) -> Option<Conn> {
        self.idle.take()
    }

    /// The key this lease is for.
    pub fn key(&self) -> &PoolKey {
        &self.key
    }

    /// Return `conn` for reuse: only when the exchange on it ended cleanly and the peer keeps it
    /// open. Frees the permit.
    pub fn put_back(mut self, mut conn: Conn) {
        conn.idle_since = Instant::now();
        self.release(Some(conn));
    }

    /// Free the permit without keeping a connection (same as dropping the lease).
    pub fn discard(mut self) {
        self.release(None);
    }

    fn release(&mut self, conn: Option<Conn>) {
        if self.released {
            return;
        }
        self.released = true;
        let mut rejected = self.idle.take();
        let served = {
            let mut st = self.pool.state.lock();
            if let Some(conn) = conn {
                let host = st.hosts.entry(self.key.clone()).or_default();
                if host.idle.len() < self.pool.per_host {
                    host.idle.push(conn);
                } else {
                    rejected = Some(conn);
                }
            }
            st.release(&self.key);
            st.serve_waiters(self.pool.per_host, self.pool.total)
        };
        drop(rejected);
        for w in served {
            w.event.notify(1);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.release(None);
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("idle", &self.idle.is_some())
            .finish()
    }
}
