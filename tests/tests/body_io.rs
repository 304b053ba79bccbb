//! Bodies as the ecosystem's reader traits (`futures_io::AsyncRead`/`AsyncBufRead`,
//! `std::io::Read`/`BufRead`) for HTTP responses, FTP files, Gopher items and `open_url` streams:
//! byte for byte against the real servers, progress still notified, closing the handle still
//! cancelling a copy under way, dropped reads losing nothing, timeouts still applying.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::io::{AsyncBufReadExt, AsyncReadExt};
use inet::{open_url_blocking, OpenUrlOptions};
use inet_core::{Session, STATUS_PROGRESS};
use inet_http::RequestOptions;
use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::record::Recorder;
use inet_tests::servers::{self, nginx};
use parking_lot::Mutex;

fn session(rec: &Recorder) -> Session {
    Session::builder()
        .add_root_certificates_file(&nginx().ca_cert)
        .status_callback(rec.callback())
        .build()
        .expect("session")
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(nginx().data_dir().join(name)).expect("data file")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn get(s: &Session, url: &str) -> inet_http::HttpRequest {
    let req = inet_http::open(s, url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
    req
}

/// The last PROGRESS notification's byte count for `handle`.
fn last_progress(rec: &Recorder, handle: inet_core::HandleId) -> Option<String> {
    rec.all()
        .into_iter()
        .filter(|n| n.handle == handle && n.code == STATUS_PROGRESS)
        .map(|n| n.text)
        .next_back()
}

#[test]
fn futures_io_copy_moves_a_64_mib_body_intact_over_http_and_https_with_progress() {
    let want = file("rand_64M.bin");
    for url in [
        nginx().http_url("/data/rand_64M.bin"),
        nginx().https_url("/data/rand_64M.bin"),
    ] {
        let rec = Recorder::new();
        let s = session(&rec);
        let req = get(&s, &url);
        let mut sink = futures::io::Cursor::new(Vec::new());
        let copied =
            async_io::block_on(futures::io::copy(req.async_reader(), &mut sink)).expect("copy");
        assert_eq!(copied, want.len() as u64, "{url}");
        assert!(sink.into_inner() == want, "{url}: body differs");
        let progress = last_progress(&rec, req.handle().id()).expect("progress notified");
        assert!(
            progress.ends_with(&format!(" {0}/{0}", want.len())),
            "{url}: last progress {progress}"
        );
        let codes = rec.codes(req.handle().id());
        let receiving = codes.iter().filter(|&&c| c == 40).count();
        let received = codes.iter().filter(|&&c| c == 41).count();
        assert_eq!(receiving, received, "{url}: RECEIVING/RECEIVED pair up");
    }
}

#[test]
fn std_io_copy_moves_a_body_intact_through_the_blocking_reader() {
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &nginx().https_url("/data/rand_1M.bin"));
    let mut sink = Vec::new();
    let copied = std::io::copy(&mut req.blocking_reader(), &mut sink).expect("copy");
    assert_eq!(copied, 1 << 20);
    assert!(sink == file("rand_1M.bin"), "body differs");
}

#[test]
fn buffered_readers_read_lines_of_a_gzip_body_async_and_blocking() {
    let want = std::fs::read(nginx().docroot.join("text.txt")).expect("text.txt");
    let want_lines: Vec<String> = String::from_utf8_lossy(&want)
        .lines()
        .map(str::to_string)
        .collect();
    let rec = Recorder::new();
    let s = session(&rec);

    // Served gzip-compressed and chunked: the decoder's path, through AsyncBufRead.
    let req = get(&s, &nginx().https_url("/text.txt"));
    assert_eq!(req.header_value("content-encoding").expect("gzip"), "gzip");
    let lines: Vec<String> = async_io::block_on(async {
        let mut lines = Vec::new();
        let mut reader = req.async_reader();
        let mut line = String::new();
        while reader.read_line(&mut line).await.expect("line") > 0 {
            lines.push(line.trim_end_matches('\n').to_string());
            line.clear();
        }
        lines
    });
    assert_eq!(lines, want_lines);

    // The same through std's BufRead.
    let req = get(&s, &nginx().http_url("/text.txt"));
    let lines: Vec<String> = req
        .blocking_reader()
        .lines()
        .collect::<std::io::Result<_>>()
        .expect("lines");
    assert_eq!(lines, want_lines);
}

#[test]
fn a_read_after_a_partly_consumed_fill_buf_returns_the_buffered_bytes_first() {
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &nginx().http_url("/data/rand_1M.bin"));
    let mut reader = req.blocking_reader();
    let first = reader.fill_buf().expect("fill").to_vec();
    assert!(!first.is_empty());
    reader.consume(10);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("rest");
    let want = file("rand_1M.bin");
    assert!(
        rest[..] == want[10..],
        "bytes after a partial consume differ"
    );
}

/// A body sent slowly (`bytes_per_sec`), so that a copy spends its time waiting.
fn slow_server(len: usize, bytes_per_sec: u64) -> (FaultServer, Vec<u8>) {
    let body = pattern(len);
    let server = FaultServer::start(Behaviour::SlowBody {
        head: format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes(),
        body: body.clone(),
        bytes_per_sec,
    })
    .expect("fault server");
    (server, body)
}

#[test]
fn closing_the_handle_cancels_a_futures_io_copy_under_way() {
    let (server, _) = slow_server(4 << 20, 64 * 1024);
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &server.url("/"));
    let id = req.handle().id();
    let copied = Arc::new(Mutex::new(0usize));
    let closer = {
        let req = req.clone();
        let rec = rec.clone();
        std::thread::spawn(move || {
            // Close once some bytes came through the copy.
            assert!(rec.wait_for(Duration::from_secs(10), |seen| seen
                .iter()
                .any(|n| n.handle == id && n.code == 41)));
            std::thread::sleep(Duration::from_millis(100));
            req.close();
        })
    };
    let t0 = Instant::now();
    let err = async_io::block_on(async {
        let mut sink = futures::io::Cursor::new(Vec::new());
        let r = futures::io::copy(req.async_reader(), &mut sink).await;
        *copied.lock() = sink.into_inner().len();
        r
    })
    .expect_err("the copy was cancelled");
    closer.join().expect("closer");
    assert!(t0.elapsed() < Duration::from_secs(30));
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionAborted);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<inet_core::Error>())
        .expect("the inet error inside");
    assert!(
        inner.is_cancelled() || inner.kind() == inet_core::ErrorKind::InvalidHandle,
        "{inner}"
    );
    assert!(*copied.lock() < 4 << 20, "cancelled before the end");
    // HANDLE_CLOSING still comes, last.
    assert!(rec.wait_code(id, 70, Duration::from_secs(10)));
    assert_eq!(rec.codes(id).last(), Some(&70));
}

#[test]
fn closing_the_handle_cancels_a_std_io_copy_under_way() {
    let (server, _) = slow_server(4 << 20, 64 * 1024);
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &server.url("/"));
    let id = req.handle().id();
    let closer = {
        let req = req.clone();
        let rec = rec.clone();
        std::thread::spawn(move || {
            assert!(rec.wait_for(Duration::from_secs(10), |seen| seen
                .iter()
                .any(|n| n.handle == id && n.code == 41)));
            std::thread::sleep(Duration::from_millis(100));
            req.close();
        })
    };
    let err = std::io::copy(&mut req.blocking_reader(), &mut std::io::sink())
        .expect_err("the copy was cancelled");
    closer.join().expect("closer");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionAborted, "{err}");
    assert!(rec.wait_code(id, 70, Duration::from_secs(10)));
}

#[test]
fn an_async_read_dropped_while_waiting_loses_nothing_and_a_new_reader_goes_on() {
    let (server, body) = slow_server(256 * 1024, 512 * 1024);
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &server.url("/"));
    let mut got = Vec::new();
    let mut dropped = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // A fresh adapter each time, raced against a short timer: the loser is dropped while
        // its wait is pending.
        let mut reader = req.async_reader();
        let outcome = async_io::block_on(futures_lite::future::or(
            async { Some(reader.read(&mut buf).await) },
            async {
                async_io::Timer::after(Duration::from_millis(3)).await;
                None
            },
        ));
        match outcome {
            None => dropped += 1,
            Some(Ok(0)) => break,
            Some(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Some(Err(e)) => panic!("read failed: {e}"),
        }
    }
    assert!(dropped > 0, "no read was dropped while pending");
    assert!(got == body, "bytes lost or repeated");
}

#[test]
fn the_receive_timeout_applies_while_an_async_reader_waits() {
    let server = FaultServer::start(Behaviour::RespondKeepOpen(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..".to_vec(),
    ))
    .expect("fault server");
    let rec = Recorder::new();
    let s = Session::builder()
        .receive_timeout(Some(Duration::from_millis(300)))
        .status_callback(rec.callback())
        .build()
        .expect("session");
    let req = get(&s, &server.url("/"));
    let mut out = Vec::new();
    let err = async_io::block_on(req.async_reader().read_to_end(&mut out)).expect_err("timed out");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
    assert_eq!(out, b"only ten..");
}

#[test]
fn ftp_files_gopher_items_and_url_streams_read_through_the_adapters() {
    // FTP through open_url's stream and the FTP file itself.
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let s = session(&rec);
    let stream =
        open_url_blocking(&s, &ftp.url("/data/rand_1M.bin"), OpenUrlOptions::new()).expect("ftp");
    let mut got = Vec::new();
    async_io::block_on(stream.async_reader().read_to_end(&mut got)).expect("ftp read");
    assert!(got == file("rand_1M.bin"), "ftp file differs");
    assert!(matches!(stream, inet::UrlStream::Ftp(_)));

    let stream =
        open_url_blocking(&s, &ftp.url("/welcome.txt"), OpenUrlOptions::new()).expect("ftp text");
    let mut text = String::new();
    stream
        .blocking_reader()
        .read_to_string(&mut text)
        .expect("ftp text read");
    assert_eq!(text, "Hello from ftp\n");

    // Gopher, from the harness's gophernicus.
    let g = servers::gopher();
    let stream = open_url_blocking(&s, &g.url("/9/data/rand_1M.bin"), OpenUrlOptions::new())
        .expect("gopher");
    let mut got = Vec::new();
    std::io::copy(&mut stream.blocking_reader(), &mut got).expect("gopher read");
    assert!(got == file("rand_1M.bin"), "gopher item differs");
}

#[test]
fn progress_counts_every_byte_once_however_a_buf_reader_splits_the_reads() {
    let rec = Recorder::new();
    let s = session(&rec);
    let req = get(&s, &nginx().http_url("/data/rand_1M.bin"));
    // Small fills (1000 bytes): the reader's buffered path, many reads per network read.
    let mut reader = futures::io::BufReader::with_capacity(1000, req.async_reader());
    let mut sink = Vec::new();
    async_io::block_on(reader.read_to_end(&mut sink)).expect("read");
    assert!(sink == file("rand_1M.bin"), "body differs");
    let progress = last_progress(&rec, req.handle().id()).expect("progress notified");
    assert!(progress.ends_with(" 1048576/1048576"), "{progress}");
}
