//! Transport shared by every protocol: name resolution, TCP (outgoing, and a listener for
//! connections the peer opens), TLS, the connection pool, and connections that apply the
//! session's timeouts and low-speed limit to every read and write.
//!
//! All I/O goes through async-io, whose reactor runs on its own thread, so these futures make
//! progress inside any runtime (smol, tokio, a plain `block_on`).
//!
//! Layering: this module holds the steps that report to a handle (`connect`: resolve, connect,
//! TLS handshake; `listener`: accept), so it sits above the handle tree; the handle-free parts
//! (streams, `Conn`, TLS connectors, the pool) live in `crate::net`, below it, because a session's
//! shared state owns a pool and connectors. This module re-exports them: one public path.

mod connect;
mod listener;

pub use crate::net::pool;
pub use crate::net::{Conn, Lease, Pool, PoolKey, Stream, TlsSessions, TlsVerify};
pub use connect::{connect_addr, connect_tcp, resolve, start_tls, start_tls_resuming};
pub use listener::Listener;
