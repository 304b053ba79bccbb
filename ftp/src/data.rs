//! Data connections: run the [`Transfer`] dialog until the server opens the transfer, with the
//! data connection connected (passive) or accepted (active) and, for FTPS, its TLS session
//! resumed from the control connection's; and the `TYPE A` transform for core's shared reader
//! (whose `UntilClose` framing is RFC 959's stream mode).

use inet_core::transport::{connect_addr, start_tls_resuming, Conn, Listener};
use inet_core::{Error, ErrorKind, HandleRef, Result, Transform};

use crate::control::{Control, Unclaimed};
use crate::errors;
use crate::options::{DataConnection, FtpOptions};
use crate::proto::ascii::FromWire;
use crate::proto::dialog::{DataMode, DialogError, Transfer, TransferStep};
use crate::proto::{Command, Reply, TransferType};

/// A transfer the server has opened: the data connection, and the reply that opened it (a
/// `1xx`, or already the final one when the server finished at once).
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) data: Conn,
    /// The `1xx` (or final) reply; a `150` often announces the size.
    pub(crate) reply: Reply,
    /// True when the final reply is still to come on the control connection.
    pub(crate) final_owed: bool,
}

/// Run a transfer's dialog up to the moment data flows. `what` names the operation in errors.
pub(crate) async fn open(
    ctl: &mut Control,
    h: &HandleRef,
    options: &FtpOptions,
    command: Command,
    transfer_type: TransferType,
    rest: Option<u64>,
    what: &str,
) -> Result<Opened> {
    ctl.settle(h).await?;
    let mode = match options.data {
        DataConnection::Active => DataMode::Active,
        DataConnection::Passive => DataMode::Passive {
            try_epsv: ctl.epsv,
            trust_pasv_address: false,
            pipeline: options.is_pipelining() && ctl.epsv_worked,
        },
        DataConnection::PassiveTrustingAddress => DataMode::Passive {
            try_epsv: false,
            trust_pasv_address: true,
            pipeline: false,
        },
    };
    let type_to_set = (ctl.current_type != Some(transfer_type)).then_some(transfer_type);
    let verb = crate::proto::dialog::verb(&command);
    let (mut dialog, mut step) = Transfer::new(command, type_to_set, rest, mode, ctl.peer().ip());
    let mut data: Option<Conn> = None;
    let mut listener: Option<Listener> = None;
    let label = ctl.host.clone();
    loop {
        step = match step {
            TransferStep::Send(cmd) => {
                ctl.send(h, &cmd).await?;
                // The transfer command's first answer may be a 1xx; every other command's
                // answer is final.
                let reply = if matches!(
                    cmd,
                    Command::Retr(_)
                        | Command::Stor(_)
                        | Command::Appe(_)
                        | Command::List(_)
                        | Command::Mlsd(_)
                        | Command::Nlst(_)
                        | Command::Raw(_)
                ) {
                    ctl.reply(h).await?
                } else {
                    ctl.final_reply(h).await?
                };
                advance(ctl, &mut dialog, &reply, transfer_type, what)?
            }
            TransferStep::SendPipelined(cmds) => {
                ctl.send_pipelined(h, &cmds).await?;
                let reply = ctl.final_reply(h).await?;
                advance(ctl, &mut dialog, &reply, transfer_type, what)?
            }
            TransferStep::Receive => {
                let reply = ctl.reply(h).await?;
                advance(ctl, &mut dialog, &reply, transfer_type, what)?
            }
            TransferStep::ReceiveFinal => {
                let reply = ctl.final_reply(h).await?;
                advance(ctl, &mut dialog, &reply, transfer_type, what)?
            }
            TransferStep::Connect(addr) => {
                // A pipelined command waits for this connection at the server: should this
                // operation stop before it is made, the next one makes it (`settle`).
                let pipelined = ctl.unclaimed == Unclaimed::AwaitingEpsv;
                if pipelined {
                    ctl.unclaimed = Unclaimed::At(addr);
                }
                match connect_addr(h, addr, &format!("{label}:{}", addr.port())).await {
                    Ok(conn) => data = Some(conn),
                    Err(e) if pipelined && e.kind() == ErrorKind::CannotConnect => {
                        // Refused: the server answered the pipelined command without waiting
                        // (550, no such file) and closed its port. That answer is the reason.
                        ctl.unclaimed = Unclaimed::None;
                        let reply = ctl.final_reply(h).await?;
                        if reply.is_completion() {
                            return Err(e);
                        }
                        let refused = DialogError::Refused {
                            command: verb,
                            reply,
                        };
                        return Err(errors::dialog(what, refused));
                    }
                    Err(e) => return Err(e),
                }
                ctl.unclaimed = Unclaimed::None;
                dialog.data_ready()
            }
            TransferStep::Listen => {
                let local = ctl.local()?;
                let l = Listener::bind(h, std::net::SocketAddr::new(local.ip(), 0))?
                    .expect_peer(ctl.peer().ip());
                let at = l.local_addr();
                listener = Some(l);
                dialog.listening(at)
            }
            TransferStep::Open(reply) => {
                let conn = match (data.take(), listener.as_mut()) {
                    (Some(c), _) => c,
                    (None, Some(l)) => l.accept().await.map_err(|e| {
                        Error::new(
                            e.kind(),
                            format!("{what}: the server did not connect for the data ({e})"),
                        )
                    })?,
                    (None, None) => {
                        return Err(Error::new(
                            ErrorKind::Internal,
                            format!("{what}: a transfer opened without a data connection"),
                        ))
                    }
                };
                let data = secure(ctl, h, conn).await?;
                return Ok(Opened {
                    data,
                    reply,
                    final_owed: true,
                });
            }
            TransferStep::Done(reply) => {
                // Finished at once (no 1xx): whatever was sent is on the data connection.
                let conn = match (data.take(), listener.as_mut()) {
                    (Some(c), _) => c,
                    (None, Some(l)) => l.accept().await?,
                    (None, None) => {
                        return Err(Error::new(
                            ErrorKind::Internal,
                            format!("{what}: a transfer ended without a data connection"),
                        ))
                    }
                };
                let data = secure(ctl, h, conn).await?;
                return Ok(Opened {
                    data,
                    reply,
                    final_owed: false,
                });
            }
        };
    }
}

/// After a reply: the dialog's next step, with what the reply taught about the connection
/// (its `TYPE`; whether `EPSV` works there).
fn advance(
    ctl: &mut Control,
    dialog: &mut Transfer,
    reply: &Reply,
    transfer_type: TransferType,
    what: &str,
) -> Result<TransferStep> {
    let next = dialog.on_reply(reply);
    if dialog.type_was_set() {
        ctl.current_type = Some(transfer_type);
    }
    if dialog.epsv_refused() {
        ctl.epsv = false;
        ctl.epsv_worked = false;
        // A pipelined command, if any, is answered without a data connection: nothing waits.
        ctl.unclaimed = Unclaimed::None;
    } else if reply.code == 229 {
        ctl.epsv_worked = true;
    }
    next.map_err(|e| errors::dialog(what, e))
}

/// TLS on a data connection when the control connection asked for protected data (`PROT P`),
/// resuming the control connection's session (servers demand it).
async fn secure(ctl: &Control, h: &HandleRef, conn: Conn) -> Result<Conn> {
    match &ctl.tls {
        None => Ok(conn),
        Some(sessions) => start_tls_resuming(h, conn, &ctl.host, ctl.verify, sessions).await,
    }
}

/// `TYPE A` downloads: CRLF on the wire becomes LF.
#[derive(Debug, Default)]
pub(crate) struct AsciiLines(FromWire);

impl Transform for AsciiLines {
    fn transform(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize)> {
        Ok(self.0.decode(input, output))
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The transform for a download of `transfer_type`.
pub(crate) fn transform_for(transfer_type: TransferType) -> Option<Box<dyn Transform>> {
    match transfer_type {
        TransferType::Ascii => Some(Box::<AsciiLines>::default()),
        TransferType::Binary => None,
    }
}

/// Lets a long transfer give its thread back now and then. On loopback or a fast link every
/// read is ready at once, so a loop of reads never returns `Pending` by itself: it would hold an
/// executor thread (callback mode's worker, a `select!` next to it) for the whole file.
#[derive(Debug, Default)]
pub(crate) struct Budget(u32);

impl Budget {
    /// Blocks moved between yields (with 256 KiB blocks: every 8 MiB).
    const BLOCKS: u32 = 32;

    /// Count one block; every [`Self::BLOCKS`], yield once.
    pub(crate) async fn spend(&mut self) {
        self.0 += 1;
        if self.0 >= Self::BLOCKS {
            self.0 = 0;
            futures_lite::future::yield_now().await;
        }
    }
}
