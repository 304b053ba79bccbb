//! The request handle (WinINet: HttpOpenRequest) and every operation on it, each in the three
//! forms of inet-core: a future (`send`), callback mode (`start_send`, completing with
//! REQUEST_COMPLETE), and blocking (`send_blocking`).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Version};
use inet_core::{
    Completion, Error, ErrorKind, Handle, HandleKind, HandleRef, Pending, Result, Started,
};
use parking_lot::Mutex;
use url::Url;

use crate::body::BodyReader;
use crate::connection::Server;
use crate::errors::header_error;
use crate::exchange::{self, Plan, Response, Upload};
use crate::options::{BodyLength, RequestOptions};
use crate::proto::{HeaderList, Modifier, ResponseHead};

/// What a request handle holds between operations. An operation takes what it needs out, works
/// without the lock, and puts the outcome back; core guarantees one operation at a time.
#[derive(Debug)]
struct State {
    plan: Plan,
    response: Option<ResponseHead>,
    sent: Option<HeaderList>,
    body: Option<Box<BodyReader>>,
    upload: Option<Upload>,
    /// Why the body can no longer be read (an earlier read failed).
    broken: Option<Error>,
}

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
            sent: None,
            body: None,
            upload: None,
            broken: None,
        }));
        // On close, a body not read to its end leaves its connection unusable: close it (and say
        // so) before HANDLE_CLOSING.
        let weak = Arc::downgrade(&state);
        let h = (*handle).clone();
        handle.on_close(move || {
            let Some(state) = weak.upgrade() else { return };
            let (body, upload) = {
                let mut st = state.lock();
                (st.body.take(), st.upload.take())
            };
            if let Some(b) = body {
                b.abandon(&h);
            }
            if let Some(u) = upload {
                u.abandon(&h);
            }
        });
        Ok(HttpRequest { handle, state })
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

    // ----- send -------------------------------------------------------------------------------

    /// WinINet: HttpSendRequest. Sends the request with optional extra header lines and a body,
    /// follows redirects, and returns once the response head has arrived. The body is kept, so
    /// redirects (307/308) and a retry on a stale pooled connection can send it again.
    pub async fn send(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<()> {
        // Boxed: the exchange is a deep state machine, and a future is moved by value.
        let op = Box::pin(self.send_op(headers, body)?);
        self.handle.run(op).await
    }

    /// [`send`](Self::send) in callback mode: returns at once; REQUEST_COMPLETE follows.
    pub fn start_send(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<Pending> {
        let op = Box::pin(self.send_op(headers, body)?);
        self.handle.start(op)
    }

    /// [`send`](Self::send), blocking.
    pub fn send_blocking(&self, headers: Option<&str>, body: Option<Bytes>) -> Result<()> {
        let op = Box::pin(self.send_op(headers, body)?);
        self.handle.block(op)
    }

    /// Validate the extra headers (before anything is sent) and build the operation.
    fn send_op(
        &self,
        headers: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let plan = self.plan_with(headers)?;
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        Ok(async move {
            start_over(&h, &state, "sending")?;
            let (plan, response) = exchange::send(&h, plan, body).await?;
            store(&state, plan, response);
            Ok(())
        })
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

    fn send_ex_op(
        &self,
        headers: Option<&str>,
        length: BodyLength,
    ) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let plan = self.plan_with(headers)?;
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        Ok(async move {
            start_over(&h, &state, "send-ex")?;
            let upload = exchange::begin_upload(&h, &plan, length).await?;
            let mut st = state.lock();
            st.plan = plan;
            st.upload = Some(upload);
            Ok(())
        })
    }

    /// WinINet: InternetWriteFile. Writes a piece of the body after [`send_ex`](Self::send_ex);
    /// returns the bytes written.
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(write_op(h, state, data))).await
    }

    /// [`write`](Self::write) in callback mode; REQUEST_COMPLETE carries the count.
    pub fn start_write(&self, data: Bytes) -> Result<Pending> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle
            .start(async move { write_op(h, state, &data).await })
    }

    /// [`write`](Self::write), blocking.
    pub fn write_blocking(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(write_op(h, state, data)))
    }

    /// WinINet: HttpEndRequest. Ends the body and waits for the response head.
    pub async fn end_request(&self) -> Result<()> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(end_op(h, state))).await
    }

    /// [`end_request`](Self::end_request) in callback mode.
    pub fn start_end_request(&self) -> Result<Pending> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.start(end_op(h, state))
    }

    /// [`end_request`](Self::end_request), blocking.
    pub fn end_request_blocking(&self) -> Result<()> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(end_op(h, state)))
    }

    // ----- read -------------------------------------------------------------------------------

    /// WinINet: InternetReadFile. Reads body bytes into `buf`; 0 means the body has ended. The
    /// body is decoded (gzip/deflate) unless the request opted out.
    ///
    /// (Operations are boxed once each: the futures beneath are deep state machines, and
    /// executors move futures by value.)
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(read_op(h, state, buf))).await
    }

    /// [`read`](Self::read) in callback mode, with an owned buffer of up to `max` bytes: done at
    /// once when data is buffered (no REQUEST_COMPLETE, as in WinINet), else pending, and
    /// REQUEST_COMPLETE carries the bytes ([`Completion::Data`]; empty at the end of the body).
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        let op = self.handle.begin_operation()?;
        let mut buf = vec![0u8; max];
        if let Some(n) = try_read_now(&self.handle, &self.state, &mut buf)? {
            buf.truncate(n);
            return Ok(Started::Done(Bytes::from(buf)));
        }
        drop(op);
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        let pending = self.handle.start(async move {
            let n = read_op(h, state, &mut buf).await?;
            buf.truncate(n);
            Ok(Completion::Data(Bytes::from(buf)))
        })?;
        Ok(Started::Pending(pending))
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(read_op(h, state, buf)))
    }

    /// WinINet: InternetReadFileEx with IRF_NO_WAIT. Reads only what is already buffered:
    /// `Ok(None)` when a read would have to wait, `Ok(Some(0))` at the end of the body.
    pub fn try_read(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        let _op = self.handle.begin_operation()?;
        try_read_now(&self.handle, &self.state, buf)
    }

    /// Read the whole (rest of the) body.
    pub async fn read_to_end(&self) -> Result<Vec<u8>> {
        // Read straight into the result's spare room, sized by Content-Length when there is one
        // (most bodies are small: no 64 KiB buffer for a 1 KiB body), else growing by doubling.
        let expected = self
            .content_length()
            .ok()
            .and_then(|n| usize::try_from(n).ok());
        let mut room = expected.map_or(16 * 1024, |n| n.clamp(1, 1 << 20));
        let mut out = Vec::new();
        loop {
            let len = out.len();
            out.resize(len + room, 0);
            let n = self.read(&mut out[len..]).await?;
            out.truncate(len + n);
            if n == 0 {
                return Ok(out);
            }
            room = match expected {
                // All announced bytes are in: a small read to see the end.
                Some(e) if out.len() >= e => 64,
                _ if n == room => (room * 2).min(1 << 20),
                _ => room,
            };
        }
    }

    /// [`read_to_end`](Self::read_to_end), blocking.
    pub fn read_to_end_blocking(&self) -> Result<Vec<u8>> {
        async_io::block_on(self.read_to_end())
    }

    /// WinINet: InternetQueryDataAvailable. Bytes readable without waiting; waits for the network
    /// when none are buffered; 0 at the end of the body.
    pub async fn query_data_available(&self) -> Result<u64> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(available_op(h, state))).await
    }

    /// [`query_data_available`](Self::query_data_available) in callback mode: done at once when
    /// bytes are buffered; else REQUEST_COMPLETE carries the count.
    pub fn start_query_data_available(&self) -> Result<Started<u64>> {
        let op = self.handle.begin_operation()?;
        {
            let st = self.state.lock();
            if let Some(b) = &st.body {
                let n = b.buffered();
                if n > 0 || b.is_finished() {
                    return Ok(Started::Done(n as u64));
                }
            }
        }
        drop(op);
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        Ok(Started::Pending(self.handle.start(available_op(h, state))?))
    }

    /// [`query_data_available`](Self::query_data_available), blocking.
    pub fn query_data_available_blocking(&self) -> Result<u64> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(available_op(h, state)))
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

/// A new send on this handle: forget the last response (closing its connection if its body was
/// not read to the end). Refused while a send-ex upload is open.
fn start_over(h: &HandleRef, state: &Mutex<State>, what: &str) -> Result<()> {
    let old = {
        let mut st = state.lock();
        if st.upload.is_some() {
            return Err(Error::new(
                ErrorKind::IncorrectHandleState,
                format!("{what}: an upload (send-ex) is in progress"),
            ));
        }
        st.response = None;
        st.sent = None;
        st.broken = None;
        st.body.take()
    };
    if let Some(b) = old {
        b.abandon(h);
    }
    Ok(())
}

fn store(state: &Mutex<State>, plan: Plan, response: Response) {
    let mut st = state.lock();
    st.plan = plan;
    st.response = Some(response.head);
    st.sent = Some(response.sent);
    st.body = Some(response.reader);
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

async fn end_op(h: HandleRef, state: Arc<Mutex<State>>) -> Result<()> {
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
    let response = exchange::end_upload(&h, &mut plan, up).await?;
    store(&state, plan, response);
    Ok(())
}

/// Take the body reader out for an operation (the lock is not held across the network).
fn take_body(state: &Mutex<State>) -> Result<Option<Box<BodyReader>>> {
    let mut st = state.lock();
    if let Some(e) = &st.broken {
        return Err(e.clone());
    }
    match st.body.take() {
        Some(b) if b.is_finished() => {
            st.body = Some(b);
            Ok(None)
        }
        Some(b) => Ok(Some(b)),
        None if st.response.is_some() => Ok(None),
        None => Err(Error::new(
            ErrorKind::IncorrectHandleState,
            format!(
                "reading {}: no response yet (send the request first)",
                st.plan.url
            ),
        )),
    }
}

fn put_back(h: &HandleRef, state: &Mutex<State>, body: Box<BodyReader>, result: &Result<usize>) {
    match result {
        Ok(_) => state.lock().body = Some(body),
        Err(e) => {
            state.lock().broken = Some(e.clone());
            body.abandon(h);
        }
    }
}

async fn read_op(h: HandleRef, state: Arc<Mutex<State>>, buf: &mut [u8]) -> Result<usize> {
    let Some(mut body) = take_body(&state)? else {
        return Ok(0);
    };
    let r = body.read(&h, buf).await;
    put_back(&h, &state, body, &r);
    r
}

fn try_read_now(h: &HandleRef, state: &Mutex<State>, buf: &mut [u8]) -> Result<Option<usize>> {
    let Some(mut body) = take_body(state)? else {
        return Ok(Some(0));
    };
    let r = body.try_read(h, buf);
    let as_count = r.as_ref().map(|n| n.unwrap_or(0)).map_err(Clone::clone);
    put_back(h, state, body, &as_count);
    r
}

async fn available_op(h: HandleRef, state: Arc<Mutex<State>>) -> Result<u64> {
    let Some(mut body) = take_body(&state)? else {
        return Ok(0);
    };
    let r = body.fill(&h).await.map(|()| body.buffered());
    put_back(&h, &state, body, &r);
    r.map(|n| n as u64)
}
