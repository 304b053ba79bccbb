//! Items (WinINet: GopherOpenFile): a file handle streaming one item through core's shared
//! reader — a text item as sent with a final `.` line dropped (or, when asked, RFC 1436's `.`
//! line and dot-unstuffing), anything else until the server closes.

use std::fmt;
use std::future::Future;

use bytes::Bytes;
use inet_core::{
    AsyncReader, BlockingReader, Completion, Context, Error, ErrorKind, Framed, Framing, Handle,
    HandleKind, Incoming, Pending, Reader, Result, Started, UntilClose, Value,
};

use crate::connection::{send_request, GopherConnection};
use crate::errors;
use crate::find::shown;
use crate::proto::{AsSentFraming, Locator, TextFraming};

/// A text item's framing as core's [`Framing`]: the proto's two text framings share its shape.
macro_rules! text_framing {
    ($name:ident, $proto:ty) => {
        #[derive(Debug, Default)]
        struct $name($proto);

        impl Framing for $name {
            fn frame(&mut self, wire: &[u8]) -> Result<Framed> {
                let f = self.0.frame(wire);
                Ok(Framed {
                    consumed: f.consumed,
                    payload: f.payload,
                })
            }

            fn end_of_stream(&mut self) -> Result<()> {
                self.0.end_of_stream();
                Ok(())
            }

            fn is_done(&self) -> bool {
                self.0.is_done()
            }
        }
    };
}

// RFC 1436: up to the `.` line, dot-stuffing undone; a server that closes first ends it there.
text_framing!(DotTerminated, TextFraming);
// As the real servers send text: everything, a final `.` line dropped.
text_framing!(AsSent, AsSentFraming);

/// An open Gopher item (WinINet: the handle GopherOpenFile returns).
#[derive(Clone)]
pub struct GopherFile {
    handle: Handle,
    body: Incoming,
}

impl fmt::Debug for GopherFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GopherFile")
            .field("handle", &self.handle)
            .finish()
    }
}

impl From<GopherFile> for Completion {
    fn from(f: GopherFile) -> Self {
        Completion::Value(Value::new(f))
    }
}

impl GopherConnection {
    /// WinINet: GopherOpenFile. Request the item `locator` names (with a Gopher+ `view` such as
    /// `text/plain` when given) and return a file handle to read it, whose notifications carry
    /// `context`. A menu or search locator → GOPHER_NOT_FILE (12131).
    pub async fn open_file(
        &self,
        locator: &Locator,
        view: Option<&str>,
        context: Context,
    ) -> Result<GopherFile> {
        let op = self.open_file_op(locator, view, context)?;
        self.handle.run(op).await
    }

    /// [`open_file`](Self::open_file) in callback mode: REQUEST_COMPLETE carries the
    /// [`GopherFile`] as `Completion::Value` (keep a clone).
    pub fn start_open_file(
        &self,
        locator: &Locator,
        view: Option<&str>,
        context: Context,
    ) -> Result<Pending> {
        let op = self.open_file_op(locator, view, context)?;
        self.handle.start(op)
    }

    /// [`open_file`](Self::open_file), blocking.
    pub fn open_file_blocking(
        &self,
        locator: &Locator,
        view: Option<&str>,
        context: Context,
    ) -> Result<GopherFile> {
        let op = self.open_file_op(locator, view, context)?;
        self.handle.block(op)
    }

    /// Open any item as bytes — a menu (or a search's results, with `query`) as the text the
    /// server sent, `.` line and dot-stuffing handled — for callers that show or save what a URL
    /// names, whatever its type (`open_url`, `inet get gopher://…/1/`).
    pub async fn open_raw(
        &self,
        locator: &Locator,
        query: Option<&str>,
        context: Context,
    ) -> Result<GopherFile> {
        let op = self.open_raw_op(locator, query, context)?;
        self.handle.run(op).await
    }

    /// [`open_raw`](Self::open_raw) as an operation not yet started (see
    /// [`open_file_op`](Self::open_file_op)).
    pub fn open_raw_op(
        &self,
        locator: &Locator,
        query: Option<&str>,
        context: Context,
    ) -> Result<impl Future<Output = Result<GopherFile>> + Send + 'static> {
        self.item_op(locator, query, None, context)
    }

    /// [`open_raw`](Self::open_raw) in callback mode (REQUEST_COMPLETE carries the
    /// [`GopherFile`]).
    pub fn start_open_raw(
        &self,
        locator: &Locator,
        query: Option<&str>,
        context: Context,
    ) -> Result<Pending> {
        let op = self.item_op(locator, query, None, context)?;
        self.handle.start(op)
    }

    /// [`open_raw`](Self::open_raw), blocking.
    pub fn open_raw_blocking(
        &self,
        locator: &Locator,
        query: Option<&str>,
        context: Context,
    ) -> Result<GopherFile> {
        let op = self.item_op(locator, query, None, context)?;
        self.handle.block(op)
    }

    /// [`open_file`](Self::open_file) as an operation not yet started, for callers that compose
    /// it into an operation of their own on this connection's handle (`inet::open_url` does).
    pub fn open_file_op(
        &self,
        locator: &Locator,
        view: Option<&str>,
        context: Context,
    ) -> Result<impl Future<Output = Result<GopherFile>> + Send + 'static> {
        let t = locator.item_type();
        if t.is_directory() || t.is_index_server() {
            return Err(Error::new(
                ErrorKind::GopherNotFile,
                format!(
                    "opening {}: a {} item is not a file (find_first reads menus)",
                    shown(locator),
                    t.name()
                ),
            ));
        }
        let plus = view.map(|v| format!("+{v}"));
        self.item_op(locator, None, plus, context)
    }

    fn item_op(
        &self,
        locator: &Locator,
        query: Option<&str>,
        plus: Option<String>,
        context: Context,
    ) -> Result<impl Future<Output = Result<GopherFile>> + Send + 'static> {
        let what = format!("opening {}", shown(locator));
        let request = locator
            .request(query, plus.as_deref())
            .map_err(|e| errors::protocol(&what, e))?;
        let locator = locator.clone();
        let (server, h) = self.parts();
        #[cfg(feature = "tracing")]
        let traced_query = query.map(str::to_string);
        Ok(async move {
            let conn = send_request(&h, &server, &locator, &request).await?;
            let handle = h.create_child(HandleKind::GopherFile, context)?;
            #[cfg(feature = "tracing")]
            handle.trace_url(|| {
                GopherConnection::trace_url(&server, &locator, traced_query.as_deref())
            });
            let body = Incoming::new(&handle, || "reading: the item is over".to_string());
            let framing: Box<dyn Framing> = match locator.item_type().is_dot_terminated() {
                true if server.options.dot_stuffed => Box::<DotTerminated>::default(),
                true => Box::<AsSent>::default(),
                false => Box::<UntilClose>::default(),
            };
            body.set(Reader::dedicated(conn, framing, None, None));
            Ok(GopherFile { handle, body })
        })
    }
}

impl GopherFile {
    /// The file handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close it (WinINet: InternetCloseHandle); an item not read to its end is cut off.
    pub fn close(&self) {
        self.handle.close();
    }

    /// The item as a `futures_io::AsyncRead` + `AsyncBufRead` (for `futures::io::copy`,
    /// `BufReader`, decoders; tokio through `tokio-util`'s compat), with no extra copy: reads
    /// go through the same path as [`read`](Self::read), progress notifications included, and
    /// closing the handle makes a pending read fail (`ConnectionAborted` carrying
    /// OPERATION_CANCELLED). Keeps the handle open while it lives.
    pub fn async_reader(&self) -> AsyncReader {
        AsyncReader::new(self.body.clone(), self.handle.clone())
    }

    /// The item as a `std::io::Read` + `BufRead` for blocking code (`std::io::copy`), each read
    /// a [`read_blocking`](Self::read_blocking). Keeps the handle open while it lives.
    pub fn blocking_reader(&self) -> BlockingReader {
        BlockingReader::new(self.body.clone(), self.handle.clone())
    }

    /// WinINet: InternetReadFile. 0 at the end of the item.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read(buf).await
    }

    /// [`read`](Self::read) in callback mode (owned bytes, at most `max`): done at once when
    /// bytes are there, else REQUEST_COMPLETE carries them.
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        self.body.start_read(max)
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read_blocking(buf)
    }

    /// WinINet: InternetReadFileEx with IRF_NO_WAIT.
    pub fn try_read(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        self.body.try_read(buf)
    }

    /// WinINet: InternetQueryDataAvailable.
    pub async fn query_data_available(&self) -> Result<u64> {
        self.body.query_data_available().await
    }

    /// [`query_data_available`](Self::query_data_available) in callback mode.
    pub fn start_query_data_available(&self) -> Result<Started<u64>> {
        self.body.start_query_data_available()
    }

    /// [`query_data_available`](Self::query_data_available), blocking.
    pub fn query_data_available_blocking(&self) -> Result<u64> {
        self.body.query_data_available_blocking()
    }

    /// The whole (rest of the) item, failing with NOT_ENOUGH_MEMORY past `limit` bytes.
    pub async fn read_to_end(&self, limit: u64) -> Result<Vec<u8>> {
        self.body.read_to_end(None, limit).await
    }

    /// [`read_to_end`](Self::read_to_end), blocking.
    pub fn read_to_end_blocking(&self, limit: u64) -> Result<Vec<u8>> {
        inet_core::block_on(self.body.read_to_end(None, limit))
    }
}
