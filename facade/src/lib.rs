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
//!
//! # WinINet names in inet
//!
//! Every operation comes in three forms: a future `x`, callback mode `start_x` (returns at once;
//! `REQUEST_COMPLETE` follows on the handle, or `Started::Done` when a read finished on the spot,
//! as InternetReadFile returning TRUE), and `x_blocking`.
//!
//! | WinINet function | inet |
//! |---|---|
//! | InternetOpen | `Session::new()`, `Session::builder()…build()` |
//! | InternetSetStatusCallback | `SessionBuilder::status_callback`, `HandleRef::set_status_callback` (inherited by handles created under it) |
//! | InternetConnect (HTTP / FTP / Gopher) | `HttpConnection::connect`, `FtpConnection::open` (+ `connect`/`login`), `GopherConnection::open` |
//! | InternetOpenUrl | [`open_url`], [`start_open_url`], [`open_url_blocking`] → [`UrlStream`] |
//! | InternetReadFile, InternetReadFileEx | `read`, `start_read`, `read_blocking`; `try_read` (IRF_NO_WAIT) on every readable handle |
//! | InternetWriteFile | `HttpRequest::write`, `FtpFile::write` (and the `AsyncWrite`/`Write` adapters) |
//! | InternetQueryDataAvailable | `query_data_available` on every readable handle |
//! | InternetFindNextFile | `FtpFind::next`, `GopherFind::next` (NO_MORE_FILES, 18, at the end) |
//! | InternetCloseHandle | `close()` on every handle, or dropping the last `Handle` |
//! | InternetGetLastResponseInfo | `FtpConnection::last_response` |
//! | HttpOpenRequest | `HttpConnection::open_request`, `inet::http::open` |
//! | HttpSendRequest, HttpSendRequestEx, HttpEndRequest | `HttpRequest::send`, `send_ex`, `end_request` |
//! | HttpQueryInfo | `HttpRequest::status_code`, `status`, `status_text`, `version`, `header`, `header_value`, `headers`, `raw_headers`, `content_length`, `request_header` |
//! | HttpAddRequestHeaders | `HttpRequest::add_headers`, `add_header_map` |
//! | FtpCreateDirectory, FtpRemoveDirectory, FtpDeleteFile, FtpRenameFile | `FtpConnection::create_directory`, `remove_directory`, `delete_file`, `rename_file` |
//! | FtpGetCurrentDirectory, FtpSetCurrentDirectory | `FtpConnection::current_directory`, `set_current_directory` |
//! | FtpFindFirstFile | `FtpConnection::find_first` → `FtpFind` |
//! | FtpGetFile, FtpPutFile | `FtpConnection::get_file`, `put_file` |
//! | FtpOpenFile | `FtpConnection::open_file` → `FtpFile` |
//! | FtpCommand | `FtpConnection::command`, `command_with_data` |
//! | FtpGetFileSize | `FtpConnection::file_size` |
//! | GopherCreateLocator, GopherGetLocatorType | `Locator::new`, `Locator::item_type` |
//! | GopherFindFirstFile | `GopherConnection::find_first` → `GopherFind` |
//! | GopherOpenFile | `GopherConnection::open_file` → `GopherFile` |
//! | GopherGetAttribute | `GopherConnection::get_attribute` |
//! | InternetCrackUrl, InternetCreateUrl, InternetCombineUrl, InternetCanonicalizeUrl | [`urls::crack_url`], [`urls::create_url`], [`urls::combine_url`], [`urls::canonicalize_url`] |
//!
//! | WinINet status (`INTERNET_STATUS_*`) | code | inet [`Status`] |
//! |---|---|---|
//! | RESOLVING_NAME, NAME_RESOLVED | 10, 11 | `ResolvingName(host)`, `NameResolved(ip)` |
//! | CONNECTING_TO_SERVER, CONNECTED_TO_SERVER | 20, 21 | `ConnectingToServer(addr)`, `ConnectedToServer(addr)` |
//! | SENDING_REQUEST, REQUEST_SENT | 30, 31 | `SendingRequest`, `RequestSent(bytes)` |
//! | RECEIVING_RESPONSE, RESPONSE_RECEIVED | 40, 41 | `ReceivingResponse`, `ResponseReceived(bytes)` |
//! | CLOSING_CONNECTION, CONNECTION_CLOSED | 50, 51 | `ClosingConnection`, `ConnectionClosed` |
//! | HANDLE_CREATED, HANDLE_CLOSING | 60, 70 | `HandleCreated(id)` (always first), `HandleClosing` (always last, once) |
//! | REQUEST_COMPLETE | 100 | `RequestComplete(Result<Completion, Error>)` |
//! | REDIRECT | 110 | `Redirect(url)` |
//! | INTERMEDIATE_RESPONSE | 120 | `IntermediateResponse(status)` |
//! | STATE_CHANGE | 200 | `StateChange(flags)` |
//! | (inet's own) | [`STATUS_PROGRESS`] | `Progress(done, total, rate)`, throttled |
//!
//! `Status::code()` gives the number, `Status::name()` the name. Errors carry WinINet's error
//! codes the same way: [`Error::code`] and [`ErrorKind`]'s `ALL` list (WinINet's 12002–12175 in
//! scope, and Win32's 2, 5, 6, 8, 18, 29, 30, 80, 87 where WinINet returns those).

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
