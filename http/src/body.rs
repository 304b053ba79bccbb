//! Reading a response body off its connection: framing (Content-Length, chunked, until close),
//! content decoding (gzip, deflate), progress, and giving the connection back when the body ends.

use std::fmt;
use std::ops::Range;

use inet_core::transport::{Conn, Lease};
use inet_core::{Direction, Error, ErrorKind, HandleRef, ProgressMeter, Result, Status};

use crate::errors::proto_error;
use crate::proto::{BodyDecoder, ContentDecoder};

/// Bytes read at once for bulk bodies; small responses never grow the buffer this far.
const BULK_BUFFER: usize = 256 * 1024;
/// Reads at least this large go straight into the caller's buffer when no decoding is needed.
const DIRECT_READ_MIN: usize = 8 * 1024;

/// A response body being read. Owns the connection (and its pool lease) until the body ends.
pub(crate) struct BodyReader {
    link: Option<(Conn, Lease)>,
    keep_alive: bool,
    /// Bytes from the network: `buf[start..end]` not yet through the framing decoder.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Body bytes (after framing) in `buf` not yet handed out.
    avail: Range<usize>,
    framing: BodyDecoder,
    content: Option<ContentDecoder>,
    progress: ProgressMeter,
    label: String,
    finished: bool,
    /// Bytes the last fetch put straight into the caller's buffer.
    direct: Option<usize>,
}

impl fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("label", &self.label)
            .field("buffered", &(self.end - self.start + self.avail.len()))
            .field("finished", &self.finished)
            .finish()
    }
}

impl BodyReader {
    /// `buf[start..end]` holds what was read past the response head.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        conn: Conn,
        lease: Lease,
        keep_alive: bool,
        buf: Vec<u8>,
        start: usize,
        end: usize,
        framing: BodyDecoder,
        content: Option<ContentDecoder>,
        total: Option<u64>,
    ) -> Self {
        let label = conn.label().to_string();
        BodyReader {
            link: Some((conn, lease)),
            keep_alive,
            buf,
            start,
            end,
            avail: 0..0,
            framing,
            content,
            progress: ProgressMeter::new(Direction::Receive, total),
            label,
            finished: false,
            direct: None,
        }
    }

    /// True once the whole body has been handed out.
    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    /// Body bytes that can be handed out without waiting for the network (before decoding, for
    /// compressed bodies: an estimate that is non-zero exactly when a read would not wait).
    pub(crate) fn buffered(&self) -> usize {
        if self.finished {
            return 0;
        }
        let raw = self.end - self.start;
        match self.framing.remaining_hint() {
            Some(r) => self.avail.len() + raw.min(usize::try_from(r).unwrap_or(usize::MAX)),
            // Chunked: framing bytes are counted too; a read may still need the network when only
            // framing is buffered, which `try_read` handles by answering "would block".
            None => self.avail.len() + raw,
        }
    }

    /// When the body is done at once (HEAD, 204, 304, Content-Length: 0): release the connection.
    pub(crate) fn finish_if_empty(&mut self, h: &HandleRef) {
        if self.framing.is_done() && self.avail.is_empty() && self.content.is_none() {
            self.finish(h);
        }
    }

    /// Read body bytes into `out`; 0 means the body has ended. Waits for the network when nothing
    /// is buffered, with RECEIVING_RESPONSE / RESPONSE_RECEIVED around each network read.
    pub(crate) async fn read(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<usize> {
        if out.is_empty() || self.finished {
            return Ok(0);
        }
        loop {
            if let Some(n) = self.step(h, out)? {
                return Ok(n);
            }
            self.fetch(h, out).await?;
            if let Some(n) = self.direct.take() {
                return Ok(n);
            }
        }
    }

    /// Read only what is buffered: `Ok(None)` when a read would have to wait for the network.
    pub(crate) fn try_read(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<Option<usize>> {
        if out.is_empty() || self.finished {
            return Ok(Some(0));
        }
        self.step(h, out)
    }

    /// Wait until some body bytes can be handed out, or the body has ended.
    pub(crate) async fn fill(&mut self, h: &HandleRef) -> Result<()> {
        while !self.finished && self.avail.is_empty() {
            if self.unframe()? {
                continue;
            }
            if self.framing.is_done() {
                // Only content-decoder output (or nothing) is left: readable without the network.
                return Ok(());
            }
            let mut none = [];
            self.fetch(h, &mut none).await?;
        }
        Ok(())
    }

    /// Run buffered network bytes through the framing decoder; true when that made progress
    /// (framing consumed, or body bytes now in `avail`).
    fn unframe(&mut self) -> Result<bool> {
        if self.start == self.end || self.framing.is_done() {
            return Ok(false);
        }
        let decoded = self
            .framing
            .decode(&self.buf[self.start..self.end])
            .map_err(|e| self.error(e))?;
        if let Some(d) = decoded.data {
            self.avail = self.start + d.start..self.start + d.end;
        }
        self.start += decoded.consumed;
        Ok(decoded.consumed > 0 || !self.avail.is_empty())
    }

    /// Hand out what can be handed out without the network. `Ok(None)`: need more bytes.
    fn step(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<Option<usize>> {
        loop {
            if !self.avail.is_empty() {
                let n = match &mut self.content {
                    None => {
                        let n = self.avail.len().min(out.len());
                        out[..n].copy_from_slice(&self.buf[self.avail.start..self.avail.start + n]);
                        self.avail.start += n;
                        n
                    }
                    Some(dec) => {
                        let (used, produced) = dec
                            .decode(&self.buf[self.avail.clone()], out)
                            .map_err(|e| decode_error(e, &self.label))?;
                        self.avail.start += used;
                        if used == 0 && produced == 0 {
                            return Err(decode_error_msg(
                                "the decoder made no progress",
                                &self.label,
                            ));
                        }
                        produced
                    }
                };
                if n > 0 {
                    self.delivered(h, n);
                    return Ok(Some(n));
                }
                continue;
            }
            if self.unframe()? {
                continue;
            }
            if self.framing.is_done() {
                if let Some(dec) = &mut self.content {
                    let (_, produced) = dec
                        .decode(&[], out)
                        .map_err(|e| decode_error(e, &self.label))?;
                    if produced > 0 {
                        self.delivered(h, produced);
                        return Ok(Some(produced));
                    }
                    dec.finish().map_err(|e| decode_error(e, &self.label))?;
                }
                self.finish(h);
                return Ok(Some(0));
            }
            return Ok(None);
        }
    }

    fn delivered(&mut self, h: &HandleRef, n: usize) {
        self.progress.add(h, n as u64);
    }

    /// One network read, into `out` directly when the body needs no decoding (its bytes are then
    /// handed out as they are, through `self.direct`), else into the buffer.
    async fn fetch(&mut self, h: &HandleRef, out: &mut [u8]) -> Result<()> {
        let Some((conn, _)) = self.link.as_mut() else {
            return Err(Error::new(
                ErrorKind::ConnectionAborted,
                format!(
                    "reading the response body from {}: the connection is gone",
                    self.label
                ),
            ));
        };
        let direct = self.content.is_none()
            && self.start == self.end
            && out.len() >= DIRECT_READ_MIN
            && matches!(self.framing.remaining_hint(), Some(r) if r > 0);
        h.notify(Status::ReceivingResponse);
        let n = if direct {
            let limit = self.framing.remaining_hint().map_or(out.len(), |r| {
                out.len().min(usize::try_from(r).unwrap_or(usize::MAX))
            });
            conn.read(&mut out[..limit]).await?
        } else {
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len()
                || (self.buf.len() < BULK_BUFFER && self.end > self.buf.len() / 2)
            {
                self.buf.resize(
                    (self.buf.len() * 2).clamp(16 * 1024, BULK_BUFFER.max(self.buf.len())),
                    0,
                );
            }
            let end = self.end;
            conn.read(&mut self.buf[end..]).await?
        };
        h.notify(Status::ResponseReceived(n as u64));
        if n == 0 {
            self.framing.on_eof().map_err(|e| self.error(e))?;
            return Ok(());
        }
        if direct {
            let decoded = self.framing.decode(&out[..n]).map_err(|e| self.error(e))?;
            debug_assert_eq!(decoded.consumed, n);
            self.delivered(h, n);
            if self.framing.is_done() {
                self.finish(h);
            }
            self.direct = Some(n);
        } else {
            self.end += n;
        }
        Ok(())
    }

    /// The body has ended: final progress, and the connection goes back to the pool when it can
    /// serve another request, else it is closed (CLOSING_CONNECTION, CONNECTION_CLOSED).
    fn finish(&mut self, h: &HandleRef) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.progress.finish(h);
        if let Some((mut conn, lease)) = self.link.take() {
            // Bytes after the body would be the start of a response nobody asked for.
            if self.keep_alive && self.start == self.end {
                // The buffer goes back with the connection, for its next request.
                conn.keep_buffer(std::mem::take(&mut self.buf));
                (self.start, self.end, self.avail) = (0, 0, 0..0);
                lease.put_back(conn);
            } else {
                close_connection(h, conn, lease);
            }
        }
    }

    /// Give up on the rest of the body (the handle closes): the connection cannot be reused.
    pub(crate) fn abandon(mut self, h: &HandleRef) {
        if let Some((conn, lease)) = self.link.take() {
            close_connection(h, conn, lease);
        }
    }

    fn error(&self, e: crate::proto::ProtoError) -> Error {
        proto_error(e, &format!("reading the response body from {}", self.label))
    }
}

/// Close a connection that will not be reused, telling the callback.
pub(crate) fn close_connection(h: &HandleRef, conn: Conn, lease: Lease) {
    h.notify(Status::ClosingConnection);
    conn.stream().shutdown();
    drop(conn);
    lease.discard();
    h.notify(Status::ConnectionClosed);
}

fn decode_error(e: crate::proto::ProtoError, label: &str) -> Error {
    Error::new(
        ErrorKind::DecodingFailed,
        format!("decoding the response body from {label}"),
    )
    .with_source(e)
}

fn decode_error_msg(msg: &str, label: &str) -> Error {
    Error::new(
        ErrorKind::DecodingFailed,
        format!("decoding the response body from {label}: {msg}"),
    )
}
