//! `inet-core`: the runtime-agnostic heart of inet, WinINet's asynchronous model done right.
//!
//! - A handle tree — [`Session`] → connection → request / find / file — with ids, [`Context`]s and
//!   status callbacks inherited at creation ([`HandleRef::create_child`]).
//! - Per-handle ordered notification delivery ([`Status`], [`Notification`]): `HANDLE_CREATED`
//!   first, `HANDLE_CLOSING` last and exactly once, no lock held while a callback runs.
//! - Every operation in three forms ([`HandleRef::run`], [`HandleRef::start`],
//!   [`HandleRef::block`]), with at most one pending per handle and cancellation by close.
//! - The [`transport`]: DNS, TCP, TLS and the connection pool, with timeouts and a low-speed limit.
//!
//! Core knows no protocol: `inet-http`, `inet-ftp` and `inet-gopher` build on it.
//!
//! ```
//! use inet_core::{Context, HandleKind, Session};
//! use std::sync::{Arc, Mutex};
//!
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let l = log.clone();
//! let session = Session::builder()
//!     .status_callback(move |n| l.lock().unwrap().push(format!("{} {}", n.handle, n.status)))
//!     .build()?;
//! let conn = session.create_child(HandleKind::ConnectHttp, Context(0))?;
//! conn.close();
//! assert_eq!(log.lock().unwrap()[1..], ["#2 HANDLE_CREATED #2", "#2 HANDLE_CLOSING"]);
//! # Ok::<(), inet_core::Error>(())
//! ```

// Denied everywhere but one module: the `setsockopt` of the receive low-water mark, which no safe
// wrapper offers (`reactor/epoll/low_water.rs`, with its proof).
#![deny(unsafe_code)]
// docs.rs (nightly): badge each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

// The modules import each other without a cycle; ARCHITECTURE.md ("Layers") gives their order,
// leaves first, and `tests/layers.rs` fails naming any cycle.
mod adapters;
mod cancel;
mod error;
mod handle;
mod hash;
mod ids;
mod mailbox;
mod net;
mod notifications;
mod notify;
mod operation;
mod options;
mod progress;
pub mod reactor;
mod read_buf;
mod reader;
mod record;
mod session;
mod shared;
mod spawn;
mod status;
#[cfg(feature = "tracing")]
mod trace;
pub mod transport;
pub mod url_text;

pub use adapters::{
    AsyncReader, AsyncWriter, BlockingReader, BlockingWriter, Outgoing, OwnedOperation,
};
pub use error::{Error, ErrorKind, Result};
pub use handle::{Handle, HandleRef, Operation};
pub use ids::{Context, HandleId, HandleKind};
pub use notifications::Notifications;
pub use operation::{Call, Pending, Started};
pub use options::{LowSpeed, Options, Proxy, Resolve, StaticResolver, SystemResolver, TlsOptions};
pub use progress::ProgressMeter;
pub use reactor::{block_on, Timer};
pub use reader::{
    close_connection, CloseAtEnd, Ending, Framed, Framing, Incoming, Reader, Transform, UntilClose,
};
pub use session::{Session, SessionBuilder};
pub use spawn::{Spawn, Task};
pub use status::{
    Completion, Direction, Notification, Progress, Status, StatusCallback, Value, STATUS_PROGRESS,
};
