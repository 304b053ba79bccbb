//! Response bodies through core's shared reader: reads that survive being dropped mid-way, an exact
//! "data available" on compressed bodies, connections pooled only when nothing at all is left
//! unread (the TLS layer's buffer included), `read_to_end`'s limit, empty compressed bodies that
//! release their connection at once, and callback-mode reads and "data available" answered on the
//! caller's thread when they can be, growing the buffer for bulk bodies as waiting reads do.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use inet_core::{Session, Started};
use inet_http::RequestOptions;
use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::servers::nginx;

fn compress_zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("compress");
    e.finish().expect("compress")
}

fn compress_gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("compress");
    e.finish().expect("compress")
}

/// Answers every request on a connection with `answer` (keep-alive), until the client closes.
fn keep_alive_server(answer: Vec<u8>) -> FaultServer {
    paced_keep_alive_server(answer, Vec::new(), 1, Duration::ZERO)
}

/// Answers every request on a connection (keep-alive) with `head`, then `body` in pieces of
/// `piece` bytes, each after `pause`: a body that arrives while it is being read.
fn paced_keep_alive_server(
    head: Vec<u8>,
    body: Vec<u8>,
    piece: usize,
    pause: Duration,
) -> FaultServer {
    FaultServer::start(Behaviour::custom(move |c| {
        let mut buf = [0u8; 16 * 1024];
        let mut answered = 0;
        loop {
            let heads = c.received().windows(4).filter(|w| w == b"\r\n\r\n").count();
            if heads > answered {
                answered += 1;
                if c.write_all(&head).is_err() {
                    return;
                }
                for piece in body.chunks(piece) {
                    std::thread::sleep(pause);
                    if c.write_all(piece).is_err() {
                        return;
                    }
                }
            } else if !matches!(c.read(&mut buf), Ok(n) if n > 0) {
                return;
            }
        }
    }))
    .expect("fault server")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn a_read_dropped_while_pending_loses_nothing_and_the_next_read_goes_on() {
    let body = pattern(96 * 1024);
    let server = FaultServer::start(Behaviour::SlowBody {
        head: format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes(),
        body: body.clone(),
        bytes_per_sec: 400 * 1024,
    })
    .expect("fault server");
    let session = Session::new().expect("session");
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");

    let mut got = Vec::new();
    let mut dropped = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // A read raced against a short timer, as under `select!` with a progress tick: the
        // losing read future is dropped.
        let outcome = async_io::block_on(futures_lite::future::or(
            async { Some(req.read(&mut buf).await) },
            async {
                async_io::Timer::after(Duration::from_millis(3)).await;
                None
            },
        ));
        match outcome {
            None => dropped += 1,
            Some(Ok(0)) => break,
            Some(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Some(Err(e)) => panic!("read failed after {} bytes: {e}", got.len()),
        }
    }
    assert!(
        dropped > 0,
        "no read was ever dropped: the test proved nothing"
    );
    assert_eq!(
        got.len(),
        body.len(),
        "bytes lost after {dropped} dropped reads"
    );
    assert!(got == body);
}

#[test]
fn query_data_available_counts_what_the_inflater_still_holds_and_the_connection_is_reused() {
    let plain = vec![b'a'; 256 * 1024];
    let packed = compress_zlib(&plain);
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: {}\r\n\r\n",
        packed.len()
    )
    .into_bytes();
    answer.extend_from_slice(&packed);
    let server = keep_alive_server(answer);
    let session = Session::new().expect("session");

    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let mut first = [0u8; 1024];
    let mut total = req.read_blocking(&mut first).expect("read");
    // The usual WinINet loop: ask how much is there, read that much, until 0.
    loop {
        let n = req.query_data_available_blocking().expect("available") as usize;
        if n == 0 {
            break;
        }
        let mut buf = vec![0u8; n];
        let got = req.read_blocking(&mut buf).expect("read");
        assert!(got > 0, "{n} bytes said available, but a read got none");
        assert!(buf[..got].iter().all(|&b| b == b'a'));
        total += got;
    }
    assert_eq!(total, plain.len(), "the loop stopped early");
    drop(req);

    let again =
        inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    again.send_blocking(None, None).expect("send");
    assert_eq!(
        again.read_to_end_blocking().expect("body").len(),
        plain.len()
    );
    assert_eq!(server.connections(), 1, "the connection was not reused");
}

#[test]
fn bytes_left_in_the_tls_layer_after_a_body_keep_its_connection_out_of_the_pool() {
    let n = nginx();
    let cert = std::fs::read(n.state_dir.join("tls/server.crt")).expect("server certificate");
    let key = std::fs::read(n.state_dir.join("tls/server.key")).expect("server key");
    let identity = native_tls::Identity::from_pkcs8(&cert, &key).expect("identity");
    let acceptor = Arc::new(native_tls::TlsAcceptor::new(identity).expect("acceptor"));
    let body = pattern(20 * 1024);
    let b = body.clone();
    let server = FaultServer::start(Behaviour::custom(move |c| {
        let index = c.index();
        let Ok(mut tls) = acceptor.accept(&mut *c) else {
            return;
        };
        let mut buf = [0u8; 4096];
        let mut head = Vec::new();
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        if index == 0 {
            // The head alone, then the body with an unasked-for response glued to its end, in
            // one write: the client's last body read leaves those bytes in the TLS layer.
            let _ = tls.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", b.len()).as_bytes(),
            );
            let _ = tls.flush();
            std::thread::sleep(Duration::from_millis(150));
            let mut rest = b.clone();
            rest.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG");
            let _ = tls.write_all(&rest);
        } else {
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nright");
        }
        let _ = tls.flush();
        while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
    }))
    .expect("fault server");
    let session = Session::builder()
        .add_root_certificates_file(&n.ca_cert)
        .build()
        .expect("session");
    let url = format!("https://127.0.0.1:{}/", server.port());

    let req = inet_http::open(&session, &url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = req.read_blocking(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == body);
    drop(req);

    let next = inet_http::open(&session, &url, RequestOptions::default()).expect("open");
    next.send_blocking(None, None).expect("send");
    assert_eq!(next.read_to_end_blocking().expect("body"), b"right");
    assert_eq!(server.connections(), 2);
}

#[test]
fn read_to_end_stops_at_the_limit_on_long_bodies_and_decompression_bombs() {
    let long = pattern(3 << 20);
    let mut answer =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", long.len()).into_bytes();
    answer.extend_from_slice(&long);
    let server = keep_alive_server(answer);
    let bomb = compress_gzip(&vec![0u8; 16 << 20]);
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        bomb.len()
    )
    .into_bytes();
    answer.extend_from_slice(&bomb);
    let bomb_server = keep_alive_server(answer);
    let session = Session::new().expect("session");
    let limited = RequestOptions::default().max_body_size(1 << 20);

    for url in [server.url("/"), bomb_server.url("/")] {
        let req = inet_http::open(&session, &url, limited.clone()).expect("open");
        req.send_blocking(None, None).expect("send");
        let err = req.read_to_end_blocking().expect_err("over the limit");
        assert_eq!(err.kind(), inet_core::ErrorKind::TooLarge, "{err}");
        assert!(err.to_string().contains("1048576"), "{err}");
    }
    // Within the limit, the whole body.
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    assert!(req.read_to_end_blocking().expect("body") == long);
}

#[test]
fn an_empty_body_with_a_content_encoding_releases_its_connection_at_once() {
    let server =
        keep_alive_server(b"HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n".to_vec());
    let session = Session::new().expect("session");
    for _ in 0..3 {
        let req =
            inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
        req.send_blocking(None, None).expect("send");
        assert_eq!(req.status_code().expect("status"), 204);
        // Not read, not closed: the connection is back in the pool already.
        assert_eq!(session.pool().in_use(), 0);
        assert_eq!(req.read_to_end_blocking().expect("empty"), b"");
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn callback_mode_reads_bytes_waiting_in_the_socket_without_going_pending() {
    let session = Session::new().expect("session");
    let url = nginx().http_url("/data/rand_1M.bin");
    let req = inet_http::open(&session, &url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    // Let the body pile up in the socket.
    std::thread::sleep(Duration::from_millis(200));
    let mut done = 0;
    let mut bytes = 0;
    loop {
        match req.start_read(64 * 1024).expect("start_read") {
            Started::Done(b) if b.is_empty() => break,
            Started::Done(b) => {
                done += 1;
                bytes += b.len();
            }
            Started::Pending(_) => break,
        }
    }
    // More than what came with the head: the socket itself was read on this thread.
    assert!(
        done >= 4 && bytes >= 256 * 1024,
        "only {done} reads ({bytes} bytes) finished at once"
    );
}

#[test]
fn data_available_after_reading_every_byte_is_zero_not_a_wait() {
    // The WinINet loop again, on a plain body that came whole with the head: read exactly what
    // is there, then ask again. The answer is 0 (the end), at once.
    let server = keep_alive_server(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec());
    let session = Session::new().expect("session");
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = req.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 5];
        let first = reader.read_blocking(&mut buf);
        let then = reader.query_data_available_blocking();
        let _ = tx.send((first, buf, then));
    });
    let (first, buf, then) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("query_data_available did not answer after the last byte was read");
    assert_eq!(first.expect("read"), 5);
    assert_eq!(&buf, b"hello");
    assert_eq!(then.expect("available"), 0);
    // And the connection went back to the pool.
    assert_eq!(session.pool().in_use(), 0);
}

#[test]
fn a_read_to_end_dropped_after_taking_bytes_fails_later_reads_instead_of_going_on_mid_body() {
    let body = pattern(64 * 1024);
    let server = FaultServer::start(Behaviour::SlowBody {
        head: format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes(),
        body,
        bytes_per_sec: 64 * 1024,
    })
    .expect("fault server");
    let session = Session::new().expect("session");
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    // Under a deadline that ends it half way, as a `select!` with a timeout would.
    let outcome = async_io::block_on(futures_lite::future::or(
        async { Some(req.read_to_end().await) },
        async {
            async_io::Timer::after(Duration::from_millis(300)).await;
            None
        },
    ));
    assert!(
        outcome.is_none(),
        "the body should still have been arriving"
    );
    let mut buf = [0u8; 1024];
    let err = req
        .read_blocking(&mut buf)
        .expect_err("a read after a dropped read_to_end must fail, not go on mid-body");
    assert_eq!(err.code(), 12019, "{err}");
    assert!(err.to_string().contains("read_to_end"), "{err}");
}

/// A session whose REQUEST_COMPLETE outcomes come out of the returned channel.
fn session_with_completions() -> (
    Session,
    std::sync::mpsc::Receiver<inet_core::Result<inet_core::Completion>>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let session = Session::builder()
        .status_callback(move |note: &inet_core::Notification| {
            if let inet_core::Status::RequestComplete(outcome) = &note.status {
                let _ = tx.lock().expect("sender").send(outcome.clone());
            }
        })
        .build()
        .expect("session");
    (session, rx)
}

/// Callback mode's reads of 64 KiB, as `inet get` reads: every piece, until an empty one (the
/// end) or an error; a pending read's bytes come with its REQUEST_COMPLETE.
fn read_owned_to_end(
    req: &inet_http::HttpRequest,
    completions: &std::sync::mpsc::Receiver<inet_core::Result<inet_core::Completion>>,
) -> inet_core::Result<Vec<u8>> {
    let mut got = Vec::new();
    loop {
        let data = match req.start_read(64 * 1024)? {
            Started::Done(b) => b,
            Started::Pending(_) => match completions.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(inet_core::Completion::Data(b))) => b,
                Ok(Ok(other)) => panic!("a read completed with {other:?}"),
                Ok(Err(e)) => return Err(e),
                Err(_) => panic!("a pending read never completed"),
            },
        };
        if data.is_empty() {
            return Ok(got);
        }
        got.extend_from_slice(&data);
    }
}

#[test]
fn owned_reads_hand_back_the_connection_at_the_last_byte() {
    // Callback mode's owned reads of a body arriving in pieces: the read that takes the last
    // byte ends the stream and the connection serves the next request, before any read says
    // "the end".
    let body = pattern(700 * 1024);
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
    let server = paced_keep_alive_server(head.into(), body, 100 * 1024, Duration::from_millis(5));
    let (session, completions) = session_with_completions();
    for _ in 0..2 {
        let req =
            inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
        req.send_blocking(None, None).expect("send");
        let mut got = Vec::new();
        while got.len() < 700 * 1024 {
            let piece = match req.start_read(64 * 1024).expect("read") {
                Started::Done(b) => b,
                Started::Pending(_) => match completions.recv_timeout(Duration::from_secs(10)) {
                    Ok(Ok(inet_core::Completion::Data(b))) => b,
                    other => panic!("a read completed with {other:?}"),
                },
            };
            assert!(
                !piece.is_empty(),
                "the body ended after {} bytes",
                got.len()
            );
            got.extend_from_slice(&piece);
        }
        assert!(
            got == pattern(700 * 1024),
            "{} bytes, not the body",
            got.len()
        );
        // Back in the pool with the last byte, before the read that says "the end".
        assert_eq!(session.pool().in_use(), 0);
        assert!(read_owned_to_end(&req, &completions)
            .expect("end")
            .is_empty());
    }
    assert_eq!(server.connections(), 1);
}

#[test]
fn owned_reads_of_a_body_cut_short_fail_instead_of_ending() {
    // Content-Length promises 1 MiB; 300 KiB come, then the server closes. Owned reads see the
    // close: an error, never an empty read taken for the end.
    let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    let sent = pattern(300 * 1024);
    let server = FaultServer::start(Behaviour::custom(move |c| {
        let mut buf = [0u8; 16 * 1024];
        while !c.received().windows(4).any(|w| w == b"\r\n\r\n") {
            if !matches!(c.read(&mut buf), Ok(n) if n > 0) {
                return;
            }
        }
        let _ = c.write_all(&answer);
        for piece in sent.chunks(100 * 1024) {
            std::thread::sleep(Duration::from_millis(5));
            if c.write_all(piece).is_err() {
                return;
            }
        }
    }))
    .expect("fault server");
    let (session, completions) = session_with_completions();
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    let err = read_owned_to_end(&req, &completions).expect_err("a body cut short");
    assert_eq!(err.code(), 12030, "{err}");
}

#[test]
fn callback_mode_data_available_then_read_gets_a_compressed_body_in_pieces_whole() {
    // The WinINet loop in callback mode: start_query_data_available, then start_read of that
    // count, until 0. The body (deflate) comes in pieces with pauses, so some questions are
    // answered at once (on this thread, from what is buffered or in the socket) and some wait
    // for the network and come back as REQUEST_COMPLETE. Both ways must count exactly what a
    // read then gets, and the connection is reused after the end.
    let plain = pattern(512 * 1024);
    let packed = compress_zlib(&plain);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: {}\r\n\r\n",
        packed.len()
    );
    let piece = packed.len() / 8 + 1;
    let server = paced_keep_alive_server(head.into(), packed, piece, Duration::from_millis(20));
    let (session, completions) = session_with_completions();
    let outcome = |what: &str| match completions.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(c)) => c,
        other => panic!("{what} completed with {other:?}"),
    };
    let (mut at_once, mut waited) = (0, 0);
    for _ in 0..2 {
        let req =
            inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
        req.send_blocking(None, None).expect("send");
        let mut got = Vec::new();
        loop {
            let n = match req.start_query_data_available().expect("query") {
                Started::Done(n) => {
                    at_once += 1;
                    n
                }
                Started::Pending(_) => {
                    waited += 1;
                    match outcome("a query") {
                        inet_core::Completion::Count(n) => n,
                        other => panic!("a query completed with {other:?}"),
                    }
                }
            };
            if n == 0 {
                break;
            }
            let piece = match req.start_read(n as usize).expect("read") {
                Started::Done(b) => b,
                Started::Pending(_) => panic!("{n} bytes said available, but the read waited"),
            };
            assert_eq!(
                piece.len() as u64,
                n,
                "said {n} available, a read got another count"
            );
            got.extend_from_slice(&piece);
        }
        assert!(got == plain, "{} bytes, not the body", got.len());
    }
    assert!(
        at_once > 0 && waited > 0,
        "answered at once {at_once} times, after a wait {waited} times: one way went untested"
    );
    assert_eq!(server.connections(), 1, "the connection was not reused");
}

#[test]
fn callback_reads_served_at_once_grow_the_buffer_for_a_bulk_body() {
    // A bulk body read in callback mode with the bytes already waiting: reads served at once on
    // the caller's thread must grow the reader's buffer as waiting reads do (a read that fills
    // it marks a bulk stream), or every system call takes 16 KiB — 68,000 of them per GiB
    // instead of 5,000.
    let body = pattern(4 * 1024 * 1024);
    let mut answer =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    answer.extend_from_slice(&body);
    let server = keep_alive_server(answer);
    let largest = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = largest.clone();
    let (tx, completions) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let session = Session::builder()
        .status_callback(move |note: &inet_core::Notification| match &note.status {
            inet_core::Status::ResponseReceived(n) => {
                seen.fetch_max(*n, std::sync::atomic::Ordering::Relaxed);
            }
            inet_core::Status::RequestComplete(outcome) => {
                let _ = tx.lock().expect("sender").send(outcome.clone());
            }
            _ => {}
        })
        .build()
        .expect("session");
    let req = inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    // Let the body pile up in the socket, so that reads find it there.
    std::thread::sleep(Duration::from_millis(100));
    let got = read_owned_to_end(&req, &completions).expect("body");
    assert!(got == body, "{} bytes, not the body", got.len());
    let largest = largest.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        largest >= 64 * 1024,
        "the largest network read took {largest} bytes: the buffer did not grow"
    );
}

#[test]
fn owned_reads_held_by_the_caller_keep_their_bytes_while_the_body_goes_on() {
    // Callback mode hands large reads out as slices of the reader's buffer, not copies: the
    // buffer must then never be written while a caller holds a piece of it. Here every piece
    // is held to the end, while the body keeps arriving in uneven pieces (so reads go pending
    // with bytes half read, and the buffer needs room again and again) — with a length, and
    // chunked (chunk heads cut across network reads stay in the buffer when it needs room).
    let body = pattern(6 * 1024 * 1024 + 13);
    let with_length = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
    let mut chunked = Vec::new();
    for (i, chunk) in body.chunks(40_000).enumerate() {
        let chunk = &chunk[..chunk.len().min(40_000 - i % 7)];
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let chunked_body: Vec<u8> = body
        .chunks(40_000)
        .enumerate()
        .flat_map(|(i, c)| c[..c.len().min(40_000 - i % 7)].to_vec())
        .collect();
    let cases = [
        (
            "with a length",
            with_length.into_bytes(),
            body.clone(),
            body,
        ),
        (
            "chunked",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
            chunked,
            chunked_body,
        ),
    ];
    for (what, head, wire, expected) in cases {
        let server = paced_keep_alive_server(head, wire, 96 * 1024 + 7, Duration::from_millis(1));
        let (session, completions) = session_with_completions();
        let req =
            inet_http::open(&session, &server.url("/"), RequestOptions::default()).expect("open");
        req.send_blocking(None, None).expect("send");
        let mut held: Vec<bytes::Bytes> = Vec::new();
        loop {
            let data = match req.start_read(64 * 1024).expect("start_read") {
                Started::Done(b) => b,
                Started::Pending(_) => match completions.recv_timeout(Duration::from_secs(10)) {
                    Ok(Ok(inet_core::Completion::Data(b))) => b,
                    other => panic!("{what}: a pending read ended with {other:?}"),
                },
            };
            if data.is_empty() {
                break;
            }
            held.push(data);
        }
        let got: Vec<u8> = held.iter().flat_map(|b| b.iter().copied()).collect();
        assert!(got == expected, "{what}: {} bytes, not the body", got.len());
        // Pieces handed out without a copy are neighbours in the reader's buffer (apart by at
        // most a chunk's framing).
        let adjacent = held
            .windows(2)
            .filter(|w| {
                let gap =
                    (w[1].as_ptr() as usize).wrapping_sub(w[0].as_ptr() as usize + w[0].len());
                gap <= 32
            })
            .count();
        assert!(
            adjacent > 0,
            "{what}: no two of {} pieces are neighbours in memory: every read was copied",
            held.len()
        );
    }
}
