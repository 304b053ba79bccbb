//! HTTP notification order, as WinINet (issue: HTTP §3), against the loopback nginx.

use std::time::Duration;

use inet_core::{Session, StaticResolver};
use inet_http::{HttpConnection, RequestFlags, RequestOptions};
use inet_tests::record::Recorder;
use inet_tests::servers::nginx;

const T: Duration = Duration::from_secs(10);

fn session(rec: &Recorder) -> Session {
    Session::builder()
        .status_callback(rec.callback())
        .build()
        .expect("session")
}

#[test]
fn get_on_a_fresh_connection_notifies_in_wininets_order() {
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = HttpConnection::connect(&s, "127.0.0.1", nginx().http_port).expect("connect");
    let req = conn
        .open_request("GET", "/hello.txt", RequestOptions::default().context(7))
        .expect("open");
    let _p = req.start_send(None, None).expect("start");
    assert!(rec.wait_code(req.handle().id(), 100, T));
    assert_eq!(rec.codes(conn.handle().id()), vec![60]);
    assert_eq!(
        rec.codes(req.handle().id()),
        vec![60, 10, 11, 20, 21, 30, 31, 40, 41, 100]
    );
    assert_eq!(rec.completions(req.handle().id()), vec![0]);
    assert!(rec
        .all()
        .iter()
        .filter(|n| n.handle == req.handle().id())
        .all(|n| n.context == 7));
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

#[test]
fn a_request_on_a_pooled_connection_starts_at_sending_request() {
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = HttpConnection::connect(&s, "127.0.0.1", nginx().http_port).expect("connect");
    let first = conn
        .open_request("GET", "/hello.txt", RequestOptions::default())
        .expect("open");
    first.send_blocking(None, None).expect("send");
    first.read_to_end_blocking().expect("body");
    let second = conn
        .open_request("GET", "/index.html", RequestOptions::default())
        .expect("open");
    let _p = second.start_send(None, None).expect("start");
    assert!(rec.wait_code(second.handle().id(), 100, T));
    assert_eq!(
        rec.codes(second.handle().id()),
        vec![60, 30, 31, 40, 41, 100]
    );
}

#[test]
fn a_redirect_notifies_redirect_between_two_cycles() {
    let rec = Recorder::new();
    let s = session(&rec);
    let n = nginx();
    let conn = HttpConnection::connect(&s, "127.0.0.1", n.http_port).expect("connect");
    let req = conn
        .open_request("GET", "/redirect", RequestOptions::default())
        .expect("open");
    let _p = req.start_send(None, None).expect("start");
    assert!(rec.wait_code(req.handle().id(), 100, T));
    // nginx keeps the connection: the second cycle reuses it, no resolve/connect between.
    assert_eq!(
        rec.codes(req.handle().id()),
        vec![60, 10, 11, 20, 21, 30, 31, 40, 41, 110, 30, 31, 40, 41, 100]
    );
    let redirect = rec
        .all()
        .into_iter()
        .find(|s| s.code == 110)
        .expect("REDIRECT");
    assert_eq!(redirect.text, n.http_url("/hello.txt"));
    assert_eq!(req.url(), n.http_url("/hello.txt"));
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

#[test]
fn an_unknown_host_completes_with_name_not_resolved_after_resolving_name() {
    let rec = Recorder::new();
    let s = Session::builder()
        .status_callback(rec.callback())
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let req =
        inet_http::open(&s, "http://no-such-host.test/", RequestOptions::default()).expect("open");
    let _p = req.start_send(None, None).expect("start");
    assert!(rec.wait_code(req.handle().id(), 100, T));
    assert_eq!(rec.codes(req.handle().id()), vec![60, 10, 100]);
    assert_eq!(rec.completions(req.handle().id()), vec![12007]);
}

#[test]
fn a_refused_connection_completes_with_cannot_connect_after_connecting() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(
        &s,
        &format!("http://127.0.0.1:{port}/"),
        RequestOptions::default(),
    )
    .expect("open");
    let _p = req.start_send(None, None).expect("start");
    assert!(rec.wait_code(req.handle().id(), 100, T));
    assert_eq!(rec.codes(req.handle().id()), vec![60, 10, 11, 20, 100]);
    assert_eq!(rec.completions(req.handle().id()), vec![12029]);
}

#[test]
fn closing_sends_request_then_connection_handle_closing_and_nothing_after() {
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = HttpConnection::connect(&s, "127.0.0.1", nginx().http_port).expect("connect");
    let req = conn
        .open_request("GET", "/hello.txt", RequestOptions::default())
        .expect("open");
    req.send_blocking(None, None).expect("send");
    req.read_to_end_blocking().expect("body");
    let (r, c) = (req.handle().id(), conn.handle().id());
    conn.close();
    let closing: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|n| n.code == 70)
        .map(|n| n.handle)
        .collect();
    assert_eq!(closing, vec![r, c]);
    // A fully read keep-alive response: no CLOSING_CONNECTION when the handle closes.
    assert!(!rec.codes(r).contains(&50));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rec.codes(r).last(), Some(&70));
}

#[test]
fn closing_after_a_cut_short_body_closes_the_connection_first() {
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(
        &s,
        &nginx().http_url("/data/rand_1M.bin"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    let mut buf = [0u8; 100];
    req.read_blocking(&mut buf).expect("read");
    req.close();
    let codes = rec.codes(req.handle().id());
    assert_eq!(codes[codes.len() - 3..], [50, 51, 70]);
}

#[test]
fn async_reads_wrap_network_reads_and_complete_each_pending_read() {
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(
        &s,
        &nginx().http_url("/data/rand_1M.bin"),
        RequestOptions::default().flags(RequestFlags::NO_AUTO_DECOMPRESS),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    let h = req.handle().id();
    rec.clear();
    let mut total = 0usize;
    let mut pending_reads = 0;
    loop {
        match req.start_read(256 * 1024).expect("start_read") {
            inet_core::Started::Done(b) => {
                if b.is_empty() {
                    break;
                }
                total += b.len();
            }
            inet_core::Started::Pending(_) => {
                pending_reads += 1;
                assert!(rec.wait_for(T, |s| s
                    .iter()
                    .filter(|n| n.handle == h && n.code == 100)
                    .count()
                    == pending_reads));
                let last = rec
                    .all()
                    .into_iter()
                    .rfind(|n| n.handle == h && n.code == 100)
                    .expect("complete");
                assert_eq!(last.error, Some(0));
                let n = last.amount.expect("a read completes with its bytes") as usize;
                if n == 0 {
                    break;
                }
                total += n;
            }
        }
    }
    assert_eq!(total, 1 << 20);
    let codes = rec.codes(h);
    assert_eq!(codes.iter().filter(|c| **c == 100).count(), pending_reads);
    // Every network read is wrapped: RECEIVING_RESPONSE then RESPONSE_RECEIVED.
    let wrapped: Vec<u32> = codes
        .iter()
        .copied()
        .filter(|c| *c == 40 || *c == 41)
        .collect();
    assert!(wrapped.chunks(2).all(|p| p == [40, 41]), "{wrapped:?}");
}

#[test]
fn closing_a_request_pending_on_a_silent_server_completes_cancelled_then_closes_within_100ms() {
    use inet_tests::fault::{Behaviour, FaultServer};
    let server = FaultServer::start(Behaviour::Stall).expect("fault server");
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(&s, &server.url("/never"), RequestOptions::default()).expect("open");
    let h = req.handle().id();
    let _p = req.start_send(None, None).expect("start");
    // Sent, and waiting for an answer that never comes.
    assert!(rec.wait_code(h, 40, T));
    let closed_at = std::time::Instant::now();
    req.close();
    assert!(rec.wait_code(h, 70, T));
    let mine: Vec<_> = rec.all().into_iter().filter(|n| n.handle == h).collect();
    let n = mine.len();
    assert_eq!((mine[n - 2].code, mine[n - 2].error), (100, Some(12017)));
    assert_eq!(mine[n - 1].code, 70);
    let took = mine[n - 1].at - closed_at;
    assert!(
        took < Duration::from_millis(100),
        "HANDLE_CLOSING {took:?} after close"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        rec.all().into_iter().filter(|x| x.handle == h).count(),
        n,
        "a notification came after HANDLE_CLOSING"
    );
}
