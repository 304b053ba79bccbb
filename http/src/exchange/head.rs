//! Reading a response head off a connection: interim (1xx) responses are reported and skipped,
//! `100 Continue` can end the wait for permission to send a body. Parsing is `proto`'s; this
//! module only moves bytes from the connection into [`Incoming`] and reports each step. It does
//! not decide about the body or the connection's reuse.

use std::time::Instant;

use futures_lite::FutureExt;
use inet_core::transport::Conn;
use inet_core::{Error, ErrorKind, HandleRef, Status};

use super::attempt::Failed;
use super::{Incoming, Plan};
use crate::errors::proto_error;
use crate::proto::{parse_response_head, ProtoError, ResponseHead};
use crate::target::url_label;

/// How the wait for `100 Continue` ended.
pub(super) enum Continue {
    /// `100 Continue` came, or the wait timed out: send the body.
    Go,
    /// The server answered with a final response before the body.
    Answered(ResponseHead),
}

/// What to read up to.
#[derive(Clone, Copy)]
enum Until {
    /// The final (non-1xx) head.
    Final,
    /// `100 Continue`, a final head, or `deadline` with nothing of a head received.
    Continue { deadline: Instant },
}

enum Outcome {
    Final(ResponseHead),
    Continue,
    TimedOut,
}

/// Read the final response head, notifying 1xx responses on the way.
pub(super) async fn read_final(
    h: &HandleRef,
    plan: &Plan,
    conn: &mut Conn,
    rx: &mut Incoming,
) -> Result<ResponseHead, Failed> {
    match read_head(h, plan, conn, rx, Until::Final).await? {
        Outcome::Final(head) => Ok(head),
        Outcome::Continue | Outcome::TimedOut => Err(Failed::from(Error::new(
            ErrorKind::Internal,
            "the head reader stopped early",
        ))),
    }
}

/// Wait until `deadline` for `100 Continue` (or an early final answer).
pub(super) async fn read_until_continue(
    h: &HandleRef,
    plan: &Plan,
    conn: &mut Conn,
    rx: &mut Incoming,
    deadline: Instant,
) -> Result<Continue, Failed> {
    Ok(
        match read_head(h, plan, conn, rx, Until::Continue { deadline }).await? {
            Outcome::Final(head) => Continue::Answered(head),
            Outcome::Continue | Outcome::TimedOut => Continue::Go,
        },
    )
}

/// Read a response head into `rx`, notifying 1xx responses.
async fn read_head(
    h: &HandleRef,
    plan: &Plan,
    conn: &mut Conn,
    rx: &mut Incoming,
    until: Until,
) -> Result<Outcome, Failed> {
    let max = plan.options.max_head_bytes.max(64);
    let what = || {
        format!(
            "reading the response to {} {} from {}",
            plan.method,
            plan.url,
            url_label(&plan.url)
        )
    };
    let mut received_any = false;
    loop {
        if rx.start < rx.end {
            match parse_response_head(&rx.buf[rx.start..rx.end], max) {
                Ok(Some((head, used))) => {
                    rx.start += used;
                    rx.heads
                        .accept(&head, used)
                        .map_err(|e| Failed::from(proto_error(e, &what())))?;
                    if head.is_informational() {
                        h.notify(Status::IntermediateResponse(head.status));
                        if head.status == 100 && matches!(until, Until::Continue { .. }) {
                            return Ok(Outcome::Continue);
                        }
                        continue;
                    }
                    return Ok(Outcome::Final(head));
                }
                Ok(None) => {}
                Err(e) => return Err(Failed::from(proto_error(e, &what()))),
            }
        }
        if rx.start == rx.end {
            rx.start = 0;
            rx.end = 0;
        } else if rx.start > 0 {
            rx.buf.copy_within(rx.start..rx.end, 0);
            rx.end -= rx.start;
            rx.start = 0;
        }
        if rx.end == rx.buf.len() {
            if rx.buf.len() > max {
                let e = ProtoError::HeadTooLarge { limit: max };
                return Err(Failed::from(proto_error(e, &what())));
            }
            let grown = (rx.buf.len() * 2).min(max.saturating_add(1024));
            rx.buf.resize(grown, 0);
        }
        h.notify(Status::ReceivingResponse);
        if matches!(until, Until::Final) && !received_any && rx.start == rx.end {
            if let Err(error) = conn.wait_readable().await {
                let retry = error.kind() != ErrorKind::Timeout;
                return Err(Failed { error, retry });
            }
        }
        let at = rx.end;
        let read = conn.read(&mut rx.buf[at..]);
        let n = match until {
            Until::Final => read.await,
            Until::Continue { deadline } => {
                let timer = async {
                    inet_core::Timer::at(deadline).await;
                    Ok(usize::MAX)
                };
                read.or(timer).await
            }
        };
        let n = match n {
            Ok(usize::MAX) => {
                h.notify(Status::ResponseReceived(0));
                return Ok(Outcome::TimedOut);
            }
            Ok(n) => n,
            Err(error) => {
                let retry = !received_any && error.kind() != ErrorKind::Timeout;
                return Err(Failed { error, retry });
            }
        };
        h.notify(Status::ResponseReceived(n as u64));
        if n == 0 {
            let kind = if received_any {
                ErrorKind::InvalidServerResponse
            } else {
                ErrorKind::ConnectionAborted
            };
            let error = Error::new(
                kind,
                format!(
                    "{}: the connection closed before a complete response head",
                    what()
                ),
            );
            return Err(Failed {
                error,
                retry: !received_any,
            });
        }
        received_any = true;
        rx.end += n;
    }
}
