//! Request bodies: a whole, replayable body written with progress ([`write_body`], for `send`),
//! and the streamed upload of send-ex ([`Upload`]: [`begin_upload`], [`write_piece`],
//! [`end_upload`]). Chunk framing is `proto`'s [`ChunkedEncoder`]; reading the answer is
//! `head`'s. Holds the connection only between the writes of one upload.

use std::task::{ready, Context, Poll};

use inet_core::transport::{Conn, Lease};
use inet_core::{Direction, Error, ErrorKind, HandleRef, ProgressMeter, Result, Status};

use super::connect::obtain;
use super::head::read_final;
use super::redirect;
use super::{Arrived, Incoming, Plan, Response, Reuse};
use crate::body::close_connection;
use crate::options::BodyLength;
use crate::proto::ChunkedEncoder;
use crate::target::Target;

/// Write a whole body, with throttled upload progress.
pub(super) async fn write_body(h: &HandleRef, conn: &mut Conn, body: &[u8]) -> Result<()> {
    let mut progress = ProgressMeter::new(Direction::Send, Some(body.len() as u64));
    for piece in body.chunks(256 * 1024) {
        conn.write_all(piece).await?;
        progress.add(h, piece.len() as u64);
    }
    progress.finish(h);
    Ok(())
}

/// How a streamed body is framed on the wire.
enum Framing {
    /// `Content-Length: declared`: pieces go out as they are, and exactly that many must.
    Length { declared: u64 },
    /// `Transfer-Encoding: chunked`: each piece is one chunk; the last chunk ends the body.
    Chunked(ChunkedEncoder),
}

/// What a request body upload (send-ex) holds between writes.
pub(crate) struct Upload {
    conn: Conn,
    lease: Lease,
    framing: Framing,
    written: u64,
    progress: ProgressMeter,
    pub sent: crate::proto::HeaderList,
    /// A chunk being framed; `scratch[unsent..]` is still to go (the writer adapter's partial
    /// writes), `chunk` the body bytes in it, counted once it has gone.
    scratch: Vec<u8>,
    unsent: usize,
    chunk: usize,
    /// SENDING_REQUEST was notified for the piece under way (poll writes).
    announced: bool,
    decode: bool,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let length = match self.framing {
            Framing::Length { declared } => BodyLength::Known(declared),
            Framing::Chunked(_) => BodyLength::Chunked,
        };
        f.debug_struct("Upload")
            .field("length", &length)
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

/// Begin a send-ex upload: connect, send the head (HttpSendRequestEx).
pub(crate) async fn begin_upload(h: &HandleRef, plan: &Plan, length: BodyLength) -> Result<Upload> {
    let mut plan = plan.clone();
    plan.start_clock();
    let plan = &plan;
    let to = Target::of(&plan.method, &plan.url, h.options().proxy.as_ref())?;
    let (sent, wire, decode) = plan.head(h, &to, Some(length), false)?;
    let (mut conn, lease) = obtain(h, plan, &to).await?;
    h.notify(Status::SendingRequest);
    conn.write_all(&wire).await?;
    h.notify(Status::RequestSent(wire.len() as u64));
    let (framing, total) = match length {
        BodyLength::Known(n) => (Framing::Length { declared: n }, Some(n)),
        BodyLength::Chunked => (Framing::Chunked(ChunkedEncoder::new()), None),
    };
    Ok(Upload {
        conn,
        lease,
        framing,
        written: 0,
        progress: ProgressMeter::new(Direction::Send, total),
        sent,
        scratch: Vec::new(),
        unsent: 0,
        chunk: 0,
        announced: false,
        decode,
    })
}

/// Write one piece of an upload (InternetWriteFile).
pub(crate) async fn write_piece(h: &HandleRef, up: &mut Upload, data: &[u8]) -> Result<usize> {
    drain(h, up).await?;
    check_length(up, data)?;
    if data.is_empty() {
        return Ok(0);
    }
    h.notify(Status::SendingRequest);
    match &up.framing {
        Framing::Chunked(enc) => {
            up.scratch.clear();
            enc.encode_chunk(data, &mut up.scratch);
            up.conn.write_all(&up.scratch).await?;
            // Wholly sent: nothing left for `drain`.
            up.unsent = up.scratch.len();
        }
        Framing::Length { .. } => up.conn.write_all(data).await?,
    }
    sent(h, up, data.len());
    Ok(data.len())
}

/// Refuse a piece that would pass the declared length.
fn check_length(up: &Upload, data: &[u8]) -> Result<()> {
    if let Framing::Length { declared } = up.framing {
        if up.written + data.len() as u64 > declared {
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!(
                    "writing {} more bytes would pass the declared length of {declared} \
                     (written: {})",
                    data.len(),
                    up.written
                ),
            ));
        }
    }
    Ok(())
}

/// `n` body bytes have gone: count them, progress, REQUEST_SENT.
fn sent(h: &HandleRef, up: &mut Upload, n: usize) {
    up.written += n as u64;
    up.progress.add(h, n as u64);
    up.announced = false;
    h.notify(Status::RequestSent(n as u64));
}

/// Send the rest of a chunk a poll write left part-sent.
async fn drain(h: &HandleRef, up: &mut Upload) -> Result<()> {
    if up.unsent < up.scratch.len() {
        up.conn.write_all(&up.scratch[up.unsent..]).await?;
        up.unsent = up.scratch.len();
    }
    if up.chunk > 0 {
        let n = std::mem::take(&mut up.chunk);
        sent(h, up, n);
    }
    Ok(())
}

/// [`drain`] as a poll, for the writer adapter.
fn poll_drain(h: &HandleRef, up: &mut Upload, cx: &mut Context<'_>) -> Poll<Result<()>> {
    while up.unsent < up.scratch.len() {
        let n = ready!(up.conn.poll_write(cx, &up.scratch[up.unsent..]))?;
        up.unsent += n;
    }
    if up.chunk > 0 {
        let n = std::mem::take(&mut up.chunk);
        sent(h, up, n);
    }
    Poll::Ready(Ok(()))
}

/// One poll write of a piece (the writer adapter's `poll_write`): with a declared length, what
/// the connection takes of `data` now, straight from it; chunked, `data` framed as one chunk
/// (the copy `write_piece` makes too), taken whole, and sent as the connection takes it.
pub(crate) fn poll_write_piece(
    h: &HandleRef,
    up: &mut Upload,
    cx: &mut Context<'_>,
    data: &[u8],
) -> Poll<Result<usize>> {
    ready!(poll_drain(h, up, cx))?;
    check_length(up, data)?;
    if data.is_empty() {
        return Poll::Ready(Ok(0));
    }
    if !up.announced {
        h.notify(Status::SendingRequest);
        up.announced = true;
    }
    match &up.framing {
        Framing::Chunked(enc) => {
            up.scratch.clear();
            enc.encode_chunk(data, &mut up.scratch);
            (up.unsent, up.chunk) = (0, data.len());
            // Sent as far as the connection takes it now; the rest before the next piece.
            if let Poll::Ready(Err(e)) = poll_drain(h, up, cx) {
                return Poll::Ready(Err(e));
            }
            Poll::Ready(Ok(data.len()))
        }
        Framing::Length { .. } => {
            let n = ready!(up.conn.poll_write(cx, data))?;
            sent(h, up, n);
            Poll::Ready(Ok(n))
        }
    }
}

/// Push out a part-sent chunk and what the TLS layer holds (the writer adapter's `poll_flush`).
pub(crate) fn poll_push(h: &HandleRef, up: &mut Upload, cx: &mut Context<'_>) -> Poll<Result<()>> {
    ready!(poll_drain(h, up, cx))?;
    up.conn.poll_flush(cx)
}

/// Wait until the upload's connection can take bytes (after a poll returned `Pending`).
pub(crate) async fn wait_writable(up: &mut Upload) -> Result<()> {
    up.conn.wait_socket_writable().await
}

/// End an upload and read the response (HttpEndRequest).
pub(crate) async fn end_upload(h: &HandleRef, plan: &mut Plan, mut up: Upload) -> Result<Response> {
    if let Err(e) = drain(h, &mut up).await {
        close_connection(h, up.conn, up.lease);
        return Err(e);
    }
    match up.framing {
        Framing::Length { declared } if up.written < declared => {
            close_connection(h, up.conn, up.lease);
            return Err(Error::new(
                ErrorKind::InvalidParameter,
                format!(
                    "ending the request: {} of the declared {declared} body bytes were written",
                    up.written
                ),
            ));
        }
        Framing::Length { .. } => {}
        Framing::Chunked(enc) => {
            let mut last = Vec::new();
            enc.finish(&mut last);
            up.conn.write_all(&last).await?;
        }
    }
    up.progress.finish(h);
    // Redirects after the upload stay within the deadline of its send-ex.
    plan.deadline = up.conn.deadline();
    let mut rx = Incoming::from(&mut up.conn, plan.options.max_head_bytes.max(64));
    let head = read_final(h, plan, &mut up.conn, &mut rx)
        .await
        .map_err(|f| f.error)?;
    let arrived = Arrived {
        conn: up.conn,
        lease: up.lease,
        rx,
        head,
        reuse: Reuse::IfProtocolAllows,
        decode: up.decode,
        sent: up.sent,
    };
    let response = Response::new(h, plan, arrived)?;
    // The body was streamed and cannot be replayed: only redirects that drop it are followed.
    redirect::follow(h, plan, response, None, true).await
}
