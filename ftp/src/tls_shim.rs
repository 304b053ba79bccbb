//! TEMPORARY: stands in for inet-core's `TlsSessions` / `start_tls_resuming` until the TLS
//! session-reuse branch lands; it does a full handshake and resumes nothing.

use inet_core::transport::{start_tls, Conn, TlsVerify};
use inet_core::{HandleRef, Result};

#[derive(Clone, Default, Debug)]
pub(crate) struct TlsSessions;

impl TlsSessions {
    pub(crate) fn new() -> Self {
        TlsSessions
    }
}

pub(crate) async fn start_tls_resuming(
    h: &HandleRef,
    conn: Conn,
    host: &str,
    verify: TlsVerify,
    _sessions: &TlsSessions,
) -> Result<Conn> {
    start_tls(h, conn, host, verify).await
}
