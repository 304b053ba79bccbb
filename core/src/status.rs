//! What a status callback is told: [`Notification`]s carrying a [`Status`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Error;
use crate::handle::{Context, Handle, HandleId, HandleKind};

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

/// One notification: which handle, its context, and what happened.
#[derive(Debug)]
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

/// The outcome of an operation that completed in callback mode (WinINet: `INTERNET_ASYNC_RESULT`).
///
/// Payloads are owned: inet never writes into caller memory after a call has returned.
#[derive(Debug)]
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
}

/// Which way bytes move in a [`Status::Progress`] notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Request body / upload.
    Send,
    /// Response body / download.
    Receive,
}

/// Byte progress of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Upload or download.
    pub direction: Direction,
    /// Bytes moved so far.
    pub done: u64,
    /// The total, when known (Content-Length, SIZE).
    pub total: Option<u64>,
}

/// What happened (WinINet: `INTERNET_STATUS_*`). [`Status::code`] gives the WinINet number.
#[derive(Debug)]
#[non_exhaustive]
pub enum Status {
    /// INTERNET_STATUS_RESOLVING_NAME (10): looking up this host name.
    ResolvingName(String),
    /// INTERNET_STATUS_NAME_RESOLVED (11): the first address found.
    NameResolved(IpAddr),
    /// INTERNET_STATUS_CONNECTING_TO_SERVER (20).
    ConnectingToServer(SocketAddr),
    /// INTERNET_STATUS_CONNECTED_TO_SERVER (21).
    ConnectedToServer(SocketAddr),
    /// INTERNET_STATUS_SENDING_REQUEST (30).
    SendingRequest,
    /// INTERNET_STATUS_REQUEST_SENT (31): bytes sent.
    RequestSent(u64),
    /// INTERNET_STATUS_RECEIVING_RESPONSE (40).
    ReceivingResponse,
    /// INTERNET_STATUS_RESPONSE_RECEIVED (41): bytes received.
    ResponseReceived(u64),
    /// INTERNET_STATUS_CLOSING_CONNECTION (50).
    ClosingConnection,
    /// INTERNET_STATUS_CONNECTION_CLOSED (51).
    ConnectionClosed,
    /// INTERNET_STATUS_HANDLE_CREATED (60): always the first notification of a handle.
    HandleCreated(HandleId),
    /// INTERNET_STATUS_HANDLE_CLOSING (70): always the last notification of a handle, exactly once.
    HandleClosing,
    /// INTERNET_STATUS_REQUEST_COMPLETE (100): an operation started in callback mode finished.
    RequestComplete(Result<Completion, Error>),
    /// INTERNET_STATUS_REDIRECT (110): following a redirect to this URL.
    Redirect(String),
    /// INTERNET_STATUS_INTERMEDIATE_RESPONSE (120): an informational (1xx) status code.
    IntermediateResponse(u16),
    /// INTERNET_STATUS_STATE_CHANGE (200).
    StateChange(u32),
    /// Byte progress, [`STATUS_PROGRESS`] (65536): beyond WinINet. Throttled to at most one every
    /// 50 ms per transfer, plus the final one, so it costs nothing on fast transfers.
    Progress(Progress),
}

/// The code of [`Status::Progress`]: outside WinINet's range (WinINet's codes stay below 1000).
pub const STATUS_PROGRESS: u32 = 0x1_0000;

impl Status {
    /// The WinINet `INTERNET_STATUS_*` number.
    ///
    /// ```
    /// use inet_core::Status;
    /// assert_eq!(Status::SendingRequest.code(), 30);
    /// assert_eq!(Status::HandleClosing.code(), 70);
    /// ```
    pub fn code(&self) -> u32 {
        match self {
            Status::ResolvingName(_) => 10,
            Status::NameResolved(_) => 11,
            Status::ConnectingToServer(_) => 20,
            Status::ConnectedToServer(_) => 21,
            Status::SendingRequest => 30,
            Status::RequestSent(_) => 31,
            Status::ReceivingResponse => 40,
            Status::ResponseReceived(_) => 41,
            Status::ClosingConnection => 50,
            Status::ConnectionClosed => 51,
            Status::HandleCreated(_) => 60,
            Status::HandleClosing => 70,
            Status::RequestComplete(_) => 100,
            Status::Redirect(_) => 110,
            Status::IntermediateResponse(_) => 120,
            Status::StateChange(_) => 200,
            Status::Progress(_) => STATUS_PROGRESS,
        }
    }

    /// The WinINet constant's name without its prefix, e.g. `SENDING_REQUEST` (`PROGRESS` for the
    /// inet extension).
    pub fn name(&self) -> &'static str {
        match self {
            Status::ResolvingName(_) => "RESOLVING_NAME",
            Status::NameResolved(_) => "NAME_RESOLVED",
            Status::ConnectingToServer(_) => "CONNECTING_TO_SERVER",
            Status::ConnectedToServer(_) => "CONNECTED_TO_SERVER",
            Status::SendingRequest => "SENDING_REQUEST",
            Status::RequestSent(_) => "REQUEST_SENT",
            Status::ReceivingResponse => "RECEIVING_RESPONSE",
            Status::ResponseReceived(_) => "RESPONSE_RECEIVED",
            Status::ClosingConnection => "CLOSING_CONNECTION",
            Status::ConnectionClosed => "CONNECTION_CLOSED",
            Status::HandleCreated(_) => "HANDLE_CREATED",
            Status::HandleClosing => "HANDLE_CLOSING",
            Status::RequestComplete(_) => "REQUEST_COMPLETE",
            Status::Redirect(_) => "REDIRECT",
            Status::IntermediateResponse(_) => "INTERMEDIATE_RESPONSE",
            Status::StateChange(_) => "STATE_CHANGE",
            Status::Progress(_) => "PROGRESS",
        }
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
