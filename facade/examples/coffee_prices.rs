//! Two coffee sites answer after 300 ms and 500 ms. Ask both at once in callback mode (WinINet's
//! async mode): both answers are in after about 500 ms, not 800.
//!
//! `start_send` returns at once; the status callback gets REQUEST_COMPLETE when a response has
//! arrived, reads the body from there (`start_read`), and hands it over when it is whole.
//!
//! ```sh
//! cargo run -p inet --example coffee_prices
//! ```

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use inet::{
    Completion, HandleKind, HttpRequest, Notification, RequestOptions, Session, Started,
    StaticResolver, Status,
};

type Requests = Arc<Mutex<HashMap<u64, (HttpRequest, Vec<u8>)>>>;
type Bodies = mpsc::Sender<(u64, inet::Result<Vec<u8>>)>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sites = [
        (
            "downfall-coffee.test",
            site::serve("Downfall Coffee & Tea", "3.10", 300)?,
        ),
        (
            "fourth-coffee.test",
            site::serve("Fourth Coffee", "2.85", 500)?,
        ),
    ];
    let names = sites
        .iter()
        .fold(StaticResolver::new(), |names, (host, _)| {
            names.with(host, [127, 0, 0, 1].into())
        });
    let requests = Requests::default();
    let (done, bodies) = mpsc::channel();
    let session = Session::builder()
        .resolver(names)
        .status_callback({
            let requests = requests.clone();
            move |n| on_notification(n, &requests, &done)
        })
        .build()?;

    let start = Instant::now();
    for (ctx, (host, port)) in (1..).zip(sites) {
        let url = format!("http://{host}:{port}/price");
        let req = inet::http::open(&session, &url, RequestOptions::default().context(ctx))?;
        requests
            .lock()
            .unwrap()
            .insert(ctx, (req.clone(), Vec::new()));
        let _pending = req.start_send(None, None)?; // ERROR_IO_PENDING: REQUEST_COMPLETE follows
    }
    for _ in sites {
        let (ctx, body) = bodies.recv()?;
        let answer: serde_json::Value = serde_json::from_slice(&body?)?;
        let field = |name: &str| answer[name].as_str().unwrap_or("?").to_string();
        println!("{ctx}: {} {}", field("site"), field("price"));
    }
    println!("async: {} ms", start.elapsed().as_millis());
    Ok(())
}

/// The status callback: on a request's REQUEST_COMPLETE (its send, or a pending read), read on
/// until a read goes pending or the body ends.
fn on_notification(n: &Notification, requests: &Requests, done: &Bodies) {
    let (HandleKind::HttpRequest, Status::RequestComplete(result)) = (n.kind, &n.status) else {
        return;
    };
    let ctx = n.context.0;
    let Some(req) = requests.lock().unwrap().get(&ctx).map(|(r, _)| r.clone()) else {
        return;
    };
    let mut next = match result {
        Ok(Completion::Data(bytes)) => Ok(Started::Done(bytes.clone())),
        Ok(_) => req.start_read(64 * 1024), // the send completed: read the body
        Err(e) => Err(e.clone()),
    };
    loop {
        match next {
            Ok(Started::Pending(_)) => return, // its REQUEST_COMPLETE brings us back
            Ok(Started::Done(bytes)) if !bytes.is_empty() => {
                requests
                    .lock()
                    .unwrap()
                    .entry(ctx)
                    .and_modify(|(_, b)| b.extend(&bytes));
                next = req.start_read(64 * 1024);
            }
            end => {
                // The body is whole (an empty read) or a read failed: close and hand it over.
                let (req, body) = requests
                    .lock()
                    .unwrap()
                    .remove(&ctx)
                    .unwrap_or((req, Vec::new()));
                req.close();
                let _ = done.send((ctx, end.map(|_| body)));
                return;
            }
        }
    }
}

/// The two coffee sites: a minimal HTTP/1.1 server on 127.0.0.1 that answers every request after
/// a delay (keep-alive). Not part of the example's point.
mod site {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    pub fn serve(name: &'static str, price: &'static str, delay_ms: u64) -> std::io::Result<u16> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                std::thread::spawn(move || answer(conn, name, price, delay_ms));
            }
        });
        Ok(port)
    }

    fn answer(conn: TcpStream, name: &str, price: &str, delay_ms: u64) -> std::io::Result<()> {
        conn.set_nodelay(true)?;
        let body = format!(r#"{{"site":"{name}","price":"{price}"}}"#);
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                std::thread::sleep(Duration::from_millis(delay_ms));
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                (&conn).write_all(format!("{head}{body}").as_bytes())?;
            }
        }
    }
}
