//! What a status callback is told: [`Notification`]s carrying a [`Status`], whose
//! `REQUEST_COMPLETE` carries a [`Completion`].
//!
//! A completion can hand over a new [`Handle`], and a handle's record queues notifications: the
//! types contain each other. This module closes that loop in one place: it defines the two public
//! handle types (data only: an `Arc` of the record; cloning and deref are here, everything they
//! do — close on the last drop included — is `handle`'s) and names the record that carries
//! notifications ([`Record`]), whose generic definition is `record`'s, below. It must not use
//! `notify`, `handle` or anything above them.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Error;
use crate::ids::{Context, HandleId, HandleKind};
use crate::record::{Node, NodeState};

/// The record of a handle: the one instance of [`Node`] there is.
pub(crate) type Record = Node<Notification, Handle>;
/// The locked state of a handle's [`Record`].
pub(crate) type State = NodeState<Notification, Handle>;

/// A status callback (WinINet: `INTERNET_STATUS_CALLBACK`, set with InternetSetStatusCallback).
///
/// It may run on any thread. For one handle, notifications arrive in order and never concurrently;
/// different handles may be notified in parallel. No inet lock is held while it runs, so it may call
/// any inet function, including closing the handle it is told about. A panic in it is caught and
/// does not stop later notifications.
///
/// Delivery is by whichever thread finds the handle's mailbox idle. So when another thread is
/// already delivering to a handle (say a worker finishing a callback-mode operation), the
/// notifications of a blocking call made meanwhile on that handle are queued behind, and may reach
/// the callback just after the call returns — still in order. (WinINet calls back synchronously
/// there.)
pub type StatusCallback = Arc<dyn Fn(&Notification) + Send + Sync>;

/// One notification: which handle, its context, and what happened. Plain data, as WinINet's
/// callback arguments: the fields are the whole of it, public and read directly (what happened
/// grows in [`Status`], which is `#[non_exhaustive]`).
///
/// Cloning one that carries a new handle ([`Completion::Handle`]) adds an owner of that handle.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The handle this is about.
    pub handle: HandleId,
    /// Its parent (None for a session).
    pub parent: Option<HandleId>,
    /// The handle's kind.
    pub kind: HandleKind,
    /// The handle's context value when the event happened (0 is an ordinary value).
    pub context: Context,
    /// What happened.
    pub status: Status,
}

/// A reference to a handle that does not keep it open: what protocol code holds when it must refer
/// to a handle without keeping it open (a spawned operation, a child's link to its parent). Cheap
/// to clone.
#[derive(Clone)]
pub struct HandleRef {
    pub(crate) rec: Arc<Record>,
}

/// An owning reference to a handle. Cloning adds an owner; when the last owner is dropped the handle
/// closes (WinINet: InternetCloseHandle), cancelling its pending operation.
///
/// `Handle` derefs to [`HandleRef`], where the methods live.
pub struct Handle {
    pub(crate) r: HandleRef,
}

impl Clone for Handle {
    fn clone(&self) -> Self {
        self.r.rec.owners.fetch_add(1, Ordering::Relaxed);
        Handle { r: self.r.clone() }
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

/// The outcome of an operation that completed in callback mode (WinINet: `INTERNET_ASYNC_RESULT`).
///
/// Payloads are owned: inet never writes into caller memory after a call has returned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Completion {
    /// The operation succeeded and has nothing to hand over (WinINet: dwResult = TRUE).
    Done,
    /// A count: bytes available, bytes written, a file size.
    Count(u64),
    /// Bytes read, owned by the notification (WinINet would have written the caller's buffer).
    Data(Bytes),
    /// Text, such as a current directory.
    Text(String),
    /// A new handle (WinINet: InternetOpenUrl's dwResult). Keep a clone: when the notification is
    /// dropped without one, the handle closes.
    Handle(Handle),
    /// A protocol's own value (an FTP or Gopher directory entry from find-next, say), which core
    /// carries without knowing its type. Get it back with [`Completion::value`].
    Value(Value),
}

impl Completion {
    /// The protocol value of a [`Completion::Value`], if it holds a `T`.
    ///
    /// ```
    /// use inet_core::{Completion, Value};
    /// let c = Completion::Value(Value::new(("readme.txt", 42u64)));
    /// assert_eq!(c.value::<(&str, u64)>(), Some(&("readme.txt", 42)));
    /// assert_eq!(c.value::<String>(), None);
    /// ```
    pub fn value<T: std::any::Any>(&self) -> Option<&T> {
        match self {
            Completion::Value(v) => v.get(),
            _ => None,
        }
    }
}

/// A value of a type core does not know, shared by reference (notifications are delivered by
/// reference, so a callback borrows it; clone what you keep).
#[derive(Clone)]
pub struct Value {
    inner: Arc<dyn std::any::Any + Send + Sync>,
    type_name: &'static str,
}

impl Value {
    /// Wrap `value`.
    pub fn new<T: std::any::Any + Send + Sync>(value: T) -> Self {
        Value {
            inner: Arc::new(value),
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The value, if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.inner.downcast_ref()
    }

    /// The name of the value's type, for messages and traces.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value<{}>", self.type_name)
    }
}

impl From<Value> for Completion {
    fn from(v: Value) -> Self {
        Completion::Value(v)
    }
}

impl From<()> for Completion {
    fn from(_: ()) -> Self {
        Completion::Done
    }
}

impl From<u64> for Completion {
    fn from(n: u64) -> Self {
        Completion::Count(n)
    }
}

impl From<usize> for Completion {
    fn from(n: usize) -> Self {
        Completion::Count(n as u64)
    }
}

impl From<Bytes> for Completion {
    fn from(b: Bytes) -> Self {
        Completion::Data(b)
    }
}

impl From<String> for Completion {
    fn from(s: String) -> Self {
        Completion::Text(s)
    }
}

impl From<Handle> for Completion {
    fn from(h: Handle) -> Self {
        Completion::Handle(h)
    }
}

/// Which way bytes move in a [`Status::Progress`] notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Request body / upload.
    Send,
    /// Response body / download.
    Receive,
}

/// Byte progress of a transfer. Plain data: the fields are the whole of it, public and read
/// directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Upload or download.
    pub direction: Direction,
    /// Bytes moved so far.
    pub done: u64,
    /// The total, when known (Content-Length, SIZE).
    pub total: Option<u64>,
}

/// Defines [`Status`] from one table: each row `Variant(data) = code, "NAME";` (after its doc
/// comment) gives the variant with its payload, its WinINet number and the constant's name without
/// the `INTERNET_STATUS_` prefix. The enum, `code()`, `name()` and `name_of()` come from the rows,
/// so they cannot drift apart. (`Variant { .. }` matches unit and tuple variants alike.)
macro_rules! statuses {
    ($(
        $(#[$doc:meta])*
        $variant:ident $(($($data:ty),*))? = $code:expr, $name:literal;
    )*) => {
        /// What happened (WinINet: `INTERNET_STATUS_*`). [`Status::code`] gives the WinINet
        /// number, [`Status::name`] the constant's name.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Status {
            $(
                $(#[$doc])*
                $variant $(($($data),*))?,
            )*
        }

        impl Status {
            /// Every status code with its name, in the order of the table.
            pub const CODES: &'static [(u32, &'static str)] = &[$(($code, $name)),*];

            /// The WinINet `INTERNET_STATUS_*` number.
            ///
            /// ```
            /// use inet_core::Status;
            /// assert_eq!(Status::SendingRequest.code(), 30);
            /// assert_eq!(Status::HandleClosing.code(), 70);
            /// ```
            pub fn code(&self) -> u32 {
                match self {
                    $(Status::$variant { .. } => $code,)*
                }
            }

            /// The WinINet constant's name without its prefix, e.g. `SENDING_REQUEST`
            /// (`PROGRESS` for the inet extension).
            pub fn name(&self) -> &'static str {
                match self {
                    $(Status::$variant { .. } => $name,)*
                }
            }
        }
    };
}

statuses! {
    /// INTERNET_STATUS_RESOLVING_NAME (10): looking up this host name.
    ResolvingName(String) = 10, "RESOLVING_NAME";
    /// INTERNET_STATUS_NAME_RESOLVED (11): the first address found.
    NameResolved(IpAddr) = 11, "NAME_RESOLVED";
    /// INTERNET_STATUS_CONNECTING_TO_SERVER (20).
    ConnectingToServer(SocketAddr) = 20, "CONNECTING_TO_SERVER";
    /// INTERNET_STATUS_CONNECTED_TO_SERVER (21).
    ConnectedToServer(SocketAddr) = 21, "CONNECTED_TO_SERVER";
    /// INTERNET_STATUS_SENDING_REQUEST (30).
    SendingRequest = 30, "SENDING_REQUEST";
    /// INTERNET_STATUS_REQUEST_SENT (31): bytes sent.
    RequestSent(u64) = 31, "REQUEST_SENT";
    /// INTERNET_STATUS_RECEIVING_RESPONSE (40).
    ReceivingResponse = 40, "RECEIVING_RESPONSE";
    /// INTERNET_STATUS_RESPONSE_RECEIVED (41): bytes received.
    ResponseReceived(u64) = 41, "RESPONSE_RECEIVED";
    /// INTERNET_STATUS_CLOSING_CONNECTION (50).
    ClosingConnection = 50, "CLOSING_CONNECTION";
    /// INTERNET_STATUS_CONNECTION_CLOSED (51).
    ConnectionClosed = 51, "CONNECTION_CLOSED";
    /// INTERNET_STATUS_HANDLE_CREATED (60): always the first notification of a handle.
    HandleCreated(HandleId) = 60, "HANDLE_CREATED";
    /// INTERNET_STATUS_HANDLE_CLOSING (70): always the last notification of a handle, exactly once.
    HandleClosing = 70, "HANDLE_CLOSING";
    /// INTERNET_STATUS_REQUEST_COMPLETE (100): an operation started in callback mode finished.
    RequestComplete(Result<Completion, Error>) = 100, "REQUEST_COMPLETE";
    /// INTERNET_STATUS_REDIRECT (110): following a redirect to this URL.
    Redirect(String) = 110, "REDIRECT";
    /// INTERNET_STATUS_INTERMEDIATE_RESPONSE (120): an informational (1xx) status code.
    IntermediateResponse(u16) = 120, "INTERMEDIATE_RESPONSE";
    /// INTERNET_STATUS_STATE_CHANGE (200).
    StateChange(u32) = 200, "STATE_CHANGE";
    /// Byte progress, [`STATUS_PROGRESS`] (65536): beyond WinINet. Throttled to at most one every
    /// 50 ms per transfer, plus the final one, so it costs nothing on fast transfers.
    Progress(Progress) = STATUS_PROGRESS, "PROGRESS";
}

/// The code of [`Status::Progress`]: outside WinINet's range (WinINet's codes stay below 1000).
pub const STATUS_PROGRESS: u32 = 0x1_0000;

impl Status {
    /// The name of a status code (as [`Status::name`] gives it), if inet knows it.
    ///
    /// ```
    /// use inet_core::Status;
    /// assert_eq!(Status::name_of(21), Some("CONNECTED_TO_SERVER"));
    /// assert_eq!(Status::name_of(7), None);
    /// ```
    pub fn name_of(code: u32) -> Option<&'static str> {
        Status::CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())?;
        match self {
            Status::ResolvingName(h) => write!(f, " {h}"),
            Status::NameResolved(a) => write!(f, " {a}"),
            Status::ConnectingToServer(a) | Status::ConnectedToServer(a) => write!(f, " {a}"),
            Status::RequestSent(n) | Status::ResponseReceived(n) => write!(f, " {n} bytes"),
            Status::HandleCreated(id) => write!(f, " {id}"),
            Status::RequestComplete(Ok(_)) => write!(f, " ok"),
            Status::RequestComplete(Err(e)) => write!(f, " error {}", e.code()),
            Status::Redirect(u) => write!(f, " {u}"),
            Status::IntermediateResponse(c) => write!(f, " {c}"),
            Status::StateChange(s) => write!(f, " {s:#x}"),
            Status::Progress(p) => match p.total {
                Some(t) => write!(f, " {:?} {}/{t}", p.direction, p.done),
                None => write!(f, " {:?} {}", p.direction, p.done),
            },
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_code_and_name_is_distinct() {
        let mut codes: Vec<u32> = Status::CODES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Status::CODES.len());
        let mut names: Vec<&str> = Status::CODES.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Status::CODES.len());
    }

    #[test]
    fn a_status_reports_the_code_and_name_of_its_row() {
        let samples = [
            Status::ResolvingName("h".into()),
            Status::NameResolved([127, 0, 0, 1].into()),
            Status::SendingRequest,
            Status::RequestSent(3),
            Status::HandleClosing,
            Status::IntermediateResponse(100),
            Status::Progress(Progress {
                direction: Direction::Receive,
                done: 1,
                total: None,
            }),
        ];
        let expected = [
            (10, "RESOLVING_NAME"),
            (11, "NAME_RESOLVED"),
            (30, "SENDING_REQUEST"),
            (31, "REQUEST_SENT"),
            (70, "HANDLE_CLOSING"),
            (120, "INTERMEDIATE_RESPONSE"),
            (STATUS_PROGRESS, "PROGRESS"),
        ];
        for (s, (code, name)) in samples.iter().zip(expected) {
            assert_eq!((s.code(), s.name()), (code, name));
            assert_eq!(Status::name_of(code), Some(name));
        }
        assert_eq!(Status::CODES.len(), 17);
    }
}
