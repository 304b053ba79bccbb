//! The control channel's dialogs as state machines: which command to send next, given the
//! replies so far. Replies in, commands (and "now connect", "now start TLS") out; no socket.
//!
//! - [`Login`]: greeting, optional `AUTH TLS`, `USER`/`PASS`/`ACCT`, `PBSZ`/`PROT` for FTPS,
//!   `FEAT`, `OPTS UTF8 ON`.
//! - [`Transfer`]: `TYPE`, a data connection (`EPSV` falling back to `PASV`, or `EPRT`/`PORT`
//!   for active mode), `REST`, the transfer command, its `1xx`, and the final reply.
//! - [`expect`]: the rule for a one-command dialog (`MKD`, `DELE`, `SIZE`…).
//!
//! The driver reads a whole reply (skipping `1xx` where the dialog says nothing of them) and
//! hands it to `on_reply`, which answers with the next [`LoginStep`] / [`TransferStep`] or the
//! reason the dialog failed. A `421` (the server is closing the connection) fails every dialog
//! the same way: [`DialogError::Closing`].

use std::fmt;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};

use super::command::{Command, TransferType};
use super::features::Features;
use super::passive::{parse_epsv, parse_pasv};
use super::reply::{Reply, ReplyClass};
use super::ProtoError;

/// Why a dialog ended without success. The driver maps each onto a WinINet error code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialogError {
    /// `421`: the server is closing the control connection (WinINet: `ERROR_FTP_DROPPED`).
    Closing(Reply),
    /// The server refused the user name, password or account (`530`, `332` with no account
    /// to give): `ERROR_INTERNET_LOGIN_FAILURE`.
    LoginRefused(Reply),
    /// The server refused a command (`4xx` or `5xx`), or answered with a code the dialog does not
    /// allow at that point: `ERROR_INTERNET_EXTENDED_ERROR`, with the reply.
    Refused {
        /// The command's verb (`RETR`, `AUTH TLS`…).
        command: String,
        /// The server's answer.
        reply: Reply,
    },
    /// Neither `EPSV` nor `PASV` was accepted: `ERROR_FTP_NO_PASSIVE_MODE`.
    NoPassiveMode(Reply),
    /// A reply that should carry a value (an address, a port) could not be read.
    Invalid(ProtoError),
}

impl fmt::Display for DialogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DialogError::Closing(r) => {
                write!(f, "the server is closing the connection: {}", r.text)
            }
            DialogError::LoginRefused(r) => write!(f, "login refused: {}", r.text),
            DialogError::Refused { command, reply } => {
                write!(f, "{command} refused: {}", reply.text)
            }
            DialogError::NoPassiveMode(r) => write!(f, "passive mode refused: {}", r.text),
            DialogError::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DialogError {}

/// The verb of `command`, for messages (`"RETR"`, `"AUTH TLS"`; a raw command's first word).
pub fn verb(command: &Command) -> String {
    let line = command.to_string();
    match command {
        Command::AuthTls | Command::Pbsz0 | Command::ProtP | Command::OptsUtf8On => line,
        _ => line.split(' ').next().unwrap_or("").to_string(),
    }
}

/// The rule for a one-command dialog: the final reply to `command` must be in `class`
/// (usually [`ReplyClass::Completion`]); `421` is [`DialogError::Closing`].
///
/// ```
/// use inet_ftp::proto::{dialog::{expect, DialogError}, Command, Reply, ReplyClass};
///
/// let ok = Reply { code: 257, text: "257 \"/new\" created".into() };
/// assert!(expect(&Command::Mkd("new".into()), &ok, ReplyClass::Completion).is_ok());
/// let no = Reply { code: 550, text: "550 exists".into() };
/// assert!(matches!(expect(&Command::Mkd("new".into()), &no, ReplyClass::Completion),
///                  Err(DialogError::Refused { .. })));
/// ```
pub fn expect(command: &Command, reply: &Reply, class: ReplyClass) -> Result<(), DialogError> {
    if reply.code == 421 {
        return Err(DialogError::Closing(reply.clone()));
    }
    if reply.class() == class {
        Ok(())
    } else {
        Err(DialogError::Refused {
            command: verb(command),
            reply: reply.clone(),
        })
    }
}

// ----- login ------------------------------------------------------------------------------------

/// What the login dialog wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginStep {
    /// Send this command; give its final reply to [`Login::on_reply`].
    Send(Command),
    /// Start TLS on the control connection now (the server accepted `AUTH TLS`), then call
    /// [`Login::tls_started`].
    StartTls,
    /// Logged in; the server offers these features.
    Done(Features),
}

/// Where the login dialog is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginState {
    Greeting,
    AuthTls,
    StartingTls,
    User,
    Pass,
    Acct,
    Pbsz,
    Prot,
    Feat,
    Utf8,
    Done,
}

/// The login dialog (RFC 959 §5.4 for `USER`/`PASS`/`ACCT`, RFC 4217 for FTPS).
///
/// ```
/// use inet_ftp::proto::{dialog::{Login, LoginStep}, Command, Reply};
///
/// let r = |code, text: &str| Reply { code, text: text.into() };
/// let mut login = Login::new("ann", "secret", None, false);
/// assert_eq!(login.on_reply(&r(220, "220 hi"))?, LoginStep::Send(Command::User("ann".into())));
/// assert_eq!(login.on_reply(&r(331, "331 pw"))?, LoginStep::Send(Command::Pass("secret".into())));
/// assert_eq!(login.on_reply(&r(230, "230 ok"))?, LoginStep::Send(Command::Feat));
/// assert!(matches!(login.on_reply(&r(500, "500 ?"))?, LoginStep::Done(_)));
/// # Ok::<(), inet_ftp::proto::dialog::DialogError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Login {
    state: LoginState,
    user: String,
    password: String,
    account: Option<String>,
    tls: bool,
    features: Features,
}

impl Login {
    /// A login as `user` (anonymous logins pass `"anonymous"` and an e-mail-like password),
    /// with `account` for servers that ask for one (`332`), over TLS (`AUTH TLS`, `PBSZ 0`,
    /// `PROT P`) when `tls`. Feed it the server's greeting first.
    pub fn new(user: &str, password: &str, account: Option<&str>, tls: bool) -> Login {
        Login {
            state: LoginState::Greeting,
            user: user.to_string(),
            password: password.to_string(),
            account: account.map(str::to_string),
            tls,
            features: Features::default(),
        }
    }

    /// A login whose greeting was already read and whose control connection is already TLS
    /// (implicit FTPS): it starts with `USER`, then `PBSZ`/`PROT`.
    pub fn after_implicit_tls(user: &str, password: &str, account: Option<&str>) -> Login {
        let mut login = Login::new(user, password, account, true);
        login.state = LoginState::StartingTls;
        login
    }

    /// The first command after the greeting was read elsewhere (implicit TLS): `USER`.
    pub fn tls_started(&mut self) -> LoginStep {
        self.state = LoginState::User;
        LoginStep::Send(Command::User(self.user.clone()))
    }

    /// Whether the dialog ended logged in.
    pub fn is_done(&self) -> bool {
        self.state == LoginState::Done
    }

    /// The next step after the final reply to the last command (or the greeting).
    pub fn on_reply(&mut self, reply: &Reply) -> Result<LoginStep, DialogError> {
        if reply.code == 421 {
            return Err(DialogError::Closing(reply.clone()));
        }
        let refused = |command: &str| DialogError::Refused {
            command: command.to_string(),
            reply: reply.clone(),
        };
        let class = reply.class();
        match self.state {
            LoginState::Greeting => {
                if class != ReplyClass::Completion {
                    return Err(refused("connect"));
                }
                if self.tls {
                    self.state = LoginState::AuthTls;
                    Ok(LoginStep::Send(Command::AuthTls))
                } else {
                    Ok(self.tls_started())
                }
            }
            LoginState::AuthTls => {
                // 234 is the RFC 4217 answer; some servers say 334 (RFC 2228's "security data").
                if reply.code == 234 || reply.code == 334 {
                    self.state = LoginState::StartingTls;
                    Ok(LoginStep::StartTls)
                } else {
                    Err(refused("AUTH TLS"))
                }
            }
            LoginState::StartingTls => Err(refused("AUTH TLS")),
            LoginState::User => match reply.code {
                230 | 202 => Ok(self.logged_in()),
                331 => {
                    self.state = LoginState::Pass;
                    Ok(LoginStep::Send(Command::Pass(self.password.clone())))
                }
                332 => self.account(reply),
                _ if reply.code == 530 || class == ReplyClass::PermanentNegative => {
                    Err(DialogError::LoginRefused(reply.clone()))
                }
                _ => Err(refused("USER")),
            },
            LoginState::Pass => match reply.code {
                230 | 202 => Ok(self.logged_in()),
                332 => self.account(reply),
                _ if reply.code == 530 || class == ReplyClass::PermanentNegative => {
                    Err(DialogError::LoginRefused(reply.clone()))
                }
                _ => Err(refused("PASS")),
            },
            LoginState::Acct => match class {
                ReplyClass::Completion => Ok(self.logged_in()),
                _ => Err(DialogError::LoginRefused(reply.clone())),
            },
            LoginState::Pbsz => match class {
                ReplyClass::Completion => {
                    self.state = LoginState::Prot;
                    Ok(LoginStep::Send(Command::ProtP))
                }
                _ => Err(refused("PBSZ 0")),
            },
            LoginState::Prot => match class {
                ReplyClass::Completion => {
                    self.state = LoginState::Feat;
                    Ok(LoginStep::Send(Command::Feat))
                }
                _ => Err(refused("PROT P")),
            },
            LoginState::Feat => {
                // A server without FEAT (500/502) simply offers no extensions.
                self.features = Features::from_feat_reply(reply);
                if self.features.utf8 {
                    self.state = LoginState::Utf8;
                    Ok(LoginStep::Send(Command::OptsUtf8On))
                } else {
                    self.state = LoginState::Done;
                    Ok(LoginStep::Done(self.features.clone()))
                }
            }
            // Refused or not, names are sent as they are.
            LoginState::Utf8 | LoginState::Done => {
                self.state = LoginState::Done;
                Ok(LoginStep::Done(self.features.clone()))
            }
        }
    }

    fn account(&mut self, reply: &Reply) -> Result<LoginStep, DialogError> {
        match &self.account {
            Some(account) => {
                self.state = LoginState::Acct;
                Ok(LoginStep::Send(Command::Acct(account.clone())))
            }
            None => Err(DialogError::LoginRefused(reply.clone())),
        }
    }

    fn logged_in(&mut self) -> LoginStep {
        if self.tls {
            self.state = LoginState::Pbsz;
            LoginStep::Send(Command::Pbsz0)
        } else {
            self.state = LoginState::Feat;
            LoginStep::Send(Command::Feat)
        }
    }
}

// ----- transfer ---------------------------------------------------------------------------------

/// How the data connection is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataMode {
    /// The client connects (RFC 959 `PASV`, RFC 2428 `EPSV`). `try_epsv`: send `EPSV` first
    /// (false once a server refused it); `trust_pasv_address`: connect to the address a `227`
    /// names instead of the control connection's peer.
    Passive {
        /// Try `EPSV` before `PASV`.
        try_epsv: bool,
        /// Use the address in a `227` reply (off by default: a server, or a middlebox rewriting
        /// its reply, could aim the client at another host).
        trust_pasv_address: bool,
        /// Send `EPSV` and the transfer command in one go (the driver says so once `EPSV` has
        /// worked on the connection): the server answers `229`, then takes the transfer command
        /// when the data connection comes — one round trip less per transfer. Only for
        /// downloads and listings, and when no `TYPE` or `REST` has to go first. Should `EPSV`
        /// be refused after all, the transfer command's answer is read and dropped and the
        /// dialog goes on with `PASV`.
        pipeline: bool,
    },
    /// The server connects to the client (`EPRT`, or `PORT` for IPv4 when `EPRT` is refused).
    Active,
}

/// What the transfer dialog wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferStep {
    /// Send this command; give its reply (the final one, or for the transfer command the first
    /// one, which may be `1xx`) to [`Transfer::on_reply`].
    Send(Command),
    /// Send these commands in one write (`EPSV` and the transfer command, see
    /// [`DataMode::Passive`]'s `pipeline`); give the first one's final reply to
    /// [`Transfer::on_reply`].
    SendPipelined(Vec<Command>),
    /// Send nothing: read the reply to a command sent before (the first one, which may be
    /// `1xx`) and give it to [`Transfer::on_reply`].
    Receive,
    /// Send nothing: read the final reply to a command sent before (skipping `1xx`) and give it
    /// to [`Transfer::on_reply`].
    ReceiveFinal,
    /// Connect the data connection to this address (passive mode), then call
    /// [`Transfer::data_ready`].
    Connect(SocketAddr),
    /// Listen for the data connection (active mode) and call [`Transfer::listening`] with the
    /// address to announce.
    Listen,
    /// The server opened the transfer (`1xx`): move the data (accepting the connection first in
    /// active mode), then read the final reply and give it to [`Transfer::on_reply`]. The reply is
    /// the `1xx` (it may announce the size).
    Open(Reply),
    /// The transfer ended well; the reply is the final one (`226`/`250`).
    Done(Reply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransferState {
    Type,
    Epsv,
    /// `EPSV` and the transfer command went together; waiting for `EPSV`'s answer.
    EpsvPipelined,
    /// `EPSV` was refused in a pipelined pair: dropping the transfer command's answer.
    Dropping,
    Pasv,
    Connecting,
    Listening,
    Eprt,
    Port,
    Rest,
    Command,
    Open,
    Done,
}

/// One data transfer: `RETR`, `STOR`, `APPE`, `LIST`, `MLSD`, `NLST` or a raw command that
/// answers on a data connection.
///
/// ```
/// use inet_ftp::proto::{dialog::{DataMode, Transfer, TransferStep}, Command, Reply, TransferType};
///
/// let r = |code, text: &str| Reply { code, text: text.into() };
/// let mode = DataMode::Passive { try_epsv: true, trust_pasv_address: false, pipeline: false };
/// let peer = "127.0.0.1".parse().unwrap();
/// let (mut t, first) = Transfer::new(Command::Retr("a".into()), Some(inet_ftp::proto::TransferType::Binary), None, mode, peer);
/// assert_eq!(first, TransferStep::Send(Command::Type(TransferType::Binary)));
/// assert_eq!(t.on_reply(&r(200, "200 ok"))?, TransferStep::Send(Command::Epsv));
/// assert_eq!(t.on_reply(&r(229, "229 (|||4000|)"))?, TransferStep::Connect("127.0.0.1:4000".parse().unwrap()));
/// assert_eq!(t.data_ready(), TransferStep::Send(Command::Retr("a".into())));
/// assert!(matches!(t.on_reply(&r(150, "150 go"))?, TransferStep::Open(_)));
/// assert!(matches!(t.on_reply(&r(226, "226 done"))?, TransferStep::Done(_)));
/// # Ok::<(), inet_ftp::proto::dialog::DialogError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Transfer {
    state: TransferState,
    command: Command,
    type_to_set: Option<TransferType>,
    type_set: bool,
    rest: Option<u64>,
    mode: DataMode,
    control_peer: IpAddr,
    epsv_refused: bool,
    /// The transfer command went out with `EPSV` (pipelined).
    command_sent: bool,
    /// The address announced in active mode.
    local: Option<SocketAddr>,
}

impl Transfer {
    /// A transfer of `command`, setting `TYPE` first when `type_to_set` is given (the driver
    /// leaves it out when the connection is in that type already), starting at `rest` bytes
    /// when given, with the data connection opened as `mode` says. `control_peer` is the control
    /// connection's peer address: passive data connections go there. Returns the first step.
    pub fn new(
        command: Command,
        type_to_set: Option<TransferType>,
        rest: Option<u64>,
        mode: DataMode,
        control_peer: IpAddr,
    ) -> (Transfer, TransferStep) {
        let mut t = Transfer {
            state: TransferState::Type,
            command,
            type_to_set,
            type_set: false,
            rest: rest.filter(|&n| n > 0),
            mode,
            control_peer,
            epsv_refused: false,
            command_sent: false,
            local: None,
        };
        let first = match type_to_set {
            Some(ty) => TransferStep::Send(Command::Type(ty)),
            None => t.data_connection(),
        };
        (t, first)
    }

    /// True once the server accepted the `TYPE` this transfer sent.
    pub fn type_was_set(&self) -> bool {
        self.type_set
    }

    /// True when the server refused `EPSV` (the driver stops trying it on this connection).
    pub fn epsv_refused(&self) -> bool {
        self.epsv_refused
    }

    /// The data connection is connected (passive mode): the next step.
    pub fn data_ready(&mut self) -> TransferStep {
        if self.command_sent {
            // Pipelined with EPSV: its answer is next.
            self.state = TransferState::Command;
            return TransferStep::Receive;
        }
        self.rest_or_command()
    }

    /// Listening (active mode) on `local`: announce it.
    pub fn listening(&mut self, local: SocketAddr) -> TransferStep {
        self.state = TransferState::Eprt;
        self.local = Some(local);
        TransferStep::Send(Command::Eprt(local))
    }

    /// The next step after a reply to the last command.
    pub fn on_reply(&mut self, reply: &Reply) -> Result<TransferStep, DialogError> {
        if reply.code == 421 {
            return Err(DialogError::Closing(reply.clone()));
        }
        let class = reply.class();
        let refused = |command: &Command| DialogError::Refused {
            command: verb(command),
            reply: reply.clone(),
        };
        match self.state {
            TransferState::Type => {
                if class != ReplyClass::Completion {
                    return Err(refused(&Command::Type(
                        self.type_to_set.unwrap_or(TransferType::Binary),
                    )));
                }
                self.type_set = true;
                Ok(self.data_connection())
            }
            TransferState::Epsv => {
                if reply.code == 229 {
                    return self.connect_to_epsv_port(reply);
                }
                // Any refusal of EPSV (500/502 unknown, 522 protocol): try PASV, on IPv4.
                self.epsv_refused = true;
                self.pasv(reply)
            }
            TransferState::EpsvPipelined => {
                if reply.code == 229 {
                    return self.connect_to_epsv_port(reply);
                }
                // Refused after all: the transfer command was answered too (it had no data
                // connection to use); drop that answer, then go on as without EPSV.
                self.epsv_refused = true;
                self.command_sent = false;
                self.state = TransferState::Dropping;
                Ok(TransferStep::ReceiveFinal)
            }
            TransferState::Dropping => {
                if class == ReplyClass::Completion {
                    // The server ran the transfer command without a data connection and says
                    // it succeeded: nothing sensible can follow.
                    return Err(refused(&Command::Epsv));
                }
                self.pasv(reply)
            }
            TransferState::Pasv => {
                if reply.code != 227 {
                    return Err(DialogError::NoPassiveMode(reply.clone()));
                }
                let named = parse_pasv(&reply.text).map_err(DialogError::Invalid)?;
                let trust = matches!(
                    self.mode,
                    DataMode::Passive {
                        trust_pasv_address: true,
                        ..
                    }
                );
                let ip = if trust {
                    IpAddr::V4(*named.ip())
                } else {
                    self.control_peer
                };
                self.state = TransferState::Connecting;
                Ok(TransferStep::Connect(SocketAddr::new(ip, named.port())))
            }
            TransferState::Eprt => {
                if class == ReplyClass::Completion {
                    return Ok(self.rest_or_command());
                }
                // EPRT unknown: PORT, which carries IPv4 only.
                match self.local {
                    Some(SocketAddr::V4(v4)) => {
                        self.state = TransferState::Port;
                        Ok(TransferStep::Send(Command::Port(v4)))
                    }
                    _ => Err(refused(&Command::Eprt(SocketAddr::new(
                        self.control_peer,
                        0,
                    )))),
                }
            }
            TransferState::Port => {
                if class == ReplyClass::Completion {
                    Ok(self.rest_or_command())
                } else {
                    Err(refused(&Command::Port(SocketAddrV4::new(
                        std::net::Ipv4Addr::UNSPECIFIED,
                        0,
                    ))))
                }
            }
            TransferState::Rest => {
                if class != ReplyClass::Intermediate {
                    return Err(refused(&Command::Rest(self.rest.unwrap_or(0))));
                }
                self.state = TransferState::Command;
                Ok(TransferStep::Send(self.command.clone()))
            }
            TransferState::Command => match class {
                ReplyClass::Preliminary => {
                    self.state = TransferState::Open;
                    Ok(TransferStep::Open(reply.clone()))
                }
                // A final answer with no 1xx: the server finished at once (an empty
                // listing on some servers). The data connection holds whatever was sent.
                ReplyClass::Completion => {
                    self.state = TransferState::Done;
                    Ok(TransferStep::Done(reply.clone()))
                }
                _ => Err(refused(&self.command)),
            },
            TransferState::Open => match class {
                // Some servers send a second 1xx; the final reply is still to come.
                ReplyClass::Preliminary => Ok(TransferStep::Open(reply.clone())),
                ReplyClass::Completion => {
                    self.state = TransferState::Done;
                    Ok(TransferStep::Done(reply.clone()))
                }
                _ => Err(refused(&self.command)),
            },
            TransferState::Connecting | TransferState::Listening | TransferState::Done => {
                Err(DialogError::Refused {
                    command: "(no command)".into(),
                    reply: reply.clone(),
                })
            }
        }
    }

    fn data_connection(&mut self) -> TransferStep {
        match self.mode {
            DataMode::Passive {
                try_epsv: true,
                pipeline: true,
                ..
            } if self.rest.is_none() && self.type_to_set.is_none() && self.is_download() => {
                self.state = TransferState::EpsvPipelined;
                self.command_sent = true;
                TransferStep::SendPipelined(vec![Command::Epsv, self.command.clone()])
            }
            DataMode::Passive { try_epsv: true, .. } => {
                self.state = TransferState::Epsv;
                TransferStep::Send(Command::Epsv)
            }
            DataMode::Passive { .. } => {
                self.state = TransferState::Pasv;
                TransferStep::Send(Command::Pasv)
            }
            DataMode::Active => {
                self.state = TransferState::Listening;
                TransferStep::Listen
            }
        }
    }

    /// Downloads and listings: a pipelined one the driver has to give up on before its data
    /// connection is made can be ended by connecting and closing at once. An upload would
    /// leave an empty file behind: those are never pipelined.
    fn is_download(&self) -> bool {
        matches!(
            self.command,
            Command::Retr(_) | Command::List(_) | Command::Mlsd(_) | Command::Nlst(_)
        )
    }

    /// A `229`: connect to its port on the control connection's peer (RFC 2428 names no host).
    fn connect_to_epsv_port(&mut self, reply: &Reply) -> Result<TransferStep, DialogError> {
        let port = parse_epsv(&reply.text).map_err(DialogError::Invalid)?;
        self.state = TransferState::Connecting;
        Ok(TransferStep::Connect(SocketAddr::new(
            self.control_peer,
            port,
        )))
    }

    fn pasv(&mut self, reply: &Reply) -> Result<TransferStep, DialogError> {
        if self.control_peer.is_ipv6() {
            // PASV has no IPv6 form.
            return Err(DialogError::NoPassiveMode(reply.clone()));
        }
        self.state = TransferState::Pasv;
        Ok(TransferStep::Send(Command::Pasv))
    }

    fn rest_or_command(&mut self) -> TransferStep {
        match self.rest {
            Some(offset) => {
                self.state = TransferState::Rest;
                TransferStep::Send(Command::Rest(offset))
            }
            None => {
                self.state = TransferState::Command;
                TransferStep::Send(self.command.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: u16, text: &str) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }

    fn passive() -> DataMode {
        DataMode::Passive {
            try_epsv: true,
            trust_pasv_address: false,
            pipeline: false,
        }
    }

    fn peer() -> IpAddr {
        "10.0.0.5".parse().unwrap()
    }

    #[test]
    fn ftps_login_secures_the_channel_before_the_password_and_protects_data() {
        let mut l = Login::new("ann", "pw", None, true);
        assert_eq!(
            l.on_reply(&r(220, "220 hi")).unwrap(),
            LoginStep::Send(Command::AuthTls)
        );
        assert_eq!(l.on_reply(&r(234, "234 go")).unwrap(), LoginStep::StartTls);
        assert_eq!(
            l.tls_started(),
            LoginStep::Send(Command::User("ann".into()))
        );
        assert_eq!(
            l.on_reply(&r(331, "331")).unwrap(),
            LoginStep::Send(Command::Pass("pw".into()))
        );
        assert_eq!(
            l.on_reply(&r(230, "230")).unwrap(),
            LoginStep::Send(Command::Pbsz0)
        );
        assert_eq!(
            l.on_reply(&r(200, "200")).unwrap(),
            LoginStep::Send(Command::ProtP)
        );
        assert_eq!(
            l.on_reply(&r(200, "200")).unwrap(),
            LoginStep::Send(Command::Feat)
        );
        let step = l.on_reply(&r(211, "211-f\n UTF8\n211 end")).unwrap();
        assert_eq!(step, LoginStep::Send(Command::OptsUtf8On));
        // A refused OPTS UTF8 still logs in.
        assert!(matches!(
            l.on_reply(&r(501, "501 no")).unwrap(),
            LoginStep::Done(f) if f.utf8
        ));
        assert!(l.is_done());
    }

    #[test]
    fn a_refused_password_is_a_login_failure_and_a_refused_auth_is_not() {
        let mut l = Login::new("ann", "bad", None, false);
        l.on_reply(&r(220, "220")).unwrap();
        l.on_reply(&r(331, "331")).unwrap();
        assert!(matches!(
            l.on_reply(&r(530, "530 Login incorrect.")),
            Err(DialogError::LoginRefused(_))
        ));

        let mut l = Login::new("ann", "pw", None, true);
        l.on_reply(&r(220, "220")).unwrap();
        assert!(matches!(
            l.on_reply(&r(500, "500 AUTH not understood")),
            Err(DialogError::Refused { command, .. }) if command == "AUTH TLS"
        ));
    }

    #[test]
    fn an_account_is_sent_when_asked_and_its_absence_fails_the_login() {
        let mut l = Login::new("ann", "pw", Some("acct1"), false);
        l.on_reply(&r(220, "220")).unwrap();
        l.on_reply(&r(331, "331")).unwrap();
        assert_eq!(
            l.on_reply(&r(332, "332 need account")).unwrap(),
            LoginStep::Send(Command::Acct("acct1".into()))
        );
        assert_eq!(
            l.on_reply(&r(230, "230")).unwrap(),
            LoginStep::Send(Command::Feat)
        );

        let mut l = Login::new("ann", "pw", None, false);
        l.on_reply(&r(220, "220")).unwrap();
        l.on_reply(&r(331, "331")).unwrap();
        assert!(matches!(
            l.on_reply(&r(332, "332")),
            Err(DialogError::LoginRefused(_))
        ));
    }

    #[test]
    fn a_421_ends_every_dialog_as_closing() {
        let mut l = Login::new("ann", "pw", None, false);
        assert!(matches!(
            l.on_reply(&r(421, "421 bye")),
            Err(DialogError::Closing(_))
        ));
        let (mut t, _) = Transfer::new(Command::Retr("a".into()), None, None, passive(), peer());
        assert!(matches!(
            t.on_reply(&r(421, "421 timeout")),
            Err(DialogError::Closing(_))
        ));
    }

    #[test]
    fn epsv_refused_falls_back_to_pasv_whose_address_is_ignored_unless_trusted() {
        let (mut t, first) = Transfer::new(Command::List(None), None, None, passive(), peer());
        assert_eq!(first, TransferStep::Send(Command::Epsv));
        assert_eq!(
            t.on_reply(&r(500, "500 EPSV?")).unwrap(),
            TransferStep::Send(Command::Pasv)
        );
        assert!(t.epsv_refused());
        // The reply names 192.0.2.9; the data connection still goes to the control peer.
        assert_eq!(
            t.on_reply(&r(227, "227 Entering Passive Mode (192,0,2,9,4,1)"))
                .unwrap(),
            TransferStep::Connect("10.0.0.5:1025".parse().unwrap())
        );

        let trusting = DataMode::Passive {
            try_epsv: false,
            trust_pasv_address: true,
            pipeline: false,
        };
        let (mut t, first) = Transfer::new(Command::List(None), None, None, trusting, peer());
        assert_eq!(first, TransferStep::Send(Command::Pasv));
        assert_eq!(
            t.on_reply(&r(227, "227 (192,0,2,9,4,1)")).unwrap(),
            TransferStep::Connect("192.0.2.9:1025".parse().unwrap())
        );
    }

    #[test]
    fn no_passive_mode_at_all_is_its_own_error() {
        let (mut t, _) = Transfer::new(Command::List(None), None, None, passive(), peer());
        t.on_reply(&r(502, "502")).unwrap();
        assert!(matches!(
            t.on_reply(&r(502, "502 no PASV")),
            Err(DialogError::NoPassiveMode(_))
        ));
    }

    #[test]
    fn garbage_in_a_229_is_invalid_not_a_panic() {
        let (mut t, _) = Transfer::new(Command::List(None), None, None, passive(), peer());
        assert!(matches!(
            t.on_reply(&r(229, "229 (|||99999|)")),
            Err(DialogError::Invalid(_))
        ));
    }

    #[test]
    fn rest_comes_right_before_the_command_and_needs_a_350() {
        let (mut t, _) = Transfer::new(
            Command::Retr("big".into()),
            None,
            Some(1000),
            passive(),
            peer(),
        );
        t.on_reply(&r(229, "229 (|||2000|)")).unwrap();
        assert_eq!(t.data_ready(), TransferStep::Send(Command::Rest(1000)));
        assert_eq!(
            t.on_reply(&r(350, "350 Restarting")).unwrap(),
            TransferStep::Send(Command::Retr("big".into()))
        );
        let (mut t, _) = Transfer::new(
            Command::Retr("big".into()),
            None,
            Some(1000),
            passive(),
            peer(),
        );
        t.on_reply(&r(229, "229 (|||2000|)")).unwrap();
        t.data_ready();
        assert!(matches!(
            t.on_reply(&r(501, "501 REST not supported")),
            Err(DialogError::Refused { command, .. }) if command == "REST"
        ));
    }

    #[test]
    fn active_mode_listens_then_announces_with_eprt_or_port() {
        let (mut t, first) = Transfer::new(
            Command::Stor("up".into()),
            None,
            None,
            DataMode::Active,
            peer(),
        );
        assert_eq!(first, TransferStep::Listen);
        let local: SocketAddr = "10.0.0.1:3000".parse().unwrap();
        assert_eq!(t.listening(local), TransferStep::Send(Command::Eprt(local)));
        assert_eq!(
            t.on_reply(&r(500, "500 EPRT?")).unwrap(),
            TransferStep::Send(Command::Port("10.0.0.1:3000".parse().unwrap()))
        );
        assert_eq!(
            t.on_reply(&r(200, "200 PORT ok")).unwrap(),
            TransferStep::Send(Command::Stor("up".into()))
        );
    }

    #[test]
    fn a_refused_transfer_command_names_it_with_the_reply() {
        let (mut t, _) = Transfer::new(
            Command::Retr("missing".into()),
            None,
            None,
            passive(),
            peer(),
        );
        t.on_reply(&r(229, "229 (|||2000|)")).unwrap();
        t.data_ready();
        match t.on_reply(&r(550, "550 missing: No such file or directory")) {
            Err(DialogError::Refused { command, reply }) => {
                assert_eq!(command, "RETR");
                assert_eq!(reply.code, 550);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failed_transfer_after_its_1xx_is_refused() {
        let (mut t, _) = Transfer::new(Command::Retr("a".into()), None, None, passive(), peer());
        t.on_reply(&r(229, "229 (|||2000|)")).unwrap();
        t.data_ready();
        assert!(matches!(
            t.on_reply(&r(150, "150")).unwrap(),
            TransferStep::Open(_)
        ));
        assert!(matches!(
            t.on_reply(&r(426, "426 aborted")),
            Err(DialogError::Refused { reply, .. }) if reply.code == 426
        ));
    }

    fn pipelined() -> DataMode {
        DataMode::Passive {
            try_epsv: true,
            trust_pasv_address: false,
            pipeline: true,
        }
    }

    #[test]
    fn a_pipelined_transfer_sends_epsv_and_the_command_together_then_reads_on() {
        let retr = Command::Retr("a".into());
        let (mut t, first) = Transfer::new(retr.clone(), None, None, pipelined(), peer());
        assert_eq!(
            first,
            TransferStep::SendPipelined(vec![Command::Epsv, retr.clone()])
        );
        assert_eq!(
            t.on_reply(&r(229, "229 (|||4000|)")).unwrap(),
            TransferStep::Connect("10.0.0.5:4000".parse().unwrap())
        );
        // The command went already: its answer is read, nothing sent.
        assert_eq!(t.data_ready(), TransferStep::Receive);
        assert!(matches!(
            t.on_reply(&r(150, "150 go")).unwrap(),
            TransferStep::Open(_)
        ));
        assert!(matches!(
            t.on_reply(&r(226, "226 done")).unwrap(),
            TransferStep::Done(_)
        ));
    }

    #[test]
    fn a_pipelined_epsv_refused_drops_the_commands_answer_and_falls_back_to_pasv() {
        let retr = Command::Retr("a".into());
        let (mut t, _) = Transfer::new(retr.clone(), None, None, pipelined(), peer());
        assert_eq!(
            t.on_reply(&r(500, "500 EPSV?")).unwrap(),
            TransferStep::ReceiveFinal
        );
        assert!(t.epsv_refused());
        // RETR's own answer, with no data connection to use: dropped; PASV next.
        assert_eq!(
            t.on_reply(&r(425, "425 no data connection")).unwrap(),
            TransferStep::Send(Command::Pasv)
        );
        assert_eq!(
            t.on_reply(&r(227, "227 (10,0,0,5,15,160)")).unwrap(),
            TransferStep::Connect("10.0.0.5:4000".parse().unwrap())
        );
        // This time the command is sent after the connection, as without pipelining.
        assert_eq!(t.data_ready(), TransferStep::Send(retr));
    }

    #[test]
    fn a_pipelined_epsv_refused_whose_command_then_succeeded_is_an_error() {
        let (mut t, _) = Transfer::new(Command::Retr("a".into()), None, None, pipelined(), peer());
        t.on_reply(&r(502, "502 no")).unwrap();
        assert!(matches!(
            t.on_reply(&r(226, "226 sent (where?)")),
            Err(DialogError::Refused { .. })
        ));
    }

    #[test]
    fn uploads_are_never_pipelined() {
        let stor = Command::Stor("a".into());
        let (_, first) = Transfer::new(stor, None, None, pipelined(), peer());
        assert_eq!(first, TransferStep::Send(Command::Epsv));
    }

    #[test]
    fn rest_or_type_first_means_no_pipelining() {
        let retr = Command::Retr("a".into());
        let (_, first) = Transfer::new(retr.clone(), None, Some(10), pipelined(), peer());
        assert_eq!(first, TransferStep::Send(Command::Epsv));
        let (_, first) = Transfer::new(retr, Some(TransferType::Binary), None, pipelined(), peer());
        assert_eq!(
            first,
            TransferStep::Send(Command::Type(TransferType::Binary))
        );
    }
}
