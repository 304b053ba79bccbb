//! Bytes moving over the network with the session's limits: streams (TCP, TLS through native-tls, and TLS through rustls for connections that resume one
//! another's session), connections
//! that apply timeouts and the low-speed limit to every read and write, one TLS connector per
//! verification setting, and the connection pool. Knows no handle and sends no notification: the
//! steps that report to a handle (resolve, connect, accept, TLS handshake) are `transport`'s, above
//! the handle tree. Public through `inet_core::transport`.

pub(crate) mod alarm;
// The low-water mark gauge of `conn`'s coalesced reads (pure: no socket).
pub(crate) mod conn;
pub(crate) mod mark;
pub mod pool;
pub(crate) mod stream;
pub(crate) mod tls;
// Above `tls`: it reads the socket through `tls`'s bridge.
pub(crate) mod resume;

pub use conn::Conn;
pub use pool::{Lease, Pool, PoolKey};
pub use resume::TlsSessions;
pub use stream::Stream;
pub use tls::TlsVerify;
