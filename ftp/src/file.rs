//! Open files (WinINet: FtpOpenFile, and FtpCommand with a data connection): a file handle whose
//! transfer is streamed — downloads through core's shared reader (`Incoming`: read, no-wait
//! read, data available, in the three forms), uploads with `write`.
//!
//! The transfer ends with [`FtpFile::finish`], or when the handle closes: a download read to
//! its end, or an upload, waits for the server's final reply (`226`, checked by `finish`); a
//! download closed early is aborted (`ABOR`; the server's `426`/`226` are read). Until then
//! the connection runs no other operation (FTP_TRANSFER_IN_PROGRESS, 12110).

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Poll};

use bytes::Bytes;
use inet_core::transport::Conn;
use inet_core::{
    AsyncReader, AsyncWriter, BlockingReader, BlockingWriter, Completion, Context, Direction,
    Error, ErrorKind, Handle, HandleKind, HandleRef, Incoming, Outgoing, OwnedOperation, Pending,
    ProgressMeter, Reader, Result, Started, Value,
};
use parking_lot::Mutex;

use crate::connection::FtpConnection;
use crate::data::{self, transform_for};
use crate::errors;
use crate::options::TransferOptions;
use crate::proto::ascii::ToWire;
use crate::proto::dialog::expect;
use crate::proto::{announced_size, Command, ReplyClass, TransferType};
use crate::session::Shared;

/// Which way an open file's bytes go (FtpOpenFile's `GENERIC_READ` / `GENERIC_WRITE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Download (`RETR`).
    Read,
    /// Upload (`STOR`).
    Write,
}

/// Where a file handle's transfer is.
enum Phase {
    /// Downloading through `Incoming`.
    Reading,
    /// Uploading on this data connection.
    Writing(Box<Sending>),
    /// The upload was cut: a write is under way (the data connection is lent to it), or one
    /// failed or was cancelled half-way. Ending it means aborting.
    Cut,
    /// Finished (final reply read) or aborted.
    Over,
}

/// An upload's data connection and what goes with it.
struct Sending {
    data: Conn,
    ascii: Option<ToWire>,
    progress: ProgressMeter,
    /// ASCII mode: converted bytes a poll write left part-sent (`wire[unsent..]`), standing for
    /// `owed` of the caller's bytes (counted in progress once they have gone).
    wire: Vec<u8>,
    unsent: usize,
    owed: u64,
}

impl Sending {
    /// Send what a poll write left part-sent.
    async fn drain(&mut self, h: &HandleRef) -> Result<()> {
        if self.unsent < self.wire.len() {
            self.data.write_all(&self.wire[self.unsent..]).await?;
            self.unsent = self.wire.len();
        }
        self.progress.add(h, std::mem::take(&mut self.owed));
        Ok(())
    }

    /// [`drain`](Self::drain) as a poll.
    fn poll_drain(&mut self, h: &HandleRef, cx: &mut std::task::Context<'_>) -> Poll<Result<()>> {
        while self.unsent < self.wire.len() {
            let n = ready!(self.data.poll_write(cx, &self.wire[self.unsent..]))?;
            self.unsent += n;
        }
        self.progress.add(h, std::mem::take(&mut self.owed));
        Poll::Ready(Ok(()))
    }

    /// One poll write (the writer adapter's): binary, what the connection takes of `buf` now,
    /// straight from it; ASCII, `buf` converted (the copy `write` makes too), taken whole, and
    /// sent as the connection takes it.
    fn poll_send(
        &mut self,
        h: &HandleRef,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<Result<usize>> {
        ready!(self.poll_drain(h, cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match self.ascii.as_mut() {
            Some(enc) => {
                self.wire.clear();
                enc.encode(buf, &mut self.wire);
                (self.unsent, self.owed) = (0, buf.len() as u64);
                if let Poll::Ready(Err(e)) = self.poll_drain(h, cx) {
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(buf.len()))
            }
            None => {
                let n = ready!(self.data.poll_write(cx, buf))?;
                self.progress.add(h, n as u64);
                Poll::Ready(Ok(n))
            }
        }
    }
}

struct FileState {
    shared: Arc<Shared>,
    phase: Mutex<Phase>,
    command: Command,
    what: String,
    /// Writer adapters alive: closing the handle meanwhile cancels a copy under way, so the
    /// upload is aborted, not finished as if whole.
    writers: AtomicUsize,
}

/// An open FTP file (WinINet: the handle FtpOpenFile returns).
///
/// ```no_run
/// use inet_core::{Context, Session};
/// use inet_ftp::{Access, FtpConnection, FtpOptions, TransferOptions};
///
/// let session = Session::new()?;
/// let ftp = FtpConnection::connect_blocking(&session, "127.0.0.1", 21, FtpOptions::new())?;
/// let file = ftp.open_file_blocking("welcome.txt", Access::Read, TransferOptions::new(), Context(0))?;
/// let mut buf = [0u8; 4096];
/// let n = file.read_blocking(&mut buf)?;
/// file.finish_blocking()?; // checks the server's 226
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FtpFile {
    handle: Handle,
    state: Arc<FileState>,
    body: Incoming,
}

impl fmt::Debug for FtpFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpFile")
            .field("handle", &self.handle)
            .field("command", &self.state.command.to_string())
            .finish()
    }
}

impl From<FtpFile> for Completion {
    fn from(f: FtpFile) -> Self {
        Completion::Value(Value::new(f))
    }
}

/// How long a closing file handle waits for its transfer's final reply.
const CLOSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

impl FtpConnection {
    /// WinINet: FtpOpenFile. Open `path` for reading (`RETR`) or writing (`STOR`; `APPE` with
    /// [`Existing::Resume`](crate::Existing::Resume)) and return a file handle whose
    /// notifications carry `context`.
    pub async fn open_file(
        &self,
        path: &str,
        access: Access,
        options: TransferOptions,
        context: Context,
    ) -> Result<FtpFile> {
        self.handle
            .run(self.open_file_op(path, access, options, context))
            .await
    }

    /// [`open_file`](Self::open_file) in callback mode: REQUEST_COMPLETE carries the
    /// [`FtpFile`] as `Completion::Value` (`completion.value::<FtpFile>()`; keep a clone).
    ///
    /// Unlike WinINet, which sends this REQUEST_COMPLETE on the new file handle, inet sends it
    /// on the connection handle the call was made on, as for every operation: one rule for
    /// where an operation's outcome arrives, and a failed open (which has no file handle) looks
    /// the same as a successful one.
    pub fn start_open_file(
        &self,
        path: &str,
        access: Access,
        options: TransferOptions,
        context: Context,
    ) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        self.handle
            .start(self.open_file_op(path, access, options, context))
    }

    /// [`open_file`](Self::open_file), blocking.
    pub fn open_file_blocking(
        &self,
        path: &str,
        access: Access,
        options: TransferOptions,
        context: Context,
    ) -> Result<FtpFile> {
        self.handle
            .block(self.open_file_op(path, access, options, context))
    }

    /// WinINet: FtpCommand with `fExpectResponse`: send `line`, which answers on a data
    /// connection (`LIST -la`, `NLST`, `RETR x`…), and return a file handle to read that data.
    pub async fn command_with_data(
        &self,
        line: &str,
        transfer_type: TransferType,
        context: Context,
    ) -> Result<FtpFile> {
        let op = self.open_command_op(
            Command::Raw(line.to_string()),
            Access::Read,
            transfer_type,
            None,
            context,
        );
        self.handle.run(op).await
    }

    /// [`command_with_data`](Self::command_with_data) in callback mode (REQUEST_COMPLETE
    /// carries the [`FtpFile`]).
    pub fn start_command_with_data(
        &self,
        line: &str,
        transfer_type: TransferType,
        context: Context,
    ) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        let op = self.open_command_op(
            Command::Raw(line.to_string()),
            Access::Read,
            transfer_type,
            None,
            context,
        );
        self.handle.start(op)
    }

    /// [`command_with_data`](Self::command_with_data), blocking.
    pub fn command_with_data_blocking(
        &self,
        line: &str,
        transfer_type: TransferType,
        context: Context,
    ) -> Result<FtpFile> {
        let op = self.open_command_op(
            Command::Raw(line.to_string()),
            Access::Read,
            transfer_type,
            None,
            context,
        );
        self.handle.block(op)
    }

    /// [`open_file`](Self::open_file) as an operation not yet started, for callers that compose
    /// it into an operation of their own on this connection's handle (`inet::open_url` does):
    /// run it with `handle().run`, `start` or `block`.
    pub fn open_file_op(
        &self,
        path: &str,
        access: Access,
        options: TransferOptions,
        context: Context,
    ) -> impl Future<Output = Result<FtpFile>> + Send + 'static {
        let resume = options.existing == crate::Existing::Resume;
        let cmd = match (access, resume) {
            (Access::Read, _) => Command::Retr(path.to_string()),
            (Access::Write, false) => Command::Stor(path.to_string()),
            (Access::Write, true) => Command::Appe(path.to_string()),
        };
        self.open_command_op(cmd, access, options.transfer_type, None, context)
    }

    /// [`command_with_data`](Self::command_with_data) as an operation not yet started (see
    /// [`open_file_op`](Self::open_file_op)).
    pub fn command_with_data_op(
        &self,
        line: &str,
        transfer_type: TransferType,
        context: Context,
    ) -> impl Future<Output = Result<FtpFile>> + Send + 'static {
        self.open_command_op(
            Command::Raw(line.to_string()),
            Access::Read,
            transfer_type,
            None,
            context,
        )
    }

    pub(crate) fn open_command_op(
        &self,
        cmd: Command,
        access: Access,
        transfer_type: TransferType,
        rest: Option<u64>,
        context: Context,
    ) -> impl Future<Output = Result<FtpFile>> + Send + 'static {
        let (s, h) = self.parts();
        async move {
            let what = match &cmd {
                Command::Retr(p) => format!("opening {p:?} for reading"),
                Command::Stor(p) | Command::Appe(p) => format!("opening {p:?} for writing"),
                other => format!("sending {:?}", crate::proto::dialog::verb(other)),
            };
            cmd.to_bytes().map_err(|e| errors::protocol(&what, e))?;
            let mut ctl = s.lease(&h, &what).await?;
            let opened = data::open(
                &mut ctl,
                &h,
                &s.options,
                cmd.clone(),
                transfer_type,
                rest,
                &what,
            )
            .await?;
            let handle = h.create_child(HandleKind::FtpFile, context)?;
            handle.trace_url(|| match &cmd {
                Command::Retr(p) | Command::Stor(p) | Command::Appe(p) => s.trace_url(p),
                _ => s.trace_url(""),
            });
            let body = Incoming::new(&handle, move || match access {
                Access::Write => "reading: the file was opened for writing".to_string(),
                Access::Read => "reading: the transfer is over".to_string(),
            });
            let phase = match access {
                Access::Read => {
                    let total = announced_size(&opened.reply.text);
                    body.set(Reader::dedicated(
                        opened.data,
                        Box::<inet_core::UntilClose>::default(),
                        transform_for(transfer_type),
                        total,
                    ));
                    Phase::Reading
                }
                Access::Write => Phase::Writing(Box::new(Sending {
                    data: opened.data,
                    ascii: (transfer_type == TransferType::Ascii).then(ToWire::default),
                    progress: ProgressMeter::new(Direction::Send, None),
                    wire: Vec::new(),
                    unsent: 0,
                    owed: 0,
                })),
            };
            let state = Arc::new(FileState {
                shared: s.clone(),
                phase: Mutex::new(phase),
                command: cmd,
                what,
                writers: AtomicUsize::new(0),
            });
            if opened.final_owed {
                s.begin_transfer(handle.id());
            }
            drop(ctl);
            let file = FtpFile {
                handle,
                state,
                body,
            };
            // Closing ends the transfer (bounded), before HANDLE_CLOSING; then the connection
            // is free. A transfer already over (finished, or aborted) has nothing to end: the
            // close then finishes at once on the closing thread.
            let f = file.clone_weak_parts();
            file.handle.on_close_async(CLOSE_LIMIT, move || {
                let over = f.1.writers.load(Ordering::Acquire) == 0
                    && f.1
                        .phase
                        .try_lock()
                        .is_some_and(|p| matches!(*p, Phase::Over));
                (!over).then(|| -> inet_core::Task {
                    Box::pin(async move {
                        if f.1.writers.load(Ordering::Acquire) > 0 {
                            cut_upload(&f.0, &f.1);
                        }
                        let _ = finish_transfer(&f.0, &f.1, &f.2).await;
                    })
                })
            });
            let (s2, id) = (s.clone(), file.handle.id());
            file.handle.on_close(move || s2.end_transfer(id));
            Ok(file)
        }
    }
}

impl FtpFile {
    /// The file handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close (WinINet: InternetCloseHandle): ends the transfer as [`finish`](Self::finish)
    /// does — aborting a download not read to its end, and an upload while a writer adapter
    /// ([`async_writer`](Self::async_writer), [`blocking_writer`](Self::blocking_writer)) lives
    /// — for at most 5 s, then HANDLE_CLOSING.
    pub fn close(&self) {
        self.handle.close();
    }

    /// The parts the close step needs, without keeping the handle open.
    fn clone_weak_parts(&self) -> (HandleRef, Arc<FileState>, Incoming) {
        (
            (*self.handle).clone(),
            self.state.clone(),
            self.body.clone(),
        )
    }

    // ----- reading ----------------------------------------------------------------------------

    /// The file as a `futures_io::AsyncRead` + `AsyncBufRead` (for `futures::io::copy`,
    /// `BufReader`, decoders; tokio through `tokio-util`'s compat), with no extra copy: reads
    /// go through the same path as [`read`](Self::read), progress notifications included, and
    /// closing the handle makes a pending read fail (`ConnectionAborted` carrying
    /// OPERATION_CANCELLED). Keeps the handle open while it lives.
    pub fn async_reader(&self) -> AsyncReader {
        AsyncReader::new(self.body.clone(), self.handle.clone())
    }

    /// The file as a `std::io::Read` + `BufRead` for blocking code (`std::io::copy`), each read
    /// a [`read_blocking`](Self::read_blocking). Keeps the handle open while it lives.
    pub fn blocking_reader(&self) -> BlockingReader {
        BlockingReader::new(self.body.clone(), self.handle.clone())
    }

    /// WinINet: InternetReadFile. 0 at the end of the file.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read(buf).await
    }

    /// [`read`](Self::read) in callback mode (owned bytes, at most `max`): done at once when
    /// bytes are there, else REQUEST_COMPLETE carries them (`Completion::Data`, empty at the end).
    pub fn start_read(&self, max: usize) -> Result<Started<Bytes>> {
        self.body.start_read(max)
    }

    /// [`read`](Self::read), blocking.
    pub fn read_blocking(&self, buf: &mut [u8]) -> Result<usize> {
        self.body.read_blocking(buf)
    }

    /// WinINet: InternetReadFileEx with IRF_NO_WAIT: only what is here; `None` when a read would
    /// wait.
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

    /// The whole (rest of the) file, failing with NOT_ENOUGH_MEMORY past `limit` bytes.
    pub async fn read_to_end(&self, limit: u64) -> Result<Vec<u8>> {
        self.body.read_to_end(None, limit).await
    }

    // ----- writing ----------------------------------------------------------------------------

    /// WinINet: InternetWriteFile. Send all of `data` on the data connection (from `data`
    /// itself in binary mode); returns its length.
    pub async fn write(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.run(Box::pin(write_data(h, state, data))).await
    }

    /// [`write`](Self::write) in callback mode, with owned bytes: done at once (`Started::Done`,
    /// no REQUEST_COMPLETE) when the socket takes them without waiting, as WinINet's
    /// InternetWriteFile; else pending, and REQUEST_COMPLETE carries the count.
    pub fn start_write(&self, data: Bytes) -> Result<Started<usize>> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle
            .start_now(async move { write_data(h, state, &data).await })
    }

    /// [`write`](Self::write), blocking.
    pub fn write_blocking(&self, data: &[u8]) -> Result<usize> {
        let (h, state) = ((*self.handle).clone(), self.state.clone());
        self.handle.block(Box::pin(write_data(h, state, data)))
    }

    /// The file, opened for writing, as a `futures_io::AsyncWrite` (for `futures::io::copy`
    /// into it; tokio through `tokio-util`'s compat), with no extra copy in binary mode: writes
    /// go from the caller's buffer to the data connection, progress notified as for
    /// [`write`](Self::write); `poll_close` ends the transfer as [`finish`](Self::finish) does
    /// (`226` checked). Closing the handle cancels: a write under way or a later one fails
    /// (`ConnectionAborted` carrying OPERATION_CANCELLED or INVALID_HANDLE), and the transfer
    /// is aborted (`ABOR`), not finished as if the file were whole. Keeps the handle open
    /// while it lives.
    pub fn async_writer(&self) -> AsyncWriter {
        AsyncWriter::new(self.upload_body(), self.handle.clone())
    }

    /// The file, opened for writing, as a `std::io::Write` for blocking code (`std::io::copy`
    /// into it); `finish()` ends the transfer as [`finish_blocking`](Self::finish_blocking)
    /// does. See [`async_writer`](Self::async_writer).
    pub fn blocking_writer(&self) -> BlockingWriter {
        BlockingWriter::new(self.upload_body(), self.handle.clone())
    }

    fn upload_body(&self) -> UploadBody {
        let (h, state, body) = self.clone_weak_parts();
        state.writers.fetch_add(1, Ordering::AcqRel);
        UploadBody { h, state, body }
    }

    // ----- the end ----------------------------------------------------------------------------

    /// End the transfer and check the server's verdict: an upload is finished (the data
    /// connection closed) and its `226` awaited; a download read to its end has its `226` read; a
    /// download not read to its end is aborted (`ABOR`). The connection is free afterwards.
    pub async fn finish(&self) -> Result<()> {
        let (h, state, body) = self.clone_weak_parts();
        self.handle
            .run(async move { finish_transfer(&h, &state, &body).await })
            .await
    }

    /// [`finish`](Self::finish) in callback mode.
    pub fn start_finish(&self) -> Result<Pending> {
        let (h, state, body) = self.clone_weak_parts();
        self.handle
            .start(async move { finish_transfer(&h, &state, &body).await })
    }

    /// [`finish`](Self::finish), blocking.
    pub fn finish_blocking(&self) -> Result<()> {
        let (h, state, body) = self.clone_weak_parts();
        self.handle
            .block(async move { finish_transfer(&h, &state, &body).await })
    }
}

/// End the transfer of file handle `h` (see [`FtpFile::finish`]). Idempotent: once over, Ok.
async fn finish_transfer(h: &HandleRef, state: &FileState, body: &Incoming) -> Result<()> {
    let phase = std::mem::replace(&mut *state.phase.lock(), Phase::Over);
    let what = &state.what;
    let aborting = match phase {
        Phase::Over => return Ok(()),
        Phase::Cut => true,
        Phase::Reading => {
            let done = body.is_finished();
            // The data connection closes either way: the server sends its final reply only
            // once it has (proftpd waits for the close).
            body.reset();
            !done
        }
        Phase::Writing(mut sending) => {
            let sent = match sending.drain(h).await {
                Ok(()) => sending.data.finish_sending().await,
                Err(e) => Err(e),
            };
            sending.progress.finish(h);
            inet_core::close_connection(h, sending.data);
            sent.is_err()
        }
    };
    let Some(mut ctl) = state.shared.lease_for_transfer(h.id()) else {
        // No transfer of ours is open (the server finished at once).
        state.shared.end_transfer(h.id());
        return Ok(());
    };
    let result = if aborting {
        // RFC 959: ABOR gets two replies when a transfer was under way (426, then 226), one
        // otherwise; the transfer's own final reply is owed already and `settle` reads both.
        let r = async {
            ctl.send(h, &Command::Abor).await?;
            ctl.settle(h).await
        }
        .await;
        r.and(Err(Error::new(
            ErrorKind::OperationCancelled,
            format!("{what}: aborted before the end of the file"),
        )))
    } else {
        match ctl.final_reply(h).await {
            Ok(reply) => expect(&state.command, &reply, ReplyClass::Completion)
                .map_err(|e| errors::dialog(what, e)),
            Err(e) => Err(e),
        }
    };
    drop(ctl);
    state.shared.end_transfer(h.id());
    result
}

/// Take an upload's data connection out of the file's state for one step (the phase is `Cut`
/// meanwhile, so a close aborts the transfer).
fn take_sending(state: &FileState, what: &str) -> Result<Box<Sending>> {
    let taken = std::mem::replace(&mut *state.phase.lock(), Phase::Cut);
    match taken {
        Phase::Writing(sending) => Ok(sending),
        other => {
            let why = match other {
                Phase::Reading => "the file was opened for reading",
                _ => "the transfer is over",
            };
            *state.phase.lock() = other;
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("{what}: {why}"),
            ))
        }
    }
}

/// An upload for the writer adapters (`inet_core::Outgoing`); counted in
/// [`FileState::writers`] while it lives.
struct UploadBody {
    h: HandleRef,
    state: Arc<FileState>,
    body: Incoming,
}

impl Drop for UploadBody {
    fn drop(&mut self) {
        // Closed while this writer lived: the copy was cancelled, whether or not the close step
        // has looked at the count yet.
        if self.h.is_closed() {
            cut_upload(&self.h, &self.state);
        }
        self.state.writers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The handle closed while a writer was copying into it: the upload is cut short (its data
/// connection closed, the phase `Cut`), so the close step aborts it (`ABOR`) instead of
/// finishing a partial file as if it were whole.
fn cut_upload(h: &HandleRef, state: &FileState) {
    let mut phase = state.phase.lock();
    if matches!(*phase, Phase::Writing(_)) {
        if let Phase::Writing(sending) = std::mem::replace(&mut *phase, Phase::Cut) {
            drop(phase);
            inet_core::close_connection(h, sending.data);
        }
    }
}

/// The data connection lent out of the file's state for one step. It goes back when the step
/// went well and the handle is still open; otherwise (a failed step, a close meanwhile) it is
/// closed and the phase stays `Cut`: the transfer is aborted, never resumed mid-stream.
/// Dropping it (a cancelled wait) does the same.
struct LentSending<'a> {
    h: &'a HandleRef,
    state: &'a FileState,
    sending: Option<Box<Sending>>,
}

impl<'a> LentSending<'a> {
    fn take(h: &'a HandleRef, state: &'a FileState) -> Result<Self> {
        Ok(LentSending {
            h,
            state,
            sending: Some(take_sending(state, "writing")?),
        })
    }

    fn sending(&mut self) -> Result<&mut Sending> {
        // Present until settled or dropped.
        self.sending
            .as_deref_mut()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "the upload was given back"))
    }

    fn settle<T>(mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            if let Some(sending) = self.sending.take() {
                inet_core::close_connection(self.h, sending.data);
            }
        }
        r
    }
}

impl Drop for LentSending<'_> {
    fn drop(&mut self) {
        let Some(sending) = self.sending.take() else {
            return;
        };
        let mut phase = self.state.phase.lock();
        if matches!(*phase, Phase::Cut) && !self.h.is_closed() {
            *phase = Phase::Writing(sending);
        } else {
            drop(phase);
            inet_core::close_connection(self.h, sending.data);
        }
    }
}

impl UploadBody {
    fn poll_step<T>(
        &self,
        step: impl FnOnce(&HandleRef, &mut Sending) -> Poll<Result<T>>,
    ) -> Poll<Result<T>> {
        let _op = self.h.begin_operation()?;
        let mut lent = LentSending::take(&self.h, &self.state)?;
        match step(&self.h, lent.sending()?) {
            Poll::Ready(r) => Poll::Ready(lent.settle(r)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Outgoing for UploadBody {
    fn poll_send(&self, cx: &mut std::task::Context<'_>, buf: &[u8]) -> Poll<Result<usize>> {
        self.poll_step(|h, sending| sending.poll_send(h, cx, buf))
    }

    fn poll_push(&self, cx: &mut std::task::Context<'_>) -> Poll<Result<()>> {
        self.poll_step(|h, sending| {
            ready!(sending.poll_drain(h, cx))?;
            sending.data.poll_flush(cx)
        })
    }

    fn writable(&self) -> OwnedOperation {
        let (h, state) = (self.h.clone(), self.state.clone());
        Box::pin(async move {
            let wait = async {
                let mut lent = LentSending::take(&h, &state)?;
                let r = lent.sending()?.data.wait_socket_writable().await;
                lent.settle(r)
            };
            h.run(Box::pin(wait)).await
        })
    }

    fn finish(&self) -> OwnedOperation {
        let (h, state, body) = (self.h.clone(), self.state.clone(), self.body.clone());
        Box::pin(async move {
            let op = async { finish_transfer(&h, &state, &body).await };
            h.run(Box::pin(op)).await
        })
    }
}

/// One write of a file handle (see [`FtpFile::write`]).
async fn write_data(h: HandleRef, state: Arc<FileState>, bytes: &[u8]) -> Result<usize> {
    let mut sending = take_sending(&state, "writing")?;
    // A write cancelled half-way leaves the upload cut short: it is over (and the
    // close step aborts it), never silently resumed mid-stream.
    let result = async {
        sending.drain(&h).await?;
        match sending.ascii.as_mut() {
            Some(enc) => {
                let mut out = Vec::new();
                enc.encode(bytes, &mut out);
                sending.data.write_all(&out).await
            }
            None => sending.data.write_all(bytes).await,
        }
    }
    .await;
    match result {
        Ok(()) => {
            sending.progress.add(&h, bytes.len() as u64);
            *state.phase.lock() = Phase::Writing(sending);
            Ok(bytes.len())
        }
        Err(e) => {
            inet_core::close_connection(&h, sending.data);
            Err(e)
        }
    }
}
