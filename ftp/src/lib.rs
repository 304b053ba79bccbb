//! `inet-ftp`: FTP and FTPS for inet, WinINet's FTP surface (`InternetConnect`,
//! `FtpFindFirstFile`, `FtpGetFile`, `FtpOpenFile`, …) done right.
//!
//! - [`FtpConnection`] (InternetConnect with INTERNET_SERVICE_FTP) logs in and runs the
//!   directory and file functions; [`FtpFind`] (FtpFindFirstFile) holds a listing;
//!   [`FtpFile`] (FtpOpenFile) streams one file. Every operation exists as a future, in callback
//!   mode (REQUEST_COMPLETE) and blocking, as everywhere in inet.
//! - [`proto`] is the sans-IO protocol core: replies, commands, the login and transfer dialogs
//!   as state machines, listings. It owns no socket and no timer.
//! - The driver (`session`, `control`, `data`) runs it over inet-core's transport: the control
//!   connection lent to one operation at a time, passive (EPSV, then PASV) or active data
//!   connections, FTPS with the data connections' TLS sessions resumed. Once EPSV has worked,
//!   a download sends it together with its command (one round trip less per file; see
//!   [`FtpOptions::pipelining`]).
//!
//! ```no_run
//! use inet_core::{Context, Session};
//! use inet_ftp::{FtpConnection, FtpOptions, TransferOptions};
//!
//! let session = Session::new()?;
//! let ftp = FtpConnection::connect_blocking(&session, "127.0.0.1", 21, FtpOptions::new())?;
//! let find = ftp.find_first_blocking(None, Context(0))?;
//! while let Ok(item) = find.next_blocking() {
//!     println!("{}", item.name());
//! }
//! find.close();
//! ftp.get_file_blocking("welcome.txt", "/tmp/welcome.txt", TransferOptions::new(), Context(0))?;
//! # Ok::<(), inet_core::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (nightly): badge each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod proto;

mod connection;
mod control;
mod data;
mod errors;
mod file;
mod files;
mod find;
mod options;
mod session;
mod url;

pub use connection::FtpConnection;
pub use errors::{server_reply, ServerReply};
pub use file::{Access, FtpFile};
pub use find::{Found, FtpFind};
pub use options::{DataConnection, Existing, FtpOptions, Security, TransferOptions, TransferType};
pub use proto::{Entry, EntryKind, Timestamp};
pub use url::FtpUrl;
