//! The three forms of every operation. A protocol crate writes an operation once, as a future, and
//! exposes it through these:
//!
//! - **future** ([`HandleRef::run`]): registered as the handle's pending operation when first
//!   polled, raced against the handle's close; dropping the future cancels it;
//! - **callback mode** ([`HandleRef::start`], [`HandleRef::start_now`]): WinINet's async mode. The
//!   call polls the operation once on the caller's thread — a read whose bytes are already there
//!   finishes right there, as WinINet's InternetReadFile returns TRUE — and only an operation that
//!   would wait is left running; it then ends with `REQUEST_COMPLETE` on the handle.
//!   [`HandleRef::try_then_start`] goes one step further for reads: a plain function tries first,
//!   and the future is built only when that would wait;
//! - **blocking** ([`HandleRef::block`]).
//!
//! A callback-mode operation that has to wait is not handed to the executor at once: it sits
//! "parked" until its first wakeup (socket readable, timer, close), and only that wakeup moves it
//! onto the executor. So a pending read costs one trip to a worker thread — when its bytes arrive —
//! instead of one to start it and another to finish it. The try and the continuation are one
//! registration of the operation: no other call can slip in between (it gets
//! `INCORRECT_HANDLE_STATE`).
//!
//! A panic inside an operation does not get lost in an executor: callback mode turns it into
//! `REQUEST_COMPLETE` with `ERROR_INTERNET_INTERNAL_ERROR`, and the handle is free again.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Wake, Waker};

use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::{HandleRef, Operation};
use crate::ids::Context;
use crate::shared::Shared;
use crate::spawn::Task;
use crate::status::Completion;

/// How a callback-mode call began: finished at once (WinINet: the call returned TRUE and no
/// REQUEST_COMPLETE follows), or pending (REQUEST_COMPLETE follows).
#[derive(Debug)]
#[must_use]
pub enum Started<T> {
    /// Completed synchronously, e.g. a read served from bytes already there.
    Done(T),
    /// Under way; the outcome arrives as `REQUEST_COMPLETE`.
    Pending(Pending),
}

/// "The operation is under way; REQUEST_COMPLETE will follow" (WinINet: `ERROR_IO_PENDING`, 997).
#[derive(Debug)]
#[must_use = "the outcome arrives as REQUEST_COMPLETE on the handle's status callback"]
pub struct Pending(());

impl Pending {
    /// ERROR_IO_PENDING.
    pub fn code(&self) -> u32 {
        997
    }
}

/// An operation about to start on a handle, with the context its notifications carry. Made by
/// [`HandleRef::with_call_context`] for the WinINet calls that take a `dwContext` of their own
/// (FtpGetFile, FtpPutFile, FtpCommand, FtpFindFirstFile): their notifications, REQUEST_COMPLETE
/// included, carry that context, while closing the handle still cancels them.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    handle: &'a HandleRef,
    context: Option<Context>,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("handle", &self.handle.id())
            .field("context", &self.context)
            .finish()
    }
}

impl HandleRef {
    /// Operations started through the returned [`Call`] report with `context` instead of the
    /// handle's own.
    pub fn with_call_context(&self, context: Context) -> Call<'_> {
        Call {
            handle: self,
            context: Some(context),
        }
    }

    fn call(&self) -> Call<'_> {
        Call {
            handle: self,
            context: None,
        }
    }

    /// Future form: register `op` as this handle's pending operation when first polled, run it until
    /// it finishes or the handle is closed (then `ERROR_INTERNET_OPERATION_CANCELLED`). Dropping the
    /// returned future cancels the operation. Works on any executor.
    pub async fn run<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        self.call().run(op).await
    }

    /// Callback form (WinINet's async mode): register `op`, try it once on this thread, leave it
    /// running if it has to wait, and return — WinINet's `ERROR_IO_PENDING`. Its outcome always
    /// arrives as `REQUEST_COMPLETE` on this handle (delivered before this returns when the try
    /// finished it). Fails at once, sending nothing, if an operation is already pending
    /// (`ERROR_INTERNET_INCORRECT_HANDLE_STATE`) or the handle is closed.
    pub fn start<T, F>(&self, op: F) -> Result<Pending>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        self.call().start(op)
    }

    /// Callback form with a synchronous answer when there is one: like [`start`](Self::start),
    /// but when the try on this thread finishes the operation, its outcome is returned —
    /// `Started::Done(value)`, or the error — and no `REQUEST_COMPLETE` follows (WinINet's
    /// InternetReadFile returning TRUE at once). Otherwise `Started::Pending`.
    pub fn start_now<T, F>(&self, op: F) -> Result<Started<T>>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        self.call().start_now(op)
    }

    /// [`start_now`](Self::start_now) for an operation that can often finish without waiting
    /// (a read whose bytes are there): `try_now` runs first, on this thread, as the registered
    /// operation — `Some(outcome)` ends it there (`Started::Done`, or the error), with no future
    /// built and nothing allocated for one. `None` ("it would have to wait") goes on with the
    /// future `make_op` builds, started as [`start_now`](Self::start_now) starts one, in the
    /// same registration: no other call can slip in between.
    pub fn try_then_start<T, F>(
        &self,
        try_now: impl FnOnce() -> Option<Result<T>>,
        make_op: impl FnOnce() -> F,
    ) -> Result<Started<T>>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        self.call().try_then_start(try_now, make_op)
    }

    /// Blocking form: run `op` on this thread until it finishes.
    pub fn block<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        self.call().block(op)
    }
}

impl Call<'_> {
    /// [`HandleRef::run`] with this call's context.
    pub async fn run<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        let guard = self.handle.begin_operation_in(self.context)?;
        guard.guard(op).await
    }

    /// [`HandleRef::start`] with this call's context.
    pub fn start<T, F>(&self, op: F) -> Result<Pending>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        if let Launched::Done(guard, result) = self.launch(op)? {
            guard.complete(result.map(Into::into));
        }
        Ok(Pending(()))
    }

    /// [`HandleRef::start_now`] with this call's context.
    pub fn start_now<T, F>(&self, op: F) -> Result<Started<T>>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        self.launch(op)?.started()
    }

    /// [`HandleRef::try_then_start`] with this call's context.
    pub fn try_then_start<T, F>(
        &self,
        try_now: impl FnOnce() -> Option<Result<T>>,
        make_op: impl FnOnce() -> F,
    ) -> Result<Started<T>>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        let guard = self.register()?;
        if guard.is_cancelled() {
            return Err(Error::cancelled());
        }
        let tried = match catch_unwind(AssertUnwindSafe(try_now)) {
            Ok(tried) => tried,
            Err(_) => Some(Err(panicked(self.handle))),
        };
        if let Some(result) = tried {
            drop(guard);
            return result.map(Started::Done);
        }
        let op = match catch_unwind(AssertUnwindSafe(make_op)) {
            Ok(op) => op,
            Err(_) => return Err(panicked(self.handle)),
        };
        self.launch_in(guard, op).started()
    }

    /// [`HandleRef::block`] with this call's context.
    pub fn block<T>(&self, op: impl Future<Output = Result<T>>) -> Result<T> {
        crate::reactor::block_on(self.run(op))
    }

    /// Register `op`, poll it once here, and park it if it has to wait (see the module docs).
    fn launch<T, F>(&self, op: F) -> Result<Launched<T>>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        let guard = self.register()?;
        Ok(self.launch_in(guard, op))
    }

    /// Register a callback-mode operation on the handle (12019 if one is pending already).
    fn register(&self) -> Result<Operation> {
        // A parked operation needs the executor when it wakes: fail now, not then.
        self.handle.rec.shared.check_spawn()?;
        self.handle.begin_operation_in(self.context)
    }

    /// [`launch`](Self::launch) under an operation already registered.
    fn launch_in<T, F>(&self, guard: Operation, op: F) -> Launched<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Into<Completion> + Send + 'static,
    {
        let cancelled = guard.cancel_signal();
        // One allocation for the race, its first outcome and, if it waits, its completion: the
        // same box is polled here first and becomes the task (`op` is copied once, into it).
        let mut task = Box::pin(Launch {
            race: cancelled.race(op),
            first: None,
            completer: None,
        });
        let parked = Arc::new(Parked {
            state: Mutex::new(Park::Polling),
        });
        let waker = Waker::from(parked.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        // `Launch` catches a panic of `op` itself; this catches one of its own (none expected).
        match catch_unwind(AssertUnwindSafe(|| task.as_mut().poll(&mut cx))) {
            Ok(Poll::Ready(())) => {
                // No outcome: `op` panicked on this first poll.
                let result = task.as_mut().project().first.take();
                Launched::Done(guard, result.unwrap_or_else(|| Err(panicked(self.handle))))
            }
            Ok(Poll::Pending) => {
                *task.as_mut().project().completer = Some(Completer(Some(guard)));
                parked.park(task, self.handle.rec.shared.clone());
                Launched::Pending
            }
            Err(_) => {
                drop(task);
                Launched::Done(guard, Err(panicked(self.handle)))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A callback-mode operation: its race against the handle's close, polled once by the
    /// caller (the outcome then goes to `first`, and back to the caller; a panic leaves it
    /// empty), then — once a `completer` is set — as the task that sends REQUEST_COMPLETE with
    /// it.
    struct Launch<R, T> {
        #[pin]
        race: R,
        first: Option<Result<T>>,
        completer: Option<Completer>,
    }
}

impl<R, T> Future for Launch<R, T>
where
    R: Future<Output = Result<T>>,
    T: Into<Completion>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let this = self.project();
        let race = this.race;
        let result = match catch_unwind(AssertUnwindSafe(|| race.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(result)) => result,
            Err(_) => match this.completer.as_ref().and_then(|c| c.0.as_ref()) {
                // The operation, which the completer holds, names the handle.
                Some(op) => Err(panicked(&op.handle())),
                // On the first poll the caller, which has the handle, reports it.
                None => return Poll::Ready(()),
            },
        };
        match this.completer.take() {
            Some(completer) => completer.complete(result.map(Into::into)),
            None => *this.first = Some(result),
        }
        Poll::Ready(())
    }
}

enum Launched<T> {
    /// Finished on the first poll.
    Done(Operation, Result<T>),
    /// Parked, to finish with REQUEST_COMPLETE.
    Pending,
}

impl<T> Launched<T> {
    /// As callback mode's `start_now` answers: the outcome found at once (the operation ended
    /// first, so the handle is free), or pending.
    fn started(self) -> Result<Started<T>> {
        match self {
            Launched::Done(guard, result) => {
                drop(guard);
                result.map(Started::Done)
            }
            Launched::Pending => Ok(Started::Pending(Pending(()))),
        }
    }
}

fn panicked(h: &HandleRef) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!(
            "an operation on {} handle {} panicked (a bug in inet: please report it)",
            h.kind().short_name(),
            h.id()
        ),
    )
}

/// Completes a parked operation. A task can be dropped without running to its end — its executor
/// refused it (no worker thread, the session closed) or was dropped with it — and then the
/// operation still ends loudly, with `REQUEST_COMPLETE(ERROR_INTERNET_INTERNAL_ERROR)`, rather
/// than never.
struct Completer(Option<Operation>);

impl Completer {
    fn complete(mut self, result: Result<Completion>) {
        if let Some(op) = self.0.take() {
            op.complete(result);
        }
    }
}

impl Drop for Completer {
    fn drop(&mut self) {
        if let Some(op) = self.0.take() {
            let h = op.handle();
            op.complete(Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "the executor dropped an operation on {} handle {} before it ended",
                    h.kind().short_name(),
                    h.id()
                ),
            )));
        }
    }
}

/// The waker of a callback-mode operation between its first poll (on the caller's thread) and
/// its first wakeup, which hands it to the executor.
struct Parked {
    state: Mutex<Park>,
}

enum Park {
    /// The first poll is running; a wakeup now is remembered.
    Polling,
    /// Woken during the first poll: spawn as soon as it is parked.
    Woken,
    /// Waiting for the first wakeup.
    Waiting(Task, Arc<Shared>),
    /// Handed to the executor, whose own waker takes over.
    Spawned,
}

impl Parked {
    fn park(&self, task: Task, shared: Arc<Shared>) {
        let mut st = self.state.lock();
        match std::mem::replace(&mut *st, Park::Spawned) {
            Park::Woken => {
                drop(st);
                // On failure the task is dropped, and its `Completer` reports that.
                let _ = shared.spawn(task);
            }
            _ => *st = Park::Waiting(task, shared),
        }
    }
}

impl Wake for Parked {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut st = self.state.lock();
        match std::mem::replace(&mut *st, Park::Spawned) {
            Park::Polling => *st = Park::Woken,
            Park::Waiting(task, shared) => {
                drop(st);
                // On failure the task is dropped, and its `Completer` reports that.
                let _ = shared.spawn(task);
            }
            other => *st = other,
        }
    }
}
