//! The `inet` binary's Gopher commands (`get gopher://…`, `ls gopher://…`), run as a user would,
//! against the harness's gophernicus on 127.0.0.1 (`inet_tests::servers::gopher()`).

use std::path::{Path, PathBuf};

use inet_tests::servers::{self, Gopher};
use serde_json::Value;

mod common;
use common::{assert_ok, error_line, inet, inet_in, stderr, stdout};

fn gopher() -> &'static Gopher {
    servers::gopher()
}

/// A fresh local directory for this test's files.
fn local_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("inet-cli-gopher-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("local dir");
    dir
}

/// A file the server serves, as it is on its disk.
fn on_disk(path: &str) -> Vec<u8> {
    std::fs::read(gopher().root.join(path)).expect("a file the gopher server serves")
}

/// gophernicus sends text with CRLF line ends.
fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2);
    for &b in text {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.starts_with("inet: "))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

// ----- get ----------------------------------------------------------------------------------------

#[test]
fn get_writes_a_binary_item_byte_for_byte() {
    let local = local_dir("get-1m").join("rand.bin");
    let url = gopher().url("9/data/rand_1M.bin");
    let out = inet(&["get", &url, "-o", path_str(&local)]);
    assert_ok(&out);
    assert_eq!(std::fs::read(&local).unwrap(), on_disk("data/rand_1M.bin"));
    assert_eq!(stdout(&out), "");
}

#[test]
fn get_without_output_writes_a_text_item_to_stdout() {
    let out = inet(&["get", &gopher().url("0/hello.txt")]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Hello, gopher!\r\n");
    // Longer than what is held back to look for an error reply.
    let out = inet(&["get", &gopher().url("0/data/lines.txt")]);
    assert_ok(&out);
    assert_eq!(out.stdout, crlf(&on_disk("data/lines.txt")));
}

#[test]
fn get_remote_name_saves_the_item_under_the_selectors_last_name() {
    let dir = local_dir("get-O");
    let out = inet_in(&dir, &["get", &gopher().url("9/bin.dat"), "-O"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(dir.join("bin.dat")).unwrap(),
        on_disk("bin.dat")
    );
    let out = inet_in(&dir, &["get", &gopher().url("1/"), "-O"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("-O needs a URL whose selector ends in a name"));
}

#[test]
fn get_of_a_menu_url_writes_the_menus_text() {
    let out = inet(&["get", &gopher().url("1/")]);
    assert_ok(&out);
    let menu = stdout(&out);
    let hello = format!("0Hello text\t/hello.txt\t127.0.0.1\t{}\r\n", gopher().port);
    assert!(menu.contains(&hello), "{menu:?}");
    assert!(
        menu.starts_with("iWelcome to the inet test gopher server."),
        "{menu:?}"
    );
}

#[test]
fn get_of_two_urls_writes_both_in_order() {
    let out = inet(&[
        "get",
        &gopher().url("0/hello.txt"),
        &gopher().url("0/data/hello.txt"),
    ]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Hello, gopher!\r\nHello, world!\r\n");
}

// ----- ls -----------------------------------------------------------------------------------------

#[test]
fn ls_prints_the_root_menu_as_a_table_of_type_display_selector_and_server() {
    let out = inet(&["ls", &gopher().url("")]);
    assert_ok(&out);
    let table = stdout(&out);
    let server = format!("127.0.0.1:{}", gopher().port);
    let row = |display: &str| -> Vec<String> {
        let line = table
            .lines()
            .find(|l| l.contains(display))
            .unwrap_or_else(|| panic!("no {display} row:\n{table}"));
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        row("Hello text"),
        ["0", "Hello text", "/hello.txt", &server]
    );
    assert_eq!(row("A directory"), ["1", "A directory", "/dir", &server]);
    assert_eq!(
        row("Binary file"),
        ["9", "Binary file (64 KiB)", "/bin.dat", &server]
    );
    assert_eq!(
        row("Welcome to the inet"),
        ["i", "Welcome to the inet test gopher server."]
    );
    assert_eq!(table.lines().count(), 8, "{table}");
}

#[test]
fn ls_json_is_an_array_of_items_with_type_name_selector_host_port_and_url() {
    let out = inet(&["ls", &gopher().url("1/data"), "--json"]);
    assert_ok(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let items = v.as_array().expect("an array");
    let item = |name: &str| {
        items
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {items:#?}"))
    };
    let rand = item("rand_1M.bin");
    assert_eq!(rand["type"], "9");
    assert_eq!(rand["selector"], "/data/rand_1M.bin");
    assert_eq!(rand["host"], "127.0.0.1");
    assert_eq!(rand["port"], gopher().port);
    assert_eq!(rand["url"], gopher().url("9/data/rand_1M.bin"));
    assert_eq!(item("hello.txt")["type"], "0");
    assert_eq!(item("tree")["type"], "1");
    assert!(items.iter().all(|i| i.get("raw").is_none()), "{items:#?}");
    // An item's url fetches it.
    let url = rand["url"].as_str().unwrap();
    let fetched = inet(&["get", url]);
    assert_ok(&fetched);
    assert_eq!(fetched.stdout, on_disk("data/rand_1M.bin"));
}

#[test]
fn ls_of_an_item_that_is_no_menu_exits_1_naming_12135() {
    let out = inet(&["ls", &gopher().url("0/hello.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        error_line(&out).ends_with("(ERROR_GOPHER_INCORRECT_LOCATOR_TYPE 12135)"),
        "{}",
        stderr(&out)
    );
}

// ----- search ---------------------------------------------------------------------------------------

#[test]
fn a_search_sends_the_query_words_from_the_flag_or_the_url() {
    let out = inet(&[
        "ls",
        &gopher().url("7/search"),
        "--query",
        "gopher rfc",
        "--json",
    ]);
    assert_ok(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v[0]["type"], "i");
    assert_eq!(v[0]["name"], "You searched for: gopher rfc");
    assert_eq!(v[1]["selector"], "/hello.txt");
    let out = inet(&["get", &gopher().url("7/search%09gopher%20rfc")]);
    assert_ok(&out);
    assert!(
        stdout(&out).starts_with("iYou searched for: gopher rfc\t"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_query_for_a_file_item_or_twice_is_a_usage_error() {
    let out = inet(&["get", &gopher().url("0/hello.txt"), "--query", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("a search query needs a menu or search URL"));
    let out = inet(&["ls", &gopher().url("7/search%09a"), "--query", "b"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ----- errors -------------------------------------------------------------------------------------

#[test]
fn a_missing_selector_exits_1_with_the_servers_error_and_12003_and_creates_no_file() {
    let local = local_dir("get-missing").join("nope.txt");
    let url = gopher().url("0/no-such-file.txt");
    let out = inet(&["get", &url, "-o", path_str(&local)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{:?}",
        stderr(&out),
        std::fs::read_to_string(&local)
    );
    let line = error_line(&out);
    assert!(line.starts_with(&format!("inet: get {url}: ")), "{line}");
    assert!(line.contains("File or directory not found"), "{line}");
    assert!(
        line.ends_with("(ERROR_INTERNET_EXTENDED_ERROR 12003)"),
        "{line}"
    );
    assert!(!local.exists());
    // A menu: gophernicus answers with a type 3 line.
    let url = gopher().url("1/no-such-dir/");
    let out = inet(&["ls", &url]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stderr(&out),
        stdout(&out)
    );
    let line = error_line(&out);
    assert!(line.starts_with(&format!("inet: ls {url}: ")), "{line}");
    assert!(line.contains("File or directory not found"), "{line}");
    assert!(
        line.ends_with("(ERROR_INTERNET_EXTENDED_ERROR 12003)"),
        "{line}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn raw_writes_the_error_reply_as_it_came() {
    let out = inet(&["get", &gopher().url("0/no-such-file.txt"), "--raw"]);
    assert_ok(&out);
    assert!(
        stdout(&out).starts_with("Error: File or directory not found!"),
        "{}",
        stdout(&out)
    );
    let out = inet(&["ls", &gopher().url("1/no-such-dir/"), "--raw", "--json"]);
    assert_ok(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v[0]["type"], "3");
}

#[test]
fn nothing_listening_exits_1_naming_12029() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = inet(&["get", &format!("gopher://127.0.0.1:{port}/0/x")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).ends_with("(ERROR_INTERNET_CANNOT_CONNECT 12029)"));
}

#[test]
fn bad_urls_and_flags_of_other_protocols_are_refused() {
    let out = inet(&["get", "gopher:///1/x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).ends_with("(ERROR_INTERNET_INVALID_URL 12005)"));
    let url = gopher().url("0/hello.txt");
    for (flags, words) in [
        (
            &["--continue", "-o", "x"][..],
            "--continue is not for gopher",
        ),
        (&["--fail"], "--fail is for http:// URLs only"),
        (
            &["http://127.0.0.1:1/", "--query", "x"][..],
            "--query needs URLs of one protocol",
        ),
    ] {
        let mut args = vec!["get", url.as_str()];
        args.extend_from_slice(flags);
        let out = inet(&args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(error_line(&out).contains(words), "{}", stderr(&out));
    }
    let out = inet(&["ls", &gopher().url("1/"), "--user", "a:b"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = inet(&["get", "http://127.0.0.1:1/", "--query", "x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_write_failure_exits_23() {
    let local = local_dir("get-unwritable").join("no-such-dir/x.bin");
    let out = inet(&["get", &gopher().url("9/bin.dat"), "-o", path_str(&local)]);
    assert_eq!(out.status.code(), Some(23), "{}", stderr(&out));
    assert!(error_line(&out).contains("no-such-dir/x.bin"));
}

// ----- --max-time and --speed-limit ---------------------------------------------------------------

#[test]
fn max_time_and_speed_limit_end_a_stalled_gopher_item_with_12002() {
    use inet_tests::fault::{Behaviour, FaultServer};
    // Takes the selector and never answers.
    let server = FaultServer::start(Behaviour::Stall).expect("stalling server");
    let url = format!("gopher://127.0.0.1:{}/0/never", server.port());
    let out = inet(&["get", &url, "--max-time", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.contains("--max-time 0.5") && line.contains("12002"),
        "{line}"
    );
    let url = format!("gopher://127.0.0.1:{}/1/", server.port());
    let out = inet(&["ls", &url, "--speed-limit", "100", "--speed-time", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12002"), "{}", error_line(&out));
}

// ----- --trace ------------------------------------------------------------------------------------

#[test]
fn trace_json_of_a_gopher_get_starts_with_handle_created_and_ends_with_handle_closing() {
    let out = inet(&["get", &gopher().url("0/hello.txt"), "--trace", "json"]);
    assert_ok(&out);
    let trace = json_lines(&stderr(&out));
    let first = &trace[0];
    assert_eq!(
        (&first["kind"], &first["status"], &first["parent"]),
        (&"session".into(), &"HANDLE_CREATED".into(), &Value::Null)
    );
    let conn = trace
        .iter()
        .find(|n| n["kind"] == "connection" && n["status"] == "HANDLE_CREATED")
        .expect("the connection's HANDLE_CREATED");
    assert_eq!(conn["parent"], first["handle"]);
    assert_eq!(conn["context"], 1);
    let file = trace
        .iter()
        .find(|n| n["kind"] == "file" && n["status"] == "HANDLE_CREATED")
        .expect("the file's HANDLE_CREATED");
    assert_eq!(file["parent"], conn["handle"]);
    for status in ["CONNECTED_TO_SERVER", "REQUEST_SENT", "RESPONSE_RECEIVED"] {
        assert!(trace.iter().any(|n| n["status"] == status), "no {status}");
    }
    let completes: Vec<&Value> = trace
        .iter()
        .filter(|n| n["status"] == "REQUEST_COMPLETE")
        .collect();
    assert!(!completes.is_empty(), "the open's REQUEST_COMPLETE");
    for c in &completes {
        assert_eq!((&c["code"], &c["info"]["result"]), (&100.into(), &1.into()));
    }
    assert_eq!(completes[0]["handle"], conn["handle"]);
    let last = trace.last().expect("a trace");
    assert_eq!(
        (&last["kind"], &last["status"], &last["code"]),
        (&"session".into(), &"HANDLE_CLOSING".into(), &70.into())
    );
    for handle in [&first["handle"], &conn["handle"], &file["handle"]] {
        let closings = trace
            .iter()
            .filter(|n| n["status"] == "HANDLE_CLOSING" && n["handle"] == *handle)
            .count();
        assert_eq!(closings, 1, "HANDLE_CLOSING of {handle}");
    }
}

#[test]
fn trace_json_reports_a_refused_connection_in_request_complete() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = inet(&[
        "ls",
        &format!("gopher://127.0.0.1:{port}/1/"),
        "--trace",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let complete = json_lines(&stderr(&out))
        .into_iter()
        .find(|n| n["status"] == "REQUEST_COMPLETE")
        .expect("REQUEST_COMPLETE");
    assert_eq!(complete["info"]["result"], 0);
    assert_eq!(complete["info"]["error"], 12029);
    assert_eq!(complete["info"]["name"], "ERROR_INTERNET_CANNOT_CONNECT");
}

// ----- --help -------------------------------------------------------------------------------------

#[test]
fn get_of_many_urls_runs_parallel_at_a_time_with_files_whole_and_stdout_in_order() {
    let dir = local_dir("get-parallel");
    let (bin, big, text) = (
        dir.join("bin.dat"),
        dir.join("rand.bin"),
        dir.join("hello.txt"),
    );
    let out = inet(&[
        "get",
        "--parallel",
        "2",
        &gopher().url("9/bin.dat"),
        "-o",
        path_str(&bin),
        &gopher().url("9/data/rand_1M.bin"),
        "-o",
        path_str(&big),
        &gopher().url("0/hello.txt"),
        "-o",
        path_str(&text),
        &gopher().url("0/dots.txt"),
        &gopher().url("0/hello.txt"),
    ]);
    assert_ok(&out);
    assert!(std::fs::read(&bin).unwrap() == on_disk("bin.dat"));
    assert!(std::fs::read(&big).unwrap() == on_disk("data/rand_1M.bin"));
    assert_eq!(std::fs::read(&text).unwrap(), crlf(&on_disk("hello.txt")));
    let mut expected = crlf(&on_disk("dots.txt"));
    expected.extend(crlf(&on_disk("hello.txt")));
    assert_eq!(out.stdout, expected, "dots.txt then hello.txt on stdout");
}

#[test]
fn cat_writes_gopher_items_and_menus_to_stdout_in_url_order() {
    let out = inet(&[
        "cat",
        &gopher().url("9/bin.dat"),
        &gopher().url("0/hello.txt"),
        "-q",
    ]);
    assert_ok(&out);
    let mut expected = on_disk("bin.dat");
    expected.extend(crlf(&on_disk("hello.txt")));
    assert!(
        out.stdout == expected,
        "bin.dat then hello.txt, byte for byte"
    );
    let out = inet(&["cat", &gopher().url("1/")]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Hello text\t/hello.txt\t"),
        "{}",
        stdout(&out)
    );
    let out = inet(&["cat", "gopher://127.0.0.1:1/0/x"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12029"), "{}", stderr(&out));
}

/// `socat` in front of gophernicus, speaking TLS with the harness's certificate for 127.0.0.1:
/// a gophers:// server. Killed on drop.
struct TlsFront {
    child: std::process::Child,
    port: u16,
}

impl TlsFront {
    fn start() -> TlsFront {
        let tls = servers::nginx()
            .ca_cert
            .parent()
            .expect("tls dir")
            .to_path_buf();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
            tls.join("server.crt").display(),
            tls.join("server.key").display()
        );
        let child = std::process::Command::new("socat")
            .args([&listen, &format!("TCP:127.0.0.1:{}", gopher().port)])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("socat runs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "socat is not listening"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        TlsFront { child, port }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn cat_reads_gophers_urls_over_tls_verified_as_https_is() {
    let front = TlsFront::start();
    let url = format!("gophers://127.0.0.1:{}/0/hello.txt", front.port);
    let ca = servers::nginx().ca_cert.clone();
    let out = inet(&["cat", &url, "--cacert", path_str(&ca), "-q"]);
    assert_ok(&out);
    assert_eq!(out.stdout, crlf(&on_disk("hello.txt")));
    let out = inet(&["cat", &url, "-q"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unknown CA: {}",
        stderr(&out)
    );
    assert!(error_line(&out).contains("12045"), "{}", stderr(&out));
    let out = inet(&["cat", &url, "--insecure", "-q"]);
    assert_ok(&out);
    assert_eq!(out.stdout, crlf(&on_disk("hello.txt")));
}

#[test]
fn get_and_ls_help_explain_gopher_urls_queries_and_errors() {
    for cmd in ["get", "ls"] {
        let out = inet(&[cmd, "--help"]);
        assert_ok(&out);
        let help = stdout(&out);
        for words in ["gopher://", "--query", "12003", "--raw"] {
            assert!(
                help.contains(words),
                "inet {cmd} --help lacks {words:?}:\n{help}"
            );
        }
    }
    let help = stdout(&inet(&["ls", "--help"]));
    assert!(
        help.contains("inet ls gopher://127.0.0.1:7070/1/data"),
        "{help}"
    );
}
