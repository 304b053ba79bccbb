//! The commands the client sends on the control connection, encoded as bytes (RFC 959 §4.1,
//! RFC 2228, RFC 2389, RFC 2428, RFC 3659, RFC 4217).
//!
//! It holds only encoding: which command to send when is the driver's state machine, and
//! nothing here touches a socket.

use std::fmt;
use std::net::{SocketAddr, SocketAddrV4};

use super::passive::{format_eprt, format_port};
use super::ProtoError;

/// The representation type for `TYPE` (RFC 959 §3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferType {
    /// `TYPE A`: text, with line ends converted (WinINet: `FTP_TRANSFER_TYPE_ASCII`).
    Ascii,
    /// `TYPE I`: bytes as they are (WinINet: `FTP_TRANSFER_TYPE_BINARY`).
    Binary,
}

/// One command to the server.
///
/// [`Command::encode`] writes it with its CRLF and refuses any argument holding CR, LF or NUL,
/// so a file name from a user cannot smuggle a second command (`"a\r\nDELE b"`).
/// `Display` gives the command line for traces, with `PASS`'s argument hidden.
///
/// ```
/// use inet_ftp::proto::Command;
///
/// let mut out = Vec::new();
/// Command::Retr("notes.txt".into()).encode(&mut out)?;
/// assert_eq!(out, b"RETR notes.txt\r\n");
///
/// assert!(Command::Dele("a\r\nRMD /".into()).encode(&mut Vec::new()).is_err());
/// assert_eq!(Command::Pass("secret".into()).to_string(), "PASS ****");
/// # Ok::<(), inet_ftp::proto::ProtoError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// `USER name`.
    User(String),
    /// `PASS password`; hidden by `Display` and `Debug`.
    Pass(String),
    /// `ACCT account`.
    Acct(String),
    /// `CWD path`.
    Cwd(String),
    /// `CDUP`.
    Cdup,
    /// `PWD`.
    Pwd,
    /// `MKD path`.
    Mkd(String),
    /// `RMD path`.
    Rmd(String),
    /// `DELE path`.
    Dele(String),
    /// `RNFR path`: the name to rename from.
    Rnfr(String),
    /// `RNTO path`: the name to rename to.
    Rnto(String),
    /// `TYPE A` or `TYPE I`.
    Type(TransferType),
    /// `PASV`.
    Pasv,
    /// `EPSV`.
    Epsv,
    /// `EPRT |1|addr|port|` or `|2|…` for IPv6 (RFC 2428).
    Eprt(SocketAddr),
    /// `PORT h1,h2,h3,h4,p1,p2` (IPv4 only, by design of the command).
    Port(SocketAddrV4),
    /// `REST offset`: where the next `RETR`/`STOR` starts.
    Rest(u64),
    /// `RETR path`.
    Retr(String),
    /// `STOR path`.
    Stor(String),
    /// `APPE path`.
    Appe(String),
    /// `LIST [path]`.
    List(Option<String>),
    /// `MLSD [path]` (RFC 3659).
    Mlsd(Option<String>),
    /// `NLST [path]`.
    Nlst(Option<String>),
    /// `SIZE path` (RFC 3659).
    Size(String),
    /// `FEAT` (RFC 2389).
    Feat,
    /// `OPTS UTF8 ON`.
    OptsUtf8On,
    /// `AUTH TLS` (RFC 4217).
    AuthTls,
    /// `PBSZ 0` (RFC 4217).
    Pbsz0,
    /// `PROT P` (RFC 4217).
    ProtP,
    /// `ABOR`.
    Abor,
    /// `QUIT`.
    Quit,
    /// `NOOP`.
    Noop,
    /// A whole command line given by the caller (WinINet: `FtpCommand`), without its CRLF.
    Raw(String),
}

impl Command {
    /// Appends the command line and its CRLF to `out`.
    ///
    /// Fails, writing nothing, when an argument holds CR, LF or NUL, or is a raw command that is
    /// empty.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ProtoError> {
        let (verb, arg) = self.parts();
        if let Some(arg) = arg.as_deref() {
            check_argument(verb, arg)?;
        }
        if let Command::Raw(line) = self {
            if line.trim().is_empty() {
                return Err(ProtoError::InvalidArgument("empty raw command".into()));
            }
        }
        out.extend_from_slice(verb.as_bytes());
        if let Some(arg) = arg.as_deref() {
            if !verb.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(arg.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// The command as bytes with its CRLF; see [`Command::encode`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, ProtoError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The verb and the argument text. A raw command is all argument with an empty verb.
    fn parts(&self) -> (&'static str, Option<std::borrow::Cow<'_, str>>) {
        use std::borrow::Cow::{Borrowed, Owned};
        fn arg(s: &str) -> Option<std::borrow::Cow<'_, str>> {
            Some(Borrowed(s))
        }
        fn opt(s: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
            s.as_deref().map(Borrowed)
        }
        match self {
            Command::User(s) => ("USER", arg(s)),
            Command::Pass(s) => ("PASS", arg(s)),
            Command::Acct(s) => ("ACCT", arg(s)),
            Command::Cwd(s) => ("CWD", arg(s)),
            Command::Cdup => ("CDUP", None),
            Command::Pwd => ("PWD", None),
            Command::Mkd(s) => ("MKD", arg(s)),
            Command::Rmd(s) => ("RMD", arg(s)),
            Command::Dele(s) => ("DELE", arg(s)),
            Command::Rnfr(s) => ("RNFR", arg(s)),
            Command::Rnto(s) => ("RNTO", arg(s)),
            Command::Type(TransferType::Ascii) => ("TYPE", Some(Borrowed("A"))),
            Command::Type(TransferType::Binary) => ("TYPE", Some(Borrowed("I"))),
            Command::Pasv => ("PASV", None),
            Command::Epsv => ("EPSV", None),
            Command::Eprt(addr) => ("EPRT", Some(Owned(format_eprt(*addr)))),
            Command::Port(addr) => ("PORT", Some(Owned(format_port(*addr)))),
            Command::Rest(offset) => ("REST", Some(Owned(offset.to_string()))),
            Command::Retr(s) => ("RETR", arg(s)),
            Command::Stor(s) => ("STOR", arg(s)),
            Command::Appe(s) => ("APPE", arg(s)),
            Command::List(s) => ("LIST", opt(s)),
            Command::Mlsd(s) => ("MLSD", opt(s)),
            Command::Nlst(s) => ("NLST", opt(s)),
            Command::Size(s) => ("SIZE", arg(s)),
            Command::Feat => ("FEAT", None),
            Command::OptsUtf8On => ("OPTS", Some(Borrowed("UTF8 ON"))),
            Command::AuthTls => ("AUTH", Some(Borrowed("TLS"))),
            Command::Pbsz0 => ("PBSZ", Some(Borrowed("0"))),
            Command::ProtP => ("PROT", Some(Borrowed("P"))),
            Command::Abor => ("ABOR", None),
            Command::Quit => ("QUIT", None),
            Command::Noop => ("NOOP", None),
            Command::Raw(s) => ("", arg(s)),
        }
    }
}

/// Refuses the bytes that would end the command line early or confuse the server.
fn check_argument(verb: &str, arg: &str) -> Result<(), ProtoError> {
    match arg.bytes().find(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
        None => Ok(()),
        Some(byte) => {
            let what = if verb.is_empty() { "raw command" } else { verb };
            Err(ProtoError::InvalidArgument(format!(
                "{what} argument holds {:?}",
                char::from(byte)
            )))
        }
    }
}

impl fmt::Display for Command {
    /// The command line without CRLF, `PASS`'s argument replaced by `****`, and control
    /// characters escaped so a trace line cannot be split.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, arg) = self.parts();
        f.write_str(verb)?;
        match (self, arg) {
            (Command::Pass(_), _) => f.write_str(" ****"),
            // `FtpCommand("PASS …")` must not leak through a trace either.
            (Command::Raw(line), _) if is_raw_pass(line) => f.write_str("PASS ****"),
            (_, Some(arg)) => {
                if !verb.is_empty() {
                    f.write_str(" ")?;
                }
                for c in arg.chars() {
                    if c.is_control() {
                        write!(f, "{}", c.escape_default())?;
                    } else {
                        write!(f, "{c}")?;
                    }
                }
                Ok(())
            }
            (_, None) => Ok(()),
        }
    }
}

/// Whether a raw command line is a `PASS` (any case, any spacing before it).
fn is_raw_pass(line: &str) -> bool {
    let line = line.trim_start();
    line.len() >= 4
        && line.is_char_boundary(4)
        && line[..4].eq_ignore_ascii_case("PASS")
        && line[4..].chars().next().is_none_or(|c| c == ' ')
}

impl fmt::Debug for Command {
    /// The same as `Display`, so a `{:?}` in a log cannot leak a password either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(command: Command) -> String {
        String::from_utf8(command.to_bytes().unwrap()).unwrap()
    }

    #[test]
    fn commands_encode_with_crlf() {
        assert_eq!(
            wire(Command::User("anonymous".into())),
            "USER anonymous\r\n"
        );
        assert_eq!(wire(Command::Type(TransferType::Binary)), "TYPE I\r\n");
        assert_eq!(wire(Command::Type(TransferType::Ascii)), "TYPE A\r\n");
        assert_eq!(wire(Command::Rest(1_000_000)), "REST 1000000\r\n");
        assert_eq!(wire(Command::OptsUtf8On), "OPTS UTF8 ON\r\n");
        assert_eq!(wire(Command::AuthTls), "AUTH TLS\r\n");
        assert_eq!(wire(Command::Pbsz0), "PBSZ 0\r\n");
        assert_eq!(wire(Command::ProtP), "PROT P\r\n");
        assert_eq!(wire(Command::List(None)), "LIST\r\n");
        assert_eq!(wire(Command::Mlsd(Some("/pub".into()))), "MLSD /pub\r\n");
        assert_eq!(
            wire(Command::Raw("SITE CHMOD 644 a".into())),
            "SITE CHMOD 644 a\r\n"
        );
    }

    #[test]
    fn paths_with_spaces_are_sent_as_they_are() {
        assert_eq!(
            wire(Command::Stor("my file.txt".into())),
            "STOR my file.txt\r\n"
        );
    }

    #[test]
    fn port_and_eprt_carry_the_address() {
        let v4: SocketAddrV4 = "192.168.1.2:5001".parse().unwrap();
        assert_eq!(wire(Command::Port(v4)), "PORT 192,168,1,2,19,137\r\n");
        let v6: SocketAddr = "[::1]:5001".parse().unwrap();
        assert_eq!(wire(Command::Eprt(v6)), "EPRT |2|::1|5001|\r\n");
    }

    #[test]
    fn cr_lf_or_nul_in_an_argument_is_refused_and_nothing_is_written() {
        for bad in ["a\r\nDELE b", "a\nb", "a\rb", "a\0b"] {
            let mut out = Vec::new();
            let err = Command::Retr(bad.into()).encode(&mut out).unwrap_err();
            assert!(matches!(err, ProtoError::InvalidArgument(_)));
            assert!(out.is_empty());
        }
        assert!(Command::Raw("NOOP\r\nQUIT".into()).to_bytes().is_err());
    }

    #[test]
    fn an_empty_raw_command_is_refused() {
        assert!(Command::Raw("  ".into()).to_bytes().is_err());
    }

    #[test]
    fn display_and_debug_hide_the_password() {
        let pass = Command::Pass("hunter2".into());
        assert_eq!(pass.to_string(), "PASS ****");
        assert!(!format!("{pass:?}").contains("hunter2"));
    }

    #[test]
    fn display_hides_a_raw_pass_too() {
        assert_eq!(Command::Raw("pass hunter2".into()).to_string(), "PASS ****");
        assert_eq!(Command::Raw("PASSIVE".into()).to_string(), "PASSIVE");
    }

    #[test]
    fn display_escapes_control_characters() {
        assert_eq!(Command::Cwd("a\r\nb".into()).to_string(), "CWD a\\r\\nb");
    }
}
