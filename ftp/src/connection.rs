//! The FTP connection handle (WinINet: InternetConnect with INTERNET_SERVICE_FTP) and the
//! operations on it that need no data connection: directories, delete, rename, size, raw
//! commands. Each exists in inet-core's three forms: a future (`create_directory`), callback
//! mode (`start_create_directory`, ending with REQUEST_COMPLETE on this handle, with its
//! context), and blocking (`create_directory_blocking`). Transfers are in `find.rs`, `file.rs`
//! and `files.rs`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use inet_core::{
    Completion, Context, Error, ErrorKind, Handle, HandleKind, HandleRef, Pending, Result, Value,
};

use crate::errors::{self, ServerReply};
use crate::options::FtpOptions;
use crate::proto::dialog::expect;
use crate::proto::{parse_quoted_path, Command, ReplyClass, TransferType};
use crate::session::Shared;

/// An FTP connection handle: a server and a login under a session. Operations on it run one at
/// a time (a second one fails with INCORRECT_HANDLE_STATE 12019), and none while a find or file
/// handle under it is open (FTP_TRANSFER_IN_PROGRESS 12110).
///
/// ```no_run
/// use inet_core::Session;
/// use inet_ftp::{FtpConnection, FtpOptions};
///
/// let session = Session::new()?;
/// let ftp = FtpConnection::connect_blocking(&session, "127.0.0.1", 21, FtpOptions::new())?;
/// println!("in {}", ftp.current_directory_blocking()?);
/// ftp.create_directory_blocking("new")?;
/// # Ok::<(), inet_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FtpConnection {
    pub(crate) handle: Handle,
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for FtpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpConnection")
            .field("handle", &self.handle)
            .field("host", &self.shared.host)
            .field("port", &self.shared.port)
            .field("user", &self.shared.options.user())
            .finish()
    }
}

/// How long closing a connection handle waits for the server's goodbye (QUIT), and closing a
/// file handle for its transfer's final reply, at most.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

impl FtpConnection {
    /// The connection handle, without network I/O yet (`HANDLE_CREATED` is sent before this
    /// returns): the first operation connects and logs in, or call [`login`](Self::login).
    pub fn open(
        session: &HandleRef,
        host: &str,
        port: u16,
        options: FtpOptions,
        context: Context,
    ) -> Result<Self> {
        let (handle, host) =
            session.create_connection(HandleKind::ConnectFtp, host, port, context)?;
        let shared = Shared::new(&host, port, options);
        handle.trace_url(|| shared.trace_url(""));
        // On close: a polite QUIT (bounded), after the find/file handles under it have closed.
        let s = shared.clone();
        let h = (*handle).clone();
        handle.on_close_async(CLOSE_LIMIT, move || {
            Some(Box::pin(async move {
                if let Some(ctl) = s.take_for_close() {
                    ctl.quit(&h).await;
                }
            }))
        });
        Ok(FtpConnection { handle, shared })
    }

    /// WinINet: InternetConnect(INTERNET_SERVICE_FTP): open the handle, connect and log in
    /// (anonymous unless [`FtpOptions::credentials`] says otherwise). A refused login is
    /// LOGIN_FAILURE (12015); the handle is closed then.
    pub async fn connect(
        session: &HandleRef,
        host: &str,
        port: u16,
        options: FtpOptions,
    ) -> Result<Self> {
        let conn = Self::open(session, host, port, options, Context(0))?;
        match conn.login().await {
            Ok(()) => Ok(conn),
            Err(e) => {
                conn.close();
                Err(e)
            }
        }
    }

    /// [`connect`](Self::connect), blocking.
    pub fn connect_blocking(
        session: &HandleRef,
        host: &str,
        port: u16,
        options: FtpOptions,
    ) -> Result<Self> {
        inet_core::block_on(Self::connect(session, host, port, options))
    }

    /// Connect and log in now (the first operation would otherwise do it). Does nothing when
    /// logged in already.
    pub async fn login(&self) -> Result<()> {
        self.handle.run(self.login_op()).await
    }

    /// [`login`](Self::login) in callback mode: REQUEST_COMPLETE follows.
    pub fn start_login(&self) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        self.handle.start(self.login_op())
    }

    /// [`login`](Self::login), blocking.
    pub fn login_blocking(&self) -> Result<()> {
        self.handle.block(self.login_op())
    }

    fn login_op(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let (s, h) = self.parts();
        async move {
            s.lease(&h, "logging in").await?;
            Ok(())
        }
    }

    /// The connection's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close the handle (WinINet: InternetCloseHandle): its find and file handles close first,
    /// then the server gets a QUIT (for at most 5 s) before HANDLE_CLOSING.
    pub fn close(&self) {
        self.handle.close();
    }

    /// WinINet: InternetGetLastResponseInfo. The full text of the server's last reply on this
    /// connection, every line of a multi-line reply, codes included.
    pub fn last_response(&self) -> String {
        self.shared.last_response()
    }

    /// True once logged in (and not dropped since).
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    pub(crate) fn parts(&self) -> (Arc<Shared>, HandleRef) {
        (self.shared.clone(), (*self.handle).clone())
    }

    /// One command whose final reply must be of `class`.
    fn simple(
        &self,
        cmd: Command,
        class: ReplyClass,
        what: String,
    ) -> impl Future<Output = Result<crate::proto::Reply>> + Send + 'static {
        let (s, h) = self.parts();
        async move {
            let mut ctl = s.lease(&h, &what).await?;
            let reply = ctl.command(&h, &cmd).await?;
            expect(&cmd, &reply, class).map_err(|e| errors::dialog(&what, e))?;
            Ok(reply)
        }
    }

    fn done(
        &self,
        cmd: Command,
        what: String,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let f = self.simple(cmd, ReplyClass::Completion, what);
        async move { f.await.map(|_| ()) }
    }
}

/// Defines the three forms of an operation from one `fn name_op(&self, args) -> impl Future`.
macro_rules! three_forms {
    ($(
        $(#[$doc:meta])*
        $name:ident / $start:ident / $blocking:ident ($($arg:ident : $ty:ty),*) -> $out:ty = $op:ident;
    )*) => {
        impl FtpConnection {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    self.handle.run(self.$op($($arg),*)).await
                }

                #[doc = concat!("[`", stringify!($name), "`](Self::", stringify!($name), ") in callback mode: returns at once; REQUEST_COMPLETE follows on this handle, with its context.")]
                pub fn $start(&self, $($arg: $ty),*) -> Result<Pending> {
                    self.shared.refuse_during_transfer()?;
                    self.handle.start(self.$op($($arg),*))
                }

                #[doc = concat!("[`", stringify!($name), "`](Self::", stringify!($name), "), blocking.")]
                pub fn $blocking(&self, $($arg: $ty),*) -> Result<$out> {
                    self.handle.block(self.$op($($arg),*))
                }
            )*
        }
    };
}

three_forms! {
    /// WinINet: FtpCreateDirectory (`MKD`).
    create_directory / start_create_directory / create_directory_blocking (path: &str) -> () = mkd_op;
    /// WinINet: FtpRemoveDirectory (`RMD`).
    remove_directory / start_remove_directory / remove_directory_blocking (path: &str) -> () = rmd_op;
    /// WinINet: FtpDeleteFile (`DELE`).
    delete_file / start_delete_file / delete_file_blocking (path: &str) -> () = dele_op;
    /// WinINet: FtpRenameFile (`RNFR` then `RNTO`).
    rename_file / start_rename_file / rename_file_blocking (from: &str, to: &str) -> () = rename_op;
    /// WinINet: FtpSetCurrentDirectory (`CWD`).
    set_current_directory / start_set_current_directory / set_current_directory_blocking (path: &str) -> () = cwd_op;
    /// WinINet: FtpGetCurrentDirectory (`PWD`): the name in the 257 reply, its doubled quotes
    /// read as one (RFC 959). In callback mode REQUEST_COMPLETE carries it as `Completion::Text`.
    current_directory / start_current_directory / current_directory_blocking () -> String = pwd_op;
    /// WinINet: FtpGetFileSize (`SIZE`, in binary type so that the size is the bytes a
    /// download gets). `Completion::Count` in callback mode.
    file_size / start_file_size / file_size_blocking (path: &str) -> u64 = size_op;
    /// WinINet: FtpCommand without a data connection: send `line` as it is and return the
    /// server's final reply. A 4xx/5xx reply is an EXTENDED_ERROR (12003) carrying it
    /// ([`server_reply`](crate::server_reply)). In callback mode REQUEST_COMPLETE carries the
    /// [`ServerReply`] as a `Completion::Value`.
    command / start_command / command_blocking (line: &str) -> ServerReply = raw_op;
}

impl FtpConnection {
    fn mkd_op(&self, path: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        self.done(
            Command::Mkd(path.into()),
            format!("creating directory {path:?}"),
        )
    }

    fn rmd_op(&self, path: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        self.done(
            Command::Rmd(path.into()),
            format!("removing directory {path:?}"),
        )
    }

    fn dele_op(&self, path: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        self.done(Command::Dele(path.into()), format!("deleting {path:?}"))
    }

    fn cwd_op(&self, path: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        self.done(
            Command::Cwd(path.into()),
            format!("changing directory to {path:?}"),
        )
    }

    fn rename_op(&self, from: &str, to: &str) -> impl Future<Output = Result<()>> + Send + 'static {
        let (s, h) = self.parts();
        let (from, to) = (from.to_string(), to.to_string());
        async move {
            let what = format!("renaming {from:?} to {to:?}");
            let mut ctl = s.lease(&h, &what).await?;
            let rnfr = Command::Rnfr(from.clone());
            let rnto = Command::Rnto(to.clone());
            // Both arguments are checked before anything is sent.
            for c in [&rnfr, &rnto] {
                c.to_bytes().map_err(|e| errors::protocol(&what, e))?;
            }
            let reply = ctl.command(&h, &rnfr).await?;
            expect(&rnfr, &reply, ReplyClass::Intermediate)
                .map_err(|e| errors::dialog(&what, e))?;
            let reply = ctl.command(&h, &rnto).await?;
            expect(&rnto, &reply, ReplyClass::Completion).map_err(|e| errors::dialog(&what, e))?;
            Ok(())
        }
    }

    fn pwd_op(&self) -> impl Future<Output = Result<String>> + Send + 'static {
        let f = self.simple(
            Command::Pwd,
            ReplyClass::Completion,
            "reading the current directory".into(),
        );
        async move {
            let reply = f.await?;
            parse_quoted_path(&reply.text)
                .map_err(|e| errors::protocol("reading the current directory", e))
        }
    }

    fn size_op(&self, path: &str) -> impl Future<Output = Result<u64>> + Send + 'static {
        let (s, h) = self.parts();
        let path = path.to_string();
        async move {
            let what = format!("reading the size of {path:?}");
            let mut ctl = s.lease(&h, &what).await?;
            // SIZE's own refusal is the error here, with its reply.
            ctl.ensure_type(&h, TransferType::Binary, &what).await?;
            let cmd = Command::Size(path.clone());
            let reply = ctl.command(&h, &cmd).await?;
            expect(&cmd, &reply, ReplyClass::Completion).map_err(|e| errors::dialog(&what, e))?;
            reply.message().trim().parse::<u64>().map_err(|_| {
                Error::new(
                    ErrorKind::InvalidServerResponse,
                    format!("{what}: the SIZE reply holds no size: {:?}", reply.text),
                )
            })
        }
    }

    fn raw_op(&self, line: &str) -> impl Future<Output = Result<ServerReply>> + Send + 'static {
        let (s, h) = self.parts();
        let line = line.to_string();
        async move {
            let what = format!("sending {:?}", line.split(' ').next().unwrap_or(""));
            let cmd = Command::Raw(line);
            cmd.to_bytes().map_err(|e| errors::protocol(&what, e))?;
            let mut ctl = s.lease(&h, &what).await?;
            let reply = ctl.command(&h, &cmd).await?;
            match reply.class() {
                ReplyClass::TransientNegative | ReplyClass::PermanentNegative => {
                    Err(errors::refused(&what, &reply))
                }
                _ => Ok(ServerReply::from(&reply)),
            }
        }
    }
}

impl From<ServerReply> for Completion {
    fn from(r: ServerReply) -> Self {
        Completion::Value(Value::new(r))
    }
}
