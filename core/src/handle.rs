//! The handle tree: session → connection → request / find / file.
//!
//! Every handle is a [`Record`] shared by `Arc`. Users hold [`Handle`]s, which *own* the handle: when
//! the last `Handle` of a record is dropped, the handle closes. Protocol code that must refer to a
//! handle without keeping it open (a spawned operation, a child's link to its parent) holds a
//! [`HandleRef`].
//!
//! Closing follows the rules in ARCHITECTURE.md: mark the handle closing, close the children, cancel
//! the pending operation, and only when the operation has ended and every child has finished closing,
//! run the close hooks and push `HANDLE_CLOSING`, which seals the mailbox.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU64;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use event_listener::Event;
use parking_lot::Mutex;

use crate::error::{Error, ErrorKind, Result};
use crate::mailbox::Mailbox;
use crate::session::Shared;
use crate::status::{Status, StatusCallback};

/// A map keyed by handle id.
pub(crate) type IdMap<V> = HashMap<HandleId, V, crate::hash::Quick>;

/// A handle's identity: unique within its session and never reused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandleId(NonZeroU64);

impl HandleId {
    pub(crate) fn new(n: NonZeroU64) -> Self {
        HandleId(n)
    }

    /// The number behind the id (1 for a session's own handle, counting up).
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for HandleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HandleId({})", self.0)
    }
}

impl fmt::Display for HandleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The application's value for a handle (WinINet: `dwContext`), handed back in every notification.
///
/// Unlike WinINet, 0 is an ordinary value: a handle with context 0 is still notified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context(pub u64);

impl From<u64> for Context {
    fn from(v: u64) -> Self {
        Context(v)
    }
}

/// What a handle is, with its WinINet handle-type code ([`HandleKind::code`],
/// `INTERNET_HANDLE_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandleKind {
    /// A session (InternetOpen), type 1.
    Internet,
    /// An FTP connection (InternetConnect, FTP service), type 2.
    ConnectFtp,
    /// A Gopher connection, type 3.
    ConnectGopher,
    /// An HTTP connection, type 4.
    ConnectHttp,
    /// An FTP directory listing (FtpFindFirstFile), type 5.
    FtpFind,
    /// An open FTP file (FtpOpenFile), type 7.
    FtpFile,
    /// A Gopher menu listing (GopherFindFirstFile), type 9.
    GopherFind,
    /// An open Gopher item (GopherOpenFile), type 11.
    GopherFile,
    /// An HTTP request (HttpOpenRequest), type 13.
    HttpRequest,
}

impl HandleKind {
    /// WinINet's `INTERNET_HANDLE_TYPE_*` number.
    pub fn code(self) -> u32 {
        match self {
            HandleKind::Internet => 1,
            HandleKind::ConnectFtp => 2,
            HandleKind::ConnectGopher => 3,
            HandleKind::ConnectHttp => 4,
            HandleKind::FtpFind => 5,
            HandleKind::FtpFile => 7,
            HandleKind::GopherFind => 9,
            HandleKind::GopherFile => 11,
            HandleKind::HttpRequest => 13,
        }
    }

    /// A short lower-case name: "session", "connection", "request", "find", "file".
    pub fn short_name(self) -> &'static str {
        match self {
            HandleKind::Internet => "session",
            HandleKind::ConnectFtp | HandleKind::ConnectGopher | HandleKind::ConnectHttp => {
                "connection"
            }
            HandleKind::FtpFind | HandleKind::GopherFind => "find",
            HandleKind::FtpFile | HandleKind::GopherFile => "file",
            HandleKind::HttpRequest => "request",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Life {
    Open,
    /// Close was asked; waiting for the pending operation and the children to finish.
    Closing,
    /// The protocol's asynchronous cleanup is running (e.g. FTP's ABOR); HANDLE_CLOSING follows.
    CleaningUp,
    /// HANDLE_CLOSING has been pushed.
    Closed,
}

type CloseHook = Box<dyn FnOnce() + Send>;
/// Makes the future of an asynchronous cleanup step, bounded by its time limit.
type CleanupHook = (
    std::time::Duration,
    Box<dyn FnOnce() -> crate::spawn::Task + Send>,
);

/// Everything about a handle that changes; guarded by one lock that is never held while user code
/// (a status callback) runs.
pub(crate) struct State {
    pub(crate) mailbox: Mailbox,
    pub(crate) callback: Option<StatusCallback>,
    life: Life,
    children: IdMap<Weak<Record>>,
    op: Option<Arc<OpSignal>>,
    /// The context the pending operation reports with, when its call gave one.
    pub(crate) op_context: Option<Context>,
    /// Keeps the parent open while this handle is; released once this handle has closed.
    parent_owner: Option<Handle>,
    close_hooks: Vec<CloseHook>,
    cleanups: Vec<CleanupHook>,
}

pub(crate) struct Record {
    pub(crate) id: HandleId,
    pub(crate) kind: HandleKind,
    pub(crate) parent: Option<Arc<Record>>,
    pub(crate) shared: Arc<Shared>,
    context: AtomicU64,
    owners: AtomicUsize,
    pub(crate) state: Mutex<State>,
}

impl Record {
    pub(crate) fn parent_id(&self) -> Option<HandleId> {
        self.parent.as_ref().map(|p| p.id)
    }

    pub(crate) fn context(&self) -> Context {
        Context(self.context.load(Ordering::Relaxed))
    }
}

/// Creates the root record of a session.
pub(crate) fn new_root(
    shared: Arc<Shared>,
    context: Context,
    callback: Option<StatusCallback>,
) -> Handle {
    let rec = Arc::new(Record {
        id: shared.next_id(),
        kind: HandleKind::Internet,
        parent: None,
        shared: shared.clone(),
        context: AtomicU64::new(context.0),
        owners: AtomicUsize::new(1),
        state: Mutex::new(State::new(callback, None)),
    });
    shared.register(&rec);
    rec.push(Status::HandleCreated(rec.id));
    Handle {
        r: HandleRef { rec },
    }
}

impl State {
    fn new(callback: Option<StatusCallback>, parent_owner: Option<Handle>) -> Self {
        State {
            mailbox: Mailbox::default(),
            callback,
            life: Life::Open,
            children: IdMap::default(),
            op: None,
            op_context: None,
            parent_owner,
            close_hooks: Vec::new(),
            cleanups: Vec::new(),
        }
    }
}

/// A reference to a handle that does not keep it open (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct HandleRef {
    pub(crate) rec: Arc<Record>,
}

/// An owning reference to a handle. Cloning adds an owner; when the last owner is dropped the handle
/// closes (WinINet: InternetCloseHandle), cancelling its pending operation.
///
/// `Handle` derefs to [`HandleRef`], where the methods live.
pub struct Handle {
    r: HandleRef,
}

impl Clone for Handle {
    fn clone(&self) -> Self {
        self.r.rec.owners.fetch_add(1, Ordering::Relaxed);
        Handle { r: self.r.clone() }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.r.rec.owners.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.r.close();
        }
    }
}

impl Deref for Handle {
    type Target = HandleRef;
    fn deref(&self) -> &HandleRef {
        &self.r
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.r, f)
    }
}

impl fmt::Debug for HandleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.rec.id)
            .field("kind", &self.rec.kind)
            .field("context", &self.rec.context())
            .finish()
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
        std::mem::replace(&mut self.rec.state.lock().callback, callback)
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
    pub fn options(&self) -> &crate::Options {
        &self.rec.shared.options
    }

    /// The session's connection pool.
    pub fn pool(&self) -> &crate::transport::Pool {
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
            state: Mutex::new(State::new(callback, Some(parent_owner))),
        });
        parent_state.children.insert(id, Arc::downgrade(&rec));
        drop(parent_state);
        shared.register(&rec);
        rec.push(Status::HandleCreated(id));
        Ok(Handle {
            r: HandleRef { rec },
        })
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
            st.close_hooks.push(Box::new(hook));
        }
    }

    /// Run the asynchronous cleanup step that `make` returns when this handle has closed — after
    /// its pending operation ended and its children closed, before the [`on_close`](Self::on_close)
    /// hooks and `HANDLE_CLOSING` — for at most `limit` (then it is dropped). For protocol steps
    /// such as FTP's ABOR and its replies. It runs on the session's executor; the ordering rules
    /// hold meanwhile (the handle counts as closed, and its parent waits for it).
    pub fn on_close_async(
        &self,
        limit: std::time::Duration,
        make: impl FnOnce() -> crate::spawn::Task + Send + 'static,
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
        let signal = Arc::new(OpSignal {
            cancelled: AtomicBool::new(false),
            event: Event::new(),
        });
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
            st.children.retain(|_, w| w.strong_count() > 0);
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
        match cleanups {
            None => self.finish_close(),
            Some(steps) => {
                // However the task ends — run to its end, refused by the executor, dropped with
                // it — the close finishes: HANDLE_CLOSING must come.
                let finisher = FinishClose(self.clone());
                let _ = self.shared.spawn(Box::pin(async move {
                    for (limit, make) in steps {
                        let step = make();
                        futures_lite::future::or(step, async {
                            async_io::Timer::after(limit).await;
                        })
                        .await;
                    }
                    drop(finisher);
                }));
            }
        }
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
        self.push(Status::HandleClosing);
        self.shared.unregister(self.id);
        if let Some(parent) = &self.parent {
            parent.state.lock().children.remove(&self.id);
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

pub(crate) struct OpSignal {
    cancelled: AtomicBool,
    event: Event,
}

impl OpSignal {
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    async fn cancelled(&self) {
        loop {
            if self.is_cancelled() {
                return;
            }
            let listener = self.event.listen();
            if self.is_cancelled() {
                return;
            }
            listener.await;
        }
    }
}

/// An owned view of an operation's cancellation, for futures that must not borrow the
/// [`Operation`] (a callback-mode task keeps the operation beside its future, to complete it even
/// when the future panics).
pub(crate) struct CancelSignal(Arc<OpSignal>);

impl CancelSignal {
    /// Run `fut` until it finishes or the handle is closed (then OPERATION_CANCELLED; `fut` is
    /// dropped, releasing its sockets).
    pub(crate) async fn race<T>(
        self,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.0.is_cancelled() {
            return Err(Error::cancelled());
        }
        futures_lite::future::or(fut, async {
            self.0.cancelled().await;
            Err(Error::cancelled())
        })
        .await
    }
}

/// The pending operation of a handle, registered by [`HandleRef::begin_operation`]. While it lives,
/// no other operation can start on the handle; closing the handle cancels it. Dropping it ends the
/// operation (and lets a closing handle send `HANDLE_CLOSING`).
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
    pub fn complete(self, result: Result<crate::Completion>) {
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
            st.op = None;
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
