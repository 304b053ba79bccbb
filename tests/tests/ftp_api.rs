//! inet-ftp against the real proftpd of the harness: every Ftp* function, in the three forms,
//! with WinINet's notifications and error codes.

use std::path::PathBuf;
use std::time::Duration;

use inet_core::{Completion, Context, ErrorKind, Session, Status};
use inet_ftp::{
    server_reply, Access, DataConnection, EntryKind, Existing, Found, FtpConnection, FtpFile,
    FtpFind, FtpOptions, TransferOptions, TransferType,
};
use inet_tests::record::Recorder;
use inet_tests::servers::{self, Ftp};

const RECEIVING_RESPONSE: u32 = 40;
const SENDING_REQUEST: u32 = 30;
const HANDLE_CREATED: u32 = 60;
const HANDLE_CLOSING: u32 = 70;
const REQUEST_COMPLETE: u32 = 100;

fn session(rec: &Recorder) -> Session {
    Session::builder()
        .status_callback(rec.callback())
        .receive_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("session")
}

fn user(ftp: &Ftp) -> FtpOptions {
    FtpOptions::new().credentials(&ftp.user, &ftp.password)
}

/// A fresh directory of the local user's, named after the test, removed first if a previous
/// run left it.
fn workdir(ftp: &Ftp, name: &str) -> (PathBuf, String) {
    let local = ftp.root.join("work").join(name);
    let _ = std::fs::remove_dir_all(&local);
    (local, format!("/work/{name}"))
}

fn local_tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("inet-ftp-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn logged_in(rec: &Recorder, ftp: &Ftp, options: FtpOptions) -> (Session, FtpConnection) {
    let s = session(rec);
    let conn = FtpConnection::connect_blocking(&s, "127.0.0.1", ftp.port, options)
        .expect("connect and log in");
    (s, conn)
}

fn ensure_work_root(conn: &FtpConnection) {
    // Exists after the first test that makes it; "exists" is fine.
    let _ = conn.create_directory_blocking("/work");
}

#[test]
fn anonymous_login_reports_connect_notifications_and_reads_the_current_directory() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = FtpConnection::open(&s, "127.0.0.1", ftp.port, FtpOptions::new(), Context(5))
        .expect("open");
    let id = conn.handle().id();
    assert!(!conn.is_connected());
    conn.login_blocking().expect("anonymous login");
    assert!(conn.is_connected());
    assert_eq!(conn.current_directory_blocking().expect("PWD"), "/");
    assert!(
        conn.last_response().starts_with("257 "),
        "{}",
        conn.last_response()
    );
    let codes = rec.codes(id);
    assert_eq!(codes[0], HANDLE_CREATED);
    for want in [10, 11, 20, 21, SENDING_REQUEST, 31, RECEIVING_RESPONSE, 41] {
        assert!(codes.contains(&want), "no {want} in {codes:?}");
    }
    assert!(rec
        .all()
        .iter()
        .filter(|n| n.handle == id)
        .all(|n| n.context == 5));
    conn.close();
    assert!(rec.wait_code(id, HANDLE_CLOSING, Duration::from_secs(10)));
    let codes = rec.codes(id);
    assert_eq!(codes.last(), Some(&HANDLE_CLOSING));
    // The goodbye went out before HANDLE_CLOSING.
    assert!(
        rec.all().iter().any(|n| n.handle == id && n.code == 50),
        "{codes:?}"
    );
}

#[test]
fn a_refused_password_is_login_failure_12015_with_the_reply() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let s = session(&rec);
    let err = FtpConnection::connect_blocking(
        &s,
        "127.0.0.1",
        ftp.port,
        FtpOptions::new().credentials(&ftp.user, "wrong password"),
    )
    .expect_err("a bad password must fail");
    assert_eq!(err.kind(), ErrorKind::LoginFailure, "{err}");
    assert_eq!(err.code(), 12015);
    let reply = server_reply(&err).expect("the 530 reply");
    assert_eq!(reply.code, 530);
    assert!(reply.is_permanent());
}

#[test]
fn directory_functions_create_enter_rename_delete_and_quote_names() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, user(ftp));
    ensure_work_root(&conn);
    let (local, remote) = workdir(ftp, "dirs");
    conn.create_directory_blocking(&remote).expect("MKD");
    assert!(local.is_dir());
    conn.set_current_directory_blocking(&remote).expect("CWD");
    assert_eq!(conn.current_directory_blocking().expect("PWD"), remote);

    // RFC 959: a quote in a directory name is doubled in the 257 reply.
    let odd = "say \"hi\"";
    conn.create_directory_blocking(odd)
        .expect("MKD with quotes");
    conn.set_current_directory_blocking(odd)
        .expect("CWD with quotes");
    assert_eq!(
        conn.current_directory_blocking().expect("PWD"),
        format!("{remote}/{odd}")
    );
    conn.set_current_directory_blocking("..").expect("CWD ..");

    std::fs::write(local.join("a.txt"), b"abc").expect("local write");
    conn.rename_file_blocking("a.txt", "b.txt")
        .expect("RNFR/RNTO");
    assert!(local.join("b.txt").exists() && !local.join("a.txt").exists());
    assert_eq!(conn.file_size_blocking("b.txt").expect("SIZE"), 3);
    conn.delete_file_blocking("b.txt").expect("DELE");
    assert!(!local.join("b.txt").exists());
    conn.remove_directory_blocking(odd).expect("RMD");

    let err = conn.delete_file_blocking("b.txt").expect_err("gone");
    assert_eq!(err.kind(), ErrorKind::ExtendedError, "{err}");
    assert_eq!(server_reply(&err).map(|r| r.code), Some(550));
    let err = conn
        .rename_file_blocking("missing", "x")
        .expect_err("nothing to rename");
    assert_eq!(err.code(), 12003, "{err}");
    // A name that would smuggle a second command is refused before anything is sent.
    let err = conn
        .delete_file_blocking("x\r\nRMD /work")
        .expect_err("CR LF in a name");
    assert_eq!(err.kind(), ErrorKind::InvalidParameter, "{err}");
    // The connection is still in step.
    assert_eq!(conn.current_directory_blocking().expect("PWD"), remote);
}

#[test]
fn find_lists_with_mlsd_parses_entries_and_ends_with_no_more_files() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let find = conn
        .find_first_blocking(Some("/data"), Context(9))
        .expect("listing /data");
    let mut items = Vec::new();
    loop {
        match find.next_blocking() {
            Ok(item) => items.push(item),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::NoMoreFiles, "{e}");
                assert_eq!(e.code(), 18);
                break;
            }
        }
    }
    let big = items
        .iter()
        .filter_map(Found::entry)
        .find(|e| e.name == "rand_1M.bin")
        .unwrap_or_else(|| panic!("no rand_1M.bin in {items:?}"));
    assert_eq!(big.size, Some(1 << 20));
    assert_eq!(big.kind, EntryKind::File);
    assert!(big.modified.is_some());
    let tree = items
        .iter()
        .filter_map(Found::entry)
        .find(|e| e.name == "tree")
        .expect("the tree directory");
    assert_eq!(tree.kind, EntryKind::Dir);
    assert!(items.iter().all(|i| i.entry().is_some()), "{items:?}");
    // The find handle carries its own context.
    assert!(rec
        .all()
        .iter()
        .any(|n| n.handle == find.handle().id() && n.code == HANDLE_CREATED && n.context == 9));
    find.close();
}

#[test]
fn find_first_on_a_file_name_finds_that_file() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let find = conn
        .find_first_blocking(Some("/data/rand_1M.bin"), Context(0))
        .expect("a file by name (MLSD refuses it; LIST does not)");
    let items = find.remaining();
    assert_eq!(items.len(), 1, "{items:?}");
    let entry = items[0].entry().expect("parsed");
    assert_eq!(
        (entry.name.as_str(), entry.size),
        ("/data/rand_1M.bin", Some(1 << 20))
    );
}

#[test]
fn a_glob_pattern_keeps_only_matching_names_and_an_empty_result_is_no_more_files() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let find = conn
        .find_first_blocking(Some("/data/*.bin"), Context(0))
        .expect("glob listing");
    let names: Vec<String> = find
        .remaining()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.ends_with(".bin")), "{names:?}");
    find.close();
    let err = conn
        .find_first_blocking(Some("/data/*.nothing"), Context(0))
        .expect_err("nothing matches");
    assert_eq!(err.code(), 18, "{err}");
}

#[test]
fn while_a_find_handle_is_open_other_operations_fail_with_12110_and_send_nothing() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let find = conn.find_first_blocking(None, Context(0)).expect("listing");
    let before = rec.codes(conn.handle().id()).len();
    let err = conn
        .current_directory_blocking()
        .expect_err("transfer open");
    assert_eq!(err.kind(), ErrorKind::FtpTransferInProgress, "{err}");
    assert_eq!(err.code(), 12110);
    let err = conn
        .find_first_blocking(None, Context(0))
        .expect_err("a second listing");
    assert_eq!(err.code(), 12110);
    let sent_after: Vec<u32> = rec.codes(conn.handle().id())[before..].to_vec();
    assert!(!sent_after.contains(&SENDING_REQUEST), "{sent_after:?}");
    find.close();
    assert!(rec.wait_code(find.handle().id(), HANDLE_CLOSING, Duration::from_secs(5)));
    assert_eq!(conn.current_directory_blocking().expect("free again"), "/");
}

#[test]
fn get_file_downloads_refuses_an_existing_file_when_asked_and_resumes() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let want = std::fs::read(ftp.root.join("data/rand_1M.bin")).expect("the file on disk");
    let local = local_tmp("get.bin");
    let _ = std::fs::remove_file(&local);
    let n = conn
        .get_file_blocking(
            "/data/rand_1M.bin",
            &local,
            TransferOptions::new(),
            Context(0),
        )
        .expect("RETR");
    assert_eq!(n, want.len() as u64);
    assert!(std::fs::read(&local).expect("local") == want);

    let fail = TransferOptions::new().existing(Existing::Fail);
    let err = conn
        .get_file_blocking("/data/rand_1M.bin", &local, fail, Context(0))
        .expect_err("exists");
    assert_eq!(err.kind(), ErrorKind::FileExists);
    assert_eq!(err.code(), 80);

    // An interrupted download: the first 300,000 bytes are here; resume fetches the rest.
    std::fs::write(&local, &want[..300_000]).expect("partial");
    let resume = TransferOptions::new().existing(Existing::Resume);
    let n = conn
        .get_file_blocking("/data/rand_1M.bin", &local, resume, Context(0))
        .expect("REST + RETR");
    assert_eq!(n, (want.len() - 300_000) as u64);
    assert!(
        std::fs::read(&local).expect("local") == want,
        "resumed file differs"
    );

    // A refused download leaves the local file alone.
    let err = conn
        .get_file_blocking(
            "/data/missing.bin",
            &local,
            TransferOptions::new(),
            Context(0),
        )
        .expect_err("no such file");
    assert_eq!(server_reply(&err).map(|r| r.code), Some(550), "{err}");
    assert_eq!(
        std::fs::metadata(&local).expect("still there").len(),
        want.len() as u64
    );
}

#[test]
fn put_file_uploads_resumes_with_appe_and_fails_if_the_remote_file_exists() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, user(ftp));
    ensure_work_root(&conn);
    let (dir, remote) = workdir(ftp, "put");
    conn.create_directory_blocking(&remote).expect("MKD");
    let body: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let local = local_tmp("put.bin");
    std::fs::write(&local, &body[..250_000]).expect("half");
    let target = format!("{remote}/up.bin");
    conn.put_file_blocking(&local, &target, TransferOptions::new(), Context(0))
        .expect("STOR");
    assert_eq!(
        std::fs::read(dir.join("up.bin")).expect("remote").len(),
        250_000
    );

    std::fs::write(&local, &body).expect("whole");
    let sent = conn
        .put_file_blocking(
            &local,
            &target,
            TransferOptions::new().existing(Existing::Resume),
            Context(0),
        )
        .expect("SIZE + APPE");
    assert_eq!(sent, 450_000);
    assert!(std::fs::read(dir.join("up.bin")).expect("remote") == body);

    let err = conn
        .put_file_blocking(
            &local,
            &target,
            TransferOptions::new().existing(Existing::Fail),
            Context(0),
        )
        .expect_err("exists on the server");
    assert_eq!(err.code(), 80, "{err}");
    let err = conn
        .put_file_blocking(
            local_tmp("no-such-local-file"),
            &target,
            TransferOptions::new(),
            Context(0),
        )
        .expect_err("no local file");
    assert_eq!(err.kind(), ErrorKind::FileNotFound, "{err}");
}

#[test]
fn ascii_transfers_send_crlf_on_the_wire_and_give_lf_back() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, user(ftp));
    ensure_work_root(&conn);
    let (dir, remote) = workdir(ftp, "ascii");
    conn.create_directory_blocking(&remote).expect("MKD");
    let local = local_tmp("ascii.txt");
    std::fs::write(&local, b"one\ntwo\n").expect("text");
    let ascii = TransferOptions::new().transfer_type(TransferType::Ascii);
    conn.put_file_blocking(&local, &format!("{remote}/t.txt"), ascii, Context(0))
        .expect("STOR in TYPE A");
    // proftpd on Unix stores the CRLF it received as LF.
    assert_eq!(
        std::fs::read(dir.join("t.txt")).expect("remote"),
        b"one\ntwo\n"
    );
    // A binary download shows the wire form of an ASCII one is different: fetch it as ASCII
    // from a file holding CRLF on disk, which proftpd sends as is.
    std::fs::write(dir.join("crlf.txt"), b"a\r\nb\r\n").expect("crlf file");
    let back = local_tmp("ascii-back.txt");
    conn.get_file_blocking(&format!("{remote}/crlf.txt"), &back, ascii, Context(0))
        .expect("RETR in TYPE A");
    assert_eq!(std::fs::read(&back).expect("local"), b"a\nb\n");
    conn.get_file_blocking(
        &format!("{remote}/crlf.txt"),
        &back,
        TransferOptions::new(),
        Context(0),
    )
    .expect("RETR in TYPE I");
    assert_eq!(std::fs::read(&back).expect("local"), b"a\r\nb\r\n");
}

#[test]
fn open_file_streams_a_download_checks_226_and_an_early_close_aborts_cleanly() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let want = std::fs::read(ftp.root.join("data/rand_1M.bin")).expect("on disk");
    let file = conn
        .open_file_blocking(
            "/data/rand_1M.bin",
            Access::Read,
            TransferOptions::new(),
            Context(3),
        )
        .expect("open for reading");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 50_000];
    loop {
        let n = file.read_blocking(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got == want);
    file.finish_blocking().expect("226");
    assert!(
        conn.last_response().starts_with("226"),
        "{}",
        conn.last_response()
    );
    file.close();

    // Closed after 50,000 bytes of 64 MiB: ABOR; the connection serves the next call.
    let file = conn
        .open_file_blocking(
            "/data/rand_64M.bin",
            Access::Read,
            TransferOptions::new(),
            Context(4),
        )
        .expect("open the big file");
    assert!(file.read_blocking(&mut buf).expect("some bytes") > 0);
    let id = file.handle().id();
    file.close();
    assert!(rec.wait_code(id, HANDLE_CLOSING, Duration::from_secs(10)));
    assert_eq!(
        conn.current_directory_blocking().expect("PWD after ABOR"),
        "/"
    );
}

#[test]
fn open_file_for_writing_uploads_what_is_written() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, user(ftp));
    ensure_work_root(&conn);
    let (dir, remote) = workdir(ftp, "write");
    conn.create_directory_blocking(&remote).expect("MKD");
    let file = conn
        .open_file_blocking(
            &format!("{remote}/w.bin"),
            Access::Write,
            TransferOptions::new(),
            Context(0),
        )
        .expect("open for writing");
    for i in 0..10u8 {
        assert_eq!(file.write_blocking(&[i; 10_000]).expect("write"), 10_000);
    }
    let mut buf = [0u8; 8];
    let err = file.read_blocking(&mut buf).expect_err("not for reading");
    assert_eq!(err.kind(), ErrorKind::IncorrectHandleState, "{err}");
    file.finish_blocking().expect("226 after the upload");
    let on_disk = std::fs::read(dir.join("w.bin")).expect("uploaded");
    assert_eq!(on_disk.len(), 100_000);
    assert_eq!(on_disk[99_999], 9);
    assert_eq!(
        conn.file_size_blocking(&format!("{remote}/w.bin"))
            .expect("SIZE"),
        100_000
    );
}

#[test]
fn raw_commands_return_replies_and_refusals_keep_4xx_and_5xx_apart() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let reply = conn.command_blocking("NOOP").expect("NOOP");
    assert_eq!(reply.code, 200);
    let reply = conn.command_blocking("HELP").expect("HELP");
    assert_eq!(reply.code, 214);
    assert!(
        reply.text.lines().count() > 2,
        "a multi-line reply: {:?}",
        reply.text
    );
    assert_eq!(conn.last_response(), reply.text);
    let err = conn.command_blocking("XYZZY").expect_err("unknown command");
    assert_eq!(err.code(), 12003);
    let r = server_reply(&err).expect("reply");
    assert!(r.is_permanent() && !r.is_transient(), "{r:?}");

    let file = conn
        .command_with_data_blocking("NLST /data", TransferType::Ascii, Context(0))
        .expect("NLST on a data connection");
    let names =
        String::from_utf8(async_io::block_on(file.read_to_end(1 << 20)).expect("the names"))
            .expect("text");
    assert!(names.lines().any(|l| l.ends_with("rand_1M.bin")), "{names}");
    file.finish_blocking().expect("226");
}

#[test]
fn callback_mode_completes_with_the_call_context_and_values() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = FtpConnection::open(&s, "127.0.0.1", ftp.port, FtpOptions::new(), Context(1))
        .expect("open");
    let id = conn.handle().id();
    let _ = conn.start_login().expect("login started");
    assert!(rec.wait_code(id, REQUEST_COMPLETE, Duration::from_secs(10)));
    assert_eq!(rec.completions(id), vec![0]);

    let local = local_tmp("cb.bin");
    let _ = conn
        .start_get_file(
            "/data/rand_1M.bin",
            &local,
            TransferOptions::new(),
            Context(77),
        )
        .expect("started");
    assert!(rec.wait_for(Duration::from_secs(10), |s| s
        .iter()
        .filter(|n| n.handle == id && n.code == REQUEST_COMPLETE)
        .count()
        == 2));
    let done = rec
        .all()
        .into_iter()
        .rfind(|n| n.handle == id && n.code == REQUEST_COMPLETE)
        .expect("completion");
    assert_eq!(
        (done.context, done.error, done.amount),
        (77, Some(0), Some(1 << 20))
    );
    // The directory functions report with the connection's own context.
    let _ = conn.start_current_directory().expect("started");
    assert!(rec.wait_for(Duration::from_secs(10), |s| s
        .iter()
        .filter(|n| n.handle == id && n.code == REQUEST_COMPLETE)
        .count()
        == 3));
    let last = rec
        .all()
        .into_iter()
        .rfind(|n| n.handle == id)
        .expect("pwd");
    assert_eq!((last.context, last.error), (1, Some(0)));
}

#[test]
fn a_find_started_in_callback_mode_completes_with_the_find_handle() {
    let ftp = servers::ftp();
    let found: std::sync::Arc<parking_lot::Mutex<Option<FtpFind>>> = Default::default();
    let keep = found.clone();
    let s = Session::builder()
        .status_callback(move |n| {
            if let Status::RequestComplete(Ok(c @ Completion::Value(_))) = &n.status {
                if let Some(f) = c.value::<FtpFind>() {
                    *keep.lock() = Some(f.clone());
                }
            }
        })
        .build()
        .expect("session");
    let conn = FtpConnection::connect_blocking(&s, "127.0.0.1", ftp.port, FtpOptions::new())
        .expect("login");
    let _ = conn
        .start_find_first(Some("/data"), Context(0))
        .expect("started");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while found.lock().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let find = found.lock().take().expect("the find handle arrived");
    match find.start_next().expect("next") {
        inet_core::Started::Done(item) => assert!(!item.name().is_empty()),
        inet_core::Started::Pending(_) => panic!("the entries are all here"),
    }
    find.close();
}

#[test]
fn active_mode_transfers_work_with_the_server_connecting_back() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let opts = FtpOptions::new().data_connection(DataConnection::Active);
    let (_s, conn) = logged_in(&rec, ftp, opts);
    let local = local_tmp("active.bin");
    let n = conn
        .get_file_blocking(
            "/data/rand_1M.bin",
            &local,
            TransferOptions::new(),
            Context(0),
        )
        .expect("RETR over an active data connection");
    assert_eq!(n, 1 << 20);
    let find = conn
        .find_first_blocking(Some("/data"), Context(0))
        .expect("LIST, active");
    assert!(!find.remaining().is_empty());
}

#[test]
fn a_dropped_download_future_leaves_the_connection_in_step() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let local = local_tmp("dropped.bin");
    // Dropped once the first bytes are on disk, in the middle of 64 MiB.
    {
        let mut op = std::pin::pin!(conn.get_file(
            "/data/rand_64M.bin",
            &local,
            TransferOptions::new(),
            Context(0)
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let polled = async_io::block_on(futures_lite::future::poll_once(op.as_mut()));
            assert!(
                polled.is_none(),
                "finished before it could be dropped: {polled:?}"
            );
            if std::fs::metadata(&local).map_or(0, |m| m.len()) > 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no byte arrived");
        }
    }
    let got = std::fs::metadata(&local).expect("partial").len();
    assert!(got < 64 << 20, "{got}");
    // The RETR's final reply (426 or 226) is owed; the next command reads it first.
    assert_eq!(conn.current_directory_blocking().expect("in step"), "/");
    assert_eq!(
        conn.file_size_blocking("/data/rand_1M.bin").expect("SIZE"),
        1 << 20
    );
}

#[test]
fn file_handle_reads_in_callback_mode_and_close_frees_the_connection() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let (_s, conn) = logged_in(&rec, ftp, FtpOptions::new());
    let file: FtpFile = conn
        .open_file_blocking(
            "/welcome.txt",
            Access::Read,
            TransferOptions::new(),
            Context(0),
        )
        .expect("open");
    // Done at once when the bytes are there; else REQUEST_COMPLETE carries them.
    let mut total = 0u64;
    let id = file.handle().id();
    for _ in 0..100 {
        match file.start_read(4096).expect("read") {
            inet_core::Started::Done(b) if b.is_empty() => break,
            inet_core::Started::Done(b) => total += b.len() as u64,
            inet_core::Started::Pending(_) => {
                assert!(rec.wait_code(id, REQUEST_COMPLETE, Duration::from_secs(5)));
                let n = rec
                    .all()
                    .into_iter()
                    .rfind(|n| n.handle == id && n.code == REQUEST_COMPLETE)
                    .and_then(|n| n.amount)
                    .expect("an amount");
                rec.clear();
                if n == 0 {
                    break;
                }
                total += n;
            }
        }
    }
    assert_eq!(total, "Hello from ftp\n".len() as u64);
    file.close();
    assert!(rec.wait_code(file.handle().id(), HANDLE_CLOSING, Duration::from_secs(10)));
    assert_eq!(conn.current_directory_blocking().expect("free"), "/");
}
