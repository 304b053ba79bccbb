//! A connection for a request ([`obtain`]): an idle one from the session's pool, or a new one —
//! TCP to the server or the proxy, a CONNECT tunnel for https through a proxy, then TLS. Knows
//! nothing of requests beyond their [`Target`] and TLS flags; sends no request bytes itself
//! (the tunnel's CONNECT is `tunnel`'s).

use std::future::Future;

use futures_lite::FutureExt;
use inet_core::transport::{connect_tcp, start_tls, Conn, Lease, TlsVerify};
use inet_core::Timer;
use inet_core::{Error, ErrorKind, HandleRef, Result};

use super::tunnel::tunnel;
use super::Plan;
use crate::options::RequestFlags;
use crate::target::{url_label, Target};

/// The connection for this request, within the plan's deadline, which the connection then
/// carries: every read and write on it (the body reader's too) must end by then.
///
/// The common case — a permit at once and an idle pooled connection — awaits nothing: only the
/// wait for a permit and a new connection are futures of their own (boxed, as they are rare and
/// large), so the request's own state machine stays small.
pub(super) async fn obtain(h: &HandleRef, plan: &Plan, to: &Target<'_>) -> Result<(Conn, Lease)> {
    let verify = tls_verify(plan.options.flags);
    let mut lease = match h.pool().try_checkout(to.pool_key(verify)) {
        Ok(lease) => lease,
        Err(key) => Box::pin(within_deadline(plan, h.pool().checkout(key))).await?,
    };
    let mut conn = match lease.take_idle() {
        Some(conn) => conn,
        None => Box::pin(within_deadline(plan, connect(h, to, verify))).await?,
    };
    conn.set_deadline(plan.deadline);
    Ok((conn, lease))
}

/// `work`, or a timeout error at the plan's deadline.
async fn within_deadline<T>(plan: &Plan, work: impl Future<Output = Result<T>>) -> Result<T> {
    let Some(deadline) = plan.deadline else {
        return work.await;
    };
    work.or(async {
        Timer::at(deadline).await;
        Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "connecting to {}: the total time limit was reached",
                url_label(&plan.url)
            ),
        ))
    })
    .await
}

/// A new connection: TCP to the server or the proxy, a CONNECT tunnel for https through a
/// proxy, then TLS.
async fn connect(h: &HandleRef, to: &Target<'_>, verify: TlsVerify) -> Result<Conn> {
    let conn = match to.proxy {
        None => connect_tcp(h, &to.host, to.port).await?,
        Some(p) => connect_tcp(h, &p.host, p.port).await?,
    };
    if !to.https {
        return Ok(conn);
    }
    let conn = match to.proxy {
        Some(p) => tunnel(h, conn, &to.host, to.port, p).await?,
        None => conn,
    };
    start_tls(h, conn, &to.host, verify).await
}

fn tls_verify(flags: RequestFlags) -> TlsVerify {
    TlsVerify::strict()
        .accept_invalid_certs(flags.contains(RequestFlags::IGNORE_UNKNOWN_CA))
        .accept_invalid_hostnames(flags.contains(RequestFlags::IGNORE_CERT_CN_INVALID))
}
