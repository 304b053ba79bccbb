//! Gopher+ attributes (WinINet: GopherGetAttribute): an item's `+INFO`, `+ADMIN`, `+VIEWS`,
//! `+ABSTRACT`… blocks, asked for with the `!` request.

use std::future::Future;

use inet_core::{Error, ErrorKind, Pending, Reader, Result, UntilClose};

use crate::connection::{send_request, GopherConnection};
use crate::errors;
use crate::find::shown;
use crate::proto::text::TextDecoder;
use crate::proto::{
    parse_attributes, parse_error_body, parse_reply_header, AttributeBlock, Locator, PlusHeader,
    PlusLength,
};

/// An attribute reply larger than this is refused (NOT_ENOUGH_MEMORY).
const MAX_ATTRIBUTES: usize = 4 * 1024 * 1024;

impl GopherConnection {
    /// WinINet: GopherGetAttribute. The Gopher+ attribute blocks of `locator`'s item — one
    /// block when `name` is given (`"ABSTRACT"` or `"+ABSTRACT"`), else all. A plain Gopher
    /// server → GOPHER_NOT_GOPHER_PLUS (12136); the block missing, or a Gopher+ error reply →
    /// GOPHER_ATTRIBUTE_NOT_FOUND (12137).
    pub async fn get_attribute(
        &self,
        locator: &Locator,
        name: Option<&str>,
    ) -> Result<Vec<AttributeBlock>> {
        let op = self.attribute_op(locator, name)?;
        self.handle.run(op).await
    }

    /// [`get_attribute`](Self::get_attribute) in callback mode: REQUEST_COMPLETE carries the
    /// blocks as `Completion::Value(Vec<AttributeBlock>)`.
    pub fn start_get_attribute(&self, locator: &Locator, name: Option<&str>) -> Result<Pending> {
        let op = self.attribute_op(locator, name)?;
        self.handle
            .start(async move { op.await.map(inet_core::Value::new) })
    }

    /// [`get_attribute`](Self::get_attribute), blocking.
    pub fn get_attribute_blocking(
        &self,
        locator: &Locator,
        name: Option<&str>,
    ) -> Result<Vec<AttributeBlock>> {
        let op = self.attribute_op(locator, name)?;
        self.handle.block(op)
    }

    fn attribute_op(
        &self,
        locator: &Locator,
        name: Option<&str>,
    ) -> Result<impl Future<Output = Result<Vec<AttributeBlock>>> + Send + 'static> {
        let what = format!("reading the attributes of {}", shown(locator));
        let wanted = name.map(|n| {
            n.trim_start_matches('+')
                .trim_end_matches(':')
                .to_ascii_uppercase()
        });
        // Every block is asked for and the one wanted kept here: servers differ on `!+NAME`
        // (pygopherd answers it with the item itself), and the blocks are small.
        let request = locator
            .request(None, Some("!"))
            .map_err(|e| errors::protocol(&what, e))?;
        let locator = locator.clone();
        let (server, h) = self.parts();
        Ok(async move {
            let conn = send_request(&h, &server, &locator, &request).await?;
            let mut reader = Reader::dedicated(conn, Box::<UntilClose>::default(), None, None);
            let mut data = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = reader.read(&h, &mut buf).await?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
                if data.len() > MAX_ATTRIBUTES {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!("{what}: more than {MAX_ATTRIBUTES} bytes"),
                    ));
                }
            }
            let Some((header, at)) =
                parse_reply_header(&data).map_err(|e| errors::protocol(&what, e))?
            else {
                return Err(Error::new(
                    ErrorKind::GopherNotGopherPlus,
                    format!("{what}: the server closed before a Gopher+ header"),
                ));
            };
            let body = body_of(&data[at..], header);
            match header {
                PlusHeader::Error(_) => {
                    let e = parse_error_body(&body);
                    Err(Error::new(
                        ErrorKind::GopherAttributeNotFound,
                        format!("{what}: the server said {e:?}"),
                    ))
                }
                PlusHeader::Data(_) => {
                    let blocks = parse_attributes(&body).map_err(|e| errors::protocol(&what, e))?;
                    let blocks: Vec<AttributeBlock> = match &wanted {
                        Some(w) => blocks
                            .into_iter()
                            .filter(|b| b.name.eq_ignore_ascii_case(w))
                            .collect(),
                        None => blocks,
                    };
                    if blocks.is_empty() {
                        return Err(Error::new(
                            ErrorKind::GopherAttributeNotFound,
                            format!(
                                "{what}: no {} block",
                                wanted.as_deref().unwrap_or("attribute")
                            ),
                        ));
                    }
                    Ok(blocks)
                }
            }
        })
    }
}

/// The data after a Gopher+ header, as its length says.
fn body_of(rest: &[u8], header: PlusHeader) -> Vec<u8> {
    let length = match header {
        PlusHeader::Data(l) | PlusHeader::Error(l) => l,
    };
    match length {
        PlusLength::UntilClose => rest.to_vec(),
        PlusLength::Bytes(n) => {
            rest[..rest.len().min(usize::try_from(n).unwrap_or(usize::MAX))].to_vec()
        }
        PlusLength::DotTerminated => {
            let mut d = TextDecoder::new();
            let mut out = vec![0u8; rest.len() + 8];
            let (_, made) = d.decode(rest, &mut out);
            let (_, more) = d.decode(&[], &mut out[made..]);
            out.truncate(made + more);
            out
        }
    }
}
