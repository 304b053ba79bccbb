//! The control connection: commands out, replies in, each reported to the handle the operation
//! runs on (SENDING_REQUEST / REQUEST_SENT, RECEIVING_RESPONSE / RESPONSE_RECEIVED).
//!
//! It counts the final replies it owes: a command sent adds one, a final (non-`1xx`) reply read
//! takes one away. An operation cancelled between a command and its reply leaves the count up,
//! and the next operation first reads (and drops) what is owed — so a dropped future or a
//! closed file handle never leaves an old reply to be mistaken for a new one. A command cut off
//! half-written, a `421`, a closed connection or garbage make the connection `broken`: every
//! later operation fails with FTP_DROPPED, naming why.

use std::net::SocketAddr;
use std::sync::Arc;

use inet_core::transport::{Conn, TlsSessions, TlsVerify};
use inet_core::{Error, ErrorKind, HandleRef, Result, Status};
use parking_lot::Mutex;

use crate::errors;
use crate::proto::{Command, Features, Reply, ReplyReader, TransferType};

/// A logged-in (or logging-in) control connection and what is known about the server.
pub(crate) struct Control {
    conn: Conn,
    replies: ReplyReader,
    scratch: Vec<u8>,
    /// Final replies owed for commands sent.
    owed: u32,
    /// A command is being written: if the operation stops now, the stream is cut mid-line.
    writing: bool,
    /// Why this connection can no longer be used.
    broken: Option<String>,
    /// The server's extensions (after login).
    pub(crate) features: Features,
    /// The `TYPE` in force, so that a transfer in the same type sends none.
    pub(crate) current_type: Option<TransferType>,
    /// False once the server refused `EPSV`.
    pub(crate) epsv: bool,
    /// True once `EPSV` was answered with `229` here: transfers may send it together with
    /// their command (see `DataMode::Passive`'s `pipeline`).
    pub(crate) epsv_worked: bool,
    /// A pipelined transfer command the server holds until its data connection comes.
    pub(crate) unclaimed: Unclaimed,
    /// The TLS sessions data connections resume (FTPS with `PROT P`).
    pub(crate) tls: Option<TlsSessions>,
    /// Certificate checks for TLS on this connection and its data connections.
    pub(crate) verify: TlsVerify,
    /// The host name, for TLS on data connections and for messages.
    pub(crate) host: String,
    /// The text of the last reply, shared with the connection handle
    /// (InternetGetLastResponseInfo).
    last: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("peer", &self.conn.peer())
            .field("owed", &self.owed)
            .field("broken", &self.broken)
            .finish()
    }
}

/// A pipelined download (`EPSV` and its command sent together) whose data connection is not
/// made yet. The server waits for that connection before answering the command, so an
/// operation given up on meanwhile leaves it waiting: [`Control::settle`] makes the connection
/// and closes it at once, and the server ends the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unclaimed {
    /// Nothing waits.
    None,
    /// Sent; `EPSV`'s `229` not read yet.
    AwaitingEpsv,
    /// The `229` named this address; nobody has connected to it yet.
    At(SocketAddr),
}

/// Preliminary (1xx) replies skipped while waiting for a final one, at most.
const MAX_PRELIMINARY: usize = 16;

impl Control {
    pub(crate) fn new(conn: Conn, host: &str, last: Arc<Mutex<String>>) -> Control {
        Control {
            conn,
            replies: ReplyReader::new(),
            scratch: vec![0; 4096],
            owed: 0,
            writing: false,
            broken: None,
            features: Features::default(),
            current_type: None,
            epsv: true,
            epsv_worked: false,
            unclaimed: Unclaimed::None,
            tls: None,
            verify: TlsVerify::default(),
            host: host.to_string(),
            last,
        }
    }

    /// The server's address (passive data connections go there).
    pub(crate) fn peer(&self) -> SocketAddr {
        self.conn.peer()
    }

    /// This side's address (active mode listens there).
    pub(crate) fn local(&self) -> Result<SocketAddr> {
        self.conn
            .stream()
            .tcp()
            .get_ref()
            .local_addr()
            .map_err(|e| Error::io(e, "reading the control connection's local address"))
    }

    /// The connection itself, for the TLS upgrade during login.
    pub(crate) async fn replace_conn<F, Fut>(self, f: F) -> Result<Control>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: std::future::Future<Output = Result<Conn>>,
    {
        {
            let Control {
                conn,
                replies,
                scratch,
                owed,
                writing,
                broken,
                features,
                current_type,
                epsv,
                epsv_worked,
                unclaimed,
                tls,
                verify,
                host,
                last,
            } = self;
            // Bytes read past the 234 would be plain text where TLS is expected.
            if replies.buffered() > 0 {
                return Err(Error::new(
                    ErrorKind::InvalidServerResponse,
                    format!("starting TLS with {host}: the server sent more after its 234 reply"),
                ));
            }
            let conn = f(conn).await?;
            Ok(Control {
                conn,
                replies,
                scratch,
                owed,
                writing,
                broken,
                features,
                current_type,
                epsv,
                epsv_worked,
                unclaimed,
                tls,
                verify,
                host,
                last,
            })
        }
    }

    /// Called when an operation lets go of the connection: a command cut off mid-line breaks it.
    pub(crate) fn released(&mut self) {
        if self.writing {
            self.writing = false;
            self.broken = Some("an operation was cancelled while it was sending a command".into());
        }
    }

    /// Fail if the connection can no longer be used.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.broken {
            None => Ok(()),
            Some(why) => Err(Error::new(
                ErrorKind::FtpDropped,
                format!("the FTP control connection to {} is gone: {why}", self.host),
            )),
        }
    }

    pub(crate) fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    fn mark_broken(&mut self, why: impl Into<String>) {
        if self.broken.is_none() {
            self.broken = Some(why.into());
        }
    }

    /// Send `cmd`: SENDING_REQUEST, the line, REQUEST_SENT. An argument the protocol core
    /// refuses (CR/LF/NUL) fails before anything is sent, with INVALID_PARAMETER.
    pub(crate) async fn send(&mut self, h: &HandleRef, cmd: &Command) -> Result<()> {
        self.send_all(h, std::slice::from_ref(cmd)).await
    }

    /// Send a pipelined transfer's commands (`EPSV` and its command) in one write; the transfer
    /// command then waits at the server for its data connection (see [`Unclaimed`]).
    pub(crate) async fn send_pipelined(&mut self, h: &HandleRef, cmds: &[Command]) -> Result<()> {
        self.send_all(h, cmds).await?;
        // Not before: a send cut off half-way breaks the connection, and one that failed
        // before writing left nothing at the server.
        self.unclaimed = Unclaimed::AwaitingEpsv;
        Ok(())
    }

    /// Send `cmds` in one write, reported as one request (SENDING_REQUEST, REQUEST_SENT with
    /// every byte); each is owed its reply.
    async fn send_all(&mut self, h: &HandleRef, cmds: &[Command]) -> Result<()> {
        self.check()?;
        let mut lines = Vec::new();
        for cmd in cmds {
            let line = cmd.to_bytes().map_err(|e| {
                errors::protocol(&format!("sending {}", crate::proto::dialog::verb(cmd)), e)
            })?;
            lines.extend_from_slice(&line);
        }
        h.notify(Status::SendingRequest);
        // Their replies cannot be there before the commands are: the read that follows waits.
        self.conn.expect_answer();
        self.writing = true;
        let sent = self.conn.write_all(&lines).await;
        self.writing = false;
        if let Err(e) = sent {
            let what: Vec<String> = cmds.iter().map(ToString::to_string).collect();
            self.mark_broken(format!("sending {} failed: {e}", what.join(" and ")));
            return Err(e);
        }
        self.owed += cmds.len() as u32;
        h.notify(Status::RequestSent(lines.len() as u64));
        Ok(())
    }

    /// The next reply, preliminary or final. A `421` is returned as a reply (the dialogs turn
    /// it into FTP_DROPPED) and breaks the connection.
    pub(crate) async fn reply(&mut self, h: &HandleRef) -> Result<Reply> {
        self.check()?;
        let mut received = 0u64;
        let mut notified = false;
        let reply = loop {
            match self.replies.next_reply() {
                Ok(Some(reply)) => break reply,
                Ok(None) => {}
                Err(e) => {
                    self.mark_broken(format!("unreadable reply: {e}"));
                    return Err(errors::protocol(
                        &format!("reading a reply from {}", self.host),
                        e,
                    ));
                }
            }
            if !notified {
                h.notify(Status::ReceivingResponse);
                notified = true;
            }
            let n = match self.conn.read(&mut self.scratch).await {
                Ok(n) => n,
                Err(e) => {
                    // After a timeout a late reply could still come and be taken for the
                    // answer to the next command: the connection is not used again.
                    self.mark_broken(format!("reading a reply failed: {e}"));
                    return Err(e);
                }
            };
            if n == 0 {
                self.mark_broken("the server closed the control connection");
                return Err(Error::new(
                    ErrorKind::FtpDropped,
                    format!(
                        "the server {} closed the control connection{}",
                        self.host,
                        if self.replies.in_reply() {
                            " in the middle of a reply"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            received += n as u64;
            self.replies.push(&self.scratch[..n]);
        };
        if notified {
            h.notify(Status::ResponseReceived(received));
        }
        if reply.code >= 200 {
            self.owed = self.owed.saturating_sub(1);
        }
        if reply.code == 421 {
            self.mark_broken(format!("the server said {}", reply.text));
        }
        *self.last.lock() = reply.text.clone();
        Ok(reply)
    }

    /// The next final reply, skipping `1xx` ones (a bounded number).
    pub(crate) async fn final_reply(&mut self, h: &HandleRef) -> Result<Reply> {
        for _ in 0..MAX_PRELIMINARY {
            let reply = self.reply(h).await?;
            if reply.code >= 200 {
                return Ok(reply);
            }
        }
        self.mark_broken("too many preliminary replies");
        Err(Error::new(
            ErrorKind::InvalidServerResponse,
            format!(
                "{}: more than {MAX_PRELIMINARY} preliminary replies without a final one",
                self.host
            ),
        ))
    }

    /// Send `cmd` and read its final reply.
    pub(crate) async fn command(&mut self, h: &HandleRef, cmd: &Command) -> Result<Reply> {
        self.settle(h).await?;
        self.send(h, cmd).await?;
        self.final_reply(h).await
    }

    /// Put the connection in `TYPE t` unless it is already (SIZE counts bytes as the type
    /// says, and proftpd refuses it in ASCII).
    pub(crate) async fn ensure_type(
        &mut self,
        h: &HandleRef,
        t: TransferType,
        what: &str,
    ) -> Result<()> {
        if self.current_type == Some(t) {
            return Ok(());
        }
        let cmd = Command::Type(t);
        let reply = self.command(h, &cmd).await?;
        crate::proto::dialog::expect(&cmd, &reply, crate::proto::ReplyClass::Completion)
            .map_err(|e| errors::dialog(what, e))?;
        self.current_type = Some(t);
        Ok(())
    }

    /// The size `SIZE` gives for `path` in binary type; None when the server does not say.
    pub(crate) async fn size(
        &mut self,
        h: &HandleRef,
        path: &str,
        what: &str,
    ) -> Result<Option<u64>> {
        self.ensure_type(h, TransferType::Binary, what).await?;
        let reply = self.command(h, &Command::Size(path.to_string())).await?;
        Ok(reply
            .is_completion()
            .then(|| reply.message().trim().parse::<u64>().ok())
            .flatten())
    }

    /// Read and drop the replies owed for commands of operations that were cancelled; a
    /// pipelined download left without its data connection gets one, closed at once (see
    /// [`Unclaimed`]), so that the server answers instead of waiting for it.
    pub(crate) async fn settle(&mut self, h: &HandleRef) -> Result<()> {
        while self.owed > 0 {
            if let Unclaimed::At(addr) = self.unclaimed {
                self.unclaimed = Unclaimed::None;
                let label = format!("{}:{}", self.host, addr.port());
                match inet_core::transport::connect_addr(h, addr, &label).await {
                    Ok(data) => data.stream().shutdown(),
                    Err(e) => {
                        self.mark_broken(format!(
                            "the data connection of a cancelled transfer could not be made: {e}"
                        ));
                        return self.check();
                    }
                }
            }
            let reply = self.final_reply(h).await?;
            if self.unclaimed == Unclaimed::AwaitingEpsv {
                self.unclaimed = match crate::proto::passive::parse_epsv(&reply.text) {
                    Ok(port) if reply.code == 229 => {
                        Unclaimed::At(SocketAddr::new(self.peer().ip(), port))
                    }
                    _ => Unclaimed::None,
                };
            }
        }
        self.check()
    }

    /// Say goodbye (QUIT) and close, best effort, within the control connection's timeouts.
    pub(crate) async fn quit(mut self, h: &HandleRef) {
        if self.broken.is_none() && self.owed == 0 && self.send(h, &Command::Quit).await.is_ok() {
            let _ = self.final_reply(h).await;
        }
        inet_core::close_connection(h, self.conn);
    }

    /// Drop the connection without notifications (from a `Drop`, where no handle is at hand).
    pub(crate) fn abandon(self) {
        self.conn.stream().shutdown();
    }
}
