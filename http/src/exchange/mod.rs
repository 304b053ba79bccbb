//! The HTTP/1.1 driver: sends a request and gets its response head over core's transport,
//! reporting every step to the request handle's callback. This module holds what a request is
//! ([`Plan`]), what it yields ([`Response`], whose body reader is built in one place) and the
//! entry point [`send`]; the steps live in submodules:
//!
//! - `attempt`: one request/response exchange, and the stale pooled-connection retry;
//! - `head`: reading a response head (1xx responses, `100 Continue`);
//! - `redirect`: following redirects;
//! - `connect`: a connection from the pool, or a new one (TCP, tunnel, TLS);
//! - `tunnel`: `CONNECT` through an HTTP proxy;
//! - `upload`: request bodies, whole (`send`) or streamed (send-ex).
//!
//! Protocol rules (head building, keep-alive, idempotency, framing) are the sans-IO `proto`'s;
//! nothing here parses or formats HTTP by hand. The body reader (`crate::body`) is not this
//! module's: it only builds it.

mod attempt;
mod connect;
mod head;
mod redirect;
mod tunnel;
mod upload;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Method;
use inet_core::transport::{Conn, Lease};
use inet_core::{HandleRef, Reader, Result};
use url::Url;

use crate::errors::{header_error, proto_error};
use crate::options::{BodyLength, RequestFlags, RequestOptions};
use crate::proto::{
    body_kind, compose, keeps_alive, transfer_coding, BodyDecoder, BodyKind, CacheDirective,
    Composed, ContentDecoder, HeadSequence, HeaderList, RequestSpec, ResponseHead, TargetForm,
};
use crate::target::{Server, Target};

pub(crate) use upload::{
    begin_upload, end_upload, poll_push, poll_write_piece, wait_writable, write_piece, Upload,
};

/// Everything needed to (re)send the request: what the caller set, and where it goes now.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderList,
    pub options: RequestOptions,
    pub server: Arc<Server>,
    /// Basic credentials still apply (not after a cross-origin redirect).
    pub send_auth: bool,
    /// When the current send (and the body read after it) must be done, from
    /// [`RequestOptions::max_time`]; set as each send starts.
    pub deadline: Option<Instant>,
}

/// A response head and the reader of its body.
pub(crate) struct Response {
    pub head: ResponseHead,
    pub reader: Box<Reader>,
    pub sent: HeaderList,
}

/// Send `body` (a replayable body: redirects and the stale-connection retry may send it again)
/// and follow redirects: HttpSendRequest.
///
/// `plan` becomes where the request ended up (the last redirect's URL and headers). It is
/// borrowed, not moved in and out: the result then moves 160 bytes up the chain of futures, not
/// 470.
pub(crate) async fn send(h: &HandleRef, plan: &mut Plan, body: Option<Bytes>) -> Result<Response> {
    plan.start_clock();
    let response = attempt::exchange(h, plan, body.as_ref()).await?;
    if !redirect::may_follow(plan, &response, false) {
        return Ok(response);
    }
    Box::pin(redirect::follow(h, plan, response, body, false)).await
}

/// Bytes read from a connection: `buf[start..end]` not yet parsed; and the response heads
/// parsed so far (interim ones are counted and bounded).
pub(crate) struct Incoming {
    pub buf: Vec<u8>,
    pub start: usize,
    pub end: usize,
    pub heads: HeadSequence,
}

impl Incoming {
    /// The connection's own read buffer, empty; the heads of one response may take `max_head`
    /// bytes in all.
    fn from(conn: &mut Conn, max_head: usize) -> Self {
        Incoming {
            buf: conn.take_buffer(8 * 1024),
            start: 0,
            end: 0,
            heads: HeadSequence::new(max_head),
        }
    }
}

/// Whether a connection may serve another request as far as the exchange is concerned: not when
/// the server answered before the request body was sent (the server may still expect it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reuse {
    /// The request went out whole; the protocol rules decide.
    IfProtocolAllows,
    /// The connection is closed after this response whatever the headers say.
    Never,
}

/// How a response's body is read: the head, the connection it came on (and what was read past
/// the head), and the request headers that were sent.
pub(crate) struct Arrived {
    pub conn: Conn,
    pub lease: Lease,
    pub rx: Incoming,
    pub head: ResponseHead,
    pub reuse: Reuse,
    /// inet asked for compressed content, so it decodes it.
    pub decode: bool,
    pub sent: HeaderList,
}

impl Response {
    /// Set up the body reader for a response head. The one place a body's reader is built.
    pub(crate) fn new(h: &HandleRef, plan: &Plan, a: Arrived) -> Result<Response> {
        let what = || format!("reading the response to {} {}", plan.method, plan.url);
        let kind = body_kind(&plan.method, a.head.status, &a.head.headers)
            .map_err(|e| proto_error(e, &what()))?;
        let keep_alive = a.reuse == Reuse::IfProtocolAllows && keeps_alive(&a.sent, &a.head, kind);
        // A body framed by its length has no transfer coding (`body_kind` lets one win over a
        // length), so only the others look for it.
        let transfer = match kind {
            BodyKind::None | BodyKind::Length(_) => None,
            _ => transfer_coding(&a.head.headers).map_err(|e| proto_error(e, &what()))?,
        };
        // A transfer coding (`gzip, chunked`) must be undone whatever the caller asked for; the
        // body reader holds one decoder, so a Content-Encoding beneath it is then left as is
        // (the caller sees it in the headers).
        let content = if let Some(coding) = transfer {
            ContentDecoder::new(coding)
        } else if a.decode {
            a.head
                .headers
                .get("content-encoding", 0)
                .map(str::trim)
                .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
                .and_then(ContentDecoder::new)
        } else {
            None
        };
        let total = match (kind, &content) {
            (BodyKind::Length(n), None) => Some(n),
            (BodyKind::None, _) => Some(0),
            _ => None,
        };
        let mut reader = Box::new(crate::body::reader(
            a.conn,
            a.lease,
            keep_alive,
            a.rx.buf,
            a.rx.start..a.rx.end,
            BodyDecoder::new(kind),
            content,
            total,
        ));
        reader.finish_if_empty(h);
        Ok(Response {
            head: a.head,
            reader,
            sent: a.sent,
        })
    }
}

impl Plan {
    /// A send starts: its deadline is `max_time` from now (none when that overflows the clock).
    pub(crate) fn start_clock(&mut self) {
        self.deadline = self
            .options
            .max_time
            .and_then(|t| Instant::now().checked_add(t));
    }

    /// The request head as it goes on the wire to `to`, encoded; and whether inet asked for (and
    /// so will decode) compressed content.
    pub(crate) fn head(
        &self,
        h: &HandleRef,
        to: &Target<'_>,
        length: Option<BodyLength>,
        expect_continue: bool,
    ) -> Result<(HeaderList, Vec<u8>, bool)> {
        let options = &self.options;
        let flags = options.flags;
        let cache = if flags.contains(RequestFlags::RELOAD) {
            CacheDirective::Reload
        } else if flags.contains(RequestFlags::NO_CACHE_WRITE) {
            CacheDirective::NoStore
        } else {
            CacheDirective::None
        };
        let form = match to.via_http_proxy() {
            Some(p) => TargetForm::Absolute {
                proxy_credentials: p
                    .credentials
                    .as_ref()
                    .map(|(u, p)| (u.as_str(), p.as_str())),
            },
            None => TargetForm::Origin,
        };
        let credentials = match (&self.server.credentials, self.send_auth) {
            (Some((u, p)), true) => Some((u.as_str(), p.as_str())),
            _ => None,
        };
        let spec = RequestSpec {
            method: &self.method,
            url: &self.url,
            version: options.version,
            headers: &self.headers,
            user_agent: &h.options().user_agent,
            accept_types: &options.accept_types,
            referrer: options.referrer.as_deref(),
            auto_decompress: !flags.contains(RequestFlags::NO_AUTO_DECOMPRESS),
            credentials,
            form,
            cache,
            keep_alive: !flags.contains(RequestFlags::NO_KEEP_ALIVE),
            length,
            expect_continue,
        };
        let Composed { head, decode } = compose(&spec).map_err(header_error)?;
        let mut wire = Vec::with_capacity(512);
        head.encode(&mut wire)
            .map_err(|e| proto_error(e, &format!("encoding {} {}", self.method, self.url)))?;
        Ok((head.headers, wire, decode))
    }
}
