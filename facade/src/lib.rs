//! # inet
//!
//! A Rust client for HTTP/HTTPS, FTP/FTPS and Gopher on the asynchronous model of Windows'
//! WinINet, done right: every call that takes a context returns at once in callback mode, a status
//! callback reports progress (resolving, connecting, sending, receiving, redirects, handle
//! created/closing) and completion (`REQUEST_COMPLETE`), on any thread — and every operation is also
//! a plain future and a blocking call.
//!
//! Unlike WinINet: no callback after `HANDLE_CLOSING`, payloads are owned (inet never writes your
//! buffers later), context 0 is an ordinary value, closing a handle always cancels its pending
//! operation, and two sessions share nothing.
//!
//! ```no_run
//! use inet::{RequestOptions, Session};
//!
//! let session = Session::builder()
//!     .status_callback(|n| eprintln!("{} {}", n.handle, n.status))
//!     .build()?;
//! let req = inet::http::open(&session, "http://127.0.0.1:8080/hello.txt", RequestOptions::default())?;
//! req.send_blocking(None, None)?;
//! println!("{}", String::from_utf8_lossy(&req.read_to_end_blocking()?));
//! # Ok::<(), inet::Error>(())
//! ```
//!
//! One call opens any URL inet speaks ([`open_url`], WinINet's InternetOpenUrl); [`urls`] cracks,
//! creates, combines and canonicalizes URLs.
//!
//! The crates behind it, each usable alone with `inet-core`: [`inet_core`] (handles,
//! notifications, operations, transport), and behind the default features `http`, `ftp` and
//! `gopher`: `inet_http` (HTTP/1.1), `inet_ftp` (FTP, FTPS), `inet_gopher` (Gopher, Gopher+,
//! gophers). See the repository's ARCHITECTURE.md for the map.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (nightly): badge each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod html;
#[cfg(any(feature = "http", feature = "ftp", feature = "gopher"))]
mod open;
pub mod urls;

#[cfg(any(feature = "http", feature = "ftp", feature = "gopher"))]
pub use open::{open_url, open_url_blocking, start_open_url, OpenUrlOptions, UrlStream};

pub use inet_core::{
    block_on, reactor, transport, AsyncReader, BlockingReader, Completion, Context, Direction,
    Error, ErrorKind, Handle, HandleId, HandleKind, HandleRef, LowSpeed, Notification, Options,
    Pending, Progress, Proxy, Resolve, Result, Session, SessionBuilder, Spawn, Started,
    StaticResolver, Status, StatusCallback, SystemResolver, Task, Timer, STATUS_PROGRESS,
};
#[cfg(feature = "http")]
pub use inet_http::{
    BodyLength, HeaderMap, HttpConnection, HttpRequest, IntoMethod, Method, Modifier, RequestFlags,
    RequestOptions, StatusCode, Version,
};

/// HTTP and HTTPS: `inet_http`.
#[cfg(feature = "http")]
pub mod http {
    pub use inet_http::*;
}

/// FTP and FTPS: `inet_ftp`.
#[cfg(feature = "ftp")]
pub mod ftp {
    pub use inet_ftp::*;
}

/// Gopher, Gopher+ and gophers: `inet_gopher`.
#[cfg(feature = "gopher")]
pub mod gopher {
    pub use inet_gopher::*;
}

/// The README's example, compiled as a doc test so that it stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
