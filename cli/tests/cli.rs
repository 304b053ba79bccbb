//! The `inet` binary, run as a user would, against small HTTP/1.1 servers in this process.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

// ----- running the binary ---------------------------------------------------------------------

fn inet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inet"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the inet binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one error line a failed run prints (trace lines aside), checked for its shape.
fn error_line(out: &Output) -> String {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "inet panicked: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("inet: ")).collect();
    assert_eq!(lines.len(), 1, "one `inet:` error line expected:\n{err}");
    lines[0].to_string()
}

/// The error line of a transfer that failed with ERROR_INTERNET_TIMEOUT (exit status 1).
fn timeout_error_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    let line = error_line(out);
    assert!(
        line.contains("ERROR_INTERNET_TIMEOUT 12002"),
        "{}",
        stderr(out)
    );
    line
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inet-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// A port nothing listens on.
fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

// ----- inet get: bodies ---------------------------------------------------------------------------

#[test]
fn get_writes_the_body_to_the_output_file() {
    let server = Server::start();
    let file = temp_path("hello.txt");
    let out = inet(&["get", &server.url("/hello"), "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello, inet\n");
    assert_eq!(stdout(&out), "");
}

#[test]
fn get_writes_a_body_arriving_in_pieces_whole() {
    let server = Server::start();
    let file = temp_path("big.bin");
    let out = inet(&["get", &server.url("/big"), "-o", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&file).unwrap(), big_body());
}

#[test]
fn without_output_the_body_goes_to_stdout() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/hello")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello, inet\n");
}

#[test]
fn several_urls_are_fetched_at_once() {
    // /together answers only once two requests are waiting at the same time ("alone" after 3 s).
    let server = Server::start();
    let out = inet(&["get", &server.url("/together"), &server.url("/together")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "together\ntogether\n");
}

#[test]
fn stdout_bodies_come_in_url_order_even_when_a_later_one_finishes_first() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/slow"), &server.url("/hello")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "slow\nhello, inet\n");
}

#[test]
fn each_output_option_pairs_with_the_url_in_the_same_place() {
    let server = Server::start();
    let (a, b) = (temp_path("pair-a"), temp_path("pair-b"));
    let out = inet(&[
        "get",
        &server.url("/slow"),
        "-o",
        a.to_str().unwrap(),
        &server.url("/hello"),
        "-o",
        b.to_str().unwrap(),
        &server.url("/hello"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "slow\n");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "hello, inet\n");
    assert_eq!(stdout(&out), "hello, inet\n", "the third URL has no -o");
}

#[test]
fn more_outputs_than_urls_is_a_usage_error() {
    let out = inet(&["get", "http://127.0.0.1:1/", "-o", "a", "-o", "b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(error_line(&out).contains("-o"));
}

// ----- inet get: requests -------------------------------------------------------------------------

#[test]
fn data_is_posted_as_a_form_unless_a_header_sets_the_type() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/echo"), "--data", "a=1&b=2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "POST /echo type=application/x-www-form-urlencoded auth=-\na=1&b=2"
    );

    let out = inet(&[
        "get",
        &server.url("/echo"),
        "--data",
        "{}",
        "-H",
        "content-type: application/json",
    ]);
    assert_eq!(stdout(&out), "POST /echo type=application/json auth=-\n{}");
}

#[test]
fn data_from_a_file_is_the_file() {
    let server = Server::start();
    let file = temp_path("form.txt");
    std::fs::write(&file, "from=file").unwrap();
    let at = format!("@{}", file.display());
    let out = inet(&["get", &server.url("/echo"), "--data", &at]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).ends_with("\nfrom=file"), "{}", stdout(&out));
}

#[test]
fn an_unreadable_data_file_fails_before_anything_is_sent() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/echo"), "--data", "@/no/such/file"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(
        line.contains("/no/such/file") && line.contains("87"),
        "{line}"
    );
    assert_eq!(server.requests(), 0);
}

#[test]
fn user_sends_basic_credentials() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/echo"), "--user", "u:p@ss"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // base64("u:p@ss")
    assert_eq!(stdout(&out), "GET /echo type=- auth=Basic dTpwQHNz\n");
}

#[test]
fn a_header_is_sent() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/echo"), "-H", "Authorization: Bearer t"]);
    assert_eq!(stdout(&out), "GET /echo type=- auth=Bearer t\n");
}

#[test]
fn redirects_are_followed_up_to_max_redirects() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/redirect")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello, inet\n");

    let out = inet(&["get", &server.url("/redirect"), "--max-redirects", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("12156"), "{}", stderr(&out));
}

#[test]
fn an_http_error_status_is_a_successful_transfer_without_fail() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/missing")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "no such thing\n");
}

#[test]
fn fail_exits_22_on_an_http_error_status_and_writes_no_body() {
    let server = Server::start();
    let out = inet(&["get", "--fail", &server.url("/missing")]);
    assert_eq!(out.status.code(), Some(22));
    assert_eq!(stdout(&out), "");
    assert!(error_line(&out).contains("404"), "{}", stderr(&out));
}

// ----- inet get: failures -------------------------------------------------------------------------

#[test]
fn a_refused_port_exits_non_zero_naming_12029() {
    let url = format!("http://127.0.0.1:{}/", refused_port());
    let out = inet(&["get", &url]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(
        line.contains("ERROR_INTERNET_CANNOT_CONNECT 12029"),
        "{line}"
    );
}

#[test]
fn a_bad_header_exits_non_zero_naming_12153_and_sends_nothing() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/hello"), "-H", "no colon here"]);
    assert_eq!(out.status.code(), Some(1));
    let line = error_line(&out);
    assert!(line.contains("ERROR_HTTP_INVALID_HEADER 12153"), "{line}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_bad_url_exits_non_zero_naming_its_code() {
    let out = inet(&["get", "not a url"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("12005"), "{}", stderr(&out));

    // gopher:// is spoken now (cli/tests/gopher.rs); wais:// is not.
    let out = inet(&["get", "wais://example.test/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("12006"), "{}", stderr(&out));
}

#[test]
fn a_missing_ca_file_exits_non_zero_naming_87() {
    let out = inet(&["get", "https://127.0.0.1:1/", "--cacert", "/no/such.pem"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("87"), "{}", stderr(&out));
}

#[test]
fn a_silent_server_times_out_with_12002() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/silent"), "--timeout", "0.3"]);
    timeout_error_line(&out);
}

#[test]
fn cat_takes_the_timeouts_and_limits_get_takes() {
    let server = Server::start();
    for flags in [
        &["--timeout", "0.3"][..],
        &["--max-time", "0.5"],
        &["--speed-limit", "1000", "--speed-time", "0.5"],
    ] {
        let mut args = vec!["cat", "-q"];
        let url = server.url("/silent");
        args.push(&url);
        args.extend_from_slice(flags);
        let line = timeout_error_line(&inet(&args));
        assert!(line.starts_with(&format!("inet: cat {url}: ")), "{line}");
    }
}

#[test]
fn max_time_ends_a_transfer_after_that_many_seconds_with_12002() {
    let server = Server::start();
    let started = Instant::now();
    let out = inet(&["get", &server.url("/silent"), "--max-time", "0.5"]);
    let line = timeout_error_line(&out);
    assert!(line.contains("total time limit"), "{}", stderr(&out));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn speed_limit_and_speed_time_fail_a_stalled_transfer_with_12002() {
    let server = Server::start();
    let out = inet(&[
        "get",
        &server.url("/silent"),
        "--speed-limit",
        "1000",
        "--speed-time",
        "0.5",
    ]);
    let line = timeout_error_line(&out);
    assert!(line.contains("low-speed limit"), "{}", stderr(&out));
}

#[test]
fn speed_time_without_speed_limit_is_a_usage_error() {
    let out = inet(&["get", "http://127.0.0.1:1/", "--speed-time", "3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn one_failed_url_does_not_stop_the_others() {
    let server = Server::start();
    let bad = format!("http://127.0.0.1:{}/", refused_port());
    let out = inet(&["get", &server.url("/hello"), &bad, &server.url("/slow")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "hello, inet\nslow\n");
    assert!(error_line(&out).contains("12029"));
}

// ----- inet get --trace -------------------------------------------------------------------------

fn json_trace(out: &Output) -> Vec<Value> {
    stderr(out)
        .lines()
        .filter(|l| !l.starts_with("inet: "))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v
        })
        .collect()
}

#[test]
fn trace_json_writes_one_object_per_notification_in_the_issue_shape() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/hello"), "--trace", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello, inet\n");
    let keys = [
        "t_ms", "handle", "parent", "kind", "context", "status", "code", "info",
    ];
    for line in stderr(&out).lines() {
        let at: Vec<usize> = keys
            .iter()
            .map(|k| line.find(&format!("\"{k}\":")).unwrap_or(usize::MAX))
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "keys out of order: {line}"
        );
    }
    let trace = json_trace(&out);
    let find = |kind: &str, status: &str| {
        trace
            .iter()
            .find(|n| n["kind"] == kind && n["status"] == status)
            .unwrap_or_else(|| panic!("no {kind} {status} in {trace:#?}"))
    };
    let session = find("session", "HANDLE_CREATED");
    let conn = find("connection", "HANDLE_CREATED");
    let created = find("request", "HANDLE_CREATED");
    assert_eq!(created["code"], 60);
    assert_eq!(session["parent"], Value::Null);
    assert_eq!(conn["parent"], session["handle"]);
    assert_eq!(created["parent"], conn["handle"]);
    assert_eq!(created["context"], 1);
    assert_eq!(created["info"]["handle"], created["handle"]);
    assert_eq!(
        find("request", "RESOLVING_NAME")["info"]["host"],
        "127.0.0.1"
    );
    assert_eq!(find("request", "SENDING_REQUEST")["code"], 30);
    let complete = find("request", "REQUEST_COMPLETE");
    assert_eq!(complete["code"], 100);
    assert_eq!(complete["info"]["result"], 1);
    assert_eq!(complete["info"]["error"], 0);
    assert!(find("request", "RESPONSE_RECEIVED")["info"]["bytes"].as_u64() > Some(0));
    let t: Vec<f64> = trace.iter().map(|n| n["t_ms"].as_f64().unwrap()).collect();
    assert!(
        t.windows(2).all(|w| w[0] <= w[1]),
        "time goes forward: {t:?}"
    );
    let last = trace.last().unwrap();
    assert_eq!(
        (&last["kind"], &last["code"]),
        (&"session".into(), &70.into())
    );
}

#[test]
fn trace_json_reports_a_refused_connection_in_request_complete() {
    let url = format!("http://127.0.0.1:{}/", refused_port());
    let out = inet(&["get", &url, "--trace", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let trace = json_trace(&out);
    let complete = trace
        .iter()
        .find(|n| n["status"] == "REQUEST_COMPLETE")
        .expect("REQUEST_COMPLETE");
    assert_eq!(complete["info"]["result"], 0);
    assert_eq!(complete["info"]["error"], 12029);
    assert_eq!(complete["info"]["name"], "ERROR_INTERNET_CANNOT_CONNECT");
    assert!(trace.iter().any(|n| n["status"] == "CONNECTING_TO_SERVER"));
    assert!(error_line(&out).contains("12029"));
}

#[test]
fn trace_text_writes_one_human_line_per_notification() {
    let server = Server::start();
    let out = inet(&["get", &server.url("/hello"), "--trace", "text"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let sending = err
        .lines()
        .find(|l| l.ends_with("SENDING_REQUEST"))
        .unwrap_or_else(|| panic!("no SENDING_REQUEST line:\n{err}"));
    // `+12.3ms #3 request ctx=1 SENDING_REQUEST`
    let words: Vec<&str> = sending.split(' ').collect();
    assert_eq!(words.len(), 5, "{sending}");
    assert!(
        words[0].starts_with('+') && words[0].ends_with("ms"),
        "{sending}"
    );
    assert!(
        words[0][1..words[0].len() - 2].parse::<f64>().is_ok(),
        "{sending}"
    );
    assert!(words[1].starts_with('#'), "{sending}");
    assert_eq!(&words[2..], ["request", "ctx=1", "SENDING_REQUEST"]);
    assert!(err.lines().all(|l| l.starts_with('+')), "{err}");
}

// ----- inet demo ----------------------------------------------------------------------------------

#[test]
fn demo_charts_both_phases_and_async_beats_sequential() {
    let out = inet(&["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = stdout(&out);
    assert!(all.lines().all(|l| l.chars().count() <= 80), "{all}");
    let (coffee, browser) = all
        .split_once("\nThe browser:")
        .unwrap_or_else(|| panic!("no browser scenario:\n{all}"));
    browser_scenario(browser);
    let text = coffee.to_string();
    let total = |label: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` line:\n{text}"));
        line[label.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number in {line:?}"))
    };
    let (sequential, concurrent) = (total("sequential:"), total("async:"));
    assert!(concurrent < sequential, "{text}");
    assert!(sequential >= 800, "the latencies add up: {text}");
    assert!(concurrent >= 500, "the slower site sets the pace: {text}");
    assert!(text.contains("Downfall Coffee & Tea  3.10"), "{text}");
    assert!(text.contains("Fourth Coffee"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("ctx ")).collect();
    assert_eq!(rows.len(), 4, "two requests, two phases:\n{text}");
    for row in &rows {
        for mark in ["r", "c", "s", ".", "|"] {
            assert!(row.contains(mark), "{mark:?} missing in {row:?}");
        }
    }
    // Sequential: the second request starts after the first is done; async: both at the start.
    let start = |row: &str| row.find("rcs").unwrap();
    assert!(start(rows[1]) > start(rows[0]), "{text}");
    assert_eq!(start(rows[2]), start(rows[3]), "{text}");
}

/// The demo's page scenario: a page and the 8 resources it names, blocking then callback mode.
fn browser_scenario(text: &str) {
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("ctx ")).collect();
    assert_eq!(
        rows.len(),
        18,
        "a page and 8 resources, two phases:\n{text}"
    );
    let (seq, conc) = rows.split_at(9);
    assert!(
        seq[0].contains("GET /") && conc[0].contains("GET /"),
        "{text}"
    );
    // The chart starts where the ruler does (`|---------|…`), after the labels.
    let chart = text
        .lines()
        .find_map(|l| {
            l.trim_start()
                .starts_with("|---")
                .then(|| l.len() - l.trim_start().len())
        })
        .unwrap_or_else(|| panic!("no ruler:\n{text}"));
    let start = |row: &str| chart + row[chart..].find(['r', 'c', 's']).unwrap_or(usize::MAX / 2);
    let end = |row: &str| row.rfind('|').unwrap_or(0);
    // Blocking: each resource starts after the one before it is done.
    for pair in seq.windows(2) {
        assert!(start(pair[1]) >= end(pair[0]), "{text}");
    }
    // Callback mode: resources start while the page is still arriving.
    assert!(
        conc[1..].iter().any(|r| start(r) < end(conc[0])),
        "no resource started before the page was in:\n{text}"
    );
    let number = |label: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(label))
            .and_then(|l| l[label.len()..].split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` number:\n{text}"))
    };
    assert!(number("async:") < number("sequential:"), "{text}");
}

// ----- the test server ----------------------------------------------------------------------------

/// A request as the server read it.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// What the server answers.
struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    pieces: Vec<Vec<u8>>,
}

impl Reply {
    fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: "200 OK",
            headers: Vec::new(),
            pieces: vec![body.into()],
        }
    }
}

fn big_body() -> Vec<u8> {
    (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect()
}

#[derive(Default)]
struct Shared {
    requests: AtomicUsize,
    /// `/count/…` requests being answered now, and the most there were at once.
    active: AtomicUsize,
    peak: AtomicUsize,
    waiting: Mutex<usize>,
    arrived: Condvar,
    /// `/trickle`: the client has shown the first piece (set by the test), and whether the server
    /// gave up waiting for that and sent the rest anyway.
    shown: Mutex<bool>,
    shown_changed: Condvar,
    gave_up: AtomicBool,
}

/// An HTTP/1.1 server on 127.0.0.1 with a few routes; keep-alive, one thread per connection.
struct Server {
    port: u16,
    shared: Arc<Shared>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        Server { port, shared }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How many requests arrived.
    fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most `/count/…` requests that were being answered at once.
    fn peak(&self) -> usize {
        self.shared.peak.load(Ordering::SeqCst)
    }

    /// `/trickle` may send the rest of its body.
    fn release_trickle(&self) {
        *self.shared.shown.lock().unwrap() = true;
        self.shared.shown_changed.notify_all();
    }
}

fn route(req: &Request, shared: &Shared) -> Reply {
    match req.path.as_str() {
        "/hello" => Reply::ok("hello, inet\n"),
        "/slow" => {
            std::thread::sleep(Duration::from_millis(300));
            Reply::ok("slow\n")
        }
        "/missing" => Reply {
            status: "404 Not Found",
            ..Reply::ok("no such thing\n")
        },
        "/redirect" => Reply {
            status: "302 Found",
            headers: vec![("Location", "/hello".into())],
            ..Reply::ok("")
        },
        "/echo" => {
            let h = |name: &str| req.headers.get(name).cloned().unwrap_or("-".into());
            let mut body = format!(
                "{} {} type={} auth={}\n",
                req.method,
                req.path,
                h("content-type"),
                h("authorization")
            )
            .into_bytes();
            body.extend_from_slice(&req.body);
            Reply::ok(body)
        }
        "/big" => Reply {
            pieces: big_body().chunks(64 * 1024).map(<[u8]>::to_vec).collect(),
            ..Reply::ok("")
        },
        "/together" => {
            let mut waiting = shared.waiting.lock().unwrap();
            *waiting += 1;
            shared.arrived.notify_all();
            let (waiting, timeout) = shared
                .arrived
                .wait_timeout_while(waiting, Duration::from_secs(3), |w| *w < 2)
                .unwrap();
            drop(waiting);
            Reply::ok(if timeout.timed_out() {
                "alone\n"
            } else {
                "together\n"
            })
        }
        // Counted while it is being answered (300 ms), before any byte of the reply is sent:
        // a client sends its next request only after reading a whole reply, so the peak is
        // the number of requests it had in flight at once.
        p if p.starts_with("/count/") => {
            let now = shared.active.fetch_add(1, Ordering::SeqCst) + 1;
            shared.peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            shared.active.fetch_sub(1, Ordering::SeqCst);
            Reply::ok(format!("{p}\n"))
        }
        "/silent" => {
            std::thread::sleep(Duration::from_secs(5));
            Reply::ok("too late\n")
        }
        _ => Reply {
            status: "404 Not Found",
            ..Reply::ok("")
        },
    }
}

fn serve(conn: TcpStream, shared: &Shared) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    while let Some(req) = read_request(&mut reader)? {
        shared.requests.fetch_add(1, Ordering::SeqCst);
        if req.path == "/trickle" {
            // The first piece (no newline), then the rest only once the test has seen the first
            // on the client's stdout, or after 10 s.
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nfirst")?;
            let shown = shared.shown.lock().unwrap();
            let (shown, waited) = shared
                .shown_changed
                .wait_timeout_while(shown, Duration::from_secs(10), |shown| !*shown)
                .unwrap();
            drop(shown);
            shared.gave_up.store(waited.timed_out(), Ordering::SeqCst);
            conn.write_all(b"rest")?;
            continue;
        }
        let reply = route(&req, shared);
        let length: usize = reply.pieces.iter().map(Vec::len).sum();
        let mut head = format!("HTTP/1.1 {}\r\nContent-Length: {length}\r\n", reply.status);
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes())?;
        for (i, piece) in reply.pieces.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            conn.write_all(piece)?;
        }
    }
    Ok(())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

/// A body's bytes reach stdout as they come, not when the body ends: the first piece is seen while
/// the server holds the rest back (it has no newline, which a line buffer would wait for).
#[test]
fn a_body_s_first_bytes_reach_stdout_while_the_rest_is_still_on_its_way() {
    let server = Server::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inet"))
        .args(["get", &server.url("/trickle")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the inet binary runs");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !got.starts_with(b"first") {
        let n = stdout.read(&mut buf).expect("reading inet's stdout");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    server.release_trickle();
    stdout.read_to_end(&mut got).expect("reading inet's stdout");
    let status = child.wait().expect("inet ends");
    assert!(status.success());
    assert_eq!(got, b"firstrest");
    assert!(
        !server.shared.gave_up.load(Ordering::SeqCst),
        "the first bytes came out only with the rest"
    );
}

// ----- --parallel and --max-connections-per-host ---------------------------------------------------

/// `n` URLs of /count/, and the bodies they give, in order.
fn counted(server: &Server, n: usize) -> (Vec<String>, String) {
    let urls: Vec<String> = (0..n).map(|i| server.url(&format!("/count/{i}"))).collect();
    let bodies = (0..n).map(|i| format!("/count/{i}\n")).collect();
    (urls, bodies)
}

#[test]
fn get_parallel_2_fetches_20_urls_in_order_never_more_than_2_at_once() {
    let server = Server::start();
    let (urls, bodies) = counted(&server, 20);
    let mut args = vec!["get", "--parallel", "2"];
    args.extend(urls.iter().map(String::as_str));
    let out = inet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), bodies);
    assert_eq!(server.requests(), 20);
    assert_eq!(server.peak(), 2, "the most requests in flight at once");
}

#[test]
fn cat_parallel_2_fetches_20_urls_in_order_never_more_than_2_at_once() {
    let server = Server::start();
    let (urls, bodies) = counted(&server, 20);
    let mut args = vec!["cat", "-Z", "2"];
    args.extend(urls.iter().map(String::as_str));
    let out = inet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), bodies);
    assert_eq!(server.requests(), 20);
    assert_eq!(server.peak(), 2, "the most requests in flight at once");
}

#[test]
fn without_parallel_8_urls_are_in_flight_at_once() {
    let server = Server::start();
    let (urls, bodies) = counted(&server, 16);
    // More connections per host than the 6 of a session's default, so that --parallel decides.
    let mut args = vec!["cat", "--max-connections-per-host", "16"];
    args.extend(urls.iter().map(String::as_str));
    let out = inet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), bodies);
    assert_eq!(server.peak(), 8, "the default --parallel");
}

#[test]
fn max_connections_per_host_caps_the_requests_in_flight() {
    let server = Server::start();
    let (urls, bodies) = counted(&server, 9);
    let mut args = vec!["get", "--parallel", "8", "--max-connections-per-host", "3"];
    args.extend(urls.iter().map(String::as_str));
    let out = inet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), bodies);
    assert_eq!(server.peak(), 3, "one request per connection at a time");
}

/// A URL that fails as it is opened frees its turn once: the URLs after it all run (none is left
/// waiting for a turn that never comes), and none runs beside another with `--parallel 1`.
#[test]
fn urls_that_fail_to_open_free_their_turn_and_the_rest_still_run_in_order() {
    let server = Server::start();
    let (urls, bodies) = counted(&server, 4);
    for command in ["get", "cat"] {
        let mut args = vec![command, "--parallel", "1", "http://[::1/"];
        for url in &urls {
            args.extend([url.as_str(), "nothing://here/"]);
        }
        let out = inet(&args);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
        assert_eq!(stdout(&out), bodies, "{command}");
        let errors = stderr(&out)
            .lines()
            .filter(|l| l.starts_with("inet:"))
            .count();
        assert_eq!(errors, 5, "{command}: one error line per bad URL");
    }
    assert_eq!(server.requests(), 8);
    assert_eq!(server.peak(), 1, "the most requests in flight at once");
}

#[test]
fn parallel_and_max_connections_take_whole_numbers_from_1() {
    for args in [
        ["get", "http://127.0.0.1:1/", "--parallel", "0"],
        ["cat", "http://127.0.0.1:1/", "--parallel", "two"],
        [
            "cat",
            "http://127.0.0.1:1/",
            "--max-connections-per-host",
            "0",
        ],
    ] {
        let out = inet(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

// ----- inet get --page ----------------------------------------------------------------------------

#[test]
fn get_page_fetches_the_page_and_its_same_origin_resources_into_a_directory() {
    let nginx = inet_tests::servers::nginx();
    let dir = std::env::temp_dir().join(format!("inet-cli-page-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = nginx.http_url("/data/page/index.html");
    let get_page = |url: &str| {
        let dir = dir.to_str().expect("utf-8 path");
        inet(&["get", "--page", url, "--output-dir", dir])
    };
    let out = get_page(&url);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // The page and the four resources on its origin, one line each; the link elsewhere is not
    // followed.
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(!text.contains("elsewhere"), "{text}");
    for file in [
        "index.html",
        "style.css",
        "app.js",
        "img/a.bin",
        "img/b.bin",
    ] {
        let served = std::fs::read(nginx.data_dir().join("page").join(file)).expect("served");
        let saved = std::fs::read(dir.join("data/page").join(file)).expect("saved");
        assert!(served == saved, "{file} differs");
    }
    assert!(text.lines().all(|l| l.contains(" ms -> ")), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
    // A page URL with a password: the lines name every URL without it.
    let out = get_page(&url.replacen("http://", "http://user:pagesecret@", 1));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(
        !text.contains("pagesecret") && !stderr(&out).contains("pagesecret"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let out = inet(&["get", "--page", &url, "-o", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ----- Ctrl-C ---------------------------------------------------------------------------------------

#[test]
fn ctrl_c_cancels_a_running_get_exits_130_and_keeps_the_partial_file() {
    use inet_tests::fault::{Behaviour, FaultServer};
    let server = FaultServer::start(Behaviour::SlowBody {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_vec(),
        body: vec![b'x'; 1_000_000],
        bytes_per_sec: 20_000,
    })
    .expect("slow server");
    let file = std::env::temp_dir().join(format!("inet-cli-ctrl-c-{}", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_inet"))
        .args(["get", &server.url("/big"), "-o"])
        .arg(&file)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("inet runs");
    // Interrupt once some bytes are on disk.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&file).map_or(0, |m| m.len()) == 0 {
        assert!(Instant::now() < deadline, "no byte arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let out = child.wait_with_output().expect("inet exits");
    let took = sent.elapsed();
    println!("from SIGINT to exit: {took:?}");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    // Well under the 50 s the rest of the body would take.
    assert!(took < Duration::from_secs(5), "{took:?}");
    let kept = std::fs::metadata(&file)
        .expect("the partial file is kept")
        .len();
    assert!(kept > 0 && kept < 1_000_000, "{kept}");
    let _ = std::fs::remove_file(&file);
}

// ----- inet info ------------------------------------------------------------------------------------

#[test]
fn info_tells_status_size_type_and_modified_for_http_ftp_and_gopher() {
    let nginx = inet_tests::servers::nginx();
    let out = inet(&["info", &nginx.http_url("/hello.txt"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    assert_eq!(v["status"], "200 OK");
    assert_eq!(v["size"], 14);
    assert!(
        v["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("text/plain")),
        "{v}"
    );
    assert!(v["modified"].is_string(), "{v}");
    assert!(v["headers"]["server"].is_string(), "{v}");

    let ftp = inet_tests::servers::ftp();
    let out = inet(&["info", &ftp.url("/data/rand_1M.bin"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(v["size"], 1 << 20, "{v}");
    assert_eq!(v["type"], "file", "{v}");
    assert!(v["modified"].is_string(), "{v}");

    let gopher = inet_tests::servers::gopher();
    let out = inet(&["info", &gopher.url("0/hello.txt")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("type: text file (0)"), "{text}");
    assert!(text.contains("protocol: gopher"), "{text}");
    // A Gopher+ server tells more: its attribute blocks, the modification time among them.
    let plus = inet_tests::servers::gopher_plus();
    let out = inet(&["info", &plus.url("0/hello.txt"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert!(
        v["modified"].is_string() && v["attributes"]["INFO"].is_string(),
        "{v}"
    );

    let out = inet(&["info", &nginx.http_url("/no/such/thing")]);
    assert!(out.status.success(), "a 404 is an answer: {}", stderr(&out));
    assert!(stdout(&out).contains("status: 404"), "{}", stdout(&out));
    let out = inet(&["info", "wais://example.test/"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("12006"), "{}", stderr(&out));
}

#[test]
fn connect_timeout_is_a_positive_number_of_seconds_for_every_command() {
    let nginx = inet_tests::servers::nginx();
    let out = inet(&[
        "get",
        &nginx.http_url("/hello.txt"),
        "--connect-timeout",
        "5",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Hello, world!\n");
    for args in [
        vec!["get", "http://127.0.0.1:1/", "--connect-timeout", "0"],
        vec!["info", "http://127.0.0.1:1/", "--connect-timeout", "-1"],
        vec!["ls", "ftp://127.0.0.1:1/", "--connect-timeout", "soon"],
        vec!["cat", "http://127.0.0.1:1/", "--connect-timeout", "0"],
    ] {
        let out = inet(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}
