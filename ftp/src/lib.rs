//! `inet-ftp`: FTP for inet, WinINet's FTP surface (`FtpFindFirstFile`, `FtpGetFile`,
//! `FtpOpenFile`, …) done right.
//!
//! Today this crate holds [`proto`], the sans-IO protocol core: the control channel's reply
//! reader, command encoding, passive-mode and quoted-path parsing, and directory-listing parsers
//! (`LIST` and `MLSD`). It owns no socket and no timer. The driver that runs it over inet-core's
//! transport, with handles and the three operation forms, comes later.
//!
//! ```
//! use inet_ftp::proto::{ReplyReader, ReplyClass};
//!
//! let mut reader = ReplyReader::new();
//! reader.push(b"230-Welcome\r\n230 Logged in\r\n");
//! let reply = reader.next_reply()?.expect("a whole reply");
//! assert_eq!(reply.code, 230);
//! assert_eq!(reply.class(), ReplyClass::Completion);
//! # Ok::<(), inet_ftp::proto::ProtoError>(())
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod proto;
