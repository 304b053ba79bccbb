//! Request bodies: a whole, replayable body written with progress ([`write_body`], for `send`),
//! and the streamed upload of send-ex ([`Upload`]: [`begin_upload`], [`write_piece`],
//! [`end_upload`]). Chunk framing is `proto`'s [`ChunkedEncoder`]; reading the answer is
//! `head`'s. Holds the connection only between the writes of one upload.

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
    scratch: Vec<u8>,
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
    let (mut conn, lease) = Box::pin(obtain(h, plan, &to)).await?;
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
        decode,
    })
}

/// Write one piece of an upload (InternetWriteFile).
pub(crate) async fn write_piece(h: &HandleRef, up: &mut Upload, data: &[u8]) -> Result<usize> {
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
    if data.is_empty() {
        return Ok(0);
    }
    h.notify(Status::SendingRequest);
    match &up.framing {
        Framing::Chunked(enc) => {
            up.scratch.clear();
            enc.encode_chunk(data, &mut up.scratch);
            up.conn.write_all(&up.scratch).await?;
        }
        Framing::Length { .. } => up.conn.write_all(data).await?,
    }
    up.written += data.len() as u64;
    up.progress.add(h, data.len() as u64);
    h.notify(Status::RequestSent(data.len() as u64));
    Ok(data.len())
}

/// End an upload and read the response (HttpEndRequest).
pub(crate) async fn end_upload(h: &HandleRef, plan: &mut Plan, mut up: Upload) -> Result<Response> {
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
