//! The HTTP/1.1 driver: one request/response exchange over a pooled connection, with the stale
//! connection retry, `Expect: 100-continue`, redirects, proxies and the request-body upload of
//! send-ex. Every step reports to the request handle's callback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use futures_lite::FutureExt;
use http::{Method, Version};
use inet_core::transport::{connect_tcp, start_tls, Conn, Lease, PoolKey, TlsVerify};
use inet_core::{Direction, Error, ErrorKind, HandleRef, ProgressMeter, Proxy, Result, Status};
use url::Url;

use crate::body::{close_connection, BodyReader};
use crate::connection::Server;
use crate::errors::proto_error;
use crate::options::{BodyLength, RequestFlags, RequestOptions};
use crate::proto::{
    body_kind, is_downgrade, parse_response_head, redirect_method, resolve_location, same_origin,
    BodyDecoder, ChunkedEncoder, ContentDecoder, HeaderList, RequestHead, ResponseHead,
};

/// How long to wait for `100 Continue` before sending the body anyway.
const CONTINUE_WAIT: Duration = Duration::from_secs(1);
/// A redirect response's body is read and dropped, to keep the connection, up to this size.
const REDIRECT_DRAIN_LIMIT: usize = 64 * 1024;
/// Bodies up to this size go out in the same write as the head.
const COALESCE_LIMIT: usize = 64 * 1024;

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
}

/// A response head and the reader of its body.
pub(crate) struct Response {
    pub head: ResponseHead,
    pub reader: Box<BodyReader>,
    pub sent: HeaderList,
}

/// What a request body upload (send-ex) holds between writes.
pub(crate) struct Upload {
    conn: Conn,
    lease: Lease,
    length: BodyLength,
    written: u64,
    chunked: Option<ChunkedEncoder>,
    progress: ProgressMeter,
    pub sent: HeaderList,
    scratch: Vec<u8>,
    decode: bool,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("length", &self.length)
            .field("written", &self.written)
            .finish()
    }
}

impl Upload {
    /// Abandon the upload (the handle closes): its connection cannot be reused.
    pub(crate) fn abandon(self, h: &HandleRef) {
        close_connection(h, self.conn, self.lease);
    }
}

/// Send `body` (a replayable body: redirects and the stale-connection retry may send it again)
/// and follow redirects: HttpSendRequest.
pub(crate) async fn send(
    h: &HandleRef,
    mut plan: Plan,
    body: Option<Bytes>,
) -> Result<(Plan, Response)> {
    let response = Box::pin(exchange(h, &plan, body.as_ref())).await?;
    Box::pin(follow_redirects(h, &mut plan, response, body, false))
        .await
        .map(|r| (plan, r))
}

/// Follow redirects from `response` as the request's flags and options allow.
pub(crate) async fn follow_redirects(
    h: &HandleRef,
    plan: &mut Plan,
    mut response: Response,
    body: Option<Bytes>,
    streamed: bool,
) -> Result<Response> {
    let mut followed = 0;
    loop {
        if plan.options.flags.contains(RequestFlags::NO_AUTO_REDIRECT) {
            return Ok(response);
        }
        let Some(rule) = redirect_method(&plan.method, response.head.status) else {
            return Ok(response);
        };
        let Some(location) = response.head.headers.get("location", 0).map(str::to_string) else {
            return Ok(response);
        };
        if rule.keep_body && streamed {
            // 307/308 must resend the body, and a streamed one cannot be: the caller decides.
            return Ok(response);
        }
        if followed >= plan.options.max_redirects {
            return Err(Error::new(
                ErrorKind::RedirectFailed,
                format!(
                    "{} {}: more than {} redirects",
                    plan.method, plan.url, plan.options.max_redirects
                ),
            ));
        }
        let next = resolve_location(&plan.url, &location).map_err(|e| {
            proto_error(
                e,
                &format!("following the redirect from {} to {location:?}", plan.url),
            )
        })?;
        if is_downgrade(&plan.url, &next) && !plan.options.allow_https_to_http {
            return Err(Error::new(
                ErrorKind::HttpsToHttpOnRedirect,
                format!(
                    "redirect from {} to {next}: leaving https is not allowed",
                    plan.url
                ),
            ));
        }
        Box::pin(drain(h, response.reader)).await;
        h.notify(Status::Redirect(next.to_string()));
        if !same_origin(&plan.url, &next) {
            // Credentials meant for one origin must not travel to another.
            plan.headers.remove("authorization");
            plan.headers.remove("cookie");
            plan.send_auth = false;
        }
        let body = if rule.keep_body { body.clone() } else { None };
        if !rule.keep_body {
            plan.headers.remove("content-type");
            plan.headers.remove("content-length");
        }
        plan.method = rule.method;
        plan.url = next;
        followed += 1;
        response = Box::pin(exchange(h, plan, body.as_ref())).await?;
    }
}

/// Read and drop a redirect response's body so its connection can serve the next hop; a long
/// one is cut off and its connection closed.
async fn drain(h: &HandleRef, mut reader: Box<BodyReader>) {
    let mut scratch = vec![0u8; 16 * 1024];
    let mut total = 0;
    while total <= REDIRECT_DRAIN_LIMIT {
        match reader.read(h, &mut scratch).await {
            Ok(0) => return,
            Ok(n) => total += n,
            Err(_) => break,
        }
    }
    reader.abandon(h);
}

/// A failed attempt, and whether sending again on a fresh connection is safe and could help.
struct Failed {
    error: Error,
    retry: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            retry: false,
        }
    }
}

/// One request/response exchange. A pooled connection that turns out to be dead (closed by the
/// server while idle) is replaced once by a fresh one, when nothing of the request can have been
/// processed: the method is idempotent or no byte of it was written.
async fn exchange(h: &HandleRef, plan: &Plan, body: Option<&Bytes>) -> Result<Response> {
    let to = Target::of(plan)?;
    let mut retried = false;
    loop {
        // Boxed: nested async state machines add up, and futures are moved around by executors.
        let (conn, lease) = Box::pin(obtain(h, plan, &to)).await?;
        let reused = conn.is_reused();
        match Box::pin(attempt(h, plan, &to, conn, lease, body)).await {
            Ok(r) => return Ok(r),
            Err(f) if f.retry && reused && !retried => retried = true,
            Err(f) => return Err(f.error),
        }
    }
}

async fn attempt(
    h: &HandleRef,
    plan: &Plan,
    to: &Target,
    mut conn: Conn,
    lease: Lease,
    body: Option<&Bytes>,
) -> std::result::Result<Response, Failed> {
    let body_len = body.map(|b| b.len() as u64);
    let expect = body_len
        .is_some_and(|n| plan.options.expect_continue_from.is_some_and(|t| n >= t))
        && plan.options.version == Version::HTTP_11;
    let length = body_len
        .map(BodyLength::Known)
        .or_else(|| needs_length(&plan.method).then_some(BodyLength::Known(0)));
    let (head, decode) = build_head(h, plan, to, length, expect)?;
    let mut wire = Vec::with_capacity(512);
    head.encode(&mut wire)
        .map_err(|e| proto_error(e, &format!("encoding {} {}", plan.method, plan.url)))?;
    let with_head = body.filter(|b| !expect && b.len() <= COALESCE_LIMIT);
    if let Some(b) = with_head {
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
    let mut sent = wire.len() as u64;
    let mut rx = Incoming {
        buf: conn.take_buffer(8 * 1024),
        start: 0,
        end: 0,
    };
    let mut early = None;
    if let Some(b) = body.filter(|_| with_head.is_none()) {
        if expect {
            h.notify(Status::RequestSent(sent));
            let deadline = Instant::now() + CONTINUE_WAIT;
            match read_head(h, plan, &mut conn, &mut rx, Some(deadline), true).await {
                Err(f) => {
                    return Err(Failed {
                        retry: f.retry && idempotent,
                        ..f
                    })
                }
                Ok(HeadOutcome::Continue) | Ok(HeadOutcome::TimedOut) => {}
                Ok(HeadOutcome::Final(head)) => early = Some(head),
            }
            if early.is_none() {
                h.notify(Status::SendingRequest);
            }
        }
        if early.is_none() {
            upload_all(h, &mut conn, b).await.map_err(Failed::from)?;
            sent += b.len() as u64;
        }
    }
    let reusable = early.is_none();
    let head_in = match early {
        // The server answered before the body: that is the answer; the connection cannot be
        // reused since the body it may still expect was never sent.
        Some(early) => early,
        None => {
            h.notify(Status::RequestSent(sent));
            match read_head(h, plan, &mut conn, &mut rx, None, false).await {
                Ok(HeadOutcome::Final(head)) => head,
                Ok(_) => {
                    return Err(Failed::from(Error::new(
                        ErrorKind::Internal,
                        "the head reader stopped early",
                    )))
                }
                // Bytes were written: only an idempotent request may be sent again.
                Err(f) => {
                    return Err(Failed {
                        retry: f.retry && idempotent,
                        ..f
                    })
                }
            }
        }
    };
    build_response(
        h,
        plan,
        conn,
        lease,
        rx,
        head_in,
        reusable,
        decode,
        head.headers,
    )
    .map_err(Failed::from)
}

/// Bytes read from a connection: `buf[start..end]` not yet parsed.
struct Incoming {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Set up the body reader for a response head.
#[allow(clippy::too_many_arguments)]
fn build_response(
    h: &HandleRef,
    plan: &Plan,
    conn: Conn,
    lease: Lease,
    rx: Incoming,
    head: ResponseHead,
    reusable: bool,
    decode: bool,
    sent_headers: HeaderList,
) -> Result<Response> {
    let kind = body_kind(&plan.method, head.status, &head.headers).map_err(|e| {
        proto_error(
            e,
            &format!("reading the response to {} {}", plan.method, plan.url),
        )
    })?;
    let keep_alive = reusable
        && keeps_alive(&head)
        && !sent_headers
            .get("connection", 0)
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
        && !matches!(kind, crate::proto::BodyKind::UntilClose);
    let content = if decode {
        head.headers
            .get("content-encoding", 0)
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
            .and_then(ContentDecoder::new)
    } else {
        None
    };
    let total = match (kind, &content) {
        (crate::proto::BodyKind::Length(n), None) => Some(n),
        (crate::proto::BodyKind::None, _) => Some(0),
        _ => None,
    };
    let mut reader = Box::new(BodyReader::new(
        conn,
        lease,
        keep_alive,
        rx.buf,
        rx.start,
        rx.end,
        BodyDecoder::new(kind),
        content,
        total,
    ));
    reader.finish_if_empty(h);
    Ok(Response {
        head,
        reader,
        sent: sent_headers,
    })
}

enum HeadOutcome {
    Final(ResponseHead),
    Continue,
    TimedOut,
}

/// Read a response head into `buf[start..end]`, notifying 1xx responses; with `stop_at_continue`,
/// return at `100 Continue`; with a deadline, give up waiting then (only while nothing of the
/// head has arrived).
#[allow(clippy::too_many_arguments)]
async fn read_head(
    h: &HandleRef,
    plan: &Plan,
    conn: &mut Conn,
    rx: &mut Incoming,
    deadline: Option<Instant>,
    stop_at_continue: bool,
) -> std::result::Result<HeadOutcome, Failed> {
    let max = plan.options.max_head_bytes.max(64);
    let what = || {
        format!(
            "reading the response to {} {} from {}",
            plan.method,
            plan.url,
            conn_label(plan)
        )
    };
    let mut received_any = false;
    loop {
        if rx.start < rx.end {
            match parse_response_head(&rx.buf[rx.start..rx.end], max) {
                Ok(Some((head, used))) => {
                    rx.start += used;
                    if head.is_informational() {
                        h.notify(Status::IntermediateResponse(head.status));
                        if head.status == 100 && stop_at_continue {
                            return Ok(HeadOutcome::Continue);
                        }
                        continue;
                    }
                    return Ok(HeadOutcome::Final(head));
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
                let e = crate::proto::ProtoError::HeadTooLarge { limit: max };
                return Err(Failed::from(proto_error(e, &what())));
            }
            let grown = (rx.buf.len() * 2).min(max + 1024);
            rx.buf.resize(grown, 0);
        }
        h.notify(Status::ReceivingResponse);
        if deadline.is_none() && !received_any && rx.start == rx.end {
            if let Err(error) = conn.wait_readable().await {
                let retry = error.kind() != ErrorKind::Timeout;
                return Err(Failed { error, retry });
            }
        }
        let at = rx.end;
        let read = conn.read(&mut rx.buf[at..]);
        let n = match deadline {
            None => read.await,
            Some(d) => {
                let timer = async {
                    async_io::Timer::at(d).await;
                    Ok(usize::MAX)
                };
                read.or(timer).await
            }
        };
        let n = match n {
            Ok(usize::MAX) => {
                h.notify(Status::ResponseReceived(0));
                return Ok(HeadOutcome::TimedOut);
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

fn conn_label(plan: &Plan) -> String {
    let host = plan.url.host_str().unwrap_or("?");
    let port = plan.url.port_or_known_default().unwrap_or(0);
    format!("{host}:{port}")
}

/// Write a body, with throttled upload progress.
async fn upload_all(h: &HandleRef, conn: &mut Conn, body: &[u8]) -> Result<()> {
    let mut progress = ProgressMeter::new(Direction::Send, Some(body.len() as u64));
    for piece in body.chunks(256 * 1024) {
        conn.write_all(piece).await?;
        progress.add(h, piece.len() as u64);
    }
    progress.finish(h);
    Ok(())
}

/// The connection for this request: an idle pooled one for the same (scheme, host, port, proxy,
/// TLS settings), or a new one (through the proxy, with a CONNECT tunnel for https).
async fn obtain(h: &HandleRef, plan: &Plan, to: &Target) -> Result<(Conn, Lease)> {
    let Target { host, port, https } = to;
    let (port, https) = (*port, *https);
    let verify = tls_verify(plan.options.flags);
    let proxy = &h.options().proxy;
    let key = PoolKey {
        scheme: if https { "https" } else { "http" }.to_string(),
        host: host.clone(),
        port,
        proxy: proxy.as_ref().map(|p| (p.host.clone(), p.port)),
        tls: https.then_some(verify),
    };
    let mut lease = h.pool().checkout(key).await?;
    if let Some(conn) = lease.take_idle() {
        return Ok((conn, lease));
    }
    let conn = match proxy {
        None => Box::pin(connect_tcp(h, host, port)).await?,
        Some(p) => Box::pin(connect_tcp(h, &p.host, p.port)).await?,
    };
    if !https {
        return Ok((conn, lease));
    }
    let conn = match proxy {
        Some(p) => tunnel(h, conn, host, port, p).await?,
        None => conn,
    };
    Ok((Box::pin(start_tls(h, conn, host, verify)).await?, lease))
}

/// `CONNECT host:port` through an HTTP proxy; the proxy must answer 2xx.
async fn tunnel(
    h: &HandleRef,
    mut conn: Conn,
    host: &str,
    port: u16,
    proxy: &Proxy,
) -> Result<Conn> {
    let authority = format!("{}:{port}", bracketed(host));
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some((u, p)) = &proxy.credentials {
        req.push_str(&format!("Proxy-Authorization: Basic {}\r\n", basic(u, p)));
    }
    req.push_str("\r\n");
    h.notify(Status::SendingRequest);
    conn.write_all(req.as_bytes()).await?;
    h.notify(Status::RequestSent(req.len() as u64));
    let mut buf = vec![0u8; 8 * 1024];
    let mut end = 0;
    loop {
        match parse_response_head(&buf[..end], buf.len()) {
            Ok(Some((head, used))) => {
                if !(200..300).contains(&head.status) {
                    return Err(Error::new(
                        ErrorKind::CannotConnect,
                        format!(
                            "tunnel to {authority} through proxy {}:{}: the proxy answered {} {}",
                            proxy.host, proxy.port, head.status, head.reason
                        ),
                    ));
                }
                if used != end {
                    return Err(Error::new(
                        ErrorKind::InvalidServerResponse,
                        format!("tunnel to {authority}: the proxy sent bytes after its answer"),
                    ));
                }
                return Ok(conn);
            }
            Ok(None) => {}
            Err(e) => {
                return Err(proto_error(
                    e,
                    &format!("reading the proxy's answer to CONNECT {authority}"),
                ))
            }
        }
        if end == buf.len() {
            return Err(proto_error(
                crate::proto::ProtoError::HeadTooLarge { limit: buf.len() },
                &format!("reading the proxy's answer to CONNECT {authority}"),
            ));
        }
        h.notify(Status::ReceivingResponse);
        let n = conn.read(&mut buf[end..]).await?;
        h.notify(Status::ResponseReceived(n as u64));
        if n == 0 {
            return Err(Error::new(
                ErrorKind::ConnectionAborted,
                format!("tunnel to {authority}: the proxy closed the connection"),
            ));
        }
        end += n;
    }
}

/// Where a request goes: its URL's host (lower case, no brackets), port and whether it is https.
#[derive(Debug)]
struct Target {
    host: String,
    port: u16,
    https: bool,
}

impl Target {
    fn of(plan: &Plan) -> Result<Target> {
        let https = match plan.url.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(Error::new(
                    ErrorKind::UnrecognizedScheme,
                    format!("{} {}: {other} is not http or https", plan.method, plan.url),
                ))
            }
        };
        let host = plan
            .url
            .host_str()
            .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, format!("{}: no host", plan.url)))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = plan
            .url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        Ok(Target { host, port, https })
    }
}

/// A host as it stands in a URL or a Host header: IPv6 addresses in brackets.
pub(crate) fn bracketed(host: &str) -> std::borrow::Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

fn tls_verify(flags: RequestFlags) -> TlsVerify {
    TlsVerify {
        accept_invalid_certs: flags.contains(RequestFlags::IGNORE_UNKNOWN_CA),
        accept_invalid_hostnames: flags.contains(RequestFlags::IGNORE_CERT_CN_INVALID),
    }
}

/// The request head as it goes on the wire: the caller's headers, plus defaults the caller did
/// not set. Returns whether inet asked for (and so will decode) compressed content.
fn build_head(
    h: &HandleRef,
    plan: &Plan,
    to: &Target,
    length: Option<BodyLength>,
    expect: bool,
) -> Result<(RequestHead, bool)> {
    let options = &plan.options;
    let Target { host, port, https } = to;
    let (port, https) = (*port, *https);
    let proxy = &h.options().proxy;
    let origin_form = match plan.url.query() {
        Some(q) => format!("{}?{q}", plan.url.path()),
        None => plan.url.path().to_string(),
    };
    let request_target = if proxy.is_some() && !https {
        let mut absolute = plan.url.clone();
        absolute.set_fragment(None);
        absolute.to_string()
    } else {
        origin_form
    };
    let mut head = RequestHead::new(plan.method.clone(), request_target);
    head.version = options.version;
    let host_header = {
        let default = if https { 443 } else { 80 };
        if port == default {
            bracketed(host).into_owned()
        } else {
            format!("{}:{port}", bracketed(host))
        }
    };
    let mut headers = HeaderList::new();
    let hdr = |e| crate::errors::header_error(e);
    if !plan.headers.contains("host") {
        headers.push("Host", &host_header).map_err(hdr)?;
    }
    for (name, value) in plan.headers.iter() {
        headers.push(name, value).map_err(hdr)?;
    }
    headers
        .insert_default("User-Agent", &h.options().user_agent)
        .map_err(hdr)?;
    let accept = if options.accept_types.is_empty() {
        "*/*".to_string()
    } else {
        options.accept_types.join(", ")
    };
    headers.insert_default("Accept", &accept).map_err(hdr)?;
    let decode = !options.flags.contains(RequestFlags::NO_AUTO_DECOMPRESS)
        && !plan.headers.contains("accept-encoding");
    if decode {
        headers
            .push("Accept-Encoding", "gzip, deflate")
            .map_err(hdr)?;
    }
    if let Some(r) = &options.referrer {
        headers.insert_default("Referer", r).map_err(hdr)?;
    }
    if plan.send_auth {
        if let Some((u, p)) = &plan.server.credentials {
            headers
                .insert_default("Authorization", &format!("Basic {}", basic(u, p)))
                .map_err(hdr)?;
        }
    }
    if let (Some(p), false) = (&proxy, https) {
        if let Some((u, pw)) = &p.credentials {
            headers
                .insert_default("Proxy-Authorization", &format!("Basic {}", basic(u, pw)))
                .map_err(hdr)?;
        }
    }
    if options.flags.contains(RequestFlags::RELOAD) {
        headers
            .insert_default("Cache-Control", "no-cache")
            .map_err(hdr)?;
        headers.insert_default("Pragma", "no-cache").map_err(hdr)?;
    } else if options.flags.contains(RequestFlags::NO_CACHE_WRITE) {
        headers
            .insert_default("Cache-Control", "no-store")
            .map_err(hdr)?;
    }
    if options.flags.contains(RequestFlags::NO_KEEP_ALIVE) {
        headers.set("Connection", "close").map_err(hdr)?;
    } else if options.version == Version::HTTP_10 {
        headers
            .insert_default("Connection", "keep-alive")
            .map_err(hdr)?;
    }
    match length {
        Some(BodyLength::Known(n)) => {
            headers.remove("transfer-encoding");
            headers.set("Content-Length", &n.to_string()).map_err(hdr)?;
        }
        Some(BodyLength::Chunked) => {
            headers.remove("content-length");
            headers.set("Transfer-Encoding", "chunked").map_err(hdr)?;
        }
        None => {}
    }
    if expect {
        headers
            .insert_default("Expect", "100-continue")
            .map_err(hdr)?;
    }
    head.headers = headers;
    Ok((head, decode))
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

fn needs_length(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether the server lets the connection live on after this response.
fn keeps_alive(head: &ResponseHead) -> bool {
    let connection = |token: &str| {
        head.headers
            .get_all("connection")
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    match head.version {
        Version::HTTP_11 => !connection("close"),
        _ => connection("keep-alive"),
    }
}

/// Begin a send-ex upload: connect, send the head (HttpSendRequestEx).
pub(crate) async fn begin_upload(h: &HandleRef, plan: &Plan, length: BodyLength) -> Result<Upload> {
    let to = Target::of(plan)?;
    let (head, decode) = build_head(h, plan, &to, Some(length), false)?;
    let mut wire = Vec::with_capacity(512);
    head.encode(&mut wire)
        .map_err(|e| proto_error(e, &format!("encoding {} {}", plan.method, plan.url)))?;
    let (mut conn, lease) = Box::pin(obtain(h, plan, &to)).await?;
    h.notify(Status::SendingRequest);
    conn.write_all(&wire).await?;
    h.notify(Status::RequestSent(wire.len() as u64));
    let total = match length {
        BodyLength::Known(n) => Some(n),
        BodyLength::Chunked => None,
    };
    Ok(Upload {
        conn,
        lease,
        length,
        written: 0,
        chunked: matches!(length, BodyLength::Chunked).then(ChunkedEncoder::new),
        progress: ProgressMeter::new(Direction::Send, total),
        sent: head.headers,
        scratch: Vec::new(),
        decode,
    })
}

/// Write one piece of an upload (InternetWriteFile).
pub(crate) async fn write_piece(h: &HandleRef, up: &mut Upload, data: &[u8]) -> Result<usize> {
    if let BodyLength::Known(n) = up.length {
        if up.written + data.len() as u64 > n {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!(
                    "writing {} more bytes would pass the declared length of {n} (written: {})",
                    data.len(),
                    up.written
                ),
            ));
        }
    }
    if data.is_empty() {
        return Ok(0);
    }
    h.notify(Status::SendingRequest);
    match &up.chunked {
        Some(enc) => {
            up.scratch.clear();
            enc.encode_chunk(data, &mut up.scratch);
            up.conn.write_all(&up.scratch).await?;
        }
        None => up.conn.write_all(data).await?,
    }
    up.written += data.len() as u64;
    up.progress.add(h, data.len() as u64);
    h.notify(Status::RequestSent(data.len() as u64));
    Ok(data.len())
}

/// End an upload and read the response (HttpEndRequest).
pub(crate) async fn end_upload(h: &HandleRef, plan: &mut Plan, mut up: Upload) -> Result<Response> {
    match (up.length, up.chunked.take()) {
        (BodyLength::Known(n), _) if up.written < n => {
            close_connection(h, up.conn, up.lease);
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!(
                    "ending the request: {} of the declared {n} body bytes were written",
                    up.written
                ),
            ));
        }
        (_, Some(enc)) => {
            let mut last = Vec::new();
            enc.finish(&mut last);
            up.conn.write_all(&last).await?;
        }
        _ => {}
    }
    up.progress.finish(h);
    let mut rx = Incoming {
        buf: up.conn.take_buffer(8 * 1024),
        start: 0,
        end: 0,
    };
    let head = match read_head(h, plan, &mut up.conn, &mut rx, None, false).await {
        Ok(HeadOutcome::Final(head)) => head,
        Ok(_) => {
            return Err(Error::new(
                ErrorKind::Internal,
                "the head reader stopped early",
            ))
        }
        Err(f) => return Err(f.error),
    };
    let response = build_response(
        h, plan, up.conn, up.lease, rx, head, true, up.decode, up.sent,
    )?;
    // The body was streamed and cannot be replayed: only redirects that drop it are followed.
    follow_redirects(h, plan, response, None, true).await
}
