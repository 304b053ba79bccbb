//! An HTTP response body on core's shared [`Reader`]: what HTTP adds is only its framing
//! (Content-Length, chunked, until close — [`BodyDecoder`]), its content decoding (gzip, deflate —
//! [`ContentDecoder`]) and what becomes of the connection at the end (back to the pool when the
//! exchange ended cleanly and the response allows keep-alive, else closed). Buffering, direct
//! reads, owned reads, progress and the three forms of read live in `inet_core::reader`.

use std::ops::Range;
use std::sync::Arc;

use inet_core::transport::{Conn, Lease};
use inet_core::{Ending, Error, ErrorKind, Framed, Framing, HandleRef, Reader, Result, Transform};

use crate::errors::proto_error;
use crate::proto::{BodyDecoder, ContentDecoder};

/// A response body's reader: core's [`Reader`] with HTTP's framing, decoding and ending.
/// `buf[filled]` holds what was read past the response head.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reader(
    conn: Conn,
    lease: Lease,
    keep_alive: bool,
    buf: Vec<u8>,
    filled: Range<usize>,
    framing: BodyDecoder,
    content: Option<ContentDecoder>,
    total: Option<u64>,
) -> Reader {
    let label = conn.shared_label();
    let transform = content.map(|decoder| {
        Box::new(Content {
            decoder,
            label: label.clone(),
        }) as Box<dyn Transform>
    });
    Reader::new(
        conn,
        buf,
        filled,
        Box::new(Frames {
            decoder: framing,
            label,
        }),
        transform,
        total,
        Box::new(PoolReturn { lease, keep_alive }),
    )
}

/// HTTP's message framing, for core's reader.
struct Frames {
    decoder: BodyDecoder,
    label: Arc<str>,
}

impl Frames {
    fn error(&self, e: crate::proto::ProtoError) -> Error {
        proto_error(e, &format!("reading the response body from {}", self.label))
    }
}

impl Framing for Frames {
    fn frame(&mut self, wire: &[u8]) -> Result<Framed> {
        let decoded = self.decoder.decode(wire).map_err(|e| self.error(e))?;
        Ok(Framed {
            consumed: decoded.consumed,
            payload: decoded.data.unwrap_or(0..0),
        })
    }

    fn verbatim(&self) -> Option<u64> {
        self.decoder.remaining_hint()
    }

    fn runs_to_close(&self) -> bool {
        self.decoder.runs_to_close()
    }

    fn end_of_stream(&mut self) -> Result<()> {
        self.decoder.on_eof().map_err(|e| self.error(e))
    }

    fn is_done(&self) -> bool {
        self.decoder.is_done()
    }
}

/// `Content-Encoding` decoding, for core's reader.
struct Content {
    decoder: ContentDecoder,
    label: Arc<str>,
}

impl Transform for Content {
    fn transform(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        self.decoder
            .decode(input, output)
            .map_err(|e| decode_error(e, &self.label))
    }

    fn finish(&mut self) -> Result<()> {
        self.decoder
            .finish()
            .map_err(|e| decode_error(e, &self.label))
    }
}

/// The end of an HTTP body: the connection goes back to the pool when the response allows
/// keep-alive and nothing at all was left unread after the body (in inet's buffer or the TLS
/// layer's: such bytes would be read as the next request's response); otherwise it is closed.
struct PoolReturn {
    lease: Lease,
    keep_alive: bool,
}

impl Ending for PoolReturn {
    fn finished(self: Box<Self>, h: &HandleRef, conn: Conn, clean: bool) {
        if self.keep_alive && clean {
            self.lease.put_back(conn);
        } else {
            close_connection(h, conn, self.lease);
        }
    }

    fn abandoned(self: Box<Self>, h: &HandleRef, conn: Conn) {
        close_connection(h, conn, self.lease);
    }
}

/// Close a connection that will not be reused, telling the callback, and free its pool place.
pub(crate) fn close_connection(h: &HandleRef, conn: Conn, lease: Lease) {
    inet_core::close_connection(h, conn);
    lease.discard();
}

fn decode_error(e: crate::proto::ProtoError, label: &str) -> Error {
    Error::new(
        ErrorKind::DecodingFailed,
        format!("decoding the response body from {label}"),
    )
    .with_source(e)
}
