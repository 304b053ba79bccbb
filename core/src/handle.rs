//! The handle tree: session → connection → request / find / file, and what handles do: create
//! children, close (dropping the last owning [`Handle`] included), and register their one pending
//! [`Operation`].
//!
//! Every handle is a [`Record`] shared by `Arc`. Users hold [`Handle`]s, which *own* the handle: when
//! the last `Handle` of a record is dropped, the handle closes. Protocol code that must refer to a
//! handle without keeping it open (a spawned operation, a child's link to its parent) holds a
//! [`HandleRef`]. (The types are defined in `status`, which a completion's handle needs; their
//! behaviour is here.)
//!
//! Closing follows the rules in ARCHITECTURE.md: mark the handle closing, close the children, cancel
//! the pending operation, and only when the operation has ended and every child has finished closing,
//! run the close hooks and push `HANDLE_CLOSING`, which seals the mailbox.
//!
//! Uses everything up to `notify`; must not use the operation forms (`operation`), `transport`,
//! `reader` or `session`.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::cancel::{CancelSignal, OpSignal};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{Context, HandleId, HandleKind};
use crate::net::Pool;
use crate::notify::{AfterClosing, Deliver};
use crate::options::Options;
use crate::record::Life;
use crate::shared::Shared;
use crate::spawn::Task;
use crate::status::{Completion, Record, State, Status, StatusCallback};

// Defined with the status types (a completion can carry a `Handle`); their behaviour is here, so
// the rest of the crate takes them from here.
pub use crate::status::{Handle, HandleRef};

/// Creates the root record of a session.
pub(crate) fn new_root(
    shared: Arc<Shared>,
    context: Context,
    callback: Option<StatusCallback>,
) -> Handle {
    let id = shared.next_id();
    let rec = Arc::new(Record {
        id,
        kind: HandleKind::Internet,
        parent: None,
        shared: shared.clone(),
        context: AtomicU64::new(context.0),
        owners: AtomicUsize::new(1),
        quiet: AtomicBool::new(callback.is_none()),
        state: Mutex::new(State::new(callback, None)),
        #[cfg(feature = "tracing")]
        span: crate::trace::handle_span(HandleKind::Internet, id, None, context),
    });
    shared.register(rec.id);
    rec.push(Status::HandleCreated(rec.id));
    Handle {
        r: HandleRef { rec },
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.r.rec.owners.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.r.close();
        }
    }
}

impl HandleRef {
    /// This handle's id.
    pub fn id(&self) -> HandleId {
        self.rec.id
    }

    /// What kind of handle this is.
    pub fn kind(&self) -> HandleKind {
        self.rec.kind
    }

    /// The parent's id (None for a session).
    pub fn parent_id(&self) -> Option<HandleId> {
        self.rec.parent_id()
    }

    /// The parent handle (None for a session).
    pub fn parent(&self) -> Option<HandleRef> {
        self.rec
            .parent
            .as_ref()
            .map(|p| HandleRef { rec: p.clone() })
    }

    /// The context value given in notifications.
    pub fn context(&self) -> Context {
        self.rec.context()
    }

    /// Change the context value (WinINet: InternetSetOption INTERNET_OPTION_CONTEXT_VALUE).
    /// Notifications pushed from now on carry the new value.
    pub fn set_context(&self, context: Context) {
        self.rec.context.store(context.0, Ordering::Relaxed);
    }

    /// Replace this handle's status callback (WinINet: InternetSetStatusCallback); `None` silences
    /// it. Children created from now on inherit the new one; existing children keep theirs.
    pub fn set_status_callback(&self, callback: Option<StatusCallback>) -> Option<StatusCallback> {
        let mut st = self.rec.state.lock();
        let old = std::mem::replace(&mut st.callback, callback);
        self.rec.update_quiet(&st);
        old
    }

    /// Record the URL this handle works on in its `tracing` span (feature `tracing`; `url` is
    /// not even called without it). Give it without credentials.
    pub fn trace_url(&self, url: impl FnOnce() -> String) {
        #[cfg(feature = "tracing")]
        self.rec.span.record("url", url().as_str());
        #[cfg(not(feature = "tracing"))]
        let _ = url;
    }

    /// This handle's status callback.
    pub fn status_callback(&self) -> Option<StatusCallback> {
        self.rec.state.lock().callback.clone()
    }

    /// Send a notification about this handle to its callback, in order after every earlier one.
    /// Dropped once `HANDLE_CLOSING` has been sent.
    pub fn notify(&self, status: Status) {
        self.rec.push(status);
    }

    /// True once close was asked (explicitly, by dropping the last owner, or by closing a parent).
    pub fn is_closed(&self) -> bool {
        self.rec.state.lock().life != Life::Open
    }

    /// An owning [`Handle`] for this handle. Note: an owner keeps the handle open; if the handle is
    /// already closed, it stays closed.
    pub fn to_handle(&self) -> Handle {
        self.rec.owners.fetch_add(1, Ordering::Relaxed);
        Handle { r: self.clone() }
    }

    /// The session's settings.
    pub fn options(&self) -> &Options {
        &self.rec.shared.options
    }

    /// The session's connection pool.
    pub fn pool(&self) -> &Pool {
        &self.rec.shared.pool
    }

    /// Create a child handle of `kind` under this one (WinINet: InternetConnect, HttpOpenRequest…).
    ///
    /// The child takes this handle's status callback as it is now, gets `HANDLE_CREATED` before this
    /// returns, and keeps this handle open for as long as it is open itself. Fails with
    /// `ERROR_INVALID_HANDLE` when this handle is closed.
    pub fn create_child(&self, kind: HandleKind, context: Context) -> Result<Handle> {
        let shared = self.rec.shared.clone();
        let id = shared.next_id();
        let mut parent_state = self.rec.state.lock();
        if parent_state.life != Life::Open {
            return Err(Error::new(
                ErrorKind::InvalidHandle,
                format!(
                    "creating a {} under closed handle {}",
                    kind.short_name(),
                    self.rec.id
                ),
            ));
        }
        let callback = parent_state.callback.clone();
        self.rec.owners.fetch_add(1, Ordering::Relaxed);
        let parent_owner = Handle { r: self.clone() };
        let rec = Arc::new(Record {
            id,
            kind,
            parent: Some(self.rec.clone()),
            shared: shared.clone(),
            context: AtomicU64::new(context.0),
            owners: AtomicUsize::new(1),
            quiet: AtomicBool::new(callback.is_none()),
            state: Mutex::new(State::new(callback, Some(parent_owner))),
            #[cfg(feature = "tracing")]
            span: crate::trace::handle_span(kind, id, Some(self.rec.id), context),
        });
        parent_state.children.insert(id, Arc::downgrade(&rec));
        drop(parent_state);
        shared.register(rec.id);
        rec.push(Status::HandleCreated(id));
        Ok(Handle {
            r: HandleRef { rec },
        })
    }

    /// Create a connection handle of `kind` under this session for `host` (WinINet:
    /// InternetConnect): checks that this is a session handle (else INCORRECT_HANDLE_TYPE) and
    /// that `host` is a host name or address — brackets taken off an IPv6 address — (else
    /// INVALID_URL), before anything is created. Returns the handle and the host, lowercase.
    pub fn create_connection(
        &self,
        kind: HandleKind,
        host: &str,
        port: u16,
        context: Context,
    ) -> Result<(Handle, String)> {
        if self.kind() != HandleKind::Internet {
            return Err(Error::new(
                ErrorKind::IncorrectHandleType,
                format!("connecting to {host}:{port}: the parent must be a session handle"),
            ));
        }
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
            return Err(Error::new(
                ErrorKind::InvalidUrl,
                format!("connecting to {host:?}: not a host name"),
            ));
        }
        let handle = self.create_child(kind, context)?;
        Ok((handle, host.to_ascii_lowercase()))
    }

    /// Run `hook` when this handle has closed, before `HANDLE_CLOSING` is sent: the place for a
    /// protocol to release its connection (and notify CLOSING_CONNECTION). Runs at once if the
    /// handle is already closed.
    pub fn on_close(&self, hook: impl FnOnce() + Send + 'static) {
        let mut st = self.rec.state.lock();
        if st.life == Life::Closed {
            drop(st);
            hook();
        } else {
            st.close_hooks.push_back(Box::new(hook));
        }
    }

    /// Run the asynchronous cleanup step that `make` returns when this handle has closed — after
    /// its pending operation ended and its children closed, before the [`on_close`](Self::on_close)
    /// hooks and `HANDLE_CLOSING` — for at most `limit` (then it is dropped). For protocol steps
    /// such as FTP's ABOR and its replies. It runs on the session's executor; the ordering rules
    /// hold meanwhile (the handle counts as closed, and its parent waits for it).
    ///
    /// `make` is called on the thread that finishes the close, and returns `None` when there is
    /// nothing left to do (a transfer already over): then, if no other step is left either, the
    /// close finishes there and then, with no trip through the executor. It must not block or
    /// wait on a lock held around a close.
    pub fn on_close_async(
        &self,
        limit: std::time::Duration,
        make: impl FnOnce() -> Option<Task> + Send + 'static,
    ) {
        let mut st = self.rec.state.lock();
        match st.life {
            Life::Open | Life::Closing => st.cleanups.push((limit, Box::new(make))),
            // Too late to clean up asynchronously: the handle has (nearly) finished closing.
            Life::CleaningUp | Life::Closed => {}
        }
    }

    /// Close the handle (WinINet: InternetCloseHandle): close its children, cancel its pending
    /// operation (which completes with `ERROR_INTERNET_OPERATION_CANCELLED`), then send
    /// `HANDLE_CLOSING`, its last notification. Returns at once; idempotent.
    pub fn close(&self) {
        let children = {
            let mut st = self.rec.state.lock();
            if st.life != Life::Open {
                return;
            }
            st.life = Life::Closing;
            if let Some(op) = &st.op {
                op.cancel();
            }
            st.children
                .values()
                .filter_map(Weak::upgrade)
                .collect::<Vec<_>>()
        };
        for child in children {
            HandleRef { rec: child }.close();
        }
        self.rec.maybe_finish_close();
    }

    /// Register the pending operation of this handle. At most one may be pending: a second one
    /// fails with `ERROR_INTERNET_INCORRECT_HANDLE_STATE`; on a closed handle, `ERROR_INVALID_HANDLE`.
    pub fn begin_operation(&self) -> Result<Operation> {
        self.begin_operation_in(None)
    }

    /// [`begin_operation`](Self::begin_operation) for a call with a context of its own: while
    /// the operation is pending, the handle's notifications (REQUEST_COMPLETE included) carry
    /// `context` when it is given.
    pub fn begin_operation_in(&self, context: Option<Context>) -> Result<Operation> {
        let mut st = self.rec.state.lock();
        if st.life != Life::Open {
            return Err(Error::new(
                ErrorKind::InvalidHandle,
                format!(
                    "starting an operation on closed {} handle {}",
                    self.kind().short_name(),
                    self.id()
                ),
            ));
        }
        if st.op.is_some() {
            return Err(Error::new(
                ErrorKind::IncorrectHandleState,
                format!(
                    "{} handle {} already has an operation pending",
                    self.kind().short_name(),
                    self.id()
                ),
            ));
        }
        let signal = st
            .spare_op
            .take()
            .and_then(|mut spare| {
                // Only while nothing else holds it: a cancel then reaches nobody old.
                Arc::get_mut(&mut spare)?.reset();
                Some(spare)
            })
            .unwrap_or_default();
        st.op = Some(signal.clone());
        st.op_context = context;
        Ok(Operation {
            rec: self.rec.clone(),
            signal,
        })
    }
}

impl Record {
    /// Push HANDLE_CLOSING if close was asked, no operation is pending and every child has closed
    /// — after the protocol's asynchronous cleanup, if it registered any.
    fn maybe_finish_close(self: &Arc<Self>) {
        let cleanups = {
            let mut st = self.state.lock();
            if st.life != Life::Closing || st.op.is_some() {
                return;
            }
            // A child whose record is gone can no longer report its close.
            st.children.retain(|w| w.strong_count() > 0);
            if !st.children.is_empty() {
                return;
            }
            if st.cleanups.is_empty() {
                st.life = Life::Closed;
                None
            } else {
                st.life = Life::CleaningUp;
                Some(std::mem::take(&mut st.cleanups))
            }
        };
        let Some(steps) = cleanups else {
            return self.finish_close();
        };
        // However this ends — no step left to run, the task run to its end, refused by the
        // executor, dropped with it — the close finishes: HANDLE_CLOSING must come.
        let finisher = FinishClose(self.clone());
        let steps: Vec<(std::time::Duration, Task)> = steps
            .into_iter()
            .filter_map(|(limit, make)| {
                // A maker that panics has no step to give.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(make))
                    .ok()
                    .flatten()
                    .map(|step| (limit, step))
            })
            .collect();
        if steps.is_empty() {
            return drop(finisher);
        }
        let _ = self.shared.spawn(Box::pin(async move {
            for (limit, step) in steps {
                futures_lite::future::or(step, async {
                    crate::reactor::Timer::after(limit).await;
                })
                .await;
            }
            drop(finisher);
        }));
    }

    /// The last steps of a close: the close hooks, HANDLE_CLOSING, and telling the parent.
    fn finish_close(self: &Arc<Self>) {
        let (hooks, parent_owner) = {
            let mut st = self.state.lock();
            (std::mem::take(&mut st.close_hooks), st.parent_owner.take())
        };
        for hook in hooks {
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)) {
                drop(panic);
            }
        }
        self.shared.unregister(self.id);
        // The parent hears of this close only once HANDLE_CLOSING has been delivered: another
        // thread may still be delivering this handle's earlier notifications, and the parent's
        // own HANDLE_CLOSING must not overtake them.
        self.push_closing_then(AfterClosing {
            run: Record::tell_parent,
            parent_owner,
        });
    }

    /// This handle's `HANDLE_CLOSING` has been delivered: its parent may finish its own close.
    fn tell_parent(&self, parent_owner: Option<Handle>) {
        if let Some(parent) = &self.parent {
            parent.state.lock().children.remove(self.id);
            parent.maybe_finish_close();
        }
        // Last: this may drop the parent's last owner and so close it.
        drop(parent_owner);
    }
}

/// Finishes a close when dropped (see `maybe_finish_close`).
struct FinishClose(Arc<Record>);

impl Drop for FinishClose {
    fn drop(&mut self) {
        self.0.state.lock().life = Life::Closed;
        self.0.finish_close();
    }
}

/// The pending operation of a handle, registered by [`HandleRef::begin_operation`]. While it lives,
/// no other operation can start on the handle; closing the handle cancels it. Dropping it ends the
/// operation (and lets a closing handle send `HANDLE_CLOSING`).
#[must_use = "dropping the operation ends it at once"]
pub struct Operation {
    rec: Arc<Record>,
    signal: Arc<OpSignal>,
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Operation")
            .field("handle", &self.rec.id)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl Operation {
    /// The handle this operation runs on.
    pub fn handle(&self) -> HandleRef {
        HandleRef {
            rec: self.rec.clone(),
        }
    }

    /// True once the handle was closed.
    pub fn is_cancelled(&self) -> bool {
        self.signal.is_cancelled()
    }

    /// Resolves when the handle is closed.
    pub async fn cancelled(&self) {
        self.signal.cancelled().await
    }

    pub(crate) fn cancel_signal(&self) -> CancelSignal {
        CancelSignal(self.signal.clone())
    }

    /// Run `fut` until it finishes or the handle is closed, whichever is first; on close, `fut` is
    /// dropped (releasing its sockets) and the result is `ERROR_INTERNET_OPERATION_CANCELLED`.
    pub async fn guard<T>(&self, fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        if self.is_cancelled() {
            return Err(Error::cancelled());
        }
        futures_lite::future::or(fut, async {
            self.cancelled().await;
            Err(Error::cancelled())
        })
        .await
    }

    /// End the operation with `REQUEST_COMPLETE { result }` (callback mode).
    ///
    /// The handle is free again *before* the notification is delivered, so the callback may start
    /// the next operation (as WinINet code does, e.g. the next read); and the notification takes
    /// its place in the mailbox in the same step, so a close that races with it still sends
    /// `HANDLE_CLOSING` after it.
    pub fn complete(self, result: Result<Completion>) {
        let mut st = self.rec.state.lock();
        let context = st.op_context;
        self.release(&mut st);
        self.rec
            .push_locked_as(st, Status::RequestComplete(result), context);
    }

    /// Free the handle for the next operation (if this one still holds it).
    fn release(&self, st: &mut State) {
        if st
            .op
            .as_ref()
            .is_some_and(|op| Arc::ptr_eq(op, &self.signal))
        {
            st.spare_op = st.op.take();
            st.op_context = None;
        }
    }
}

impl Drop for Operation {
    fn drop(&mut self) {
        self.release(&mut self.rec.state.lock());
        self.rec.maybe_finish_close();
    }
}
