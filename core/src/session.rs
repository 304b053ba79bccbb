//! The session (WinINet: InternetOpen) and its builder: the root handle, with the state every
//! handle of it shares (`shared`: the handle table, the pool, the executor). Two sessions share
//! nothing. The top of the crate: it may use any module, and none uses it.

use std::fmt;
use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::{self, Handle, HandleRef};
use crate::ids::{Context, HandleId, IdMap};
use crate::net::tls::{parse_pem_certificates, Connectors};
use crate::net::{Pool, TlsVerify};
use crate::options::{LowSpeed, Options, Proxy, Resolve};
use crate::shared::Shared;
use crate::spawn::{Builtin, Spawn};
use crate::status::{Notification, StatusCallback};

/// A session (WinINet: InternetOpen): the root of a handle tree, with its settings, status callback,
/// connection pool and executor for callback-mode operations.
///
/// Cheap to clone (clones share the session), `Send + Sync`. The session closes when its last clone
/// and every handle under it are dropped, or at once with [`HandleRef::close`].
///
/// ```
/// use inet_core::{Session, Status};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let session = Session::builder()
///     .user_agent("example/1.0")
///     .status_callback(move |n| log.lock().unwrap().push(n.status.code()))
///     .build()
///     .unwrap();
/// session.close();
/// assert_eq!(*seen.lock().unwrap(), vec![60, 70]); // HANDLE_CREATED, HANDLE_CLOSING
/// ```
#[derive(Clone)]
pub struct Session {
    handle: Handle,
}

impl Session {
    /// A builder with the defaults of [`Options`].
    pub fn builder() -> SessionBuilder {
        SessionBuilder::default()
    }

    /// A session with default settings and no status callback.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// The session's own handle (kind INTERNET).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// How many handles of this session are open (the session's own included); for leak checks.
    pub fn open_handles(&self) -> usize {
        self.handle.rec.shared.table.lock().len()
    }

    /// The ids of the open handles.
    pub fn open_handle_ids(&self) -> Vec<HandleId> {
        let mut ids: Vec<_> = self
            .handle
            .rec
            .shared
            .table
            .lock()
            .keys()
            .copied()
            .collect();
        ids.sort();
        ids
    }
}

impl Deref for Session {
    type Target = HandleRef;
    fn deref(&self) -> &HandleRef {
        &self.handle
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("handle", &self.handle)
            .field("options", &self.handle.rec.shared.options)
            .finish()
    }
}

/// Builds a [`Session`]. Every setting has a default; see [`Options`].
#[derive(Default)]
#[must_use = "a session builder does nothing unless built"]
pub struct SessionBuilder {
    options: Options,
    callback: Option<StatusCallback>,
    context: Context,
    spawner: Option<Arc<dyn Spawn>>,
    worker_threads: Option<usize>,
    preload_tls: bool,
    error: Option<Error>,
}

impl fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("options", &self.options)
            .field("callback", &self.callback.is_some())
            .field("context", &self.context)
            .finish()
    }
}

impl SessionBuilder {
    /// The `User-Agent` string.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.options.user_agent = agent.into();
        self
    }

    /// The status callback of the session, inherited by every handle created under it.
    pub fn status_callback(mut self, f: impl Fn(&Notification) + Send + Sync + 'static) -> Self {
        self.callback = Some(Arc::new(f));
        self
    }

    /// The session handle's context value.
    pub fn context(mut self, context: impl Into<Context>) -> Self {
        self.context = context.into();
        self
    }

    /// Connect timeout (None: no limit).
    pub fn connect_timeout(mut self, t: Option<Duration>) -> Self {
        self.options.connect_timeout = t;
        self
    }

    /// Send timeout (None: no limit).
    pub fn send_timeout(mut self, t: Option<Duration>) -> Self {
        self.options.send_timeout = t;
        self
    }

    /// Receive timeout (None: no limit).
    pub fn receive_timeout(mut self, t: Option<Duration>) -> Self {
        self.options.receive_timeout = t;
        self
    }

    /// Fail transfers slower than `bytes_per_sec` for `window`.
    pub fn low_speed_limit(mut self, bytes_per_sec: u64, window: Duration) -> Self {
        self.options.low_speed = Some(LowSpeed {
            bytes_per_sec,
            window,
        });
        self
    }

    /// Connections in use per host (at least 1).
    pub fn max_connections_per_host(mut self, n: usize) -> Self {
        self.options.max_connections_per_host = n.max(1);
        self
    }

    /// Connections in use in all (at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.options.max_connections = n.max(1);
        self
    }

    /// How long an idle keep-alive connection is kept (`Duration::MAX`: until the session closes).
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.options.idle_timeout = t;
        self
    }

    /// Idle keep-alive connections kept, all hosts together (default 256; 0 keeps none).
    pub fn max_idle_connections(mut self, n: usize) -> Self {
        self.options.max_idle_connections = n;
        self
    }

    /// How long a request waits for a connection when the connection limits are reached
    /// (default 60 s; None: no limit).
    pub fn pool_wait_timeout(mut self, t: Option<Duration>) -> Self {
        self.options.pool_wait_timeout = t;
        self
    }

    /// Resolve names with `resolver` instead of the system's.
    pub fn resolver(mut self, resolver: impl Resolve) -> Self {
        self.options.resolver = Arc::new(resolver);
        self
    }

    /// Send every request through this HTTP proxy.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.options.proxy = Some(proxy);
        self
    }

    /// Trust the CA certificates in this PEM text, beside the system's roots.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        match parse_pem_certificates(pem) {
            Ok(certs) => self.options.tls.extra_roots.extend(certs),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        self
    }

    /// Trust the CA certificates in this PEM file.
    pub fn add_root_certificates_file(self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        match std::fs::read(path) {
            Ok(pem) => self.add_root_certificates_pem(&pem),
            Err(e) => {
                let err = Error::new(
                    ErrorKind::InvalidParameter,
                    format!("reading CA certificates from {}", path.display()),
                )
                .with_source(e);
                SessionBuilder {
                    error: self.error.clone().or(Some(err)),
                    ..self
                }
            }
        }
    }

    /// Build the TLS connector (which loads the system's trust store, tens of milliseconds) in
    /// `build` rather than on the first https connection.
    pub fn preload_tls(mut self) -> Self {
        self.preload_tls = true;
        self
    }

    /// Run callback-mode operations on this executor instead of the built-in one.
    pub fn spawner(mut self, spawner: Arc<dyn Spawn>) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// Threads of the built-in executor (default 1, at most 256: more saturates), started on the
    /// first callback-mode call.
    /// Without a [`spawner`](Self::spawner), 0 is refused by [`build`](Self::build)
    /// (`ERROR_INVALID_PARAMETER`): nothing would run callback-mode operations.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Replace every setting at once.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Build the session; its `HANDLE_CREATED` is sent before this returns. Fails when a setting was
    /// invalid (e.g. a CA file that cannot be read or parsed, or zero worker threads).
    pub fn build(self) -> Result<Session> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.worker_threads == Some(0) && self.spawner.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                "worker_threads(0): callback-mode operations need at least one worker thread \
                 (or a spawner)",
            ));
        }
        let pool = Pool::new(&self.options);
        let shared = Arc::new(Shared {
            pool,
            next_id: AtomicU64::new(1),
            table: Mutex::new(IdMap::default()),
            spawner: self.spawner,
            // One worker by default: it also drives the reactor when idle, so an operation woken
            // by its socket runs on the thread that saw the event. With two, the wakeup often
            // went to the other worker (a futex wake and a context switch per operation:
            // sequential callback-mode requests measured 4.1 voluntary switches each with two,
            // 1.7 with one). Protocol work per request is small; more threads help only when
            // callbacks themselves are slow.
            builtin: Builtin::new(self.worker_threads.unwrap_or(1)),
            tls: Connectors::default(),
            resuming: Default::default(),
            options: self.options,
        });
        if self.preload_tls {
            shared
                .tls
                .preload(&shared.options.tls, TlsVerify::default())?;
        }
        // Weak: the pool lives inside `Shared`, and its sweeper must not keep the session alive.
        let weak = Arc::downgrade(&shared);
        shared
            .pool
            .set_spawner(Box::new(move |task| match weak.upgrade() {
                Some(shared) => shared.spawn(task),
                None => Err(Error::new(ErrorKind::InvalidHandle, "the session is gone")),
            }));
        let handle = handle::new_root(shared.clone(), self.context, self.callback);
        let weak = Arc::downgrade(&shared);
        handle.on_close(move || {
            if let Some(shared) = weak.upgrade() {
                shared.pool.close();
                shared.builtin.shutdown();
            }
        });
        Ok(Session { handle })
    }
}
