//! A connection for a request ([`obtain`]): an idle one from the session's pool, or a new one —
//! TCP to the server or the proxy, a CONNECT tunnel for https through a proxy, then TLS. Knows
//! nothing of requests beyond their [`Target`] and TLS flags; sends no request bytes itself
//! (the tunnel's CONNECT is `tunnel`'s).

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
pub(super) async fn obtain(h: &HandleRef, plan: &Plan, to: &Target<'_>) -> Result<(Conn, Lease)> {
    let work = obtain_any(h, plan, to);
    let (mut conn, lease) = match plan.deadline {
        None => work.await?,
        Some(deadline) => {
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
            .await?
        }
    };
    conn.set_deadline(plan.deadline);
    Ok((conn, lease))
}

/// An idle pooled connection for the same (scheme, host, port, proxy, TLS settings), or a new one
/// (through the proxy, with a CONNECT tunnel for https).
async fn obtain_any(h: &HandleRef, plan: &Plan, to: &Target<'_>) -> Result<(Conn, Lease)> {
    let verify = tls_verify(plan.options.flags);
    let mut lease = h.pool().checkout(to.pool_key(verify)).await?;
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
    TlsVerify::strict()
        .accept_invalid_certs(flags.contains(RequestFlags::IGNORE_UNKNOWN_CA))
        .accept_invalid_hostnames(flags.contains(RequestFlags::IGNORE_CERT_CN_INVALID))
}
