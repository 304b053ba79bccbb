//! `inet-http`: HTTP/1.1 for inet.
//!
//! [`proto`] is the sans-IO protocol core (bytes in, events out); the driver that plugs it into
//! `inet-core`'s handles and transport lives beside it.

pub mod proto;
