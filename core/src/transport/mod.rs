//! Transport shared by every protocol: name resolution, TCP (outgoing, and a listener for
//! connections the peer opens), TLS, the connection pool, and connections that apply the
//! session's timeouts and low-speed limit to every read and write.
//!
//! All I/O goes through async-io, whose reactor runs on its own thread, so these futures make
//! progress inside any runtime (smol, tokio, a plain `block_on`).

mod conn;
mod connect;
mod listener;
pub mod pool;
mod stream;
pub(crate) mod tls;

pub use conn::Conn;
pub use connect::{connect_addr, connect_tcp, resolve, start_tls};
pub use listener::Listener;
pub use pool::{Lease, Pool, PoolKey};
pub use stream::Stream;
pub use tls::TlsVerify;
