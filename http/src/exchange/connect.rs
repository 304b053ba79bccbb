//! A connection for a request ([`obtain`]): an idle one from the session's pool, or a new one —
//! TCP to the server or the proxy, a CONNECT tunnel for https through a proxy, then TLS. Knows
//! nothing of requests beyond their [`Target`] and TLS flags; sends no request bytes itself
//! (the tunnel's CONNECT is `tunnel`'s).

use inet_core::transport::{connect_tcp, start_tls, Conn, Lease, TlsVerify};
use inet_core::{HandleRef, Result};

use super::tunnel::tunnel;
use super::Plan;
use crate::options::RequestFlags;
use crate::target::Target;

/// The connection for this request: an idle pooled one for the same (scheme, host, port, proxy,
/// TLS settings), or a new one (through the proxy, with a CONNECT tunnel for https).
pub(super) async fn obtain(h: &HandleRef, plan: &Plan, to: &Target<'_>) -> Result<(Conn, Lease)> {
    let verify = tls_verify(plan.options.flags);
    let mut lease = h.pool().checkout(to.pool_key(verify)).await;
    if let Some(conn) = lease.take_idle() {
        return Ok((conn, lease));
    }
    let conn = match to.proxy {
        None => Box::pin(connect_tcp(h, &to.host, to.port)).await?,
        Some(p) => Box::pin(connect_tcp(h, &p.host, p.port)).await?,
    };
    if !to.https {
        return Ok((conn, lease));
    }
    let conn = match to.proxy {
        Some(p) => tunnel(h, conn, &to.host, to.port, p).await?,
        None => conn,
    };
    Ok((Box::pin(start_tls(h, conn, &to.host, verify)).await?, lease))
}

fn tls_verify(flags: RequestFlags) -> TlsVerify {
    TlsVerify {
        accept_invalid_certs: flags.contains(RequestFlags::IGNORE_UNKNOWN_CA),
        accept_invalid_hostnames: flags.contains(RequestFlags::IGNORE_CERT_CN_INVALID),
    }
}
