//! Bad servers (issue: HTTP §Bad servers): every misbehaviour ends in the WinINet error the spec
//! names, never in a panic, a hang or a silent success. Each server is an in-process
//! [`FaultServer`] on loopback.

use std::io::Write;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use inet_core::Session;
use inet_http::{HttpRequest, RequestOptions};
use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::record::Recorder;

/// The longest any wait in these tests may take.
const T: Duration = Duration::from_secs(10);

/// The receive timeout of the timeout tests (issue: 300 ms).
const RECEIVE_TIMEOUT: Duration = Duration::from_millis(300);

// ---- the response head ----

#[test]
fn a_response_head_larger_than_the_default_64_kib_fails_with_12152() {
    let server = FaultServer::start(Behaviour::HugeHeaders(100 * 1024)).expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    assert_eq!(code(send(&req)), 12152);
}

#[test]
fn a_response_head_larger_than_a_configured_limit_fails_with_12152() {
    let server = FaultServer::start(Behaviour::HugeHeaders(8 * 1024)).expect("fault server");
    let options = RequestOptions::default().max_head_bytes(4 * 1024);
    let req = request(&Session::new().expect("session"), &server, options);
    assert_eq!(code(send(&req)), 12152);
}

#[test]
fn a_response_head_within_a_configured_limit_is_accepted() {
    let server = FaultServer::start(Behaviour::HugeHeaders(2 * 1024)).expect("fault server");
    let options = RequestOptions::default().max_head_bytes(4 * 1024);
    let req = request(&Session::new().expect("session"), &server, options);
    send(&req).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
}

#[test]
fn a_garbage_status_line_fails_with_12152() {
    let server = FaultServer::start(Behaviour::Respond(
        b"SSH-2.0-OpenSSH_9.6\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    assert_eq!(code(send(&req)), 12152);
}

#[test]
fn binary_garbage_instead_of_a_response_fails_with_12152() {
    // A TLS alert, as a TLS-only port sends to a plain-text client, then more junk.
    let mut junk = vec![0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46];
    junk.extend_from_slice(&[0xff; 64]);
    junk.extend_from_slice(b"\r\n\r\n");
    let server = FaultServer::start(Behaviour::Garbage(junk)).expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    assert_eq!(code(send(&req)), 12152);
}

#[test]
fn endless_102_processing_responses_fail_with_12152_instead_of_holding_the_request() {
    let server = FaultServer::start(Behaviour::custom(|c| {
        if c.read_request_head().is_err() {
            return;
        }
        // One interim response every 100 ms, for ever (until the client gives up).
        while c.write_all(b"HTTP/1.1 102 Processing\r\n\r\n").is_ok() {
            if !c.sleep(Duration::from_millis(100)) {
                return;
            }
        }
    }))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    let err = send(&req).expect_err("endless interim responses must fail");
    assert_eq!(err.code(), 12152, "{err}");
    assert!(err.to_string().contains("interim"), "{err}");
}

#[test]
fn a_few_interim_responses_before_the_final_one_are_fine() {
    let mut answer = b"HTTP/1.1 102 Processing\r\n\r\n".repeat(3);
    answer.extend_from_slice(b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n");
    answer.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let server = FaultServer::start(Behaviour::Respond(answer)).expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    send(&req).expect("send");
    assert_eq!(req.status_code().expect("status"), 200);
}

#[test]
fn an_unsolicited_101_switching_protocols_fails_with_12152() {
    let server = FaultServer::start(Behaviour::RespondKeepOpen(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            .to_vec(),
    ))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    let err = send(&req).expect_err("a 101 nobody asked for must fail");
    assert_eq!(err.code(), 12152, "{err}");
    assert!(err.to_string().contains("101"), "{err}");
}

// ---- the body ----

#[test]
fn a_body_shorter_than_its_content_length_fails_the_read_instead_of_ending_early() {
    let server = FaultServer::start(Behaviour::Respond(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly 21 bytes of body".to_vec(),
    ))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    send(&req).expect("send");
    let (got, failure) = read_until_failure(&req);
    assert_eq!(got, b"only 21 bytes of body");
    assert_aborted(failure);
    // Once failed, the body stays failed: a later read does not report a clean end.
    let again = req.clone();
    assert_aborted(within("a read after the failure", move || {
        again.read_blocking(&mut [0u8; 16])
    }));
}

#[test]
fn a_chunked_body_cut_short_fails_the_read() {
    let server = FaultServer::start(Behaviour::Respond(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc".to_vec(),
    ))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    send(&req).expect("send");
    let (got, failure) = read_until_failure(&req);
    assert!(got.starts_with(b"hello"), "{got:?}");
    assert!(
        failure.is_err(),
        "the cut chunked body read as complete: {got:?}"
    );
}

#[test]
fn a_reset_in_the_middle_of_the_body_fails_with_12031_or_12030() {
    let server = FaultServer::start(Behaviour::custom(|c| {
        if c.read_request_head().is_err() {
            return;
        }
        let mut partial = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        partial.extend_from_slice(&[b'x'; 1000]);
        let _ = c.write_all(&partial);
        // Give the head time to be read, so the reset most likely lands in the body.
        c.sleep(Duration::from_millis(200));
        let _ = c.reset_on_close();
    }))
    .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    // Should the reset win the race with the head, the send fails instead: same codes.
    let outcome = send(&req).and_then(|()| read_until_failure(&req).1);
    assert_aborted(outcome);
}

#[test]
fn a_reset_instead_of_a_response_fails_with_12031_or_12030() {
    let server = FaultServer::start(Behaviour::RespondThenReset { bytes: Vec::new() })
        .expect("fault server");
    let req = request(
        &Session::new().expect("session"),
        &server,
        RequestOptions::default(),
    );
    assert_aborted(send(&req));
}

// ---- timeouts ----

#[test]
fn a_server_that_never_answers_hits_the_receive_timeout_with_12002() {
    let server = FaultServer::start(Behaviour::Stall).expect("fault server");
    let s = Session::builder()
        .receive_timeout(Some(RECEIVE_TIMEOUT))
        .build()
        .expect("session");
    let req = request(&s, &server, RequestOptions::default());
    assert_eq!(code(send(&req)), 12002);
}

#[test]
fn a_server_that_stalls_in_the_body_hits_the_receive_timeout_with_12002() {
    let server = FaultServer::start(Behaviour::RespondKeepOpen(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nthe start".to_vec(),
    ))
    .expect("fault server");
    let s = Session::builder()
        .receive_timeout(Some(RECEIVE_TIMEOUT))
        .build()
        .expect("session");
    let req = request(&s, &server, RequestOptions::default());
    send(&req).expect("send");
    let (got, failure) = read_until_failure(&req);
    assert_eq!(got, b"the start");
    assert_eq!(code(failure), 12002);
}

#[test]
fn a_body_slower_than_the_low_speed_limit_fails_with_12002() {
    let server = FaultServer::start(Behaviour::SlowBody {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec(),
        body: vec![b'x'; 5000],
        bytes_per_sec: 20,
    })
    .expect("fault server");
    let s = Session::builder()
        .low_speed_limit(1000, Duration::from_millis(500))
        .build()
        .expect("session");
    let req = request(&s, &server, RequestOptions::default());
    send(&req).expect("send");
    let (got, failure) = read_until_failure(&req);
    assert!(got.len() < 5000, "the whole slow body arrived");
    assert_eq!(code(failure), 12002);
}

#[test]
fn a_response_trickling_one_byte_every_200_ms_hits_max_time_with_12002() {
    let server = FaultServer::start(Behaviour::custom(|c| {
        if c.read_request_head().is_err() {
            return;
        }
        // Each byte comes well within any receive timeout; only a total limit stops this.
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
            .iter()
            .cycle()
        {
            if c.write_all(&[*byte]).is_err() || !c.sleep(Duration::from_millis(200)) {
                return;
            }
        }
    }))
    .expect("fault server");
    let options = RequestOptions::default().max_time(Duration::from_secs(1));
    let req = request(&Session::new().expect("session"), &server, options);
    let started = Instant::now();
    let err = send(&req).expect_err("the total time limit must end it");
    let took = started.elapsed();
    assert_eq!(err.code(), 12002, "{err}");
    assert!(err.to_string().contains("total time limit"), "{err}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
        "took {took:?}"
    );
}

#[test]
fn max_time_bounds_the_body_read_after_the_send() {
    let server = FaultServer::start(Behaviour::SlowBody {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec(),
        body: vec![b'x'; 1000],
        bytes_per_sec: 5,
    })
    .expect("fault server");
    let options = RequestOptions::default().max_time(Duration::from_millis(800));
    let req = request(&Session::new().expect("session"), &server, options);
    let started = Instant::now();
    send(&req).expect("send");
    let (got, failure) = read_until_failure(&req);
    assert!(got.len() < 1000, "the whole slow body arrived");
    assert_eq!(code(failure), 12002);
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[test]
fn an_upload_the_server_stops_reading_hits_the_low_speed_limit_with_12002() {
    let server = FaultServer::start(Behaviour::custom(|c| {
        if c.read_request_head().is_ok() {
            // Read nothing more: the client's writes block once the socket buffers are full.
            c.sleep(Duration::from_secs(20));
        }
    }))
    .expect("fault server");
    let s = Session::builder()
        .low_speed_limit(1000, Duration::from_millis(500))
        .build()
        .expect("session");
    let mut options = RequestOptions::default();
    options.expect_continue_from = None;
    let req = inet_http::open_method(&s, "PUT", &server.url("/"), options).expect("open");
    let body = vec![b'u'; 64 << 20];
    let started = Instant::now();
    let sender = req.clone();
    let err = within("the stalled upload", move || {
        sender.send_blocking(None, Some(body.into()))
    })
    .expect_err("a stalled upload must fail");
    assert_eq!(err.code(), 12002, "{err}");
    assert!(err.to_string().contains("low-speed"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn duration_max_timeouts_and_limits_mean_no_limit_and_do_not_panic() {
    let server = FaultServer::start(Behaviour::SlowBody {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n".to_vec(),
        body: vec![b'x'; 20],
        bytes_per_sec: 100,
    })
    .expect("fault server");
    let s = Session::builder()
        .connect_timeout(Some(Duration::MAX))
        .send_timeout(Some(Duration::MAX))
        .receive_timeout(Some(Duration::MAX))
        .low_speed_limit(1, Duration::MAX)
        .idle_timeout(Duration::MAX)
        .pool_wait_timeout(Some(Duration::MAX))
        .max_connections(usize::MAX)
        .max_connections_per_host(usize::MAX)
        .build()
        .expect("session");
    let options = RequestOptions::default()
        .max_time(Duration::MAX)
        .max_head_bytes(usize::MAX)
        .max_body_size(u64::MAX);
    let req = request(&s, &server, options.clone());
    send(&req).expect("send");
    let (got, outcome) = read_until_failure(&req);
    outcome.expect("the body ends cleanly");
    assert_eq!(got, vec![b'x'; 20]);
    // Once more through read_to_end, whose limit is u64::MAX.
    let req = request(&s, &server, options);
    send(&req).expect("send");
    assert_eq!(req.read_to_end_blocking().expect("body"), vec![b'x'; 20]);
}

// ---- callback mode ----

#[test]
fn a_bad_server_in_callback_mode_completes_with_the_error_then_closes_cleanly() {
    let server = FaultServer::start(Behaviour::Respond(b"not http at all\r\n\r\n".to_vec()))
        .expect("fault server");
    let rec = Recorder::new();
    let s = Session::builder()
        .status_callback(rec.callback())
        .build()
        .expect("session");
    let req = request(&s, &server, RequestOptions::default());
    let h = req.handle().id();
    let _p = req.start_send(None, None).expect("start_send");
    assert!(rec.wait_code(h, 100, T), "no REQUEST_COMPLETE");
    assert_eq!(rec.completions(h), vec![12152]);
    req.close();
    assert!(rec.wait_code(h, 70, T), "no HANDLE_CLOSING");
    assert_eq!(rec.codes(h).last(), Some(&70));
}

// ---- helpers ----

/// A GET for `/` on `server`.
fn request(s: &Session, server: &FaultServer, options: RequestOptions) -> HttpRequest {
    inet_http::open(s, &server.url("/"), options).expect("open")
}

/// Sends the request, failing the test instead of hanging.
fn send(req: &HttpRequest) -> inet_core::Result<()> {
    let req = req.clone();
    within("send", move || req.send_blocking(None, None))
}

/// Reads until a read fails or the body ends, failing the test instead of hanging: what arrived,
/// and the outcome (`Ok` when the body ended cleanly, which the tests here treat as wrong).
fn read_until_failure(req: &HttpRequest) -> (Vec<u8>, inet_core::Result<()>) {
    let req = req.clone();
    within("reading the body", move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match req.read_blocking(&mut buf) {
                Ok(0) => return (got, Ok(())),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Err(e)),
            }
        }
    })
}

/// Runs `f` on a thread of its own and waits at most [`T`]: a misbehaving server must never make
/// inet hang (or spin).
fn within<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(T) {
        Ok(r) => r,
        Err(RecvTimeoutError::Timeout) => panic!("{what} did not finish within {T:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// The WinINet code of an error the call must have returned.
fn code<T: std::fmt::Debug>(result: inet_core::Result<T>) -> u32 {
    match result {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.code(),
    }
}

/// The connection went away: ERROR_INTERNET_CONNECTION_RESET (12031) or _ABORTED (12030).
fn assert_aborted<T: std::fmt::Debug>(result: inet_core::Result<T>) {
    let c = code(result);
    assert!(c == 12031 || c == 12030, "expected 12031 or 12030, got {c}");
}
