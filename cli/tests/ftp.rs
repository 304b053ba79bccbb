//! The `inet` binary's FTP commands, run as a user would, against the harness's proftpd on
//! 127.0.0.1 (`inet_tests::servers::ftp()`): effects checked on the server's disk.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use inet_tests::servers::{self, Ftp};
use serde_json::Value;

mod common;
use common::{assert_ok, error_line, inet, inet_in, stderr, stdout};

fn ftp() -> &'static Ftp {
    servers::ftp()
}

/// A fresh directory `/cli-NAME` on the server, owned by the FTP user (as the root is), so that
/// its login may write there. Returns its path on disk.
fn workdir(name: &str) -> PathBuf {
    let root = &ftp().root;
    let dir = root.join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the work dir");
    let owner = std::fs::metadata(root).expect("the FTP root");
    std::os::unix::fs::chown(&dir, Some(owner.uid()), Some(owner.gid())).expect("chown");
    dir
}

/// A fresh local directory for this test's files.
fn local_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("inet-cli-ftp-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("local dir");
    dir
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(ftp().root.join("data").join(name)).expect("a harness data file")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

// ----- get ----------------------------------------------------------------------------------------

#[test]
fn get_writes_the_remote_file_byte_for_byte() {
    let local = local_dir("get-1m").join("rand.bin");
    let out = inet(&[
        "get",
        &ftp().url("/data/rand_1M.bin"),
        "-o",
        path_str(&local),
    ]);
    assert_ok(&out);
    assert_eq!(std::fs::read(&local).unwrap(), data("rand_1M.bin"));
    assert_eq!(stdout(&out), "");
}

#[test]
fn get_without_output_writes_the_file_to_stdout() {
    let out = inet(&["get", &ftp().url("/data/hello.txt")]);
    assert_ok(&out);
    assert_eq!(out.stdout, data("hello.txt"));
}

#[test]
fn get_remote_name_saves_the_file_under_the_urls_last_name() {
    let dir = local_dir("get-O");
    let out = inet_in(&dir, &["get", &ftp().url("/data/tree/top.txt"), "-O"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(dir.join("top.txt")).unwrap(),
        data("tree/top.txt")
    );
}

#[test]
fn get_ascii_turns_crlf_line_ends_into_lf() {
    let out = inet(&["get", &ftp().url("/data/crlf.txt"), "--ascii"]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "line 1\nline 2\nline 3\n");
    let out = inet(&["get", &ftp().url("/data/crlf.txt")]);
    assert_eq!(stdout(&out), "line 1\r\nline 2\r\nline 3\r\n");
}

#[test]
fn get_continue_resumes_after_the_bytes_of_a_partial_file() {
    let remote = data("tree/a/b/c/blob.bin");
    let local = local_dir("get-continue").join("blob.bin");
    // Bytes that differ from the server's: only a download that starts at 1000 keeps them.
    std::fs::write(&local, [b'X'; 1000]).unwrap();
    let url = ftp().url("/data/tree/a/b/c/blob.bin");
    let out = inet(&["get", &url, "-o", path_str(&local), "--continue"]);
    assert_ok(&out);
    let got = std::fs::read(&local).unwrap();
    assert_eq!(got.len(), remote.len());
    assert_eq!(&got[..1000], &[b'X'; 1000][..]);
    assert_eq!(&got[1000..], &remote[1000..]);
    // Complete already: nothing to do, and nothing changes.
    let out = inet(&["get", &url, "-o", path_str(&local), "--continue"]);
    assert_ok(&out);
    assert_eq!(std::fs::read(&local).unwrap(), got);
}

#[test]
fn get_to_a_file_that_cannot_be_created_exits_23() {
    let local = local_dir("get-unwritable").join("no-such-dir/x.txt");
    let out = inet(&["get", &ftp().url("/data/hello.txt"), "-o", path_str(&local)]);
    assert_eq!(out.status.code(), Some(23), "{}", stderr(&out));
    assert!(error_line(&out).contains("no-such-dir/x.txt"));
}

#[test]
fn get_continue_needs_an_output_file() {
    let out = inet(&["get", &ftp().url("/data/hello.txt"), "--continue"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("--continue needs an output file"));
}

#[test]
fn get_in_active_mode_works_too() {
    let out = inet(&["get", &ftp().url("/data/hello.txt"), "--active"]);
    assert_ok(&out);
    assert_eq!(out.stdout, data("hello.txt"));
}

#[test]
fn get_with_no_pipelining_works_too() {
    // Two files on one connection: the second would be pipelined without the flag.
    let out = inet(&[
        "get",
        "--no-pipelining",
        "--parallel",
        "1",
        &ftp().url("/data/hello.txt"),
        &ftp().url("/data/hello.txt"),
    ]);
    assert_ok(&out);
    assert_eq!(out.stdout, [data("hello.txt"), data("hello.txt")].concat());
}

#[test]
fn a_missing_file_exits_1_naming_550_and_12003_and_creates_no_file() {
    let local = local_dir("get-missing").join("nope.txt");
    let url = ftp().url("/data/no-such-file.txt");
    let out = inet(&["get", &url, "-o", path_str(&local)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(line.starts_with(&format!("inet: get {url}: ")), "{line}");
    assert!(line.contains("550"), "{line}");
    assert!(
        line.ends_with("(ERROR_INTERNET_EXTENDED_ERROR 12003)"),
        "{line}"
    );
    assert!(!local.exists());
}

#[test]
fn a_bad_login_exits_1_with_one_line_naming_12015_without_the_password() {
    let url = format!(
        "ftp://{}:wrong-secret@127.0.0.1:{}/",
        ftp().user,
        ftp().port
    );
    let out = inet(&["ls", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(line.contains("530"), "{line}");
    assert!(
        line.ends_with("(ERROR_INTERNET_LOGIN_FAILURE 12015)"),
        "{line}"
    );
    assert!(!stderr(&out).contains("wrong-secret"), "{}", stderr(&out));
}

#[test]
fn user_overrides_the_urls_credentials() {
    let url = format!("ftp://nobody:wrong@127.0.0.1:{}/data/", ftp().port);
    let user = format!("{}:{}", ftp().user, ftp().password);
    let out = inet(&["ls", &url, "--user", &user]);
    assert_ok(&out);
    assert!(stdout(&out).contains("rand_1M.bin"));
}

#[test]
fn bad_urls_exit_1_naming_12005_or_12006() {
    let out = inet(&["ls", &format!("ftp://127.0.0.1:{}/x?y", ftp().port)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("(ERROR_INTERNET_INVALID_URL 12005)"));
    let out = inet(&["mkdir", "gopher://127.0.0.1/x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(error_line(&out).contains("(ERROR_INTERNET_UNRECOGNIZED_SCHEME 12006)"));
}

#[test]
fn one_protocols_flags_with_mixed_urls_or_http_only_flags_with_ftp_are_usage_errors() {
    let ftp_url = ftp().url("/data/hello.txt");
    // Mixed protocols run together (`transfers.rs`), but not with one protocol's own flags.
    let out = inet(&["get", &ftp_url, "http://127.0.0.1:1/", "--continue", "-O"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("--continue needs URLs of one protocol"));
    let out = inet(&["get", &ftp_url, "--fail"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("--fail is for http:// URLs only"));
    let out = inet(&["get", "http://127.0.0.1:1/", "--active"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(error_line(&out).contains("--active, --ascii and --no-pipelining are for ftp:// URLs"));
}

// ----- --max-time and --speed-limit (a scripted server that stalls) -----------------------------

/// A fake FTP server that logs the client in and then stalls: at once (no answer to the next
/// command), or with `stall_data`, after sending 10 bytes of a download's data.
fn stalling_ftp(stall_data: bool) -> inet_tests::ftp_fault::FakeFtp {
    use inet_tests::ftp_fault::{FakeFtp, FtpPeer};
    use std::io::Write;
    FakeFtp::start(move |f| {
        f.login()?;
        if !stall_data {
            f.hold();
            return Ok(());
        }
        let mut listener = None;
        loop {
            let line = f.command()?;
            let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "TYPE" => f.reply("200 type set")?,
                "SIZE" => f.reply("213 100000")?,
                "EPSV" => {
                    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
                    let port = l.local_addr()?.port();
                    f.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"))?;
                    listener = Some(l);
                }
                "RETR" => {
                    let l = listener
                        .take()
                        .ok_or_else(|| std::io::Error::other("no EPSV"))?;
                    let mut data = FtpPeer::accept(&l)?;
                    f.reply("150 here it comes (100000 bytes)")?;
                    data.write_all(&[1u8; 10])?;
                    f.hold();
                    return Ok(());
                }
                "QUIT" => return f.reply("221 bye"),
                _ => f.reply("502 not here")?,
            }
        }
    })
    .expect("fake FTP server")
}

#[test]
fn max_time_ends_an_ftp_command_the_server_stalls_with_12002() {
    let server = stalling_ftp(false);
    let url = format!("ftp://127.0.0.1:{}/dir/", server.port());
    let out = inet(&["ls", &url, "--max-time", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.contains("--max-time 0.5") && line.contains("12002"),
        "{line}"
    );
    // `get` of an ftp:// URL takes it too (it was refused as HTTP's before).
    let dir = local_dir("max-time");
    let file = dir.join("f");
    let url = format!("ftp://127.0.0.1:{}/f", server.port());
    let out = inet(&["get", &url, "-o", path_str(&file), "--max-time", "0.5"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12002"), "{}", error_line(&out));
}

#[test]
fn speed_limit_fails_a_stalled_ftp_download_with_12002() {
    let server = stalling_ftp(true);
    let dir = local_dir("speed-limit");
    let file = dir.join("f");
    let url = format!("ftp://127.0.0.1:{}/f", server.port());
    let out = inet(&[
        "get",
        &url,
        "-o",
        path_str(&file),
        "--speed-limit",
        "1000",
        "--speed-time",
        "0.5",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(line.contains("12002"), "{line}");
    // Not the max-time path: the low-speed limit of the session's connections did it.
    assert!(!line.contains("--max-time"), "{line}");
}

// ----- --trace ------------------------------------------------------------------------------------

#[test]
fn trace_json_of_an_ftp_get_starts_with_handle_created_and_ends_with_handle_closing() {
    let out = inet(&["get", &ftp().url("/data/hello.txt"), "--trace", "json"]);
    assert_ok(&out);
    let trace: Vec<Value> = stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
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
    let completes: Vec<&Value> = trace
        .iter()
        .filter(|n| n["status"] == "REQUEST_COMPLETE")
        .collect();
    assert!(
        completes.len() >= 2,
        "login, open, reads, finish: {completes:#?}"
    );
    for c in &completes {
        assert_eq!((&c["code"], &c["info"]["result"]), (&100.into(), &1.into()));
    }
    assert!(trace.iter().any(|n| n["status"] == "CONNECTED_TO_SERVER"));
    let last = trace.last().expect("a trace");
    assert_eq!(
        (&last["kind"], &last["status"], &last["code"]),
        (&"session".into(), &"HANDLE_CLOSING".into(), &70.into())
    );
    let closings = trace
        .iter()
        .filter(|n| n["status"] == "HANDLE_CLOSING" && n["handle"] == first["handle"])
        .count();
    assert_eq!(closings, 1);
}

#[test]
fn trace_json_reports_a_refused_login_in_request_complete() {
    let url = format!("ftp://{}:wrong@127.0.0.1:{}/", ftp().user, ftp().port);
    let out = inet(&["ls", &url, "--trace", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let complete: Value = stderr(&out)
        .lines()
        .filter(|l| !l.starts_with("inet: "))
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .find(|n| n["status"] == "REQUEST_COMPLETE")
        .expect("REQUEST_COMPLETE");
    assert_eq!(complete["info"]["result"], 0);
    assert_eq!(complete["info"]["error"], 12015);
    assert_eq!(complete["info"]["name"], "ERROR_INTERNET_LOGIN_FAILURE");
}

// ----- put ----------------------------------------------------------------------------------------

#[test]
fn put_to_a_directory_url_uploads_under_the_local_name() {
    let dir = workdir("put");
    let local = local_dir("put").join("upload me.bin");
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&local, &bytes).unwrap();
    let out = inet(&["put", path_str(&local), &ftp().user_url("/cli-put/")]);
    assert_ok(&out);
    assert_eq!(std::fs::read(dir.join("upload me.bin")).unwrap(), bytes);
    // A full name: that name.
    let out = inet(&[
        "put",
        path_str(&local),
        &ftp().user_url("/cli-put/other.bin"),
    ]);
    assert_ok(&out);
    assert_eq!(std::fs::read(dir.join("other.bin")).unwrap(), bytes);
}

#[test]
fn put_continue_appends_only_what_the_server_lacks() {
    let dir = workdir("put-continue");
    let local_dir = local_dir("put-continue");
    let prefix = local_dir.join("prefix.bin");
    let full = local_dir.join("full.bin");
    // The server's part differs from the local file's start: only an append keeps it.
    std::fs::write(&prefix, [b'X'; 3000]).unwrap();
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&full, &bytes).unwrap();
    let url = ftp().user_url("/cli-put-continue/f.bin");
    assert_ok(&inet(&["put", path_str(&prefix), &url]));
    let out = inet(&["put", path_str(&full), &url, "--continue"]);
    assert_ok(&out);
    let on_server = std::fs::read(dir.join("f.bin")).unwrap();
    assert_eq!(on_server.len(), 10_000);
    assert_eq!(&on_server[..3000], &[b'X'; 3000][..]);
    assert_eq!(&on_server[3000..], &bytes[3000..]);
}

#[test]
fn put_of_a_missing_local_file_exits_1_naming_error_file_not_found() {
    let missing = local_dir("put-missing").join("not-here.bin");
    let out = inet(&["put", path_str(&missing), &ftp().user_url("/")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).ends_with("(ERROR_FILE_NOT_FOUND 2)"));
}

// ----- ls -----------------------------------------------------------------------------------------

#[test]
fn ls_prints_a_table_of_kind_size_modified_and_name() {
    let out = inet(&["ls", &ftp().url("/data/")]);
    assert_ok(&out);
    let table = stdout(&out);
    let row = |name: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.ends_with(&format!("  {name}")))
            .unwrap_or_else(|| panic!("no {name} row:\n{table}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let file = row("rand_1M.bin");
    assert_eq!((file[0].as_str(), file[1].as_str()), ("file", "1048576"));
    assert_eq!(row("tree")[0], "dir");
    assert_eq!(row("hello.txt")[1], data("hello.txt").len().to_string());
}

#[test]
fn ls_json_is_an_array_of_entries_with_name_size_kind_and_modified() {
    let out = inet(&["ls", &ftp().url("/data/"), "--json"]);
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
    assert_eq!(rand["size"], 1048576);
    assert_eq!(rand["kind"], "file");
    let modified = rand["modified"].as_str().expect("a modification time");
    assert_eq!(modified.len(), "2024-01-15T15:04:05".len(), "{modified}");
    assert_eq!(&modified[10..11], "T");
    assert_eq!(item("tree")["kind"], "dir");
    assert!(items.iter().all(|i| i.get("raw").is_none()));
    assert!(items.len() >= 10, "{items:#?}");
}

#[test]
fn ls_of_an_empty_directory_prints_nothing_and_succeeds() {
    let out = inet(&["ls", &ftp().url("/data/tree/empty/")]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "");
    let out = inet(&["ls", &ftp().url("/data/tree/empty/"), "--json"]);
    assert_ok(&out);
    assert_eq!(stdout(&out).trim(), "[]");
}

#[test]
fn ls_with_a_pattern_lists_the_names_it_matches() {
    let out = inet(&["ls", &ftp().url("/data/tree/many/f00*.txt"), "--json"]);
    assert_ok(&out);
    let v: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let mut names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "f001.txt", "f002.txt", "f003.txt", "f004.txt", "f005.txt", "f006.txt", "f007.txt",
            "f008.txt", "f009.txt"
        ]
    );
}

// ----- mkdir, rmdir, rm, mv ----------------------------------------------------------------------

#[test]
fn mkdir_and_rmdir_create_and_remove_a_directory() {
    let dir = workdir("mkdir");
    let out = inet(&["mkdir", &ftp().user_url("/cli-mkdir/new dir")]);
    assert_ok(&out);
    assert!(dir.join("new dir").is_dir());
    let out = inet(&["rmdir", &ftp().user_url("/cli-mkdir/new%20dir/")]);
    assert_ok(&out);
    assert!(!dir.join("new dir").exists());
}

#[test]
fn rmdir_of_a_missing_directory_exits_1_with_the_servers_550() {
    workdir("rmdir-missing");
    let out = inet(&["rmdir", &ftp().user_url("/cli-rmdir-missing/nope")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(line.contains("550") && line.contains("12003"), "{line}");
}

#[test]
fn rm_deletes_a_file() {
    let dir = workdir("rm");
    let local = local_dir("rm").join("gone.txt");
    std::fs::write(&local, "bye\n").unwrap();
    assert_ok(&inet(&[
        "put",
        path_str(&local),
        &ftp().user_url("/cli-rm/"),
    ]));
    assert!(dir.join("gone.txt").is_file());
    let out = inet(&["rm", &ftp().user_url("/cli-rm/gone.txt")]);
    assert_ok(&out);
    assert!(!dir.join("gone.txt").exists());
}

#[test]
fn anonymous_users_may_not_delete() {
    let out = inet(&["rm", &ftp().url("/data/hello.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12003"));
    assert!(ftp().root.join("data/hello.txt").is_file());
}

#[test]
fn mv_renames_in_the_same_directory_or_to_an_absolute_path() {
    let dir = workdir("mv");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let owner = std::fs::metadata(&dir).unwrap();
    std::os::unix::fs::chown(dir.join("sub"), Some(owner.uid()), Some(owner.gid())).unwrap();
    let local = local_dir("mv").join("a.txt");
    std::fs::write(&local, "moving\n").unwrap();
    assert_ok(&inet(&[
        "put",
        path_str(&local),
        &ftp().user_url("/cli-mv/"),
    ]));
    let out = inet(&["mv", &ftp().user_url("/cli-mv/a.txt"), "b.txt"]);
    assert_ok(&out);
    assert!(!dir.join("a.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("b.txt")).unwrap(),
        "moving\n"
    );
    let out = inet(&["mv", &ftp().user_url("/cli-mv/b.txt"), "/cli-mv/sub/c.txt"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/c.txt")).unwrap(),
        "moving\n"
    );
}

#[test]
fn get_of_many_urls_runs_parallel_at_a_time_with_files_whole_and_stdout_in_order() {
    let dir = local_dir("get-parallel");
    let names = [
        "hello.txt",
        "rand_1M.bin",
        "lines.txt",
        "utf8.txt",
        "crlf.txt",
        "empty.txt",
    ];
    let urls: Vec<String> = names
        .iter()
        .map(|n| ftp().url(&format!("/data/{n}")))
        .collect();
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let mut args = vec!["get", "--parallel", "3"];
    for (url, file) in urls.iter().zip(&files) {
        args.extend([url.as_str(), "-o", path_str(file)]);
    }
    // Two more without -o: to stdout, in URL order.
    let (a, b) = (ftp().url("/data/lines.txt"), ftp().url("/data/hello.txt"));
    args.extend([a.as_str(), b.as_str()]);
    let out = inet(&args);
    assert_ok(&out);
    for (name, file) in names.iter().zip(&files) {
        assert!(
            std::fs::read(file).unwrap() == data(name),
            "{name} byte for byte"
        );
    }
    let mut expected = data("lines.txt");
    expected.extend(data("hello.txt"));
    assert!(out.stdout == expected, "lines.txt then hello.txt on stdout");
}

// ----- cat ----------------------------------------------------------------------------------------

#[test]
fn cat_writes_ftp_and_ftps_files_and_a_directory_listing_to_stdout() {
    let ftps = ftp()
        .url("/data/rand_1M.bin")
        .replacen("ftp://", "ftps://", 1);
    let out = inet(&[
        "cat",
        &ftp().url("/data/hello.txt"),
        &ftps,
        "--cacert",
        path_str(&ftp().ca_cert),
    ]);
    assert_ok(&out);
    let mut expected = data("hello.txt");
    expected.extend(data("rand_1M.bin"));
    assert!(
        out.stdout == expected,
        "hello.txt then rand_1M.bin, byte for byte"
    );
    // A URL ending in `/` reads the directory's LIST.
    let out = inet(&["cat", &ftp().url("/data/")]);
    assert_ok(&out);
    let listing = stdout(&out);
    assert!(
        listing.contains("rand_1M.bin") && listing.contains("hello.txt"),
        "{listing}"
    );
}

#[test]
fn cat_of_a_missing_ftp_file_exits_1_with_the_servers_550() {
    let url = ftp().url("/data/no-such-file");
    let out = inet(&["cat", &url, &ftp().url("/data/hello.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let line = error_line(&out);
    assert!(
        line.starts_with(&format!("inet: cat {url}: ")) && line.contains("550"),
        "{line}"
    );
    assert_eq!(out.stdout, data("hello.txt"), "the other URL is written");
}

#[test]
fn cat_names_a_url_without_its_password_in_errors_and_progress() {
    let secret = format!(":{}@", ftp().password);
    let missing = ftp().user_url("/data/no-such-file");
    let found = ftp().user_url("/data/hello.txt");
    assert!(missing.contains(&secret) && found.contains(&secret));
    let out = inet(&["cat", &missing, &found]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(out.stdout, data("hello.txt"), "the other URL is written");
    let err = stderr(&out);
    assert!(error_line(&out).contains("550"), "{err}");
    assert!(
        err.contains("no-such-file"),
        "the failed URL is named: {err}"
    );
    assert!(!err.contains(&secret), "a password on stderr: {err}");
}

#[test]
fn cat_user_logs_in_instead_of_the_urls_anonymous_default() {
    // The right password reads the file, a wrong one is refused: --user is the login used.
    let user = format!("{}:{}", ftp().user, ftp().password);
    let out = inet(&["cat", &ftp().url("/data/hello.txt"), "--user", &user, "-q"]);
    assert_ok(&out);
    assert_eq!(out.stdout, data("hello.txt"));
    let wrong = format!("{}:wrong", ftp().user);
    let out = inet(&["cat", &ftp().url("/data/hello.txt"), "--user", &wrong]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(error_line(&out).contains("12015"), "{}", stderr(&out));
}

// ----- --help -------------------------------------------------------------------------------------

#[test]
fn every_ftp_subcommand_has_help_with_examples_and_exit_statuses() {
    for cmd in ["put", "ls", "mkdir", "rmdir", "rm", "mv"] {
        let out = inet(&[cmd, "--help"]);
        assert_ok(&out);
        let help = stdout(&out);
        for words in ["Examples:", "Exit status:", "12015", "ftps://", "--user"] {
            assert!(
                help.contains(words),
                "inet {cmd} --help lacks {words:?}:\n{help}"
            );
        }
    }
    let help = stdout(&inet(&["get", "--help"]));
    assert!(
        help.contains("ftp://") && help.contains("--continue"),
        "{help}"
    );
}
