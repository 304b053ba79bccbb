//! A scriptable, misbehaving FTP server on 127.0.0.1, built on [`FaultServer`]: each control
//! connection runs a script of [`FtpPeer`] steps (greet, expect a command, reply, open a passive
//! data listener…), so a test can say exactly where the server goes wrong.
//!
//! ```
//! use inet_tests::ftp_fault::FakeFtp;
//!
//! // Greets, takes USER/PASS, then answers PWD and says goodbye.
//! let server = FakeFtp::start(|ftp| {
//!     ftp.login()?;
//!     ftp.expect("PWD")?;
//!     ftp.reply("257 \"/\" is current")?;
//!     ftp.until_quit()
//! })?;
//! # let _ = server.port();
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use crate::fault::{Behaviour, Connection, FaultServer};

/// One control connection as a script sees it.
#[derive(Debug)]
pub struct FtpPeer<'a> {
    conn: &'a mut Connection,
    pending: Vec<u8>,
}

/// A script: runs once per accepted control connection.
pub type Script = dyn Fn(&mut FtpPeer<'_>) -> io::Result<()> + Send + Sync;

/// The scripted server; dropping it closes every connection.
#[derive(Debug)]
pub struct FakeFtp {
    server: FaultServer,
}

impl FakeFtp {
    /// Serve every control connection with `script`.
    pub fn start(
        script: impl Fn(&mut FtpPeer<'_>) -> io::Result<()> + Send + Sync + 'static,
    ) -> io::Result<FakeFtp> {
        let script: Arc<Script> = Arc::new(script);
        let server = FaultServer::start(Behaviour::custom(move |conn| {
            let mut peer = FtpPeer {
                conn,
                pending: Vec::new(),
            };
            let _ = script(&mut peer);
        }))?;
        Ok(FakeFtp { server })
    }

    /// The control port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Control connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    /// Everything the client sent on control connection `n`, as text.
    pub fn commands(&self, n: usize) -> String {
        String::from_utf8_lossy(&self.server.request(n)).into_owned()
    }
}

impl FtpPeer<'_> {
    /// Send raw bytes.
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.conn.write_all(bytes)
    }

    /// Send one reply line with CRLF.
    pub fn reply(&mut self, line: &str) -> io::Result<()> {
        self.conn.write_all(format!("{line}\r\n").as_bytes())
    }

    /// Read the next command line (without its CRLF); an error at end of stream.
    pub fn command(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            let mut buf = [0u8; 4096];
            let n = self.conn.read(&mut buf)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "client closed",
                ));
            }
            self.pending.extend_from_slice(&buf[..n]);
        }
    }

    /// Read the next command and check its verb; returns its argument.
    pub fn expect(&mut self, verb: &str) -> io::Result<String> {
        let line = self.command()?;
        let (v, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        if v.eq_ignore_ascii_case(verb) {
            Ok(arg.to_string())
        } else {
            let _ = self.reply("500 unexpected");
            Err(io::Error::other(format!("expected {verb}, got {line:?}")))
        }
    }

    /// Greeting, `USER` → 331, `PASS` → 230, `FEAT` → 211 with `features` (none: 500).
    pub fn login_with(&mut self, features: &[&str]) -> io::Result<()> {
        self.reply("220 fake ftp")?;
        self.expect("USER")?;
        self.reply("331 password please")?;
        self.expect("PASS")?;
        self.reply("230 in")?;
        self.expect("FEAT")?;
        if features.is_empty() {
            self.reply("500 FEAT not understood")
        } else {
            let mut text = String::from("211-Features:\r\n");
            for f in features {
                text.push_str(&format!(" {f}\r\n"));
            }
            text.push_str("211 End\r\n");
            self.raw(text.as_bytes())
        }
    }

    /// [`login_with`](Self::login_with) no features (the client then uses `LIST`).
    pub fn login(&mut self) -> io::Result<()> {
        self.login_with(&[])
    }

    /// Answer `TYPE x` with 200.
    pub fn type_ok(&mut self) -> io::Result<()> {
        self.expect("TYPE")?;
        self.reply("200 type set")
    }

    /// Answer `EPSV` with a fresh listener on 127.0.0.1 and accept the data connection.
    pub fn epsv(&mut self) -> io::Result<TcpListener> {
        self.expect("EPSV")?;
        let l = TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        self.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))?;
        Ok(l)
    }

    /// Accept on `l` within 5 s.
    pub fn accept(l: &TcpListener) -> io::Result<TcpStream> {
        l.set_nonblocking(true)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false)?;
                    return Ok(s);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if std::time::Instant::now() > deadline {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no data connection",
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Answer commands until `QUIT` (221) or the client leaves.
    pub fn until_quit(&mut self) -> io::Result<()> {
        loop {
            let line = self.command()?;
            if line.eq_ignore_ascii_case("QUIT") {
                return self.reply("221 bye");
            }
            self.reply("502 not here")?;
        }
    }

    /// Wait until the client closes the control connection (or the server is dropped).
    pub fn hold(&mut self) {
        self.conn.drain();
    }

    /// The address the client connected from.
    pub fn peer(&self) -> io::Result<SocketAddr> {
        self.conn.stream().peer_addr()
    }
}
