//! The request handle (WinINet: HttpOpenRequest) and every operation on it, each in the three
//! forms of inet-core: a future (`send`), callback mode (`start_send`, completing with
//! REQUEST_COMPLETE), and blocking (`send_blocking`).

use std::fmt;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use inet_core::{
    AsyncReader, AsyncWriter, BlockingReader, BlockingWriter, Error, ErrorKind, Handle, HandleKind,
    HandleRef, Incoming, Outgoing, OwnedOperation, Pending, Result, Started,
};
use parking_lot::Mutex;
use url::Url;

use crate::errors::header_error;
use crate::exchange::{self, Plan, Response, Upload};
use crate::options::{BodyLength, RequestOptions};
use crate::proto::{HeaderList, Modifier, ResponseHead};
use crate::target::Server;

/// What a request handle holds between operations. An operation takes what it needs out, works
/// without the lock, and puts the outcome back; core guarantees one operation at a time.
#[derive(Debug)]
struct State {
    plan: Plan,
    response: Option<ResponseHead>,
    /// The response headers as an `http::HeaderMap`, built on the first `headers()` call.
    header_map: Option<Arc<HeaderMap>>,
    sent: Option<HeaderList>,
    /// Boxed: an upload is rare and large (~1 KB), and every request's state is allocated.
    upload: Option<Box<Upload>>,
    /// The close hook that abandons an unfinished upload is registered (on the first send-ex,
    /// not for every request: most never upload).
    upload_guarded: bool,
}

/// A boxed send operation (see `HttpRequest::send_op`).
type SendOp = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'static>>;

/// An HTTP request handle.
///
/// ```no_run
/// use inet_core::Session;
/// use inet_http::RequestOptions;
///
/// let session = Session::new()?;
/// let req = inet_http::open(&session, "http://127.0.0.1:8080/hello.txt", RequestOptions::default())?;
/// req.send_blocking(None, None)?;
/// assert_eq!(req.status_code()?, 200);
/// let body = req.read_to_end_blocking()?;
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone)]
pub struct HttpRequest {
    handle: Handle,
    state: Arc<Mutex<State>>,
    /// The response body, read through core's shared reader.
    body: Incoming,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("HttpRequest")
            .field("handle", &self.handle)
            .field("method", &st.plan.method)
            .field("url", &st.plan.url.as_str())
            .field("status", &st.response.as_ref().map(|r| r.status))
            .finish()
    }
}

impl HttpRequest {
    pub(crate) fn open(
        parent: &HandleRef,
        server: Arc<Server>,
        method: Method,
        url: Url,
        options: RequestOptions,
    ) -> Result<Self> {
        let handle = parent.create_child(HandleKind::HttpRequest, options.context)?;
        handle.trace_url(|| crate::proto::without_userinfo(url.as_str()).into_owned());
        let plan = Plan {
            method,
            url,
            headers: HeaderList::new(),
            options,
            server,
            send_auth: true,
            deadline: None,
        };
        let state = Arc::new(Mutex::new(State {
            plan,
            response: None,
            header_map: None,
            sent: None,
            upload: None,
            upload_guarded: false,
        }));
        let weak = Arc::downgrade(&state);
        let body = Incoming::new(&handle, move || match weak.upgrade() {
            Some(state) => not_sent(&state.lock().plan.url),
            None => "reading: no response yet (send the request first)".to_string(),
        });
        Ok(HttpRequest {
            handle,
            state,
            body,
        })
    }

    /// The request's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close the handle (WinINet: InternetCloseHandle), cancelling a pending operation.
    pub fn close(&self) {
        self.handle.close();
    }

    /// The URL the request goes to now (after redirects, the last one).
    pub fn url(&self) -> String {
        self.state.lock().plan.url.to_string()
    }

    /// WinINet: HttpAddRequestHeaders. `headers` holds one or more `Name: value` lines; on any bad
    /// line (CR/LF or control bytes in a value, a name that is not a token) nothing is added
    /// (ERROR_HTTP_INVALID_HEADER 12153). `Modifier::AddIfNew` fails with 12155 when present.
    pub fn add_headers(&self, headers: &str, modifier: Modifier) -> Result<()> {
        self.state
            .lock()
            .plan
            .headers
            .add_lines(headers, modifier)
            .map_err(header_error)
    }

    /// [`add_headers`](Self::add_headers) from the `http` crate's [`HeaderMap`] (each value of a
    /// repeated name a line of its own). All or nothing: a value that is not visible ASCII
    /// fails with ERROR_HTTP_INVALID_HEADER (12153) and nothing is added.
    pub fn add_header_map(&self, headers: &HeaderMap, modifier: Modifier) -> Result<()> {
        let mut lines = String::new();
        for (name, value) in headers {
            let value = value.to_str().map_err(|e| {
                Error::new(
                    ErrorKind::InvalidHeader,
                    format!("request header {name}: the value is not visible ASCII"),
                )
                .with_source(e)
            })?;
            lines.push_str(name.as_str());
            lines.push_str(": ");
            lines.push_str(value);
            lines.push_str("\r\n");
        }
        if lines.is_empty() {
            return Ok(());
        }
        self.add_headers(&lines, modifier)
    }

    // ----- send -------------------------------------------------------------------------------

    /// WinINet: HttpSendRequest. Sends the request with optional extra header lines and a body,
    /// follows redirects, and returns once the response head has arrived. The body is kept, so
    /// redirects (307/308) and a retry on a stale pooled connection can send it again.
    pub async fn send(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<()> {
        let op = self.send_op(headers, body)?;
        self.handle.run(op).await
    }

    /// [`send`](Self::send) in callback mode: returns at once; REQUEST_COMPLETE follows.
    pub fn start_send(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<Pending> {
        let op = self.send_op(headers, body)?;
        self.handle.start(op)
    }

    /// [`send`](Self::send), blocking.
    pub fn send_blocking(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<()> {
        let op = self.send_op(headers, body)?;
        self.handle.block(op)
    }

    /// Validate the extra headers (before anything is sent) and build the operation, boxed: the
    /// exchange is a deep state machine (~2.5 KiB), and a future is moved by value — boxed where
    /// it is made, it is copied once, not again by every `Ok` and `?` on the way out.
    fn send_op(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<SendOp> {
        let plan = self.plan_with(headers)?;
        let (h, state, incoming) = (
            (*self.handle).clone(),
            self.state.clone(),
            self.body.clone(),
        );
        Ok(Box::pin(async move {
            let mut plan = plan;
            start_over(&state, &incoming, "sending")?;
            let response = exchange::send(&h, &mut plan, body).await?;
            store(&state, &incoming, plan, response);
            Ok(())
        }))
    }

    /// The request as it will be sent: its plan plus the extra header lines of this call,
    /// validated now so that a bad line fails before anything happens.
    fn plan_with(&self, headers: Option<&str>) -> Result<Plan> {
        let mut plan = self.state.lock().plan.clone();
        if let Some(extra) = headers {
            plan.headers
                .add_lines(extra, Modifier::Replace)
                .map_err(header_error)?;
        }
        Ok(plan)
    }

    // ----- send-ex / write / end --------------------------------------------------------------

    /// WinINet: HttpSendRequestEx. Sends the head with a declared body length (or chunked); write
    /// the body with [`write`](Self::write), then [`end_request`](Self::end_request).
    pub async fn send_ex(&self, headers: Option<&str>, length: BodyLength) -> Result<()> {
        let op = Box::pin(self.send_ex_op(headers, length)?);
        self.handle.run(op).await
    }

    /// [`send_ex`](Self::send_ex) in callback mode.
    pub fn start_send_ex(&self, headers: Option<&str>, length: BodyLength) -> Result<Pending> {
        let op = self.send_ex_op(headers, length)?;
        self.handle.start(op)
    }

    /// [`send_ex`](Self::send_ex), blocking.
    pub fn send_ex_blocking(&self, headers: Option<&str>, length: BodyLength) -> Result<()> {
        let op = Box::pin(self.send_ex_op(headers, length)?);
        self.handle.block(op)
    }

    /// On close, an unfinished upload leaves its connection unusable: have the close end it (and
    /// say so) before HANDLE_CLOSING, as `Incoming` does for a body not read to its end. Once
    /// per handle.
    fn guard_upload(&self) {
        {
            let mut st = self.state.lock();
            if std::mem::replace(&mut st.upload_guarded, true) {
                return;
            }
        }
        let weak = Arc::downgrade(&self.state);
        let h = (*self.handle).clone();
        self.handle.on_close(move || {
            let Some(state) = weak.upgrade() else { return };
            let upload = state.lock().upload.take();
            if let Some(u) = upload {
                u.abandon(&h);
            }
        });
    }

    fn send_ex_op(
        &self,
        headers: Option<&str>,
        length: BodyLength,
    ) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let plan = self.plan_with(headers)?;
        self.guard_upload();
        let (h, state, incoming) = (
            (*self.handle).clone(),
            self.state.clone(),
            self.body.clone(),
        );
        Ok(async move {
            start_over(&state, &incoming, "send-ex")?;
            let upload = exchange::begin_upload(&h, &plan, length).await?;
            let mut st = state.lock();
            st.plan = plan;
            st.upload = Some(Box::new(upload));
            Ok(())
        })
    }

    /// WinINet: InternetWriteFile. Writes a piece of the body after [`send_ex`](Self::send_ex);
    /// returns the bytes written.
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(write_op(h, state, data))).await
    }

    /// [`write`](Self::write) in callback mode: done at once (`Started::Done`, no
    /// REQUEST_COMPLETE) when the socket takes the bytes without waiting — WinINet's
    /// InternetWriteFile completes synchronously — else pending, and REQUEST_COMPLETE carries the
    /// count.
    pub fn start_write(&self, data: Bytes) -> Result<Started<usize>> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle
            .start_now(async move { write_op(h, state, &data).await })
    }

    /// [`write`](Self::write), blocking.
    pub fn write_blocking(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(write_op(h, state, data)))
    }

    /// WinINet: HttpEndRequest. Ends the body and waits for the response head.
    pub async fn end_request(&self) -> Result<()> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        let incoming = self.body.clone();
        self.handle.run(Box::pin(end_op(h, state, incoming))).await
    }

    /// [`end_request`](Self::end_request) in callback mode.
    pub fn start_end_request(&self) -> Result<Pending> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        let incoming = self.body.clone();
        self.handle.start(end_op(h, state, incoming))
    }

    /// [`end_request`](Self::end_request), blocking.
    pub fn end_request_blocking(&self) -> Result<()> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        let incoming = self.body.clone();
        self.handle.block(Box::pin(end_op(h, state, incoming)))
    }

    /// The request body, after [`send_ex`](Self::send_ex), as a `futures_io::AsyncWrite` (for
    /// `futures::io::copy` into it; tokio through `tokio-util`'s compat), with no extra copy:
    /// writes go from the caller's buffer through the same path as [`write`](Self::write),
    /// notifications included; `poll_close` ends the request as
    /// [`end_request`](Self::end_request) does (the response head is read; check
    /// [`status`](Self::status) after). Closing the handle cancels: a write under way or a later
    /// one fails (`ConnectionAborted` carrying OPERATION_CANCELLED). Keeps the handle open
    /// while it lives.
    ///
    /// ```no_run
    /// # async fn f(session: &inet_core::Session) -> Result<(), Box<dyn std::error::Error>> {
    /// use inet_http::{BodyLength, RequestOptions};
    /// use smol::io::AsyncWriteExt;
    ///
    /// let data = vec![7u8; 1 << 20];
    /// let req = inet_http::open_method(session, "PUT", "http://127.0.0.1:8080/upload/x", RequestOptions::default())?;
    /// req.send_ex(None, BodyLength::Known(data.len() as u64)).await?;
    /// let mut body = req.async_writer();
    /// smol::io::copy(&data[..], &mut body).await?;
    /// body.close().await?; // HttpEndRequest
    /// assert!(req.status()?.is_success());
    /// # Ok(()) }
    /// ```
    pub fn async_writer(&self) -> AsyncWriter {
        AsyncWriter::new(self.upload_body(), self.handle.clone())
    }

    /// The request body, after [`send_ex`](Self::send_ex), as a `std::io::Write` for blocking
    /// code (`std::io::copy` into it); `finish()` ends the request as
    /// [`end_request_blocking`](Self::end_request_blocking) does. See
    /// [`async_writer`](Self::async_writer).
    pub fn blocking_writer(&self) -> BlockingWriter {
        BlockingWriter::new(self.upload_body(), self.handle.clone())
    }

    fn upload_body(&self) -> UploadBody {
        UploadBody {
            h: (*self.handle).clone(),
            state: self.state.clone(),
            incoming: self.body.clone(),
        }
    }

    // ----- read -------------------------------------------------------------------------------
    // The body is core's shared reader (`inet_core::Incoming`): the same read paths serve FTP
    // and Gopher files. Every future here is cancel-safe.

    /// The response body as a `futures_io::AsyncRead` + `AsyncBufRead` (for `futures::io::copy`,
    /// `BufReader`, decoders; tokio through `tokio-util`'s compat), with no extra copy: reads
    /// go through the same path as [`read`](Self::read), progress notifications included, and
    /// closing the handle makes a pending read fail (`ConnectionAborted` carrying
    /// OPERATION_CANCELLED). Keeps the handle open while it lives.
    pub fn async_reader(&self) -> AsyncReader {
        AsyncReader::new(self.body.clone(), self.handle.clone())
    }

    /// The response body as a `std::io::Read` + `BufRead` for blocking code (`std::io::copy`), each read
    /// a [`read_blocking`](Self::read_blocking). Keeps the handle open while it lives.
    pub fn blocking_reader(&self) -> BlockingReader {
        BlockingReader::new(self.body.clone(), self.handle.clone())
    }

    /// WinINet: InternetReadFile. Reads body bytes into `buf`; 0 means the body has ended. The
    /// body is decoded (gzip/deflate) unless the request opted out.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read(buf).await
    }

    /// [`read`](Self::read) in callback mode, with an owned buffer of up to `max` bytes: done at
    /// once when the bytes are there — buffered, or waiting in the socket — with no
    /// REQUEST_COMPLETE (as in WinINet); else pending, and REQUEST_COMPLETE carries the bytes
    /// ([`Completion::Data`](inet_core::Completion::Data); empty at the end of the body).
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        self.body.start_read(max)
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read_blocking(buf)
    }

    /// WinINet: InternetReadFileEx with IRF_NO_WAIT. Reads only what is already buffered:
    /// `Ok(None)` when a read would have to wait, `Ok(Some(0))` at the end of the body.
    pub fn try_read(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        self.body.try_read(buf)
    }

    /// Read the whole (rest of the) body, up to the request's
    /// [`max_body_size`](RequestOptions::max_body_size) (1 GiB by default; past it,
    /// [`ErrorKind::TooLarge`]).
    pub async fn read_to_end(&self) -> Result<Vec<u8>> {
        let expected = self.content_length().ok();
        let limit = self.state.lock().plan.options.max_body_size;
        self.body.read_to_end(expected, limit).await
    }

    /// [`read_to_end`](Self::read_to_end), blocking.
    pub fn read_to_end_blocking(&self) -> Result<Vec<u8>> {
        inet_core::block_on(self.read_to_end())
    }

    /// WinINet: InternetQueryDataAvailable. Bytes readable without waiting; waits for the network
    /// when none are buffered; 0 at the end of the body.
    pub async fn query_data_available(&self) -> Result<u64> {
        self.body.query_data_available().await
    }

    /// [`query_data_available`](Self::query_data_available) in callback mode: done at once when
    /// bytes are readable; else REQUEST_COMPLETE carries the count.
    pub fn start_query_data_available(&self) -> Result<Started<u64>> {
        self.body.start_query_data_available()
    }

    /// [`query_data_available`](Self::query_data_available), blocking.
    pub fn query_data_available_blocking(&self) -> Result<u64> {
        self.body.query_data_available_blocking()
    }

    // ----- query info -------------------------------------------------------------------------

    fn with_response<T>(&self, f: impl FnOnce(&ResponseHead) -> Result<T>) -> Result<T> {
        let st = self.state.lock();
        match &st.response {
            Some(r) => f(r),
            None => Err(Error::new(
                ErrorKind::IncorrectHandleState,
                format!(
                    "querying {}: no response yet (send the request first)",
                    st.plan.url
                ),
            )),
        }
    }

    /// HTTP_QUERY_STATUS_CODE.
    pub fn status_code(&self) -> Result<u16> {
        self.with_response(|r| Ok(r.status))
    }

    /// The status code as the `http` crate's [`StatusCode`] (`status_code` as a number).
    pub fn status(&self) -> Result<StatusCode> {
        self.with_response(|r| {
            StatusCode::from_u16(r.status).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidServerResponse,
                    format!("status {} is not an HTTP status code", r.status),
                )
                .with_source(e)
            })
        })
    }

    /// The response headers as the `http` crate's [`HeaderMap`], in the order received (names
    /// lowercased, repeated names kept as several values). Built once per response, on the first
    /// call, and shared after: later calls are a reference count. A line the `http` crate refuses
    /// (none from a conforming server) is left out; [`raw_headers`](Self::raw_headers) has
    /// everything as received.
    pub fn headers(&self) -> Result<Arc<HeaderMap>> {
        let mut st = self.state.lock();
        if let Some(map) = &st.header_map {
            return Ok(map.clone());
        }
        let Some(response) = &st.response else {
            return Err(Error::new(
                ErrorKind::IncorrectHandleState,
                format!(
                    "querying {}: no response yet (send the request first)",
                    crate::proto::without_userinfo(st.plan.url.as_str())
                ),
            ));
        };
        let map = Arc::new(header_map(&response.headers));
        st.header_map = Some(map.clone());
        Ok(map)
    }

    /// HTTP_QUERY_STATUS_TEXT (the reason phrase).
    pub fn status_text(&self) -> Result<String> {
        self.with_response(|r| Ok(r.reason.clone()))
    }

    /// HTTP_QUERY_VERSION.
    pub fn version(&self) -> Result<Version> {
        self.with_response(|r| Ok(r.version))
    }

    /// A response header by name (HTTP_QUERY_CUSTOM with an index): the `index`-th occurrence and
    /// the index of the next one, if any. Absent: ERROR_HTTP_HEADER_NOT_FOUND (12150).
    pub fn header(&self, name: &str, index: usize) -> Result<(String, Option<usize>)> {
        self.with_response(|r| indexed(&r.headers, name, index, "response"))
    }

    /// The first value of a response header.
    pub fn header_value(&self, name: &str) -> Result<String> {
        self.header(name, 0).map(|(v, _)| v)
    }

    /// HTTP_QUERY_CONTENT_LENGTH.
    pub fn content_length(&self) -> Result<u64> {
        let v = self.header_value("content-length")?;
        v.trim().parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidServerResponse,
                format!("Content-Length {v:?} is not a number"),
            )
        })
    }

    /// HTTP_QUERY_RAW_HEADERS_CRLF: the status line and headers as received, CRLF-separated.
    pub fn raw_headers(&self) -> Result<String> {
        self.with_response(|r| Ok(r.raw.clone()))
    }

    /// A request header as sent (HTTP_QUERY_FLAG_REQUEST_HEADERS), with index as in
    /// [`header`](Self::header).
    pub fn request_header(&self, name: &str, index: usize) -> Result<(String, Option<usize>)> {
        let st = self.state.lock();
        let sent = st.sent.as_ref().or(st.upload.as_ref().map(|u| &u.sent));
        match sent {
            Some(h) => indexed(h, name, index, "request"),
            None => indexed(&st.plan.headers, name, index, "request"),
        }
    }

    /// The request headers as sent, CRLF form (HTTP_QUERY_RAW_HEADERS_CRLF | FLAG_REQUEST_HEADERS).
    pub fn request_raw_headers(&self) -> Result<String> {
        let st = self.state.lock();
        let sent = st
            .sent
            .as_ref()
            .or(st.upload.as_ref().map(|u| &u.sent))
            .unwrap_or(&st.plan.headers);
        Ok(sent.to_raw())
    }
}

/// A header list as an `http::HeaderMap` (lines it refuses left out).
fn header_map(headers: &HeaderList) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(headers.iter().count());
    for (name, value) in headers.iter() {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    map
}

fn indexed(
    headers: &HeaderList,
    name: &str,
    index: usize,
    side: &str,
) -> Result<(String, Option<usize>)> {
    match headers.get(name, index) {
        Some(v) => {
            let next = headers.get(name, index + 1).map(|_| index + 1);
            Ok((v.to_string(), next))
        }
        None => Err(Error::new(
            ErrorKind::HeaderNotFound,
            format!("{side} header {name:?} (index {index})"),
        )),
    }
}

/// The message of a read before any response (the URL without its credentials).
fn not_sent(url: &Url) -> String {
    format!(
        "reading {}: no response yet (send the request first)",
        crate::proto::without_userinfo(url.as_str())
    )
}

/// A new send on this handle: forget the last response (closing its connection if its body was
/// not read to the end). Refused while a send-ex upload is open.
fn start_over(state: &Mutex<State>, incoming: &Incoming, what: &str) -> Result<()> {
    let mut st = state.lock();
    if st.upload.is_some() {
        return Err(Error::new(
            ErrorKind::IncorrectHandleState,
            format!("{what}: an upload (send-ex) is in progress"),
        ));
    }
    st.response = None;
    st.header_map = None;
    st.sent = None;
    drop(st);
    incoming.reset();
    Ok(())
}

fn store(state: &Mutex<State>, incoming: &Incoming, plan: Plan, response: Response) {
    {
        let mut st = state.lock();
        st.plan = plan;
        st.response = Some(response.head);
        st.header_map = None;
        st.sent = Some(response.sent);
    }
    incoming.set(response.reader);
}

async fn write_op(h: HandleRef, state: Arc<Mutex<State>>, data: &[u8]) -> Result<usize> {
    let mut up = state.lock().upload.take().ok_or_else(|| {
        Error::new(
            ErrorKind::IncorrectHandleState,
            "writing the request body: no send-ex in progress",
        )
    })?;
    let r = exchange::write_piece(&h, &mut up, data).await;
    if r.is_ok() {
        state.lock().upload = Some(up);
    } else {
        up.abandon(&h);
    }
    r
}

async fn end_op(h: HandleRef, state: Arc<Mutex<State>>, incoming: Incoming) -> Result<()> {
    let (up, mut plan) = {
        let mut st = state.lock();
        let up = st.upload.take().ok_or_else(|| {
            Error::new(
                ErrorKind::IncorrectHandleState,
                "ending the request: no send-ex in progress",
            )
        })?;
        (up, st.plan.clone())
    };
    let response = exchange::end_upload(&h, &mut plan, *up).await?;
    store(&state, &incoming, plan, response);
    Ok(())
}

/// A send-ex body for the writer adapters (`inet_core::Outgoing`).
struct UploadBody {
    h: HandleRef,
    state: Arc<Mutex<State>>,
    incoming: Incoming,
}

/// The upload lent out of the request's state for one step; it goes back when the step is
/// over — or, when the step failed or the handle closed meanwhile, its connection is closed
/// (a body cut short cannot go on). Dropping it (a cancelled wait) puts it back too.
struct LentUpload<'a> {
    h: &'a HandleRef,
    state: &'a Mutex<State>,
    upload: Option<Box<Upload>>,
}

impl<'a> LentUpload<'a> {
    fn take(h: &'a HandleRef, state: &'a Mutex<State>, what: &str) -> Result<Self> {
        let upload = state.lock().upload.take().ok_or_else(|| {
            Error::new(
                ErrorKind::IncorrectHandleState,
                format!("{what}: no send-ex in progress"),
            )
        })?;
        Ok(LentUpload {
            h,
            state,
            upload: Some(upload),
        })
    }

    fn upload(&mut self) -> Result<&mut Upload> {
        // Present until settled or dropped.
        self.upload
            .as_deref_mut()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "the upload was given back"))
    }

    /// End the loan with the step's outcome.
    fn settle<T>(mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            if let Some(up) = self.upload.take() {
                up.abandon(self.h);
            }
        }
        r
    }
}

impl Drop for LentUpload<'_> {
    fn drop(&mut self) {
        let Some(up) = self.upload.take() else { return };
        if self.h.is_closed() {
            up.abandon(self.h);
        } else {
            self.state.lock().upload = Some(up);
        }
    }
}

impl UploadBody {
    fn poll_step<T>(
        &self,
        what: &str,
        step: impl FnOnce(&HandleRef, &mut Upload) -> Poll<Result<T>>,
    ) -> Poll<Result<T>> {
        let _op = self.h.begin_operation()?;
        let mut lent = LentUpload::take(&self.h, &self.state, what)?;
        match step(&self.h, lent.upload()?) {
            Poll::Ready(r) => Poll::Ready(lent.settle(r)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Outgoing for UploadBody {
    fn poll_send(&self, cx: &mut std::task::Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        self.poll_step("writing the request body", |h, up| {
            exchange::poll_write_piece(h, up, cx, buf)
        })
    }

    fn poll_push(&self, cx: &mut std::task::Context<'_>) -> Poll<Result<()>> {
        self.poll_step("writing the request body", |h, up| {
            exchange::poll_push(h, up, cx)
        })
    }

    fn writable(&self) -> OwnedOperation {
        let (h, state) = (self.h.clone(), self.state.clone());
        Box::pin(async move {
            let wait = async {
                let mut lent = LentUpload::take(&h, &state, "writing the request body")?;
                let r = exchange::wait_writable(lent.upload()?).await;
                lent.settle(r)
            };
            h.run(Box::pin(wait)).await
        })
    }

    fn finish(&self) -> OwnedOperation {
        let (h, state, incoming) = (self.h.clone(), self.state.clone(), self.incoming.clone());
        Box::pin(async move {
            let op = end_op(h.clone(), state, incoming);
            h.run(Box::pin(op)).await
        })
    }
}
