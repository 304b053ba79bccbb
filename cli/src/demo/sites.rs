//! The demo's two coffee sites: minimal HTTP/1.1 responders on 127.0.0.1:0, in this process.
//!
//! Each connection gets a thread; each request (a GET: a head, no body) is answered after the
//! site's latency with a small JSON document, and the connection is kept alive for the next one.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// A coffee site: its host name (resolved by the demo's static table), what it answers, and how
/// long it takes.
#[derive(Debug)]
pub struct Site {
    pub host: &'static str,
    pub name: &'static str,
    pub price: &'static str,
    pub latency: Duration,
}

impl Site {
    /// `{"site":"…","price":"…"}`, in that order.
    pub fn answer(&self) -> String {
        format!(
            r#"{{"site":{},"price":{}}}"#,
            Value::from(self.name),
            Value::from(self.price)
        )
    }
}

/// Largest request head a site reads before hanging up.
const MAX_HEAD: usize = 64 * 1024;

/// Listen on 127.0.0.1 (a free port) and serve `site` on background threads; returns the port.
pub fn start(site: &'static Site) -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::Builder::new()
        .name(format!("site {}", site.host))
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                // A connection that cannot get a thread is dropped: the client sees it closed.
                let _ = thread::Builder::new().spawn(move || serve(conn, site));
            }
        })?;
    Ok(port)
}

/// Answer requests on one connection until the client closes it.
fn serve(mut conn: TcpStream, site: &Site) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let body = site.answer();
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut pending = Vec::new();
    while next_head(&mut conn, &mut pending)?.is_some() {
        thread::sleep(site.latency);
        conn.write_all(response.as_bytes())?;
    }
    Ok(())
}

/// The next request head on `conn` (GETs have no body), or None when the client has closed (or
/// sent more than a head's worth without one). `pending` holds bytes read past it.
pub fn next_head(conn: &mut TcpStream, pending: &mut Vec<u8>) -> io::Result<Option<String>> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..i + 4]).into_owned();
            pending.drain(..i + 4);
            return Ok(Some(head));
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 || pending.len() > MAX_HEAD {
            return Ok(None);
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}
