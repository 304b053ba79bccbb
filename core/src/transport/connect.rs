//! Name resolution, TCP connect (to a host or to a known address) and the TLS handshake (native-tls,
//! or rustls for connections that resume one another's session), each reported to the handle's
//! callback.

use std::future::Future;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::reactor::{Async, Timer};
use futures_lite::FutureExt;

use crate::error::{Error, ErrorKind, Result};
use crate::handle::HandleRef;
use crate::net::resume;
use crate::net::tls::{self, TlsVerify};
use crate::net::{Conn, Stream, TlsSessions};
use crate::status::Status;

/// Resolve `host` off the caller's thread: RESOLVING_NAME, then NAME_RESOLVED with the first
/// address. On failure only RESOLVING_NAME is sent and the error is NAME_NOT_RESOLVED (12007).
pub async fn resolve(handle: &HandleRef, host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    handle.notify(Status::ResolvingName(host.to_string()));
    let addrs = match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => {
            let name = host.to_string();
            let resolver = handle.options().resolver.clone();
            let looked_up = blocking::unblock(move || resolver.resolve(&name, port)).await;
            match looked_up {
                Ok(a) if !a.is_empty() => a,
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::NameNotResolved,
                        format!("resolving {host}: no addresses"),
                    ))
                }
                Err(e) => {
                    return Err(
                        Error::new(ErrorKind::NameNotResolved, format!("resolving {host}"))
                            .with_source(e),
                    )
                }
            }
        }
    };
    handle.notify(Status::NameResolved(addrs[0].ip()));
    Ok(addrs)
}

/// Resolve `host` and connect to its addresses in turn, all within the session's connect timeout:
/// CONNECTING_TO_SERVER before each attempt, CONNECTED_TO_SERVER once one succeeds. Refused
/// everywhere → CANNOT_CONNECT (12029); out of time → TIMEOUT (12002).
pub async fn connect_tcp(handle: &HandleRef, host: &str, port: u16) -> Result<Conn> {
    let label = format!("{host}:{port}");
    let work = async {
        let addrs = resolve(handle, host, port).await?;
        let mut last_err = None;
        for addr in addrs {
            match connect_one(handle, addr, &label).await {
                Ok(conn) => return Ok(conn),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            Error::new(ErrorKind::CannotConnect, format!("connecting to {label}"))
        }))
    };
    within_connect_timeout(handle, &label, work).await
}

/// Connect to `addr`, known already (an FTP server's passive-mode answer), within the session's
/// connect timeout: CONNECTING_TO_SERVER, then CONNECTED_TO_SERVER; no name-resolution
/// notifications. `label` names the peer in error messages and in the [`Conn`] ("host:port").
/// Refused → CANNOT_CONNECT (12029), naming the address; out of time → TIMEOUT (12002).
pub async fn connect_addr(handle: &HandleRef, addr: SocketAddr, label: &str) -> Result<Conn> {
    within_connect_timeout(handle, label, connect_one(handle, addr, label)).await
}

/// One TCP connect, reported to the handle; the error names `label` and the address.
async fn connect_one(handle: &HandleRef, addr: SocketAddr, label: &str) -> Result<Conn> {
    handle.notify(Status::ConnectingToServer(addr));
    match Async::<TcpStream>::connect(addr).await {
        Ok(stream) => {
            // Small requests must not wait for Nagle.
            let _ = stream.get_ref().set_nodelay(true);
            handle.notify(Status::ConnectedToServer(addr));
            Ok(Conn::new(
                Stream::Tcp(stream),
                addr,
                label,
                handle.options(),
            ))
        }
        Err(e) => Err(Error::new(
            ErrorKind::CannotConnect,
            format!("connecting to {label} ({addr})"),
        )
        .with_source(e)),
    }
}

/// Run `work` within the session's connect timeout (None: no limit).
async fn within_connect_timeout(
    handle: &HandleRef,
    label: &str,
    work: impl Future<Output = Result<Conn>>,
) -> Result<Conn> {
    match handle.options().connect_timeout {
        None => work.await,
        Some(t) => {
            work.or(async {
                // `Timer::after` saturates: a timeout too large for an `Instant` (`Duration::MAX`)
                // never fires, where `Instant::now() + t` would panic.
                Timer::after(t).await;
                Err(Error::new(
                    ErrorKind::Timeout,
                    format!("connecting to {label}: no answer in {t:?}"),
                ))
            })
            .await
        }
    }
}

/// TLS handshake over `conn` for `host` (SNI and host-name check), within the connect timeout.
/// An untrusted chain → INVALID_CA (12045); a certificate for another name → SEC_CERT_CN_INVALID
/// (12038); other failures → SECURITY_CHANNEL_ERROR (12157).
pub async fn start_tls(
    handle: &HandleRef,
    conn: Conn,
    host: &str,
    verify: TlsVerify,
) -> Result<Conn> {
    let options = handle.options();
    let connector = handle.rec.shared.tls.get(&options.tls, verify).await?;
    let name = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let label = conn.label().to_string();
    let timeout = options.connect_timeout;
    conn.upgrade(|stream| async move {
        let tcp = plain_tcp(stream, &label)?;
        let handshake = async {
            tls::handshake(&connector, name.as_str(), tcp)
                .await
                .map_err(|e| tls::classify(e, &label))
        };
        let tls = within_handshake_timeout(timeout, &label, handshake).await?;
        Ok(Stream::Tls(Box::new(tls)))
    })
    .await
}

/// [`start_tls`], but the handshake offers to resume a session stored in `sessions` for the same
/// `host`, and stores the session it gets (TLS 1.3: the tickets the server sends after the
/// handshake, taken in when the connection is next read) for the next connection. For an FTPS
/// control connection and its data connections, which the server demands resume its session;
/// give them all the control connection's host name and the same [`TlsSessions`]. Trust anchors,
/// `verify` and errors as [`start_tls`] (12045, 12038, 12157; TIMEOUT 12002).
/// [`Conn::tls_resumed`] tells whether a session was resumed.
pub async fn start_tls_resuming(
    handle: &HandleRef,
    conn: Conn,
    host: &str,
    verify: TlsVerify,
    sessions: &TlsSessions,
) -> Result<Conn> {
    let options = handle.options();
    let label = conn.label().to_string();
    let name = resume::server_name(host, &label)?;
    let config = handle
        .rec
        .shared
        .resuming
        .get(&options.tls, verify, sessions)
        .await?;
    let timeout = options.connect_timeout;
    conn.upgrade(|stream| async move {
        let tcp = plain_tcp(stream, &label)?;
        let handshake = async {
            resume::handshake(config, name, tcp)
                .await
                .map_err(|e| resume::classify(e, &label))
        };
        let tls = within_handshake_timeout(timeout, &label, handshake).await?;
        Ok(Stream::ResumableTls(Box::new(tls)))
    })
    .await
}

/// The TCP socket of a stream that is not TLS yet.
fn plain_tcp(stream: Stream, label: &str) -> Result<Async<TcpStream>> {
    match stream {
        Stream::Tcp(tcp) => Ok(tcp),
        Stream::Tls(_) | Stream::ResumableTls(_) => Err(Error::new(
            ErrorKind::Internal,
            format!("TLS over TLS to {label}"),
        )),
    }
}

/// Run a TLS handshake within `timeout` (None: no limit).
async fn within_handshake_timeout<T>(
    timeout: Option<Duration>,
    label: &str,
    handshake: impl Future<Output = Result<T>>,
) -> Result<T> {
    match timeout {
        None => handshake.await,
        Some(t) => {
            handshake
                .or(async {
                    // Saturates: `Duration::MAX` never fires.
                    Timer::after(t).await;
                    Err(Error::new(
                        ErrorKind::Timeout,
                        format!("TLS handshake with {label}: no answer in {t:?}"),
                    ))
                })
                .await
        }
    }
}
