//! Whole files, byte for byte: the direct-read path (large buffers), the buffered path (small
//! buffers), TLS records stitched into large reads, chunked and gzip bodies.

use inet_core::Session;
use inet_http::{HttpRequest, RequestOptions};
use inet_tests::servers::nginx;

fn session() -> Session {
    Session::builder()
        .add_root_certificates_file(&nginx().ca_cert)
        .build()
        .expect("session")
}

/// Read the whole body with reads of `chunk` bytes.
fn read_all(req: &HttpRequest, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        let n = req.read_blocking(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn fetch(url: &str, chunk: usize) -> Vec<u8> {
    let s = session();
    let req = inet_http::open(&s, url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    read_all(&req, chunk)
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(nginx().data_dir().join(name)).expect("data file")
}

#[test]
fn a_64_mib_file_over_http_arrives_intact_through_large_reads() {
    let body = fetch(&nginx().http_url("/data/rand_64M.bin"), 1 << 20);
    assert!(body == file("rand_64M.bin"), "64 MiB over http differs");
}

#[test]
fn a_64_mib_file_over_https_arrives_intact_through_large_reads() {
    let body = fetch(&nginx().https_url("/data/rand_64M.bin"), 1 << 20);
    assert!(body == file("rand_64M.bin"), "64 MiB over https differs");
}

#[test]
fn a_1_mib_file_over_https_arrives_intact_through_odd_small_reads() {
    let body = fetch(&nginx().https_url("/data/rand_1M.bin"), 1000);
    assert!(
        body == file("rand_1M.bin"),
        "1 MiB over https in 1000-byte reads differs"
    );
}

#[test]
fn a_chunked_gzip_body_over_https_decodes_to_the_file() {
    // /text.txt is served gzip-compressed (and so chunked) when asked; the client decodes it.
    let s = session();
    let req = inet_http::open(
        &s,
        &nginx().https_url("/text.txt"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.header_value("content-encoding").expect("encoded"),
        "gzip"
    );
    assert_eq!(
        req.header_value("transfer-encoding").expect("chunked"),
        "chunked"
    );
    let body = read_all(&req, 777);
    let expected = std::fs::read(nginx().docroot.join("text.txt")).expect("text.txt");
    assert_eq!(body.len(), expected.len());
    assert!(body == expected, "decoded text differs");
}

#[test]
fn a_session_that_preloads_tls_serves_https_on_its_prebuilt_connector() {
    let s = Session::builder()
        .add_root_certificates_file(&nginx().ca_cert)
        .preload_tls()
        .build()
        .expect("session");
    let req = inet_http::open(
        &s,
        &nginx().https_url("/hello.txt"),
        RequestOptions::default(),
    )
    .expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(
        req.read_to_end_blocking().expect("body"),
        b"Hello, world!\n"
    );
}
