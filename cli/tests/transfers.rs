//! `inet cat` over every scheme, and the flags every transfer command shares (`--parallel`,
//! `--header`, `--user` from `~/.netrc`, `--quiet`, progress), run as a user would against the
//! harness's nginx, proftpd and gophernicus on 127.0.0.1; and every command's `--help`.

use std::path::Path;
use std::process::{Command, Stdio};

use inet_tests::servers;

mod common;
use common::{assert_ok, error_line, home_with_netrc, inet, inet_env, stderr, stdout};

fn local_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("inet-cli-transfers-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("local dir");
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

// ----- cat ----------------------------------------------------------------------------------------

#[test]
fn cat_writes_http_and_https_bodies_to_stdout_in_url_order() {
    let nginx = servers::nginx();
    let text = std::fs::read_to_string(nginx.docroot.join("text.txt")).expect("text.txt");
    let out = inet(&[
        "cat",
        &nginx.http_url("/text.txt"),
        &nginx.https_url("/hello.txt"),
        &nginx.http_url("/hello.txt"),
        "--cacert",
        path_str(&nginx.ca_cert),
    ]);
    assert_ok(&out);
    assert_eq!(
        stdout(&out),
        format!("{text}Hello, world!\nHello, world!\n")
    );
}

#[test]
fn cat_of_https_without_the_ca_fails_naming_12045_and_insecure_accepts_it() {
    let nginx = servers::nginx();
    let out = inet(&["cat", &nginx.https_url("/hello.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.starts_with(&format!("inet: cat {}: ", nginx.https_url("/hello.txt")))
            && line.contains("12045"),
        "{line}"
    );
    let out = inet(&["cat", &nginx.https_url("/hello.txt"), "--insecure"]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Hello, world!\n");
}

#[test]
fn cat_mixes_http_ftp_and_gopher_urls_in_one_run() {
    let (nginx, ftp, gopher) = (servers::nginx(), servers::ftp(), servers::gopher());
    let out = inet(&[
        "cat",
        &gopher.url("0/hello.txt"),
        &nginx.http_url("/hello.txt"),
        &ftp.url("/data/hello.txt"),
    ]);
    assert_ok(&out);
    let gopher_text = std::fs::read_to_string(gopher.root.join("hello.txt")).expect("item");
    assert_eq!(
        stdout(&out).replace("\r\n", "\n"),
        format!("{gopher_text}Hello, world!\nHello, world!\n")
    );
}

#[test]
fn cat_writes_an_http_error_body_unless_fail_then_exits_22() {
    let nginx = servers::nginx();
    let missing = nginx.http_url("/no/such/file");
    let out = inet(&["cat", &missing]);
    assert_ok(&out);
    assert!(stdout(&out).contains("404 Not Found"), "{}", stdout(&out));
    let out = inet(&["cat", &nginx.http_url("/hello.txt"), &missing, "--fail"]);
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Hello, world!\n", "no body for the 404");
    assert!(error_line(&out).contains("404"), "{}", stderr(&out));
}

#[test]
fn cat_goes_on_after_a_failed_url_and_exits_with_its_status() {
    let nginx = servers::nginx();
    let out = inet(&["cat", "http://127.0.0.1:1/", &nginx.http_url("/hello.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Hello, world!\n");
    assert!(error_line(&out).contains("12029"), "{}", stderr(&out));
    let out = inet(&["cat", "wais://example.test/"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12006"), "{}", stderr(&out));
}

#[test]
fn cat_trace_json_ends_with_the_sessions_handle_closing() {
    let nginx = servers::nginx();
    let out = inet(&["cat", &nginx.http_url("/hello.txt"), "--trace", "json"]);
    assert_ok(&out);
    let lines: Vec<serde_json::Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON trace line"))
        .collect();
    let last = lines.last().expect("a trace");
    assert_eq!(
        (&last["status"], &last["kind"]),
        (&"HANDLE_CLOSING".into(), &"session".into())
    );
    assert!(lines
        .iter()
        .any(|l| l["status"] == "REQUEST_COMPLETE" && l["context"] == 1));
}

// ----- --parallel against nginx -------------------------------------------------------------------

#[test]
fn get_of_20_urls_with_parallel_2_writes_all_20_files() {
    let nginx = servers::nginx();
    let dir = local_dir("parallel-files");
    let files: Vec<String> = (0..20)
        .map(|i| path_str(&dir.join(format!("f{i}.txt"))).to_string())
        .collect();
    let url = nginx.http_url("/text.txt");
    let mut args = vec!["get", "--parallel", "2"];
    for f in &files {
        args.extend([url.as_str(), "-o", f.as_str()]);
    }
    let out = inet(&args);
    assert_ok(&out);
    let text = std::fs::read(nginx.docroot.join("text.txt")).expect("text.txt");
    for f in &files {
        assert_eq!(std::fs::read(f).expect("written"), text, "{f}");
    }
}

#[test]
fn cat_of_20_urls_with_parallel_2_writes_all_20_bodies() {
    let nginx = servers::nginx();
    let url = nginx.http_url("/hello.txt");
    let mut args = vec!["cat", "--parallel", "2"];
    args.extend(std::iter::repeat_n(url.as_str(), 20));
    let out = inet(&args);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Hello, world!\n".repeat(20));
}

// ----- -O and --continue over HTTP --------------------------------------------------------------

#[test]
fn remote_name_saves_http_urls_under_their_last_path_segment() {
    let nginx = servers::nginx();
    let dir = local_dir("remote-name");
    let out = common::inet_in(
        &dir,
        &[
            "get",
            "-O",
            &nginx.http_url("/data/name%20with%20spaces.txt"),
            &nginx.http_url("/hello.txt?x=1"),
        ],
    );
    assert_ok(&out);
    let spaces = std::fs::read(nginx.docroot.join("data/name with spaces.txt")).expect("source");
    assert_eq!(
        std::fs::read(dir.join("name with spaces.txt")).expect("saved"),
        spaces
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("hello.txt")).expect("saved"),
        "Hello, world!\n"
    );
    // A directory URL names no file.
    let out = common::inet_in(&dir, &["get", "-O", &nginx.http_url("/data/")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("-O needs a URL that ends in a file name"));
}

#[test]
fn continue_asks_http_for_the_rest_of_a_partial_file_and_appends_it() {
    let nginx = servers::nginx();
    let whole = std::fs::read(nginx.docroot.join("data/rand_1M.bin")).expect("rand_1M.bin");
    let dir = local_dir("continue-http");
    let part = dir.join("rand_1M.bin");
    // What an interrupted download left: the first 300,001 bytes.
    std::fs::write(&part, &whole[..300_001]).expect("partial file");
    let url = nginx.http_url("/data/rand_1M.bin");
    let out = inet(&[
        "get",
        &url,
        "-o",
        path_str(&part),
        "--continue",
        "--trace",
        "text",
    ]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(&part).expect("resumed"),
        whole,
        "not byte for byte"
    );
    // Only the rest crossed the wire: nginx answered the range with 206.
    let log = std::fs::read_to_string(nginx.state_dir.join("logs/access.log")).expect("access log");
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("/data/rand_1M.bin"))
        .expect("logged");
    assert!(line.contains(" 206 "), "{line}");

    // Complete already: the server's 416 means there is nothing to add, and nothing changes.
    let out = common::inet_in(&dir, &["get", "-O", &url, "--continue"]);
    assert_ok(&out);
    assert_eq!(std::fs::read(&part).expect("unchanged"), whole);

    // No file yet: a whole download.
    std::fs::remove_file(&part).expect("remove");
    let out = common::inet_in(&dir, &["get", "-O", &url, "--continue"]);
    assert_ok(&out);
    assert_eq!(std::fs::read(&part).expect("whole"), whole);

    // To stdout there is nothing to resume into.
    let out = inet(&["get", &url, "--continue"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("--continue needs an output file"));
}

// ----- get over several protocols at once ------------------------------------------------------

#[test]
fn get_takes_http_ftp_and_gopher_urls_in_one_run_into_files_and_stdout() {
    let (nginx, ftp, gopher) = (servers::nginx(), servers::ftp(), servers::gopher());
    let dir = local_dir("get-mixed");
    let text = std::fs::read_to_string(nginx.docroot.join("text.txt")).expect("text.txt");
    let ftp_hello = ftp.url("/data/hello.txt");
    let gopher_item = gopher.url("0/hello.txt");
    let expected_gopher = inet(&["cat", &gopher_item]);
    assert_ok(&expected_gopher);
    let out = common::inet_in(
        &dir,
        &[
            "get",
            &nginx.http_url("/text.txt"),
            "-o",
            "from-http.txt",
            &ftp_hello,
            &gopher_item,
            "--parallel",
            "2",
        ],
    );
    assert_ok(&out);
    assert_eq!(
        std::fs::read_to_string(dir.join("from-http.txt")).expect("http file"),
        text
    );
    // Without -o, the other two come to stdout whole and in URL order.
    assert_eq!(
        stdout(&out),
        format!("Hello, world!\n{}", stdout(&expected_gopher))
    );
    // -O names each after its URL.
    let out = common::inet_in(
        &dir,
        &["get", "-O", &ftp_hello, &nginx.http_url("/index.html")],
    );
    assert_ok(&out);
    assert_eq!(
        std::fs::read_to_string(dir.join("hello.txt")).expect("ftp file"),
        "Hello, world!\n"
    );
    assert!(dir.join("index.html").is_file());
}

// ----- put over HTTP ------------------------------------------------------------------------------

#[test]
fn put_uploads_a_file_with_an_http_put_byte_for_byte_and_a_refusal_exits_22() {
    let nginx = servers::nginx();
    let dir = local_dir("put-http");
    // 3 MiB and a bit: several 256 KiB writes, the last one short.
    let body: Vec<u8> = (0..3 * 1024 * 1024 + 777u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let file = dir.join("put-http.bin");
    std::fs::write(&file, &body).expect("local file");
    let name = format!("cli-put-{}.bin", std::process::id());
    for (url, extra) in [
        (nginx.http_url(&format!("/upload/{name}")), vec![]),
        // A directory URL: the file's name is appended.
        (
            nginx.https_url("/upload/https/"),
            vec!["--cacert", path_str(&nginx.ca_cert)],
        ),
    ] {
        let mut args = vec!["put", path_str(&file), url.as_str(), "--quiet"];
        args.extend(extra);
        let out = inet(&args);
        assert_ok(&out);
    }
    let stored = |p: &str| std::fs::read(nginx.docroot.join(p)).expect("stored on the server");
    assert_eq!(stored(&format!("upload/{name}")), body);
    assert_eq!(stored("upload/https/put-http.bin"), body);
    let _ = std::fs::remove_file(nginx.docroot.join(format!("upload/{name}")));

    // Outside /upload/ nginx takes no PUT (405 for a small body; 413 past its 1 MiB default):
    // exit 22 naming the status.
    let small = dir.join("small.txt");
    std::fs::write(&small, b"not here").expect("small file");
    let out = inet(&["put", path_str(&small), &nginx.http_url("/hello.txt")]);
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));
    assert!(
        error_line(&out).contains("the server answered 405"),
        "{}",
        error_line(&out)
    );
    // FTP's resume has no HTTP counterpart.
    let out = inet(&[
        "put",
        path_str(&file),
        &nginx.http_url("/upload/x"),
        "--continue",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

// ----- --header -----------------------------------------------------------------------------------

#[test]
fn header_is_sent_by_get_cat_and_info() {
    let nginx = servers::nginx();
    let url = nginx.http_url("/hello.txt");
    for cmd in ["get", "cat"] {
        let out = inet(&[cmd, &url, "-H", "Range: bytes=0-4"]);
        assert_ok(&out);
        assert_eq!(stdout(&out), "Hello", "{cmd}");
    }
    let out = inet(&["info", &url, "--header", "Range: bytes=0-4", "--json"]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("JSON");
    assert_eq!(v["status"], "206 Partial Content", "{v}");
}

#[test]
fn header_is_ignored_for_ftp_and_gopher_urls_as_curl_does() {
    let (ftp, gopher) = (servers::ftp(), servers::gopher());
    for args in [
        vec!["get", &ftp.url("/data/hello.txt")],
        vec!["cat", &ftp.url("/data/hello.txt")],
        vec!["get", &gopher.url("0/hello.txt")],
        vec!["cat", &gopher.url("0/hello.txt")],
        vec!["info", &ftp.url("/data/hello.txt")],
    ] {
        let mut args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
        args.extend(["-H", "Range: bytes=0-4"]);
        let out = inet(&args);
        assert_ok(&out);
        assert!(stdout(&out).len() > 5, "{args:?}: the whole item");
    }
}

// ----- --user from ~/.netrc -----------------------------------------------------------------------

#[test]
fn netrc_supplies_http_basic_credentials_to_get_cat_and_info() {
    let nginx = servers::nginx();
    let url = nginx.http_url("/basic/secret.txt");
    let netrc = format!(
        "machine other.example login x password y\n\nmachine 127.0.0.1\n  login {}\n  password {}\n",
        nginx.basic_user, nginx.basic_password
    );
    let home = home_with_netrc("http", &netrc);
    for cmd in ["get", "cat"] {
        let out = inet_env(&[cmd, &url, "--fail"], &[("HOME", &home)]);
        assert_ok(&out);
        assert_eq!(stdout(&out), "secret\n", "{cmd}");
    }
    let out = inet_env(&["info", &url, "--json"], &[("HOME", &home)]);
    assert_ok(&out);
    assert!(stdout(&out).contains("\"200 OK\""), "{}", stdout(&out));

    // Without an entry: 401. --user wins over the entry.
    let empty = home_with_netrc("http-none", "machine other.example login x password y\n");
    let out = inet_env(&["cat", &url, "--fail"], &[("HOME", &empty)]);
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));
    let out = inet_env(
        &["cat", &url, "--fail", "-u", "user:wrong"],
        &[("HOME", &home)],
    );
    assert_eq!(out.status.code(), Some(22), "{}", stderr(&out));
}

#[test]
fn netrc_env_names_the_file_and_default_matches_every_host() {
    let nginx = servers::nginx();
    let url = nginx.http_url("/basic/secret.txt");
    let dir = local_dir("netrc-env");
    let file = dir.join("credentials");
    let text = format!(
        "default login {} password {}\n",
        nginx.basic_user, nginx.basic_password
    );
    std::fs::write(&file, text).expect("write");
    let empty_home = home_with_netrc("netrc-env-home", "");
    let out = inet_env(
        &["cat", &url, "--fail"],
        &[("HOME", &empty_home), ("NETRC", &file)],
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), "secret\n");
}

#[test]
fn netrc_logs_in_to_ftp() {
    let ftp = servers::ftp();
    let netrc = format!(
        "machine 127.0.0.1 login {} password {}\n",
        ftp.user, ftp.password
    );
    let home = home_with_netrc("ftp", &netrc);
    // Anonymous may not make directories; the local user may.
    let dir = ftp.root.join("cli-netrc");
    let _ = std::fs::remove_dir_all(&dir);
    let out = inet_env(&["mkdir", &ftp.url("/cli-netrc")], &[("HOME", &home)]);
    assert_ok(&out);
    assert!(dir.is_dir(), "the user's login made the directory");
    let out = inet_env(&["rmdir", &ftp.url("/cli-netrc")], &[("HOME", &home)]);
    assert_ok(&out);
    assert!(!dir.exists());
    let none = home_with_netrc("ftp-none", "");
    let out = inet_env(&["mkdir", &ftp.url("/cli-netrc")], &[("HOME", &none)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "anonymous may not: {}",
        stderr(&out)
    );
    // And cat reads through the same login.
    let out = inet_env(&["cat", &ftp.url("/data/hello.txt")], &[("HOME", &home)]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Hello, world!\n");
}

// ----- progress and --quiet -----------------------------------------------------------------------

#[test]
fn off_a_terminal_progress_is_plain_lines_and_quiet_silences_them() {
    let nginx = servers::nginx();
    let dir = local_dir("quiet");
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    let url = nginx.http_url("/text.txt");
    let args = ["get", &url, "-o", path_str(&a), &url, "-o", path_str(&b)];
    let out = inet(&args);
    assert_ok(&out);
    let err = stderr(&out);
    for name in [&a, &b] {
        assert!(
            err.contains(&format!("{}: done ", name.display())),
            "a line per file:\n{err}"
        );
    }
    assert!(err.contains("total: 2 files"), "{err}");
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let out = inet(&quiet);
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
    // cat: a line per URL on stderr when stdout is no terminal; -q none.
    let out = inet(&["cat", &url]);
    assert!(
        stderr(&out).contains(&format!("{url}: done ")),
        "{}",
        stderr(&out)
    );
    let out = inet(&["cat", &url, "-q"]);
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
}

#[test]
fn put_and_ftp_get_take_quiet_too() {
    let ftp = servers::ftp();
    let dir = local_dir("ftp-quiet");
    let file = dir.join("hello.txt");
    let src = ftp.url("/data/hello.txt");
    for (quiet, expect_line) in [(false, true), (true, false)] {
        let mut args = vec!["get", &src, "-o", path_str(&file)];
        let url = ftp.user_url("/cli-quiet-put.txt");
        let mut put = vec!["put", path_str(&file), &url];
        if quiet {
            args.push("-q");
            put.push("--quiet");
        }
        let out = inet(&args);
        assert_ok(&out);
        assert_eq!(
            stderr(&out).contains(": done "),
            expect_line,
            "get: {}",
            stderr(&out)
        );
        let out = inet(&put);
        assert_ok(&out);
        assert_eq!(
            stderr(&out).contains(": done "),
            expect_line,
            "put: {}",
            stderr(&out)
        );
    }
}

#[test]
fn on_a_terminal_each_file_has_a_bar_and_a_total_bar_with_rate_and_eta() {
    let nginx = servers::nginx();
    let dir = local_dir("terminal");
    let (a, b) = (dir.join("a.txt"), dir.join("b.txt"));
    let url = nginx.http_url("/hello.txt");
    // `script` runs inet with a terminal as its stdout and stderr.
    let line = format!(
        "{} get {url} -o {} {url} -o {}",
        env!("CARGO_BIN_EXE_inet"),
        a.display(),
        b.display()
    );
    let out = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let screen = String::from_utf8_lossy(&out.stdout);
    for words in ["total (2 files)", "ETA", "/s", "a.txt", "b.txt"] {
        assert!(
            screen.contains(words),
            "{words:?} on the terminal:\n{screen}"
        );
    }
    assert!(!screen.contains(": done "), "bars, not lines:\n{screen}");
    assert_eq!(std::fs::read_to_string(&b).expect("b"), "Hello, world!\n");
}

// ----- --help -------------------------------------------------------------------------------------

#[test]
fn every_subcommand_has_examples_and_the_top_level_help_lists_the_exit_statuses() {
    for cmd in [
        "get", "cat", "put", "ls", "info", "mkdir", "rmdir", "rm", "mv", "demo",
    ] {
        let out = inet(&[cmd, "--help"]);
        assert_ok(&out);
        let help = stdout(&out);
        assert!(help.contains("Examples:"), "inet {cmd} --help:\n{help}");
        assert!(
            help.contains(&format!("inet {cmd}")),
            "inet {cmd} --help:\n{help}"
        );
    }
    let out = inet(&["--help"]);
    assert_ok(&out);
    let help = stdout(&out);
    for code in ["0 ", "1 ", "2 ", "22 ", "23 ", "130 "] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(code)),
            "exit status {code}in inet --help:\n{help}"
        );
    }
    assert!(help.contains("Exit status"), "{help}");
    for cmd in ["cat", "--parallel", "netrc"] {
        let help = stdout(&inet(&["cat", "--help"]));
        assert!(help.contains(cmd), "{cmd} in inet cat --help:\n{help}");
    }
}
