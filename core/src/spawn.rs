//! Where callback-mode operations run: the embedder's executor through [`Spawn`], or a small
//! built-in pool of worker threads started on first use.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use event_listener::Event;
use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};

/// A boxed task.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs callback-mode operations: implement it to put inet's work on your executor.
///
/// inet's futures wait in inet's own reactor (its thread wakes them), so they make progress on
/// any executor. A tokio embedding:
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
///
/// A task spawned here runs only on a worker thread: nothing else drives this executor. So a spawn
/// that finds no live worker (none could be started, or the pool was shut down) fails rather than
/// queueing a task nobody would run, which would leave a callback-mode caller waiting for a
/// REQUEST_COMPLETE that never comes. `SessionBuilder::build` refuses zero threads for the same
/// reason.
pub(crate) struct Builtin {
    threads: usize,
    start_thread: StartThread,
    inner: OnceLock<Arc<Pool>>,
}

/// Where a user's `worker_threads` saturates: the workers only drive I/O, and all are started at
/// once, so a huge number would only exhaust the system's threads.
pub(crate) const MAX_WORKER_THREADS: usize = 256;

/// Starts one named worker thread; `std::thread::Builder` outside tests.
type StartThread = fn(String, Box<dyn FnOnce() + Send>) -> std::io::Result<()>;

struct Pool {
    ex: async_executor::Executor<'static>,
    stop: Event,
    stopped: AtomicBool,
    /// Worker threads running `ex` now. Counted down by the thread itself as it ends (also by a
    /// panic), so a pool that lost its workers starts new ones on the next spawn.
    live: AtomicUsize,
    /// Serialises (re)starting workers, so two spawns that both find none start `threads`, not
    /// twice as many.
    starting: Mutex<()>,
}

impl Builtin {
    pub(crate) fn new(threads: usize) -> Self {
        Self::with_starter(threads, start_os_thread)
    }

    fn with_starter(threads: usize, start_thread: StartThread) -> Self {
        Builtin {
            threads: threads.clamp(1, MAX_WORKER_THREADS),
            start_thread,
            inner: OnceLock::new(),
        }
    }

    fn pool(&self) -> &Arc<Pool> {
        self.inner.get_or_init(|| {
            Arc::new(Pool {
                ex: async_executor::Executor::new(),
                stop: Event::new(),
                stopped: AtomicBool::new(false),
                live: AtomicUsize::new(0),
                starting: Mutex::new(()),
            })
        })
    }

    /// Start workers until `threads` run, stopping at the first that cannot start; its error if
    /// none runs.
    fn ensure_workers(&self, pool: &Arc<Pool>) -> Result<()> {
        if pool.live.load(Ordering::Acquire) > 0 {
            return Ok(());
        }
        let _starting = pool.starting.lock();
        let mut last_err = None;
        for i in pool.live.load(Ordering::Acquire)..self.threads {
            let worker = pool.clone();
            // Counted before the thread runs, so a spawn right after this sees it.
            pool.live.fetch_add(1, Ordering::AcqRel);
            let started = (self.start_thread)(
                format!("inet-worker-{i}"),
                Box::new(move || run_worker(worker)),
            );
            if let Err(e) = started {
                pool.live.fetch_sub(1, Ordering::AcqRel);
                last_err = Some(e);
                // The system is out of threads: more attempts would fail the same way.
                break;
            }
        }
        match (pool.live.load(Ordering::Acquire), last_err) {
            (0, Some(e)) => Err(Error::new(
                ErrorKind::Internal,
                "starting a callback-mode operation: no worker thread could be started",
            )
            .with_source(e)),
            _ => Ok(()),
        }
    }

    /// Run `task` on a worker. Fails, dropping `task` unpolled, when the pool was shut down or no
    /// worker thread can be started.
    /// Fails as [`spawn`](Self::spawn) would, without a task: callback mode checks this before
    /// it registers an operation, so that a call that could never finish fails at once.
    pub(crate) fn check(&self) -> Result<()> {
        let pool = self.pool();
        if pool.stopped.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::InvalidHandle,
                "starting a callback-mode operation: the session is closed",
            ));
        }
        self.ensure_workers(pool)
    }

    pub(crate) fn spawn(&self, task: Task) -> Result<()> {
        let pool = self.pool();
        if pool.stopped.load(Ordering::Acquire) {
            return Err(Error::new(
                ErrorKind::InvalidHandle,
                "starting a callback-mode operation: the session is closed",
            ));
        }
        self.ensure_workers(pool)?;
        pool.ex.spawn(task).detach();
        Ok(())
    }

    /// Stop the workers; later spawns fail. (Makes the pool if there was none, which starts no
    /// thread, so that a spawn racing with the session's close cannot start workers after it.)
    pub(crate) fn shutdown(&self) {
        let pool = self.pool();
        pool.stopped.store(true, Ordering::Release);
        pool.stop.notify(usize::MAX);
    }
}

fn start_os_thread(name: String, f: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    std::thread::Builder::new().name(name).spawn(f).map(drop)
}

/// A worker: run the executor until the pool is stopped.
fn run_worker(pool: Arc<Pool>) {
    /// Counts the worker out however it ends, a panic included.
    struct Live(Arc<Pool>);
    impl Drop for Live {
        fn drop(&mut self) {
            self.0.live.fetch_sub(1, Ordering::AcqRel);
        }
    }
    let live = Live(pool);
    let pool = &live.0;
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
    // Background: a blocking call's `block_on` takes the reactor's waiting from it.
    crate::reactor::block_on_background(pool.ex.run(stop));
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builtin")
            .field("threads", &self.threads)
            .field(
                "live",
                &self.inner.get().map(|p| p.live.load(Ordering::Relaxed)),
            )
            .finish()
    }
}

impl Drop for Builtin {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::time::Duration;

    fn refuse(_: String, _: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::WouldBlock,
            "thread limit reached",
        ))
    }

    /// Sets its flag when dropped: tells whether a task was dropped rather than left queued.
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }

    #[test]
    fn a_spawn_with_no_worker_thread_fails_and_drops_the_task() {
        let builtin = Builtin::with_starter(2, refuse);
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let err = builtin
            .spawn(Box::pin(async move {
                let _flag = flag;
            }))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert!(err.to_string().contains("thread limit reached"), "{err}");
        assert!(dropped.load(Ordering::Acquire), "the task was kept");
    }

    #[test]
    fn a_pool_that_could_start_only_some_threads_still_runs_tasks() {
        static STARTS: AtomicU32 = AtomicU32::new(0);
        fn every_other(name: String, f: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
            if STARTS.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
                start_os_thread(name, f)
            } else {
                refuse(name, f)
            }
        }
        let builtin = Builtin::with_starter(2, every_other);
        let (tx, rx) = std::sync::mpsc::channel();
        builtin
            .spawn(Box::pin(async move {
                let _ = tx.send(());
            }))
            .unwrap();
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn a_callback_mode_call_with_no_worker_fails_at_once_and_frees_its_handle() {
        let completions = Arc::new(AtomicU32::new(0));
        let seen = completions.clone();
        let session = crate::Session::builder()
            .status_callback(move |n| {
                if let crate::Status::RequestComplete(_) = n.status {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build()
            .unwrap();
        let conn = session
            .create_child(crate::HandleKind::ConnectHttp, crate::Context(0))
            .unwrap();
        // What a session whose workers are gone looks like to `start`.
        session.handle().rec.shared.builtin.shutdown();
        let err = conn.start(async { Ok(()) }).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidHandle);
        // The handle is free for the next operation, and no REQUEST_COMPLETE was promised.
        assert_eq!(conn.block(async { Ok(7) }).unwrap(), 7);
        assert_eq!(completions.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_huge_thread_count_saturates_and_thread_starts_stop_at_the_first_failure() {
        static STARTS: AtomicU32 = AtomicU32::new(0);
        fn count_and_refuse(name: String, f: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
            STARTS.fetch_add(1, Ordering::Relaxed);
            refuse(name, f)
        }
        let builtin = Builtin::with_starter(usize::MAX, count_and_refuse);
        assert_eq!(builtin.threads, MAX_WORKER_THREADS);
        assert!(builtin.spawn(Box::pin(async {})).is_err());
        assert_eq!(STARTS.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_spawn_after_shutdown_fails() {
        let builtin = Builtin::new(1);
        builtin.spawn(Box::pin(async {})).unwrap();
        builtin.shutdown();
        let err = builtin.spawn(Box::pin(async {})).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidHandle);
    }
}
