//! One request/response exchange ([`exchange`]): send the head and a replayable body (with
//! `Expect: 100-continue` for large ones), read the final response head; and the stale
//! pooled-connection retry around it. Redirects are `redirect`'s; connecting is `connect`'s.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Version;
use inet_core::transport::{Conn, Lease};
use inet_core::{Error, HandleRef, Result, Status};

use super::connect::obtain;
use super::head::{read_final, read_until_continue, Continue};
use super::upload::write_body;
use super::{Arrived, Incoming, Plan, Response, Reuse};
use crate::options::BodyLength;
use crate::proto::{is_idempotent, needs_length};
use crate::target::Target;

/// How long to wait for `100 Continue` before sending the body anyway.
const CONTINUE_WAIT: Duration = Duration::from_secs(1);
/// Bodies up to this size go out in the same write as the head.
const COALESCE_LIMIT: usize = 64 * 1024;

/// A failed attempt, and whether sending again on a fresh connection is safe and could help.
pub(super) struct Failed {
    pub error: Error,
    pub retry: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            retry: false,
        }
    }
}

/// How the request body goes out.
#[derive(Clone, Copy)]
enum BodyWrite<'b> {
    /// There is none.
    None,
    /// In the same write as the head (small bodies).
    WithHead(&'b [u8]),
    /// Right after the head.
    AfterHead(&'b [u8]),
    /// After `100 Continue` (or a short wait for it), unless the server answers first.
    AfterContinue(&'b [u8]),
}

/// One request/response exchange. A pooled connection that turns out to be dead (closed by the
/// server while idle) is replaced once by a fresh one, when nothing of the request can have been
/// processed: the method is idempotent or no byte of it was written.
pub(super) async fn exchange(h: &HandleRef, plan: &Plan, body: Option<&Bytes>) -> Result<Response> {
    let to = Target::of(&plan.method, &plan.url, h.options().proxy.as_ref())?;
    let mut retried = false;
    loop {
        // Not boxed: obtain boxes its own rare, large parts (waiting for a permit, connecting).
        let (conn, lease) = obtain(h, plan, &to).await?;
        let reused = conn.is_reused();
        // Not boxed: the whole send is one allocation (`HttpRequest::send`'s), not one per layer.
        match attempt(h, plan, &to, conn, lease, body).await {
            Ok(r) => return Ok(r),
            Err(f) if f.retry && reused && !retried => retried = true,
            Err(f) => return Err(f.error),
        }
    }
}

async fn attempt(
    h: &HandleRef,
    plan: &Plan,
    to: &Target<'_>,
    mut conn: Conn,
    lease: Lease,
    body: Option<&Bytes>,
) -> std::result::Result<Response, Failed> {
    let write = match body {
        None => BodyWrite::None,
        Some(b)
            if plan.options.version == Version::HTTP_11
                && plan
                    .options
                    .expect_continue_from
                    .is_some_and(|t| b.len() as u64 >= t) =>
        {
            BodyWrite::AfterContinue(b)
        }
        Some(b) if b.len() <= COALESCE_LIMIT => BodyWrite::WithHead(b),
        Some(b) => BodyWrite::AfterHead(b),
    };
    let length = body
        .map(|b| BodyLength::Known(b.len() as u64))
        .or_else(|| needs_length(&plan.method).then_some(BodyLength::Known(0)));
    let expect = matches!(write, BodyWrite::AfterContinue(_));
    let (sent_headers, mut wire, decode) = plan.head(h, to, length, expect)?;
    if let BodyWrite::WithHead(b) = write {
        wire.extend_from_slice(b);
    }

    h.notify(Status::SendingRequest);
    let idempotent = is_idempotent(&plan.method);
    let before = conn.bytes_written();
    if let Err(error) = conn.write_all(&wire).await {
        // A pooled connection found dead while writing: safe to send again when the server cannot
        // have seen anything of the request, or when doing it twice does no harm.
        let nothing_written = conn.bytes_written() == before;
        return Err(Failed {
            error,
            retry: idempotent || nothing_written,
        });
    }
    // Bytes were written: from here on only an idempotent request may be sent again.
    let only_if_idempotent = |f: Failed| Failed {
        retry: f.retry && idempotent,
        ..f
    };
    let mut sent = wire.len() as u64;
    let mut rx = Incoming::from(&mut conn, plan.options.max_head_bytes.max(64));
    let mut early = None;
    match write {
        BodyWrite::None | BodyWrite::WithHead(_) => {}
        BodyWrite::AfterHead(b) => {
            Box::pin(write_body(h, &mut conn, b)).await?;
            sent += b.len() as u64;
        }
        BodyWrite::AfterContinue(b) => {
            h.notify(Status::RequestSent(sent));
            let until = Instant::now() + CONTINUE_WAIT;
            match Box::pin(read_until_continue(h, plan, &mut conn, &mut rx, until)).await {
                Err(f) => return Err(only_if_idempotent(f)),
                Ok(Continue::Go) => {
                    h.notify(Status::SendingRequest);
                    Box::pin(write_body(h, &mut conn, b)).await?;
                    sent += b.len() as u64;
                }
                Ok(Continue::Answered(head)) => early = Some(head),
            }
        }
    }
    let (head, reuse) = match early {
        // The server answered before the body: that is the answer; the connection cannot be
        // reused since the body it may still expect was never sent.
        Some(early) => (early, Reuse::Never),
        None => {
            h.notify(Status::RequestSent(sent));
            let head = read_final(h, plan, &mut conn, &mut rx)
                .await
                .map_err(only_if_idempotent)?;
            (head, Reuse::IfProtocolAllows)
        }
    };
    let arrived = Arrived {
        conn,
        lease,
        rx,
        head,
        reuse,
        decode,
        sent: sent_headers,
    };
    Response::new(h, plan, arrived).map_err(Failed::from)
}
