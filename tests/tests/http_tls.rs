//! HTTPS (issue: HTTP §HTTPS): certificate checks and their per-request relaxations against the
//! loopback nginx (its certificate names `localhost` and `127.0.0.1`, signed by a throwaway CA),
//! connection reuse, redirects that would leave TLS, and a CONNECT tunnel through a proxy.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use inet_core::transport::{PoolKey, TlsVerify};
use inet_core::{Proxy, Session, StaticResolver};
use inet_http::{HttpConnection, RequestFlags, RequestOptions};
use inet_tests::fault::{Behaviour, Connection, FaultServer};
use inet_tests::record::Recorder;
use inet_tests::servers::nginx;

/// The longest any wait in these tests may take.
const T: Duration = Duration::from_secs(10);

// ---- certificate checks ----

#[test]
fn a_get_over_https_trusting_the_test_ca_succeeds() {
    let n = nginx();
    let s = trusting_session().build().expect("session");
    let conn = HttpConnection::connect(&s, "127.0.0.1", n.https_port).expect("connect");
    let req = conn
        .open_request(
            "GET",
            "/hello.txt",
            RequestOptions::default().flags(RequestFlags::SECURE),
        )
        .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(req.url(), n.https_url("/hello.txt"));
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

#[test]
fn an_unknown_ca_fails_with_12045_and_a_readable_message() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.https_url("/hello.txt"), RequestOptions::default()).expect("open");
    let e = req
        .send_blocking(None, None)
        .expect_err("an untrusted chain");
    assert_eq!(e.code(), 12045, "{e}");
    let message = e.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{}", n.https_port)),
        "the message should name the server: {message}"
    );
    assert!(
        message.contains("certificate"),
        "the message should say what was wrong: {message}"
    );
}

#[test]
fn a_certificate_for_another_name_fails_with_12038() {
    let s = trusting_session()
        .resolver(wrong_name_resolver())
        .build()
        .expect("session");
    let req = inet_http::open(&s, &wrong_name_url("/hello.txt"), RequestOptions::default())
        .expect("open");
    let e = req.send_blocking(None, None).expect_err("a name mismatch");
    assert_eq!(e.code(), 12038, "{e}");
}

#[test]
fn ignore_cert_errors_accepts_an_unknown_ca() {
    let n = nginx();
    let s = Session::new().expect("session");
    let options = RequestOptions::default().flags(RequestFlags::IGNORE_CERT_ERRORS);
    let req = inet_http::open(&s, &n.https_url("/hello.txt"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

#[test]
fn ignore_cert_errors_accepts_a_certificate_for_another_name() {
    let s = trusting_session()
        .resolver(wrong_name_resolver())
        .build()
        .expect("session");
    let options = RequestOptions::default().flags(RequestFlags::IGNORE_CERT_ERRORS);
    let req = inet_http::open(&s, &wrong_name_url("/hello.txt"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

#[test]
fn a_relaxed_connection_is_never_reused_by_a_strict_request() {
    let n = nginx();
    let s = Session::new().expect("session");
    let relaxed = inet_http::open(
        &s,
        &n.https_url("/hello.txt"),
        RequestOptions::default().flags(RequestFlags::IGNORE_CERT_ERRORS),
    )
    .expect("open");
    relaxed.send_blocking(None, None).expect("send");
    relaxed.read_to_end_blocking().expect("body");
    let relaxed_key = PoolKey {
        scheme: "https",
        host: "127.0.0.1".into(),
        port: n.https_port,
        proxy: None,
        tls: Some(
            TlsVerify::strict()
                .accept_invalid_certs(true)
                .accept_invalid_hostnames(true),
        ),
    };
    assert_eq!(
        s.pool().stats(&relaxed_key),
        (0, 1),
        "the relaxed connection should be idle in the pool"
    );

    let strict =
        inet_http::open(&s, &n.https_url("/hello.txt"), RequestOptions::default()).expect("open");
    assert_eq!(code(strict.send_blocking(None, None)), 12045);
}

#[test]
fn a_second_https_request_reuses_the_connection_and_starts_at_sending_request() {
    let n = nginx();
    let rec = Recorder::new();
    let s = trusting_session()
        .status_callback(rec.callback())
        .build()
        .expect("session");
    let first =
        inet_http::open(&s, &n.https_url("/hello.txt"), RequestOptions::default()).expect("open");
    first.send_blocking(None, None).expect("send");
    first.read_to_end_blocking().expect("body");
    let second =
        inet_http::open(&s, &n.https_url("/index.html"), RequestOptions::default()).expect("open");
    let h = second.handle().id();
    let _p = second.start_send(None, None).expect("start_send");
    assert!(rec.wait_code(h, 100, T), "no REQUEST_COMPLETE");
    assert_eq!(rec.completions(h), vec![0]);
    let codes = rec.codes(h);
    // A new handle per request, so its HANDLE_CREATED comes first; then no resolve, no connect.
    assert_eq!(codes, vec![60, 30, 31, 40, 41, 100]);
}

// ---- redirects out of TLS ----

#[test]
fn a_redirect_from_https_to_http_is_refused_with_12040() {
    let n = nginx();
    let server = tls_redirect_server(&n.http_url("/hello.txt"));
    let s = trusting_session().build().expect("session");
    let req =
        inet_http::open(&s, &tls_url(&server, "/start"), RequestOptions::default()).expect("open");
    assert_eq!(code(req.send_blocking(None, None)), 12040);
}

#[test]
fn allow_https_to_http_follows_a_redirect_to_http() {
    let n = nginx();
    let server = tls_redirect_server(&n.http_url("/hello.txt"));
    let s = trusting_session().build().expect("session");
    let mut options = RequestOptions::default();
    options.allow_https_to_http = true;
    let req = inet_http::open(&s, &tls_url(&server, "/start"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.url(), n.http_url("/hello.txt"));
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

// ---- proxies ----

#[test]
fn https_works_through_the_connect_tunnel_of_an_http_proxy() {
    let n = nginx();
    let proxy = connect_proxy();
    let s = trusting_session()
        .proxy(Proxy::new("127.0.0.1", proxy.port()))
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let req = inet_http::open(
        &s,
        &n.https_localhost_url("/hello.txt"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
    let asked = String::from_utf8_lossy(&proxy.request(0)).into_owned();
    let connect = format!("CONNECT localhost:{} HTTP/1.1\r\n", n.https_port);
    assert!(asked.starts_with(&connect), "{asked:?}");
}

// ---- helpers ----

/// A session builder that trusts the test CA.
fn trusting_session() -> inet_core::SessionBuilder {
    Session::builder().add_root_certificates_file(&nginx().ca_cert)
}

/// `wrong-name.test` is 127.0.0.1, which the certificate does not call by that name.
fn wrong_name_resolver() -> StaticResolver {
    StaticResolver::new().with("wrong-name.test", [127, 0, 0, 1].into())
}

fn wrong_name_url(path: &str) -> String {
    format!("https://wrong-name.test:{}{path}", nginx().https_port)
}

fn tls_url(server: &FaultServer, path: &str) -> String {
    format!("https://127.0.0.1:{}{path}", server.port())
}

/// The WinINet code of an error the call must have returned.
fn code<T: std::fmt::Debug>(result: inet_core::Result<T>) -> u32 {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.code(),
    }
}

/// An https server (nginx's certificate and key) answering every request with a 302 to
/// `location`.
fn tls_redirect_server(location: &str) -> FaultServer {
    let n = nginx();
    let cert = std::fs::read(n.state_dir.join("tls/server.crt")).expect("server certificate");
    let key = std::fs::read(n.state_dir.join("tls/server.key")).expect("server key");
    let identity = native_tls::Identity::from_pkcs8(&cert, &key).expect("identity");
    let acceptor = Arc::new(native_tls::TlsAcceptor::new(identity).expect("acceptor"));
    let answer = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
    FaultServer::start(Behaviour::custom(move |c| {
        let Ok(mut tls) = acceptor.accept(&mut *c) else {
            return;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tls.write_all(answer.as_bytes());
        let _ = tls.flush();
        // Keep the session open until the client is done with it.
        while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
    }))
    .expect("fault server")
}

/// An HTTP proxy that only knows CONNECT: it answers 200 and splices bytes both ways to the
/// requested port on 127.0.0.1.
fn connect_proxy() -> FaultServer {
    FaultServer::start(Behaviour::custom(|c| {
        let Ok(head) = c.read_request_head() else {
            return;
        };
        let head = String::from_utf8_lossy(&head).into_owned();
        let port = head
            .strip_prefix("CONNECT ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|authority| authority.rsplit(':').next())
            .and_then(|port| port.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = c.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
            let _ = c.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return;
        };
        if c.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .is_ok()
        {
            let _ = splice(c, upstream);
        }
    }))
    .expect("fault server")
}

/// Copies bytes both ways between the client connection and `upstream` until either side ends.
fn splice(c: &mut Connection, mut upstream: TcpStream) -> io::Result<()> {
    let mut from_upstream = upstream.try_clone()?;
    let mut to_client = c.stream().try_clone()?;
    let back = std::thread::spawn(move || {
        let _ = io::copy(&mut from_upstream, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if upstream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    // Ending upstream both ways also ends the copy the other way.
    let _ = upstream.shutdown(Shutdown::Both);
    let _ = back.join();
    Ok(())
}
