//! The HTTP API and protocol (issue: HTTP §API and §Protocol), against the loopback nginx and
//! scripted fault servers: what goes on the wire, what the query functions report, how bodies are
//! framed and decoded, how connections are pooled, redirects and proxies.
//!
//! Fault servers here speak just enough HTTP to serve many requests on one connection
//! ([`http_server`]) and record every request; [`received`] parses what they got.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use inet_core::transport::PoolKey;
use inet_core::{
    Completion, Context, Notification, Proxy, Session, Started, StaticResolver, Status,
};
use inet_http::{BodyLength, HttpConnection, Modifier, RequestFlags, RequestOptions};
use inet_tests::fault::{Behaviour, Connection, FaultServer};
use inet_tests::record::Recorder;
use inet_tests::servers::nginx;
use parking_lot::{Condvar, Mutex};

/// The longest any wait in these tests may take.
const T: Duration = Duration::from_secs(10);

// ================================================================================================
// API: connection and request handles
// ================================================================================================

#[test]
fn connect_does_no_network_io_and_reports_only_handle_created() {
    let server = FaultServer::start(Behaviour::Stall).expect("fault server");
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = HttpConnection::connect(&s, "127.0.0.1", server.port()).expect("connect");
    // Give a stray connect the time to show up: none may.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(rec.codes(conn.handle().id()), vec![60]);
    assert_eq!(server.connections(), 0);
}

#[test]
fn connect_to_a_name_that_cannot_resolve_succeeds_since_nothing_is_resolved() {
    let rec = Recorder::new();
    let s = Session::builder()
        .status_callback(rec.callback())
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let conn = HttpConnection::connect(&s, "no-such-host.test", 80).expect("connect");
    assert_eq!(rec.codes(conn.handle().id()), vec![60]);
}

#[test]
fn open_request_sends_the_method_path_and_query_in_the_request_line() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect(&s, "127.0.0.1", server.port()).expect("connect");
    let req = conn
        .open_request("DELETE", "/a/b?q=1&r=2", RequestOptions::default())
        .expect("open");
    req.send_blocking(None, None).expect("send");
    let seen = only_request(&server);
    assert_eq!(
        (
            seen.method.as_str(),
            seen.target.as_str(),
            seen.version.as_str()
        ),
        ("DELETE", "/a/b?q=1&r=2", "HTTP/1.1")
    );
    assert_eq!(
        seen.header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str())
    );
}

#[test]
fn a_version_1_0_request_goes_out_as_http_1_0_asking_for_keep_alive() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect(&s, "127.0.0.1", server.port()).expect("connect");
    let req = conn.open_request("GET", "/old", http_1_0()).expect("open");
    req.send_blocking(None, None).expect("send");
    let seen = only_request(&server);
    assert_eq!(seen.version, "HTTP/1.0");
    assert_eq!(seen.header("connection"), Some("keep-alive"));
}

#[test]
fn referrer_and_accept_types_go_out_as_referer_and_accept() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let mut options = RequestOptions::default();
    options.referrer = Some("http://example.test/from".into());
    options.accept_types = vec!["text/plain".into(), "application/json".into()];
    let req = inet_http::open(&s, &server.url("/to"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    let seen = only_request(&server);
    assert_eq!(seen.header("referer"), Some("http://example.test/from"));
    assert_eq!(seen.header("accept"), Some("text/plain, application/json"));
}

#[test]
fn without_accept_types_accept_is_any() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(only_request(&server).header("accept"), Some("*/*"));
}

#[test]
fn the_reload_flag_asks_caches_for_a_fresh_copy() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let options = RequestOptions::default().flags(RequestFlags::RELOAD);
    let req = inet_http::open(&s, &server.url("/"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        only_request(&server).header("cache-control"),
        Some("no-cache")
    );
}

#[test]
fn the_no_keep_alive_flag_sends_connection_close_and_does_not_reuse_the_connection() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let options = RequestOptions::default().flags(RequestFlags::NO_KEEP_ALIVE);
    for _ in 0..2 {
        let req = inet_http::open(&s, &server.url("/"), options.clone()).expect("open");
        req.send_blocking(None, None).expect("send");
        assert_eq!(req.read_to_end_blocking().expect("body"), b"done");
    }
    let seen = received(&server);
    assert!(
        seen.iter().all(|r| r.header("connection") == Some("close")),
        "{seen:?}"
    );
    assert_eq!(server.connections(), 2);
}

// ---- basic auth ----

#[test]
fn basic_auth_credentials_of_the_connection_unlock_the_protected_file() {
    let n = nginx();
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect_with(
        &s,
        "127.0.0.1",
        n.http_port,
        Some((&n.basic_user, &n.basic_password)),
        Context(0),
    )
    .expect("connect");
    let req = conn
        .open_request("GET", "/basic/secret.txt", RequestOptions::default())
        .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(req.read_to_end_blocking().expect("body"), b"secret\n");
}

#[test]
fn wrong_basic_auth_credentials_get_401() {
    let n = nginx();
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect_with(
        &s,
        "127.0.0.1",
        n.http_port,
        Some(("user", "not-the-password")),
        Context(0),
    )
    .expect("connect");
    let req = conn
        .open_request("GET", "/basic/secret.txt", RequestOptions::default())
        .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 401);
}

// ---- add_headers ----

#[test]
fn add_headers_add_appends_a_second_header_of_the_same_name() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.add_headers("X-Dup: one", Modifier::Add).expect("add");
    req.add_headers("X-Dup: two", Modifier::Add).expect("add");
    req.send_blocking(None, None).expect("send");
    assert_eq!(only_request(&server).headers_named("x-dup"), ["one", "two"]);
    assert_eq!(
        req.request_header("x-dup", 0).expect("first"),
        ("one".to_string(), Some(1))
    );
    assert_eq!(
        req.request_header("x-dup", 1).expect("second"),
        ("two".to_string(), None)
    );
}

#[test]
fn add_headers_add_if_new_fails_with_12155_when_the_header_exists() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.add_headers("X-Once: 1", Modifier::AddIfNew)
        .expect("absent: added");
    assert_eq!(
        code(req.add_headers("x-once: 2", Modifier::AddIfNew)),
        12155
    );
    req.send_blocking(None, None).expect("send");
    assert_eq!(only_request(&server).headers_named("x-once"), ["1"]);
}

#[test]
fn add_headers_replace_changes_the_value_and_an_empty_value_removes_the_header() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.add_headers("X-Kept: old\r\nX-Gone: soon", Modifier::Add)
        .expect("add");
    req.add_headers("X-Kept: new", Modifier::Replace)
        .expect("replace");
    req.add_headers("X-Gone:", Modifier::Replace)
        .expect("remove");
    assert_eq!(code(req.request_header("x-gone", 0)), 12150);
    req.send_blocking(None, None).expect("send");
    let seen = only_request(&server);
    assert_eq!(seen.headers_named("x-kept"), ["new"]);
    assert!(seen.headers_named("x-gone").is_empty(), "{seen:?}");
}

#[test]
fn add_headers_coalesce_joins_values_with_a_comma_or_a_semicolon() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.add_headers("Accept-Language: en\r\nCookie: a=1", Modifier::Add)
        .expect("add");
    req.add_headers("Accept-Language: fr", Modifier::CoalesceComma)
        .expect("comma");
    req.add_headers("Cookie: b=2", Modifier::CoalesceSemicolon)
        .expect("semicolon");
    req.send_blocking(None, None).expect("send");
    let seen = only_request(&server);
    assert_eq!(seen.headers_named("accept-language"), ["en, fr"]);
    assert_eq!(seen.headers_named("cookie"), ["a=1; b=2"]);
}

#[test]
fn a_header_with_cr_lf_or_control_bytes_is_rejected_with_12153_before_anything_is_sent() {
    let server = FaultServer::start(Behaviour::Stall).expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    for bad in [
        "X-A: a\rb",
        "X-A: a\x01b",
        "X-A: a\0b",
        "X-A: a\x7fb",
        "X-A: fine\r\nInjected line without colon",
        "Bad Name: x",
    ] {
        assert_eq!(
            code(req.add_headers(bad, Modifier::Add)),
            12153,
            "add_headers({bad:?})"
        );
    }
    assert_eq!(
        code(req.send_blocking(Some("X-B: a\rb"), None)),
        12153,
        "extra headers of send"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_rejected_header_block_adds_none_of_its_lines() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    assert_eq!(
        code(req.add_headers("X-Good: 1\r\nX-Bad: a\x01b", Modifier::Add)),
        12153
    );
    req.send_blocking(None, None).expect("send");
    assert!(only_request(&server).header("x-good").is_none());
}

// ---- send with a body, send-ex ----

#[test]
fn send_with_extra_headers_and_a_body_uploads_what_a_get_reads_back() {
    let n = nginx();
    let s = Session::new().expect("session");
    let path = upload_path("send");
    let body = pattern(100_000);
    let put = inet_http::open_method(&s, "PUT", &n.http_url(&path), RequestOptions::default())
        .expect("open");
    put.send_blocking(
        Some("Content-Type: application/octet-stream"),
        Some(body.clone().into()),
    )
    .expect("send");
    assert_eq!(put.status_code().expect("status"), 201);
    assert_eq!(
        put.request_header("content-type", 0).expect("sent").0,
        "application/octet-stream"
    );
    put.read_to_end_blocking().expect("PUT body");
    assert_eq!(get_body(&s, &n.http_url(&path)), body);
    delete(&s, &n.http_url(&path));
}

#[test]
fn send_ex_with_a_known_length_uploads_the_pieces_written() {
    let n = nginx();
    let s = Session::new().expect("session");
    let path = upload_path("send-ex-known");
    let body = pattern(300_000);
    let conn = HttpConnection::connect(&s, "127.0.0.1", n.http_port).expect("connect");
    let put = conn
        .open_request("PUT", &path, RequestOptions::default())
        .expect("open");
    put.send_ex_blocking(None, BodyLength::Known(body.len() as u64))
        .expect("send_ex");
    for piece in body.chunks(70_000) {
        assert_eq!(put.write_blocking(piece).expect("write"), piece.len());
    }
    put.end_request_blocking().expect("end_request");
    assert_eq!(put.status_code().expect("status"), 201);
    assert_eq!(
        put.request_header("content-length", 0).expect("sent").0,
        body.len().to_string()
    );
    put.read_to_end_blocking().expect("PUT body");
    assert_eq!(get_body(&s, &n.http_url(&path)), body);
    delete(&s, &n.http_url(&path));
}

#[test]
fn send_ex_chunked_uploads_the_pieces_written() {
    let n = nginx();
    let s = Session::new().expect("session");
    let path = upload_path("send-ex-chunked");
    let body = pattern(123_457);
    let conn = HttpConnection::connect(&s, "127.0.0.1", n.http_port).expect("connect");
    let put = conn
        .open_request("PUT", &path, RequestOptions::default())
        .expect("open");
    put.send_ex_blocking(None, BodyLength::Chunked)
        .expect("send_ex");
    for piece in body.chunks(10_000) {
        put.write_blocking(piece).expect("write");
    }
    put.end_request_blocking().expect("end_request");
    assert_eq!(put.status_code().expect("status"), 201);
    assert_eq!(
        put.request_header("transfer-encoding", 0).expect("sent").0,
        "chunked"
    );
    put.read_to_end_blocking().expect("PUT body");
    assert_eq!(get_body(&s, &n.http_url(&path)), body);
    delete(&s, &n.http_url(&path));
}

#[test]
fn send_ex_completes_after_request_sent_then_writes_are_synchronous_and_end_request_receives() {
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let path = upload_path("send-ex-order");
    let put = inet_http::open_method(&s, "PUT", &n.http_url(&path), RequestOptions::default())
        .expect("open");
    let h = put.handle().id();

    let _p = put
        .start_send_ex(None, BodyLength::Known(5))
        .expect("start_send_ex");
    assert!(rec.wait_code(h, 100, T), "send_ex never completed");
    let codes = rec.codes(h);
    let sent = codes.iter().position(|c| *c == 31).expect("REQUEST_SENT");
    let complete = codes
        .iter()
        .position(|c| *c == 100)
        .expect("REQUEST_COMPLETE");
    assert!(sent < complete, "{codes:?}");
    assert_eq!(rec.completions(h), vec![0]);

    rec.clear();
    assert_eq!(put.write_blocking(b"hello").expect("write"), 5);
    // Notifications keep their order but may be delivered by the thread that was delivering.
    assert!(rec.wait_code(h, 31, T), "no REQUEST_SENT for the write");
    assert_eq!(rec.codes(h), vec![30, 31], "InternetWriteFile");

    rec.clear();
    let _p = put.start_end_request().expect("start_end_request");
    assert!(rec.wait_code(h, 100, T), "end_request never completed");
    let codes = rec.codes(h);
    assert_eq!(
        (codes.first(), codes.last()),
        (Some(&40), Some(&100)),
        "{codes:?}"
    );
    assert!(codes.contains(&41), "{codes:?}");
    assert_eq!(rec.completions(h), vec![0]);
    assert_eq!(put.status_code().expect("status"), 201);
    put.read_to_end_blocking().expect("PUT body");
    assert_eq!(get_body(&s, &n.http_url(&path)), b"hello");
    delete(&s, &n.http_url(&path));
}

#[test]
fn closing_a_request_mid_upload_closes_its_connection_before_handle_closing_and_pools_nothing() {
    // The server still waits for 7 body bytes: the connection cannot serve anything else, so the
    // close must end it (CLOSING_CONNECTION, CONNECTION_CLOSED) before HANDLE_CLOSING, and it
    // must not go back to the pool, where the next request would read the server's answer to
    // this one.
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let key = plain_key(n.http_port);
    let path = upload_path("send-ex-closed");
    let put = inet_http::open_method(&s, "PUT", &n.http_url(&path), RequestOptions::default())
        .expect("open");
    let h = put.handle().id();
    put.send_ex_blocking(None, BodyLength::Known(10))
        .expect("send_ex");
    assert_eq!(put.write_blocking(b"abc").expect("write"), 3);
    assert_eq!(s.pool().stats(&key), (1, 0), "in use while uploading");
    put.close();
    assert!(rec.wait_code(h, 70, T), "no HANDLE_CLOSING");
    let codes = rec.codes(h);
    let at = |code| codes.iter().position(|c| *c == code);
    let (closing, closed, last) = (at(50), at(51), at(70));
    assert!(
        closing.is_some() && closing < closed && closed < last,
        "{codes:?}"
    );
    assert_eq!(s.pool().stats(&key), (0, 0), "the connection was pooled");
}

#[test]
fn query_info_between_send_ex_and_end_request_fails_with_12019() {
    let n = nginx();
    let s = Session::new().expect("session");
    let path = upload_path("send-ex-query");
    let put = inet_http::open_method(&s, "PUT", &n.http_url(&path), RequestOptions::default())
        .expect("open");
    put.send_ex_blocking(None, BodyLength::Known(2))
        .expect("send_ex");
    assert_eq!(code(put.status_code()), 12019, "status code");
    assert_eq!(code(put.header("server", 0)), 12019, "a header");
    assert_eq!(code(put.raw_headers()), 12019, "raw headers");
    put.write_blocking(b"ok").expect("write");
    put.end_request_blocking().expect("end_request");
    assert_eq!(put.status_code().expect("status"), 201);
    put.read_to_end_blocking().expect("PUT body");
    delete(&s, &n.http_url(&path));
}

// ---- query info ----

#[test]
fn status_code_text_and_version_come_from_the_status_line() {
    let server = http_server(|_| b"HTTP/1.0 299 Quite Fine\r\nContent-Length: 0\r\n\r\n".to_vec());
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 299);
    assert_eq!(req.status_text().expect("text"), "Quite Fine");
    assert_eq!(format!("{:?}", req.version().expect("version")), "HTTP/1.0");
}

#[test]
fn a_header_index_walks_repeated_headers_and_returns_the_next_index() {
    let server = http_server(|_| {
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Other: x\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"
            .to_vec()
    });
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.header("set-cookie", 0).expect("first"),
        ("a=1".to_string(), Some(1))
    );
    assert_eq!(
        req.header("Set-Cookie", 1).expect("second"),
        ("b=2".to_string(), None)
    );
    assert_eq!(code(req.header("set-cookie", 2)), 12150, "past the last");
}

#[test]
fn an_absent_response_header_is_12150() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(code(req.header("x-not-there", 0)), 12150);
    assert_eq!(code(req.header_value("x-not-there")), 12150);
}

#[test]
fn content_length_is_the_declared_length() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req = inet_http::open(
        &s,
        &n.http_url("/data/rand_1M.bin"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.content_length().expect("length"), 1 << 20);
}

#[test]
fn raw_headers_are_the_status_line_and_headers_in_crlf_form() {
    let head = "HTTP/1.1 200 OK\r\nX-One: 1\r\nX-Two: two words\r\nContent-Length: 2\r\n\r\n";
    let server = http_server(move |_| format!("{head}hi").into_bytes());
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.raw_headers().expect("raw"), head);
}

#[test]
fn request_headers_report_what_went_on_the_wire() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/x"), RequestOptions::default()).expect("open");
    req.add_headers("X-Mine: 1", Modifier::Add).expect("add");
    req.send_blocking(None, None).expect("send");
    let wire = String::from_utf8(server.request(0)).expect("text");
    let (_request_line, headers) = wire.split_once("\r\n").expect("a request line");
    let headers = headers.strip_suffix("\r\n").expect("a blank line");
    assert_eq!(req.request_raw_headers().expect("raw"), headers);
    assert_eq!(
        req.request_header("host", 0).expect("host").0,
        format!("127.0.0.1:{}", server.port())
    );
    assert!(req.request_header("user-agent", 0).is_ok());
}

// ---- reading ----

#[test]
fn read_fills_the_buffer_until_it_returns_0_at_the_end() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req = inet_http::open(
        &s,
        &n.http_url("/data/rand_1M.bin"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    let mut body = Vec::new();
    let mut buf = vec![0u8; 7777];
    loop {
        let got = req.read_blocking(&mut buf).expect("read");
        if got == 0 {
            break;
        }
        body.extend_from_slice(&buf[..got]);
    }
    assert_eq!(req.read_blocking(&mut buf).expect("read after the end"), 0);
    assert!(body == std::fs::read(n.data_dir().join("rand_1M.bin")).expect("file"));
}

#[test]
fn try_read_returns_buffered_bytes_then_none_then_0_at_the_end() {
    let more = Gate::default();
    let server = FaultServer::start(Behaviour::custom({
        let more = more.clone();
        move |c| {
            if c.read_request_head().is_err() {
                return;
            }
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
            if more.wait(T) {
                let _ = c.write_all(b"def");
            }
        }
    }))
    .expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let mut buf = [0u8; 64];

    assert!(req.query_data_available_blocking().expect("available") > 0);
    assert_eq!(req.try_read(&mut buf).expect("buffered"), Some(3));
    assert_eq!(&buf[..3], b"abc");
    assert_eq!(req.try_read(&mut buf).expect("nothing buffered"), None);

    more.open();
    assert!(req.query_data_available_blocking().expect("available") > 0);
    assert_eq!(req.try_read(&mut buf).expect("the rest"), Some(3));
    assert_eq!(&buf[..3], b"def");
    assert_eq!(req.try_read(&mut buf).expect("the end"), Some(0));
}

#[test]
fn query_data_available_is_positive_while_body_remains_and_0_at_the_end() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.http_url("/hello.txt"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let available = req.query_data_available_blocking().expect("available");
    assert!((1..=14).contains(&available), "{available}");
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
    assert_eq!(req.query_data_available_blocking().expect("at the end"), 0);
}

// ---- the three forms ----

#[test]
fn send_and_read_as_futures_on_smol() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.http_url("/hello.txt"), RequestOptions::default()).expect("open");
    let body = smol::block_on(async {
        req.send(None, None).await?;
        let mut body = Vec::new();
        let mut buf = [0u8; 5];
        loop {
            let got = req.read(&mut buf).await?;
            if got == 0 {
                return Ok::<_, inet_core::Error>(body);
            }
            body.extend_from_slice(&buf[..got]);
        }
    })
    .expect("future");
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(body, b"Hello, world!\n");
}

#[test]
fn send_and_read_in_callback_mode_complete_through_request_complete() {
    let n = nginx();
    let rec = Recorder::new();
    let data = Arc::new(Mutex::new(Vec::<u8>::new()));
    let s = Session::builder()
        .status_callback({
            let (rec, data) = (rec.clone(), data.clone());
            move |note: &Notification| {
                if let Status::RequestComplete(Ok(Completion::Data(b))) = &note.status {
                    data.lock().extend_from_slice(b);
                }
                rec.record(note);
            }
        })
        .build()
        .expect("session");
    let req = inet_http::open(
        &s,
        &n.http_url("/data/rand_1M.bin"),
        RequestOptions::default(),
    )
    .expect("open");
    let h = req.handle().id();
    let _p = req.start_send(None, None).expect("start_send");
    assert!(rec.wait_code(h, 100, T), "send never completed");
    assert_eq!(rec.completions(h), vec![0]);
    assert_eq!(req.status_code().expect("status"), 200);

    let mut completions = 1;
    loop {
        match req.start_read(64 * 1024).expect("start_read") {
            Started::Done(b) if b.is_empty() => break,
            Started::Done(b) => data.lock().extend_from_slice(&b),
            Started::Pending(_) => {
                completions += 1;
                assert!(
                    rec.wait_for(T, |seen| seen
                        .iter()
                        .filter(|x| x.handle == h && x.code == 100)
                        .count()
                        == completions),
                    "a pending read never completed"
                );
                let last = rec
                    .all()
                    .into_iter()
                    .rfind(|x| x.handle == h && x.code == 100)
                    .expect("REQUEST_COMPLETE");
                assert_eq!(last.error, Some(0));
                if last.amount == Some(0) {
                    break;
                }
            }
        }
    }
    assert!(*data.lock() == std::fs::read(n.data_dir().join("rand_1M.bin")).expect("file"));
}

#[test]
fn send_and_read_blocking() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.http_url("/hello.txt"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    let mut buf = [0u8; 64];
    let got = req.read_blocking(&mut buf).expect("read");
    assert_eq!(&buf[..got], b"Hello, world!\n");
    assert_eq!(req.read_blocking(&mut buf).expect("end"), 0);
}

// ================================================================================================
// Protocol: keep-alive and the pool
// ================================================================================================

#[test]
fn two_sequential_requests_share_one_tcp_connection() {
    let server = http_server(|r| ok(&r.target));
    let s = Session::new().expect("session");
    for path in ["/one", "/two"] {
        assert_eq!(get_body(&s, &server.url(path)), path.as_bytes());
    }
    assert_eq!(server.connections(), 1);
    assert_eq!(received(&server).len(), 2);
}

#[test]
fn a_fully_read_response_puts_its_connection_back_in_the_session_pool() {
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let key = plain_key(n.http_port);
    let first =
        inet_http::open(&s, &n.http_url("/hello.txt"), RequestOptions::default()).expect("open");
    first.send_blocking(None, None).expect("send");
    assert_eq!(
        s.pool().stats(&key),
        (1, 0),
        "in use while the body is unread"
    );
    first.read_to_end_blocking().expect("body");
    assert_eq!(s.pool().stats(&key), (0, 1), "idle once the body is read");

    let second =
        inet_http::open(&s, &n.http_url("/index.html"), RequestOptions::default()).expect("open");
    second.send_blocking(None, None).expect("send");
    second.read_to_end_blocking().expect("body");
    assert!(
        !rec.codes(second.handle().id()).contains(&20),
        "reconnected"
    );
    assert_eq!(s.pool().stats(&key), (0, 1));
}

#[test]
fn a_partly_read_response_keeps_its_connection_from_the_next_request() {
    let big = "x".repeat(100_000);
    let server = http_server(move |_| ok(&big));
    let s = Session::new().expect("session");
    let first = inet_http::open(&s, &server.url("/big"), RequestOptions::default()).expect("open");
    first.send_blocking(None, None).expect("send");
    let mut buf = [0u8; 10];
    first.read_blocking(&mut buf).expect("read a little");
    let second = inet_http::open(&s, &server.url("/big"), RequestOptions::default()).expect("open");
    second.send_blocking(None, None).expect("send");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_response_with_connection_close_is_not_reused() {
    // The server says close but leaves the socket open: only the client's choice is tested.
    let server = http_server(|_| {
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi".to_vec()
    });
    let s = Session::new().expect("session");
    for _ in 0..2 {
        assert_eq!(get_body(&s, &server.url("/")), b"hi");
    }
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_pooled_connection_the_server_closed_while_idle_is_replaced_transparently() {
    let server = FaultServer::sequence(vec![
        Behaviour::custom(|c| {
            let mut requests = Requests::default();
            if requests.next(c).is_some() {
                let _ = c.write_all(&ok("first"));
            }
            // Returning closes the connection: the client holds it idle in its pool.
        }),
        serving(|_| ok("second")),
    ])
    .expect("fault server");
    let s = Session::new().expect("session");
    assert_eq!(get_body(&s, &server.url("/")), b"first");
    assert!(server.wait_for_connections(1, T));
    // Let the server's FIN reach the idle socket (the request must succeed either way).
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(get_body(&s, &server.url("/")), b"second");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_pooled_connection_closed_as_the_next_get_arrives_is_retried_on_a_new_connection() {
    // hyper #2136: the server closes an idle connection just as the client reuses it. The GET
    // was written, the answer is end of stream: an idempotent request is sent again.
    let server = FaultServer::sequence(vec![
        Behaviour::custom(|c| {
            let mut requests = Requests::default();
            if requests.next(c).is_some() {
                let _ = c.write_all(&ok("first"));
            }
            let _ = requests.next(c);
        }),
        serving(|_| ok("second")),
    ])
    .expect("fault server");
    let s = Session::new().expect("session");
    assert_eq!(get_body(&s, &server.url("/")), b"first");
    assert_eq!(get_body(&s, &server.url("/")), b"second");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_pooled_connection_reset_as_the_next_get_arrives_is_retried_on_a_new_connection() {
    let server = FaultServer::sequence(vec![
        Behaviour::custom(|c| {
            let mut requests = Requests::default();
            if requests.next(c).is_some() {
                let _ = c.write_all(&ok("first"));
            }
            let _ = requests.next(c);
            let _ = c.reset_on_close();
        }),
        serving(|_| ok("second")),
    ])
    .expect("fault server");
    let s = Session::new().expect("session");
    assert_eq!(get_body(&s, &server.url("/")), b"first");
    assert_eq!(get_body(&s, &server.url("/")), b"second");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_post_on_a_pooled_connection_that_dies_after_it_was_written_is_not_retried() {
    let server = FaultServer::sequence(vec![
        Behaviour::custom(|c| {
            let mut requests = Requests::default();
            if requests.next(c).is_some() {
                let _ = c.write_all(&ok("first"));
            }
            // The POST arrives whole; the server dies without answering.
            let _ = requests.next(c);
        }),
        serving(|_| ok("a retry reached the server")),
    ])
    .expect("fault server");
    let s = Session::new().expect("session");
    assert_eq!(get_body(&s, &server.url("/")), b"first");
    let post = inet_http::open_method(&s, "POST", &server.url("/order"), RequestOptions::default())
        .expect("open");
    let outcome = post.send_blocking(None, Some(b"buy=1".to_vec().into()));
    assert!(
        outcome.is_err(),
        "the POST was sent again: status {:?}, {} connections",
        post.status_code(),
        server.connections()
    );
    assert_eq!(server.connections(), 1);
    let posts = received(&server)
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1);
}

// ================================================================================================
// Protocol: message framing
// ================================================================================================

#[test]
fn a_chunked_body_reads_the_same_as_the_content_length_one() {
    let n = nginx();
    let s = Session::new().expect("session");
    let options = RequestOptions::default().flags(RequestFlags::NO_AUTO_DECOMPRESS);
    let plain = inet_http::open(&s, &n.http_url("/text.txt"), options.clone()).expect("open");
    plain.send_blocking(None, None).expect("send");
    assert!(plain.content_length().is_ok(), "Content-Length framing");
    let chunked = inet_http::open(&s, &n.http_url("/chunked/text.txt"), options).expect("open");
    chunked.send_blocking(None, None).expect("send");
    assert_eq!(
        chunked.header_value("transfer-encoding").expect("TE"),
        "chunked"
    );
    let file = std::fs::read(n.docroot.join("text.txt")).expect("file");
    let plain = plain.read_to_end_blocking().expect("plain body");
    let chunked = chunked.read_to_end_blocking().expect("chunked body");
    assert!(
        plain == file,
        "the Content-Length body differs from the file"
    );
    assert!(chunked == file, "the chunked body differs from the file");
}

#[test]
fn a_response_with_both_transfer_encoding_and_content_length_is_read_but_its_connection_is_not_reused(
) {
    let server = http_server(|r| match r.target.as_str() {
        "/both" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n\
                     5\r\nhello\r\n0\r\n\r\n"
            .to_vec(),
        _ => ok("next"),
    });
    let s = Session::new().expect("session");
    assert_eq!(get_body(&s, &server.url("/both")), b"hello");
    assert_eq!(get_body(&s, &server.url("/next")), b"next");
    assert_eq!(server.connections(), 2, "the connection was reused");
}

#[test]
fn transfer_encoding_gzip_chunked_is_unchunked_then_decoded() {
    const GZIPPED: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\xd7\x51\x28\x29\x4a\xcc\x2b\x4e\x4b\x2d\x52\x48\xce\x4f\xc9\xcc\x4b\x07\x00\x5f\x23\x3c\x20\x16\x00\x00\x00";
    let server = http_server(|_| {
        let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec();
        for piece in GZIPPED.chunks(10) {
            out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            out.extend_from_slice(piece);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    });
    let s = Session::new().expect("session");
    // Even a request that asked for no decoding gets the content: transfer codings are hop-by-hop.
    let options = RequestOptions::default().flags(RequestFlags::NO_AUTO_DECOMPRESS);
    let req = inet_http::open(&s, &server.url("/te"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"hello, transfer coding"
    );
}

#[test]
fn a_body_delimited_by_the_connection_closing_is_read_to_the_end() {
    let server = FaultServer::start(Behaviour::Respond(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the very end".to_vec(),
    ))
    .expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(code(req.content_length()), 12150);
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"until the very end"
    );
}

#[test]
fn a_head_response_has_no_body_and_keeps_the_connection() {
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let head = inet_http::open_method(
        &s,
        "HEAD",
        &n.http_url("/data/rand_1M.bin"),
        RequestOptions::default(),
    )
    .expect("open");
    head.send_blocking(None, None).expect("send");
    assert_eq!(head.content_length().expect("length"), 1 << 20);
    assert_eq!(head.read_to_end_blocking().expect("body"), b"");
    let next =
        inet_http::open(&s, &n.http_url("/hello.txt"), RequestOptions::default()).expect("open");
    next.send_blocking(None, None).expect("send");
    assert_eq!(
        next.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
    assert!(!rec.codes(next.handle().id()).contains(&20), "reconnected");
}

#[test]
fn a_204_response_has_no_body_and_its_connection_serves_the_next_request() {
    let server = http_server(|r| match r.target.as_str() {
        "/empty" => b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
        _ => ok("next"),
    });
    let s = Session::new().expect("session");
    let empty =
        inet_http::open(&s, &server.url("/empty"), RequestOptions::default()).expect("open");
    empty.send_blocking(None, None).expect("send");
    assert_eq!(empty.status_code().expect("status"), 204);
    assert_eq!(empty.read_to_end_blocking().expect("body"), b"");
    assert_eq!(get_body(&s, &server.url("/next")), b"next");
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_304_response_has_no_body_even_with_a_content_length() {
    let server = http_server(|r| match r.target.as_str() {
        "/cached" => b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n".to_vec(),
        _ => ok("next"),
    });
    let s = Session::new().expect("session");
    let cached =
        inet_http::open(&s, &server.url("/cached"), RequestOptions::default()).expect("open");
    cached.send_blocking(None, None).expect("send");
    assert_eq!(cached.status_code().expect("status"), 304);
    assert_eq!(cached.read_to_end_blocking().expect("body"), b"");
    assert_eq!(get_body(&s, &server.url("/next")), b"next");
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_large_upload_waits_for_100_continue_and_arrives_intact() {
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let path = upload_path("expect");
    let body = pattern(2 << 20);
    let put = inet_http::open_method(&s, "PUT", &n.http_url(&path), RequestOptions::default())
        .expect("open");
    put.send_blocking(None, Some(body.clone().into()))
        .expect("send");
    assert_eq!(put.status_code().expect("status"), 201);
    assert_eq!(
        put.request_header("expect", 0).expect("Expect sent").0,
        "100-continue"
    );
    let intermediate: Vec<String> = rec
        .all()
        .into_iter()
        .filter(|x| x.handle == put.handle().id() && x.code == 120)
        .map(|x| x.text)
        .collect();
    assert_eq!(intermediate, ["INTERMEDIATE_RESPONSE 100"]);
    put.read_to_end_blocking().expect("PUT body");
    assert!(
        get_body(&s, &n.http_url(&path)) == body,
        "the upload differs"
    );
    delete(&s, &n.http_url(&path));
}

// ================================================================================================
// Protocol: redirects
// ================================================================================================

#[test]
fn redirects_301_302_303_307_and_308_are_followed_by_default() {
    let server = http_server(|r| match r.target.strip_prefix("/from/") {
        Some(status) => redirect(status.parse().unwrap_or(302), "/to"),
        None => ok("arrived"),
    });
    let s = Session::new().expect("session");
    for status in [301, 302, 303, 307, 308] {
        let req = inet_http::open(
            &s,
            &server.url(&format!("/from/{status}")),
            RequestOptions::default(),
        )
        .expect("open");
        req.send_blocking(None, None).expect("send");
        assert_eq!(req.status_code().expect("status"), 200, "after a {status}");
        assert_eq!(req.url(), server.url("/to"), "after a {status}");
        assert_eq!(
            req.read_to_end_blocking().expect("body"),
            b"arrived",
            "after a {status}"
        );
    }
}

#[test]
fn ten_redirects_in_a_row_are_followed() {
    let server = hops_server();
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/hop/10"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"landed");
    assert_eq!(received(&server).len(), 11);
}

#[test]
fn an_eleventh_redirect_fails_with_12156() {
    let server = hops_server();
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/hop/11"), RequestOptions::default()).expect("open");
    assert_eq!(code(req.send_blocking(None, None)), 12156);
    assert!(received(&server).iter().all(|r| r.target != "/hop/0"));
}

#[test]
fn a_303_after_a_post_turns_into_a_get_without_the_body() {
    let (body, seen) =
        post_through_redirect(303, "/result", "application/x-www-form-urlencoded", b"a=1");
    assert_eq!(body, b"result");
    assert_eq!(seen.len(), 2);
    assert_get_without_body(&seen[1]);
}

#[test]
fn a_301_or_302_after_a_post_turns_into_a_get_without_the_body() {
    for status in [301, 302] {
        let (body, seen) = post_through_redirect(status, "/result", "text/plain", b"a=1");
        assert_eq!(body, b"result");
        assert_eq!(seen.len(), 2, "after a {status}");
        assert_get_without_body(&seen[1]);
    }
}

#[test]
fn a_307_or_308_keeps_the_method_and_the_body() {
    for status in [307, 308] {
        let (body, seen) = post_through_redirect(status, "/again", "text/plain", b"payload");
        assert_eq!(body, b"kept");
        assert_eq!(seen.len(), 2, "after a {status}");
        let again = &seen[1];
        assert_eq!(
            (again.method.as_str(), again.target.as_str()),
            ("POST", "/again"),
            "after a {status}"
        );
        assert_eq!(again.body, b"payload", "after a {status}");
        assert_eq!(
            again.header("content-type"),
            Some("text/plain"),
            "after a {status}"
        );
    }
}

/// POST `body` to a server whose `/form` redirects with `status` to `to`, which answers
/// "result" at `/result` and "kept" elsewhere; the body read and what the server received.
fn post_through_redirect(
    status: u16,
    to: &'static str,
    content_type: &str,
    body: &[u8],
) -> (Vec<u8>, Vec<Seen>) {
    let server = http_server(move |r| match r.target.as_str() {
        "/form" => redirect(status, to),
        "/result" => ok("result"),
        _ => ok("kept"),
    });
    let s = Session::new().expect("session");
    let post = inet_http::open_method(&s, "POST", &server.url("/form"), RequestOptions::default())
        .expect("open");
    post.send_blocking(
        Some(&format!("Content-Type: {content_type}")),
        Some(body.to_vec().into()),
    )
    .expect("send");
    let read = post.read_to_end_blocking().expect("body");
    (read, received(&server))
}

#[test]
fn a_cross_origin_redirect_drops_authorization_and_cookie() {
    let other = http_server(|_| ok("other origin"));
    let to = other.url("/landing");
    let first = http_server(move |_| redirect(302, &to));
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect_with(
        &s,
        "127.0.0.1",
        first.port(),
        Some(("user", "pass")),
        Context(0),
    )
    .expect("connect");
    let req = conn
        .open_request("GET", "/start", RequestOptions::default())
        .expect("open");
    req.add_headers("Cookie: session=secret", Modifier::Add)
        .expect("add");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"other origin");
    let asked = only_request(&first);
    assert!(
        asked.header("authorization").is_some() && asked.header("cookie").is_some(),
        "the first origin should get both: {asked:?}"
    );
    let landed = only_request(&other);
    assert_eq!(landed.header("authorization"), None, "{landed:?}");
    assert_eq!(landed.header("cookie"), None, "{landed:?}");
}

#[test]
fn a_cross_origin_redirect_drops_a_caller_set_host_and_proxy_authorization() {
    let other = http_server(|_| ok("other origin"));
    let to = other.url("/landing");
    let first = http_server(move |_| redirect(302, &to));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &first.url("/start"), RequestOptions::default()).expect("open");
    req.add_headers(
        "Host: first.example\r\nProxy-Authorization: Basic c2VjcmV0",
        Modifier::Add,
    )
    .expect("add");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"other origin");
    assert_eq!(only_request(&first).header("host"), Some("first.example"));
    let landed = only_request(&other);
    assert_eq!(
        landed.headers_named("host"),
        [format!("127.0.0.1:{}", other.port())],
        "{landed:?}"
    );
    assert_eq!(landed.header("proxy-authorization"), None, "{landed:?}");
}

#[test]
fn a_password_in_a_redirect_location_is_not_in_the_redirect_notification() {
    let other = http_server(|_| ok("landed"));
    let to = format!("http://user:secret@127.0.0.1:{}/landing", other.port());
    let first = http_server(move |_| redirect(302, &to));
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(&s, &first.url("/start"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let redirects: Vec<String> = rec
        .all()
        .into_iter()
        .filter(|x| x.handle == req.handle().id() && x.code == 110)
        .map(|x| x.text)
        .collect();
    assert_eq!(redirects, [other.url("/landing")]);
    assert!(!req.url().contains("secret"), "{}", req.url());
    let landed = String::from_utf8_lossy(&other.request(0)).into_owned();
    assert!(!landed.contains("secret"), "{landed}");
}

#[test]
fn error_messages_name_urls_without_their_password() {
    let s = Session::new().expect("session");
    let err = inet_http::open(
        &s,
        "gopher://user:secret@127.0.0.1/",
        RequestOptions::default(),
    )
    .expect_err("not http");
    assert_eq!(err.code(), 12006);
    assert!(!err.to_string().contains("secret"), "{err}");
    let err = inet_http::open(&s, "http://user:secret@[::1/", RequestOptions::default())
        .expect_err("not a URL");
    assert!(!err.to_string().contains("secret"), "{err}");
    // A redirect to a Location that does not parse is quoted in the message.
    let server = http_server(|_| redirect(302, "http://user:secret@[::1/x"));
    let req = inet_http::open(&s, &server.url("/start"), RequestOptions::default()).expect("open");
    let err = req.send_blocking(None, None).expect_err("bad Location");
    assert_eq!(err.code(), 12152);
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[test]
fn a_same_origin_redirect_keeps_authorization_and_cookie() {
    let server = http_server(|r| match r.target.as_str() {
        "/start" => redirect(302, "/landing"),
        _ => ok("same origin"),
    });
    let s = Session::new().expect("session");
    let conn = HttpConnection::connect_with(
        &s,
        "127.0.0.1",
        server.port(),
        Some(("user", "pass")),
        Context(0),
    )
    .expect("connect");
    let req = conn
        .open_request("GET", "/start", RequestOptions::default())
        .expect("open");
    req.add_headers("Cookie: session=secret", Modifier::Add)
        .expect("add");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"same origin");
    let seen = received(&server);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(seen[1].header("cookie"), Some("session=secret"));
}

#[test]
fn no_auto_redirect_hands_the_3xx_to_the_caller() {
    let n = nginx();
    let rec = Recorder::new();
    let s = session(&rec);
    let options = RequestOptions::default().flags(RequestFlags::NO_AUTO_REDIRECT);
    let req = inet_http::open(&s, &n.http_url("/redirect"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 302);
    assert!(req
        .header_value("location")
        .expect("Location")
        .ends_with("/hello.txt"));
    assert_eq!(req.url(), n.http_url("/redirect"));
    assert!(!rec.codes(req.handle().id()).contains(&110));
}

#[test]
fn the_redirect_notification_carries_the_new_absolute_url() {
    let server = http_server(|r| match r.target.as_str() {
        "/start" => redirect(302, "landing?x=1"),
        _ => ok("landed"),
    });
    let rec = Recorder::new();
    let s = session(&rec);
    let req = inet_http::open(&s, &server.url("/start"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let redirects: Vec<String> = rec
        .all()
        .into_iter()
        .filter(|x| x.handle == req.handle().id() && x.code == 110)
        .map(|x| x.text)
        .collect();
    assert_eq!(redirects, [server.url("/landing?x=1")]);
    assert_eq!(req.url(), server.url("/landing?x=1"));
}

// ================================================================================================
// Protocol: content coding
// ================================================================================================

#[test]
fn a_gzip_body_is_decoded_transparently() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.http_url("/text.txt"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.header_value("content-encoding").expect("encoded"),
        "gzip"
    );
    let file = std::fs::read(n.docroot.join("text.txt")).expect("file");
    assert!(req.read_to_end_blocking().expect("body") == file);
}

#[test]
fn accept_encoding_is_added_automatically() {
    let server = http_server(|_| ok("done"));
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let sent = only_request(&server);
    let value = sent.header("accept-encoding").expect("Accept-Encoding");
    assert!(value.contains("gzip"), "{value}");
}

#[test]
fn a_request_that_sets_its_own_accept_encoding_gets_the_raw_body() {
    let n = nginx();
    let s = Session::new().expect("session");
    let req =
        inet_http::open(&s, &n.http_url("/text.txt"), RequestOptions::default()).expect("open");
    req.add_headers("Accept-Encoding: gzip", Modifier::Add)
        .expect("add");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.request_header("accept-encoding", 0).expect("sent").0,
        "gzip"
    );
    assert_eq!(
        req.request_header("accept-encoding", 0).expect("sent").1,
        None
    );
    let body = req.read_to_end_blocking().expect("body");
    assert!(
        body.starts_with(&[0x1f, 0x8b]),
        "not gzip: {:?}",
        &body[..8.min(body.len())]
    );
}

#[test]
fn no_auto_decompress_sends_no_accept_encoding() {
    let n = nginx();
    let s = Session::new().expect("session");
    let options = RequestOptions::default().flags(RequestFlags::NO_AUTO_DECOMPRESS);
    let req = inet_http::open(&s, &n.http_url("/text.txt"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(code(req.request_header("accept-encoding", 0)), 12150);
    assert_eq!(code(req.header_value("content-encoding")), 12150);
    let file = std::fs::read(n.docroot.join("text.txt")).expect("file");
    assert!(req.read_to_end_blocking().expect("body") == file);
}

#[test]
fn no_auto_decompress_leaves_a_gzip_body_as_it_came() {
    let n = nginx();
    let s = Session::new().expect("session");
    // A genuine gzip body: nginx's, asked for by hand.
    let raw =
        inet_http::open(&s, &n.http_url("/text.txt"), RequestOptions::default()).expect("open");
    raw.add_headers("Accept-Encoding: gzip", Modifier::Add)
        .expect("add");
    raw.send_blocking(None, None).expect("send");
    let gzip = raw.read_to_end_blocking().expect("gzip body");
    let served = gzip.clone();
    let server = http_server(move |_| response("200 OK", &[("Content-Encoding", "gzip")], &served));
    let options = RequestOptions::default().flags(RequestFlags::NO_AUTO_DECOMPRESS);
    let req = inet_http::open(&s, &server.url("/"), options).expect("open");
    req.send_blocking(None, None).expect("send");
    assert!(req.read_to_end_blocking().expect("body") == gzip);
}

// ================================================================================================
// Protocol: HTTP proxy
// ================================================================================================

#[test]
fn through_a_proxy_the_request_line_is_absolute_form_with_proxy_authorization() {
    let proxy = http_server(|_| ok("via proxy"));
    let s = Session::builder()
        .proxy(Proxy::new("127.0.0.1", proxy.port()).credentials("user", "pass"))
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let req = inet_http::open(
        &s,
        "http://origin.test:8080/path?q=1",
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"via proxy");
    let seen = only_request(&proxy);
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "http://origin.test:8080/path?q=1")
    );
    assert_eq!(seen.header("host"), Some("origin.test:8080"));
    assert_eq!(
        seen.header("proxy-authorization"),
        Some("Basic dXNlcjpwYXNz")
    );
}

#[test]
fn through_a_proxy_a_redirect_to_a_url_with_a_password_sends_no_userinfo_in_the_request_line() {
    let proxy = http_server(|r| match r.target.as_str() {
        "http://origin.test/start" => redirect(302, "http://user:secret@other.test/landing"),
        _ => ok("landed"),
    });
    let s = Session::builder()
        .proxy(Proxy::new("127.0.0.1", proxy.port()))
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let req =
        inet_http::open(&s, "http://origin.test/start", RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), b"landed");
    let seen = received(&proxy);
    let lines: Vec<&str> = seen.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        lines,
        ["http://origin.test/start", "http://other.test/landing"]
    );
    let wire: Vec<String> = proxy
        .requests()
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(wire.iter().all(|w| !w.contains("secret")), "{wire:?}");
}

#[test]
fn an_http_proxy_serves_hosts_the_client_never_resolves() {
    let n = nginx();
    let s = Session::builder()
        .proxy(Proxy::new("127.0.0.1", n.http_port))
        .resolver(StaticResolver::new())
        .build()
        .expect("session");
    let req = inet_http::open(
        &s,
        "http://proxied.test/hello.txt",
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}

// ================================================================================================
// Helpers
// ================================================================================================

/// The pool key of plain HTTP connections to 127.0.0.1:`port`.
fn plain_key(port: u16) -> PoolKey {
    PoolKey {
        scheme: "http",
        host: "127.0.0.1".into(),
        port,
        proxy: None,
        tls: None,
    }
}

fn session(rec: &Recorder) -> Session {
    Session::builder()
        .status_callback(rec.callback())
        .build()
        .expect("session")
}

/// The WinINet code of an error the call must have returned.
fn code<T: std::fmt::Debug>(result: inet_core::Result<T>) -> u32 {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.code(),
    }
}

/// Request options for HTTP/1.0. inet_http does not re-export `http::Version`, the type of
/// [`RequestOptions::version`]; a parsed HTTP/1.0 status line carries the value.
fn http_1_0() -> RequestOptions {
    let (head, _) = inet_http::proto::parse_response_head(b"HTTP/1.0 200 OK\r\n\r\n", 64)
        .expect("a valid status line")
        .expect("a complete head");
    let mut options = RequestOptions::default();
    options.version = head.version;
    options
}

/// GET `url` and read the whole body.
fn get_body(s: &Session, url: &str) -> Vec<u8> {
    let req = inet_http::open(s, url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    req.read_to_end_blocking().expect("body")
}

fn delete(s: &Session, url: &str) {
    let req = inet_http::open_method(s, "DELETE", url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 204, "DELETE {url}");
}

/// A path under nginx's `/upload/` that no other test (or test process) uses.
fn upload_path(name: &str) -> String {
    format!("/upload/http-protocol-{}-{name}.bin", std::process::id())
}

/// `n` bytes that are not all alike.
fn pattern(n: usize) -> Vec<u8> {
    inet_tests::noise::noise(n, 0x9E37_79B9)
}

fn assert_get_without_body(r: &Seen) {
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("GET", "/result"),
        "{r:?}"
    );
    assert!(r.body.is_empty(), "{r:?}");
    assert_eq!(r.header("content-length"), None, "{r:?}");
    assert_eq!(r.header("content-type"), None, "{r:?}");
}

// ---- responses ----

fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn ok(body: &str) -> Vec<u8> {
    response("200 OK", &[], body.as_bytes())
}

fn redirect(status: u16, location: &str) -> Vec<u8> {
    response(
        &format!("{status} Elsewhere"),
        &[("Location", location)],
        b"",
    )
}

/// `/hop/N` redirects to `/hop/N-1`; `/hop/0` answers "landed".
fn hops_server() -> FaultServer {
    http_server(|r| {
        let left: u32 = r
            .target
            .strip_prefix("/hop/")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if left == 0 {
            ok("landed")
        } else {
            redirect(302, &format!("/hop/{}", left - 1))
        }
    })
}

// ---- a tiny keep-alive HTTP server on a fault server ----

/// One request as a fault server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).first().copied()
    }

    fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Answers every request on every connection with `answer`, keeping connections open.
fn http_server(answer: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> FaultServer {
    FaultServer::start(serving(answer)).expect("fault server")
}

/// A behaviour answering every request of a connection with `answer` until the client closes.
fn serving(answer: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> Behaviour {
    Behaviour::custom(move |c| {
        let mut requests = Requests::default();
        while let Some(r) = requests.next(c) {
            if c.write_all(&answer(&r)).is_err() {
                return;
            }
        }
    })
}

/// Reads requests one at a time off a fault-server connection.
#[derive(Default)]
struct Requests {
    at: usize,
}

impl Requests {
    /// The next whole request (head and body); None once the client stops sending.
    fn next(&mut self, c: &mut Connection) -> Option<Seen> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let bytes = c.received();
            if let Some((r, used)) = parse_request(&bytes[self.at..]) {
                self.at += used;
                return Some(r);
            }
            match c.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}

/// Every request `server` has received, connection by connection.
fn received(server: &FaultServer) -> Vec<Seen> {
    let mut all = Vec::new();
    for bytes in server.requests() {
        let mut at = 0;
        while let Some((r, used)) = parse_request(&bytes[at..]) {
            all.push(r);
            at += used;
        }
    }
    all
}

/// The one request `server` received (fails the test otherwise).
fn only_request(server: &FaultServer) -> Seen {
    let mut all = received(server);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// One request from the start of `bytes`, and how many bytes it took; None while incomplete.
fn parse_request(bytes: &[u8]) -> Option<(Seen, usize)> {
    let head_end = find(bytes, b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end - 4]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.splitn(3, ' ');
    let (method, target, version) = (first.next()?, first.next()?, first.next()?);
    let mut r = Seen {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect(),
        body: Vec::new(),
    };
    let rest = &bytes[head_end..];
    let chunked = r
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let used = if chunked {
        let (body, used) = dechunk(rest)?;
        r.body = body;
        used
    } else {
        let length: usize = r
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        r.body = rest.get(..length)?.to_vec();
        length
    };
    Some((r, head_end + used))
}

/// A chunked body from the start of `bytes` (no trailers), and how many bytes it took.
fn dechunk(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + find(&bytes[at..], b"\r\n")?;
        let size_text = String::from_utf8_lossy(&bytes[at..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            return bytes.get(at..at + 2).map(|_| (body, at + 2));
        }
        body.extend_from_slice(bytes.get(at..at + size)?);
        at += size + 2;
        if bytes.len() < at {
            return None;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A one-shot signal from the test to a fault-server thread.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock() = true;
        self.0 .1.notify_all();
    }

    /// Waits until opened; false after `limit`.
    fn wait(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        let mut open = self.0 .0.lock();
        while !*open {
            if self.0 .1.wait_until(&mut open, deadline).timed_out() {
                return *open;
            }
        }
        true
    }
}
