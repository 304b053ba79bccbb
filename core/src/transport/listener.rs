//! A listening socket for connections the peer opens to us (FTP active mode, EPRT/PORT): bind,
//! tell the peer the address, accept within a timeout, optionally from one peer address only.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::Duration;

use crate::reactor::{Async, Timer};
use futures_lite::FutureExt;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::HandleRef;
use crate::net::{Conn, Stream};

/// A TCP listener whose accepted connections carry the session's send/receive timeouts and
/// low-speed limit.
///
/// ```
/// use inet_core::transport::Listener;
/// use inet_core::Session;
///
/// let session = Session::new()?;
/// let mut listener = Listener::bind(&session, "127.0.0.1:0".parse().unwrap())?;
/// let addr = listener.local_addr();
/// let client = std::thread::spawn(move || std::net::TcpStream::connect(addr));
/// let conn = session.block(listener.accept())?;
/// assert_eq!(conn.peer().ip(), addr.ip());
/// # client.join().unwrap().unwrap();
/// # Ok::<(), inet_core::Error>(())
/// ```
pub struct Listener {
    socket: Async<TcpListener>,
    local: SocketAddr,
    expected_peer: Option<IpAddr>,
    // Only to read the session's settings when a connection comes; does not keep a handle open.
    handle: HandleRef,
}

impl Listener {
    /// Listen on `local` (port 0: any free port; see [`local_addr`](Self::local_addr)), for a
    /// connection used under `handle`. A local address that cannot be bound → CANNOT_CONNECT
    /// (12029).
    pub fn bind(handle: &HandleRef, local: SocketAddr) -> Result<Listener> {
        let failed = |e: io::Error| {
            Error::new(ErrorKind::CannotConnect, format!("listening on {local}")).with_source(e)
        };
        let socket = Async::<TcpListener>::bind(local).map_err(failed)?;
        let local = socket.get_ref().local_addr().map_err(failed)?;
        Ok(Listener {
            socket,
            local,
            expected_peer: None,
            handle: handle.clone(),
        })
    }

    /// Accept connections only from `ip` (FTP active mode: only the server may connect to the
    /// address it was given); a connection from anywhere else is closed at once, and
    /// [`accept`](Self::accept) keeps waiting.
    #[must_use]
    pub fn expect_peer(mut self, ip: IpAddr) -> Self {
        self.expected_peer = Some(ip);
        self
    }

    /// The address bound, with the port the system chose for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Wait for a connection, within the session's connect timeout. Out of time → TIMEOUT
    /// (12002). The connection's label is the peer's address.
    pub async fn accept(&mut self) -> Result<Conn> {
        let timeout = self.handle.options().connect_timeout;
        self.accept_within(timeout).await
    }

    /// Wait for a connection, within `timeout` (None: no limit; `Duration::MAX` never expires).
    pub async fn accept_within(&mut self, timeout: Option<Duration>) -> Result<Conn> {
        let Some(t) = timeout else {
            return self.accept_any_time().await;
        };
        let (local, from) = (self.local, self.expected_from());
        self.accept_any_time()
            .or(async {
                // Saturates: a timeout beyond what an `Instant` holds never fires.
                Timer::after(t).await;
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("waiting for a connection on {local}{from}: none in {t:?}"),
                ))
            })
            .await
    }

    async fn accept_any_time(&mut self) -> Result<Conn> {
        loop {
            let (stream, peer) = match self.socket.accept().await {
                Ok(accepted) => accepted,
                // A peer that gave up between connecting and our accept: wait for the next.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue
                }
                Err(e) => {
                    return Err(Error::io(
                        e,
                        format!("waiting for a connection on {}", self.local),
                    ))
                }
            };
            if !self.is_expected(peer.ip()) {
                // Not the peer we told our address to: someone else must not inject or read
                // the data. Dropping the stream closes it.
                continue;
            }
            // Small writes must not wait for Nagle.
            let _ = stream.get_ref().set_nodelay(true);
            let label = peer.to_string();
            return Ok(Conn::new(
                Stream::Tcp(stream),
                peer,
                label,
                self.handle.options(),
            ));
        }
    }

    fn is_expected(&self, ip: IpAddr) -> bool {
        // Canonical forms: on a dual-stack socket an IPv4 peer shows up as ::ffff:a.b.c.d.
        self.expected_peer
            .is_none_or(|want| want.to_canonical() == ip.to_canonical())
    }

    fn expected_from(&self) -> String {
        match self.expected_peer {
            Some(ip) => format!(" from {ip}"),
            None => String::new(),
        }
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("local", &self.local)
            .field("expected_peer", &self.expected_peer)
            .finish()
    }
}
