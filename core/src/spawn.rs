//! Where callback-mode operations run: the embedder's executor through [`Spawn`], or a small
//! built-in pool started on first use.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use event_listener::Event;

/// A boxed task.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs callback-mode operations: implement it to put inet's work on your executor.
///
/// inet's futures drive their sockets and timers through async-io's own reactor, so they make
/// progress on any executor. A tokio embedding:
///
/// ```
/// use inet_core::{Session, Spawn, Task};
/// use std::sync::Arc;
///
/// struct TokioSpawn(tokio::runtime::Handle);
/// impl Spawn for TokioSpawn {
///     fn spawn(&self, task: Task) {
///         self.0.spawn(task);
///     }
/// }
///
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let session = Session::builder()
///     .spawner(Arc::new(TokioSpawn(rt.handle().clone())))
///     .build()
///     .unwrap();
/// # drop(session);
/// ```
pub trait Spawn: Send + Sync + 'static {
    /// Run `task` to completion in the background.
    fn spawn(&self, task: Task);
}

/// The built-in executor: `threads` workers on an `async_executor::Executor`, started on the first
/// spawn, stopped when the session is dropped. Each session has its own: nothing is process-wide.
pub(crate) struct Builtin {
    threads: usize,
    inner: OnceLock<Arc<Pool>>,
}

struct Pool {
    ex: async_executor::Executor<'static>,
    stop: Event,
    stopped: AtomicBool,
}

impl Builtin {
    pub(crate) fn new(threads: usize) -> Self {
        Builtin {
            threads: threads.max(1),
            inner: OnceLock::new(),
        }
    }

    fn pool(&self) -> &Arc<Pool> {
        self.inner.get_or_init(|| {
            let pool = Arc::new(Pool {
                ex: async_executor::Executor::new(),
                stop: Event::new(),
                stopped: AtomicBool::new(false),
            });
            for i in 0..self.threads {
                let pool = pool.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("inet-worker-{i}"))
                    .spawn(move || {
                        let stop = async {
                            loop {
                                if pool.stopped.load(Ordering::Acquire) {
                                    return;
                                }
                                let l = pool.stop.listen();
                                if pool.stopped.load(Ordering::Acquire) {
                                    return;
                                }
                                l.await;
                            }
                        };
                        async_io::block_on(pool.ex.run(stop));
                    });
                // Without a thread the tasks still run on the others; with none at all, spawn's
                // fallback below runs them.
                drop(spawned);
            }
            pool
        })
    }

    pub(crate) fn spawn(&self, task: Task) {
        self.pool().ex.spawn(task).detach();
    }

    pub(crate) fn shutdown(&self) {
        if let Some(pool) = self.inner.get() {
            pool.stopped.store(true, Ordering::Release);
            pool.stop.notify(usize::MAX);
        }
    }
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builtin")
            .field("threads", &self.threads)
            .field("started", &self.inner.get().is_some())
            .finish()
    }
}

impl Drop for Builtin {
    fn drop(&mut self) {
        self.shutdown();
    }
}
