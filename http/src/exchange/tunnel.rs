//! `CONNECT host:port` through an HTTP proxy, for https: the proxy must answer 2xx, and then the
//! connection is a tunnel to the server (TLS is started over it by `connect`). Writes only the
//! CONNECT request; never sees the request that goes through the tunnel.

use inet_core::transport::Conn;
use inet_core::{Error, ErrorKind, HandleRef, Proxy, Result, Status};

use crate::errors::proto_error;
use crate::proto::{basic, parse_response_head, ProtoError};
use crate::target::bracketed;

/// `CONNECT host:port` through an HTTP proxy; the proxy must answer 2xx.
pub(super) async fn tunnel(
    h: &HandleRef,
    mut conn: Conn,
    host: &str,
    port: u16,
    proxy: &Proxy,
) -> Result<Conn> {
    let authority = format!("{}:{port}", bracketed(host));
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some((u, p)) = &proxy.credentials {
        req.push_str(&format!("Proxy-Authorization: {}\r\n", basic(u, p)));
    }
    req.push_str("\r\n");
    h.notify(Status::SendingRequest);
    conn.write_all(req.as_bytes()).await?;
    h.notify(Status::RequestSent(req.len() as u64));
    let mut buf = vec![0u8; 8 * 1024];
    let mut end = 0;
    loop {
        match parse_response_head(&buf[..end], buf.len()) {
            Ok(Some((head, used))) => {
                if !(200..300).contains(&head.status) {
                    return Err(Error::new(
                        ErrorKind::CannotConnect,
                        format!(
                            "tunnel to {authority} through proxy {}:{}: the proxy answered {} {}",
                            proxy.host, proxy.port, head.status, head.reason
                        ),
                    ));
                }
                if used != end {
                    return Err(Error::new(
                        ErrorKind::InvalidServerResponse,
                        format!("tunnel to {authority}: the proxy sent bytes after its answer"),
                    ));
                }
                return Ok(conn);
            }
            Ok(None) => {}
            Err(e) => {
                return Err(proto_error(
                    e,
                    &format!("reading the proxy's answer to CONNECT {authority}"),
                ))
            }
        }
        if end == buf.len() {
            return Err(proto_error(
                ProtoError::HeadTooLarge { limit: buf.len() },
                &format!("reading the proxy's answer to CONNECT {authority}"),
            ));
        }
        h.notify(Status::ReceivingResponse);
        let n = conn.read(&mut buf[end..]).await?;
        h.notify(Status::ResponseReceived(n as u64));
        if n == 0 {
            return Err(Error::new(
                ErrorKind::ConnectionAborted,
                format!("tunnel to {authority}: the proxy closed the connection"),
            ));
        }
        end += n;
    }
}
