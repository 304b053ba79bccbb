//! `inet-gopher`: Gopher for inet, WinINet's Gopher surface (`GopherCreateLocator`,
//! `GopherFindFirstFile`, `GopherOpenFile`, `GopherGetAttribute`, …) done right, RFC 1436 and
//! Gopher+.
//!
//! - [`GopherConnection`] (InternetConnect with INTERNET_SERVICE_GOPHER) runs the requests:
//!   [`GopherFind`] (GopherFindFirstFile) holds a menu, [`GopherFile`] (GopherOpenFile) streams
//!   an item through inet-core's shared reader, `get_attribute` (GopherGetAttribute) reads
//!   Gopher+ attribute blocks. Every operation is a future, a callback-mode call and a blocking
//!   call; gophers:// runs each request over TLS.
//! - [`proto`] is the sans-IO protocol core: item types and locators (GopherCreateLocator), the
//!   request line, the incremental menu parser, the text item's `.` terminator and
//!   dot-unstuffing, and Gopher+ reply headers and attribute blocks. It owns no socket and no
//!   timer.
//!
//! ```
//! use inet_gopher::proto::{request_line, ItemType, MenuItem, MenuParser, TextDecoder};
//!
//! // Ask for the root menu, then read the answer as it arrives, in any pieces.
//! assert_eq!(request_line(b"", None, None)?, b"\r\n");
//! let mut menu = MenuParser::for_server("gopher.example", 70);
//! menu.push(b"0About this server\t/about.txt\tgopher.example\t70\r\n");
//! menu.push(b"1Docs\t/docs\tgopher.example\t70\r\n.\r\n");
//! let mut entries = Vec::new();
//! while let Some(item) = menu.next_item()? {
//!     if let MenuItem::Entry(locator) = item {
//!         entries.push(locator);
//!     }
//! }
//! assert!(menu.is_done());
//! assert_eq!(entries[0].item_type(), ItemType::TextFile);
//! assert_eq!(entries[1].display(), "Docs");
//!
//! // Fetch the text item: its data ends with a "." line, and ".." starts lines that begin with ".".
//! let request = entries[0].request(None, None)?;
//! assert_eq!(request, b"/about.txt\r\n");
//! let mut text = TextDecoder::new();
//! let mut out = [0u8; 64];
//! let (used, made) = text.decode(b"Hello\r\n..plan\r\n.\r\n", &mut out);
//! assert_eq!((used, &out[..made]), (18, &b"Hello\r\n.plan\r\n"[..]));
//! assert!(text.is_done());
//! # Ok::<(), inet_gopher::proto::ProtoError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (nightly): badge each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod proto;

mod attribute;
mod connection;
mod errors;
mod file;
mod find;
mod url;

pub use connection::{GopherConnection, GopherOptions};
pub use file::GopherFile;
pub use find::GopherFind;
pub use proto::{AttributeBlock, ItemType, Locator, MenuItem};
pub use url::GopherUrl;
