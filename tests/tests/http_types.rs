//! The `http` crate's types beside the WinINet-style accessors (issue 11 §2): `status()`,
//! `headers()` (built once per response), `version()`, request headers from a `HeaderMap`, and
//! methods given as `http::Method`.

use std::sync::Arc;

use inet_core::{ErrorKind, Session};
use inet_http::{HeaderMap, Method, Modifier, RequestOptions, StatusCode, Version};
use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::servers::nginx;

#[test]
fn status_headers_and_version_come_as_http_types() {
    let s = Session::new().expect("session");
    let req = inet_http::open(
        &s,
        &nginx().http_url("/hello.txt"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status().expect("status"), StatusCode::OK);
    assert_eq!(req.version().expect("version"), Version::HTTP_11);
    let headers = req.headers().expect("headers");
    assert_eq!(headers.get("content-length").expect("length"), "14");
    assert_eq!(
        headers.get("content-length"),
        headers.get("Content-Length"),
        "names are case-insensitive"
    );
    assert_eq!(
        headers
            .get("server")
            .map(|v| v.as_bytes().starts_with(b"nginx")),
        Some(true)
    );
}

#[test]
fn headers_are_built_once_per_response_and_anew_for_the_next() {
    let server = FaultServer::sequence(vec![
        Behaviour::Respond(
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
        Behaviour::Respond(
            b"HTTP/1.1 404 Not Found\r\nX-B: b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
    ])
    .expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    let err = req.headers().expect_err("no response yet");
    assert_eq!(err.kind(), ErrorKind::IncorrectHandleState);

    req.send_blocking(None, None).expect("send");
    let first = req.headers().expect("headers");
    let again = req.headers().expect("headers");
    assert!(Arc::ptr_eq(&first, &again), "built once, then shared");
    let a: Vec<_> = first.get_all("x-a").iter().collect();
    assert_eq!(a, ["1", "2"], "repeated names keep every value, in order");
    assert_eq!(first.get("set-cookie").expect("cookie"), "a=1");

    req.send_blocking(None, None).expect("send again");
    assert_eq!(req.status().expect("status"), StatusCode::NOT_FOUND);
    let second = req.headers().expect("headers");
    assert!(!Arc::ptr_eq(&first, &second), "a new response, a new map");
    assert!(second.get("x-a").is_none());
    assert_eq!(second.get("x-b").expect("x-b"), "b");
    // The first map is the caller's: unchanged.
    assert_eq!(first.get_all("x-a").iter().count(), 2);
}

#[test]
fn request_headers_can_be_added_from_a_header_map() {
    let server = FaultServer::start(Behaviour::Respond(
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec(),
    ))
    .expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, &server.url("/"), RequestOptions::default()).expect("open");
    let mut map = HeaderMap::new();
    map.insert("x-one", "1".parse().expect("value"));
    map.append("x-many", "a".parse().expect("value"));
    map.append("x-many", "b".parse().expect("value"));
    req.add_header_map(&map, Modifier::Add).expect("add");
    req.send_blocking(None, None).expect("send");
    let head = String::from_utf8_lossy(&server.request(0)).to_ascii_lowercase();
    assert!(head.contains("\r\nx-one: 1\r\n"), "{head}");
    assert!(head.contains("\r\nx-many: a\r\nx-many: b\r\n"), "{head}");
}

#[test]
fn a_header_map_value_that_is_not_visible_ascii_adds_nothing() {
    let s = Session::new().expect("session");
    let req = inet_http::open(&s, "http://127.0.0.1:9/", RequestOptions::default()).expect("open");
    let mut map = HeaderMap::new();
    map.insert("x-good", "1".parse().expect("value"));
    map.insert(
        "x-bad",
        inet_http::HeaderValue::from_bytes(b"caf\xc3\xa9").expect("obs-text is a valid value"),
    );
    let err = req
        .add_header_map(&map, Modifier::Add)
        .expect_err("refused");
    assert_eq!(err.code(), 12153);
    assert!(req.request_header("x-good", 0).is_err(), "all or nothing");
}

#[test]
fn methods_can_be_given_as_http_methods() {
    let server = FaultServer::start(Behaviour::Respond(
        b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_vec(),
    ))
    .expect("fault server");
    let s = Session::new().expect("session");
    let req = inet_http::open_method(
        &s,
        Method::DELETE,
        &server.url("/x"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert!(server.request(0).starts_with(b"DELETE /x HTTP/1.1\r\n"));

    let conn = inet_http::HttpConnection::connect(&s, "127.0.0.1", server.port()).expect("connect");
    let method = Method::from_bytes(b"PROPFIND").expect("method");
    conn.open_request(&method, "/", RequestOptions::default())
        .expect("an extension method by reference");
    let err = conn
        .open_request("NOT A METHOD", "/", RequestOptions::default())
        .expect_err("not a method");
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    assert!(err.message().contains("\"NOT A METHOD\""), "{err}");
}
