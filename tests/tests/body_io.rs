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
    last_progress_of(rec, handle, "")
}

/// The last PROGRESS notification for `handle` whose text contains `what` ("Send").
fn last_progress_of(rec: &Recorder, handle: inet_core::HandleId, what: &str) -> Option<String> {
    rec.all()
        .into_iter()
        .filter(|n| n.handle == handle && n.code == STATUS_PROGRESS && n.text.contains(what))
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

// ----- uploads: AsyncWrite / Write over send-ex and FTP files opened for writing -------------

/// `n` bytes that are not all alike, so that a misplaced piece shows.
fn noise(n: usize) -> Vec<u8> {
    inet_tests::noise::noise(n, 0x2545_F491)
}

/// A path under nginx's `/upload/` that no other test (or test process) uses.
fn upload_url(https: bool, name: &str) -> String {
    let path = format!("/upload/body-io-{}-{name}.bin", std::process::id());
    if https {
        nginx().https_url(&path)
    } else {
        nginx().http_url(&path)
    }
}

fn download(s: &Session, url: &str) -> Vec<u8> {
    get(s, url).read_to_end_blocking().expect("download back")
}

fn delete(s: &Session, url: &str) {
    let req = inet_http::open_method(s, "DELETE", url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("DELETE");
    assert_eq!(req.status_code().expect("status"), 204, "DELETE {url}");
}

/// A PUT of `len` bytes begun with send-ex (declared length, or chunked).
fn put(s: &Session, url: &str, len: Option<usize>) -> inet_http::HttpRequest {
    let req = inet_http::open_method(s, "PUT", url, RequestOptions::default()).expect("open");
    let length = match len {
        Some(n) => inet_http::BodyLength::Known(n as u64),
        None => inet_http::BodyLength::Chunked,
    };
    req.send_ex_blocking(None, length).expect("send_ex");
    req
}

#[test]
fn futures_io_copy_uploads_a_multi_mib_body_byte_exact_over_http_and_https() {
    use futures::io::AsyncWriteExt;
    let body = noise(6 << 20);
    for (https, chunked) in [(false, false), (true, false), (false, true), (true, true)] {
        let rec = Recorder::new();
        let s = session(&rec);
        let url = upload_url(https, &format!("async-{https}-{chunked}"));
        let req = put(&s, &url, (!chunked).then_some(body.len()));
        let copied = async_io::block_on(async {
            let mut writer = req.async_writer();
            let n = futures::io::copy(&body[..], &mut writer).await?;
            writer.close().await?; // HttpEndRequest: the response head is read
            Ok::<_, std::io::Error>(n)
        })
        .expect("copy into the request");
        assert_eq!(copied, body.len() as u64, "{url}");
        assert_eq!(req.status_code().expect("status"), 201, "{url}");
        let progress =
            last_progress_of(&rec, req.handle().id(), "Send").expect("upload progress notified");
        assert!(
            progress.contains(&format!(" {}", body.len())),
            "{url}: last progress {progress}"
        );
        assert!(
            download(&s, &url) == body,
            "{url}: the uploaded file differs"
        );
        delete(&s, &url);
    }
}

#[test]
fn std_io_copy_uploads_a_multi_mib_body_byte_exact_through_the_blocking_writer() {
    let body = noise(5 << 20);
    for (https, chunked) in [(false, false), (true, true)] {
        let rec = Recorder::new();
        let s = session(&rec);
        let url = upload_url(https, &format!("blocking-{https}-{chunked}"));
        let req = put(&s, &url, (!chunked).then_some(body.len()));
        let mut writer = req.blocking_writer();
        let copied = std::io::copy(&mut &body[..], &mut writer).expect("copy into the request");
        writer.finish().expect("end the request");
        assert_eq!(copied, body.len() as u64);
        assert_eq!(req.status_code().expect("status"), 201, "{url}");
        assert!(
            download(&s, &url) == body,
            "{url}: the uploaded file differs"
        );
        delete(&s, &url);
    }
}

#[test]
fn a_writer_refuses_more_than_the_declared_length_and_closing_short_of_it() {
    let rec = Recorder::new();
    let s = session(&rec);
    let url = upload_url(false, "too-long");
    let req = put(&s, &url, Some(10));
    let mut writer = req.blocking_writer();
    let err = std::io::Write::write_all(&mut writer, &[1u8; 11]).expect_err("past the length");
    assert!(err.to_string().contains("declared length"), "{err}");

    let req = put(&s, &url, Some(10));
    let mut writer = req.blocking_writer();
    std::io::Write::write_all(&mut writer, &[1u8; 4]).expect("4 of 10");
    let err = writer.finish().expect_err("4 of the declared 10 bytes");
    assert!(err.to_string().contains("declared"), "{err}");
}

/// An endless source that says (once) when `after` bytes have been read from it.
struct Endless {
    read: usize,
    after: usize,
    tell: Option<std::sync::mpsc::Sender<()>>,
}

impl Endless {
    fn new(after: usize) -> (Self, std::sync::mpsc::Receiver<()>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let source = Endless {
            read: 0,
            after,
            tell: Some(tx),
        };
        (source, rx)
    }
}

/// Where an [`Endless`] source ends after all, so that a copy the close failed to cancel ends
/// (and the test fails) instead of running for ever.
const ENDLESS_CAP: usize = 1 << 30;

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= ENDLESS_CAP {
            return Ok(0);
        }
        buf.fill(0x5a);
        self.read += buf.len();
        if self.read >= self.after {
            if let Some(tx) = self.tell.take() {
                let _ = tx.send(());
            }
        }
        Ok(buf.len())
    }
}

impl futures::io::AsyncRead for Endless {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Read::read(self.get_mut(), buf))
    }
}

/// Run `copy` on a thread, close the handle once 4 MiB went in, and return the copy's outcome.
fn close_mid_copy(
    close: impl FnOnce(),
    copy: impl FnOnce(Endless) -> std::io::Result<u64> + Send + 'static,
) -> std::io::Result<u64> {
    let (source, told) = Endless::new(4 << 20);
    let copying = std::thread::spawn(move || copy(source));
    told.recv_timeout(Duration::from_secs(30))
        .expect("4 MiB went in");
    close();
    let started = Instant::now();
    let outcome = copying.join().expect("copy thread");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the copy went on after the close"
    );
    // Cancelled: ConnectionAborted (OPERATION_CANCELLED or INVALID_HANDLE inside), never a
    // success nor another failure (a copy that ran to the source's end fails otherwise).
    match &outcome {
        Ok(n) => panic!("the copy succeeded after the close ({n} bytes)"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionAborted, "{e:?}"),
    }
    outcome
}

/// The copy [`close_mid_copy`] cuts: `futures::io::copy` into `writer`, then its close.
fn futures_copy_into(
    mut writer: inet_core::AsyncWriter,
) -> impl FnOnce(Endless) -> std::io::Result<u64> + Send + 'static {
    use futures::io::AsyncWriteExt;
    move |source| {
        async_io::block_on(async move {
            let n = futures::io::copy(source, &mut writer).await?;
            writer.close().await?;
            Ok(n)
        })
    }
}

/// The copy [`close_mid_copy`] cuts: `std::io::copy` into `writer`, then its finish.
fn std_copy_into(
    mut writer: inet_core::BlockingWriter,
) -> impl FnOnce(Endless) -> std::io::Result<u64> + Send + 'static {
    move |mut source| {
        let n = std::io::copy(&mut source, &mut writer)?;
        writer.finish()?;
        Ok(n)
    }
}

#[test]
fn closing_the_request_cancels_a_copy_into_its_writer_loudly() {
    let rec = Recorder::new();
    let s = session(&rec);
    // futures-io, declared length far past what will be written.
    let url = upload_url(false, "cancel-async");
    let req = put(&s, &url, Some(64 << 30));
    let writer = req.async_writer();
    let outcome = close_mid_copy(|| req.close(), futures_copy_into(writer));
    outcome.expect_err("a cancelled upload never succeeds");
    let codes = rec.codes(req.handle().id());
    assert_eq!(codes.last(), Some(&70), "HANDLE_CLOSING last: {codes:?}");
    assert_eq!(
        status_of(&s, &url),
        404,
        "{url}: a cut upload stored nothing"
    );

    // std, chunked over TLS.
    let url = upload_url(true, "cancel-blocking");
    let req = put(&s, &url, None);
    let writer = req.blocking_writer();
    let outcome = close_mid_copy(|| req.close(), std_copy_into(writer));
    outcome.expect_err("a cancelled upload never succeeds");
    assert_eq!(
        status_of(&s, &url),
        404,
        "{url}: a cut upload stored nothing"
    );
}

/// The status of a GET of `url`.
fn status_of(s: &Session, url: &str) -> u16 {
    let req = inet_http::open(s, url, RequestOptions::default()).expect("open");
    req.send_blocking(None, None).expect("send");
    req.status_code().expect("status")
}

mod ftp_uploads {
    use super::*;
    use futures::io::AsyncWriteExt;
    use inet_core::Context;
    use inet_ftp::{Access, FtpConnection, FtpOptions, TransferOptions};

    fn logged_in(s: &Session) -> FtpConnection {
        let ftp = servers::ftp();
        let options = FtpOptions::new().credentials(&ftp.user, &ftp.password);
        let conn = FtpConnection::connect_blocking(s, "127.0.0.1", ftp.port, options)
            .expect("connect and log in");
        // Exists after the first test that makes it; "exists" is fine.
        let _ = conn.create_directory_blocking("/work");
        conn
    }

    fn remote(name: &str) -> String {
        format!("/work/body-io-{}-{name}.bin", std::process::id())
    }

    fn open(conn: &FtpConnection, path: &str, access: Access) -> inet_ftp::FtpFile {
        conn.open_file_blocking(path, access, TransferOptions::new(), Context(0))
            .expect("open the file")
    }

    /// The file downloaded back through the FTP server.
    fn download(conn: &FtpConnection, path: &str) -> Vec<u8> {
        let file = open(conn, path, Access::Read);
        let mut got = Vec::new();
        std::io::copy(&mut file.blocking_reader(), &mut got).expect("download back");
        file.finish_blocking().expect("226 after the download");
        got
    }

    #[test]
    fn futures_io_and_std_io_copy_upload_multi_mib_files_byte_exact() {
        let rec = Recorder::new();
        let s = session(&rec);
        let conn = logged_in(&s);
        let body = noise(6 << 20);

        let path = remote("async");
        let file = open(&conn, &path, Access::Write);
        let copied = async_io::block_on(async {
            let mut writer = file.async_writer();
            let n = futures::io::copy(&body[..], &mut writer).await?;
            writer.close().await?; // the transfer finished, 226 checked
            Ok::<_, std::io::Error>(n)
        })
        .expect("copy into the file");
        assert_eq!(copied, body.len() as u64);
        let progress = last_progress_of(&rec, file.handle().id(), "Send").expect("upload progress");
        assert!(
            progress.contains(&format!(" {}", body.len())),
            "last progress {progress}"
        );
        drop(file);
        assert!(download(&conn, &path) == body, "the uploaded file differs");

        let path = remote("blocking");
        let file = open(&conn, &path, Access::Write);
        let mut writer = file.blocking_writer();
        let copied = std::io::copy(&mut &body[..], &mut writer).expect("copy into the file");
        writer.finish().expect("226 after the upload");
        assert_eq!(copied, body.len() as u64);
        drop(file);
        assert!(download(&conn, &path) == body, "the uploaded file differs");
        conn.delete_file_blocking(&path).expect("DELE");
        conn.delete_file_blocking(&remote("async")).expect("DELE");
    }

    #[test]
    fn an_ascii_upload_through_the_writer_is_stored_with_the_servers_line_ends() {
        let rec = Recorder::new();
        let s = session(&rec);
        let conn = logged_in(&s);
        let text: Vec<u8> = (0..200_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let path = remote("ascii");
        let ascii = TransferOptions::new().transfer_type(inet_ftp::TransferType::Ascii);
        let file = conn
            .open_file_blocking(&path, Access::Write, ascii, Context(0))
            .expect("open in TYPE A");
        async_io::block_on(async {
            let mut writer = file.async_writer();
            futures::io::copy(&text[..], &mut writer).await?;
            writer.close().await
        })
        .expect("copy in TYPE A");
        // Progress counts the caller's bytes, not the wire's (one CR more per line).
        let progress = last_progress_of(&rec, file.handle().id(), "Send").expect("progress");
        assert!(
            progress.contains(&format!(" {}", text.len())),
            "last progress {progress}"
        );
        drop(file);
        // CRLF on the wire, stored by proftpd (on Unix) as LF: the text as it was.
        assert!(download(&conn, &path) == text, "the stored text differs");
        conn.delete_file_blocking(&path).expect("DELE");
    }

    /// `file`, whose upload was cut by closing it, reached HANDLE_CLOSING, and the server
    /// answered an ABOR: the upload was not finished as if the file were whole ("226 Transfer
    /// complete").
    fn closed_and_aborted(rec: &Recorder, conn: &FtpConnection, file: inet_ftp::FtpFile) {
        let id = file.handle().id();
        drop(file);
        assert!(
            rec.wait_code(id, 70, Duration::from_secs(10)),
            "HANDLE_CLOSING"
        );
        let last = conn.last_response();
        assert!(last.to_lowercase().contains("abort"), "last reply: {last}");
    }

    #[test]
    fn closing_the_file_cancels_a_copy_into_its_writer_loudly() {
        let rec = Recorder::new();
        let s = session(&rec);
        let conn = logged_in(&s);
        let path = remote("cancel");

        let file = open(&conn, &path, Access::Write);
        let writer = file.async_writer();
        let outcome = close_mid_copy(|| file.close(), futures_copy_into(writer));
        outcome.expect_err("a cancelled upload never succeeds");
        closed_and_aborted(&rec, &conn, file);

        let file = open(&conn, &path, Access::Write);
        let writer = file.blocking_writer();
        let outcome = close_mid_copy(|| file.close(), std_copy_into(writer));
        outcome.expect_err("a cancelled upload never succeeds");
        closed_and_aborted(&rec, &conn, file);
        // The connection is free again: the aborted transfer left nothing owed.
        conn.delete_file_blocking(&path)
            .expect("DELE after the aborted uploads");
    }
}

/// A server that accepts and never reads: an upload fills the socket's buffers and its writer
/// waits for the socket.
fn deaf_server() -> FaultServer {
    FaultServer::start(Behaviour::Custom(Arc::new(|_| {
        std::thread::sleep(Duration::from_secs(4))
    })))
    .expect("fault server")
}

#[test]
fn the_send_timeout_applies_while_a_writer_waits_for_the_socket() {
    let server = deaf_server();
    let s = Session::builder()
        .send_timeout(Some(Duration::from_millis(700)))
        .build()
        .expect("session");
    let req = put(&s, &server.url("/deaf"), Some(1 << 30));
    let (source, _told) = Endless::new(usize::MAX);
    let t0 = Instant::now();
    let err = async_io::block_on(futures::io::copy(source, &mut req.async_writer()))
        .expect_err("nobody reads");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err:?}");
    assert!(t0.elapsed() < Duration::from_secs(6), "{:?}", t0.elapsed());
}

#[test]
fn closing_the_request_cancels_a_writer_waiting_for_the_socket() {
    let server = deaf_server();
    let rec = Recorder::new();
    let s = session(&rec);
    let req = put(&s, &server.url("/deaf"), Some(1 << 30));
    let id = req.handle().id();
    let closer = {
        let req = req.clone();
        std::thread::spawn(move || {
            // By then the socket's buffers are full and the writer waits.
            std::thread::sleep(Duration::from_millis(700));
            req.close();
        })
    };
    let (source, _told) = Endless::new(usize::MAX);
    let t0 = Instant::now();
    let err = async_io::block_on(futures::io::copy(source, &mut req.async_writer()))
        .expect_err("cancelled");
    closer.join().expect("closer");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionAborted, "{err:?}");
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<inet_core::Error>())
        .expect("the inet error inside");
    assert!(
        inner.is_cancelled(),
        "the pending wait was cancelled: {inner}"
    );
    assert!(
        rec.wait_code(id, 70, Duration::from_secs(10)),
        "HANDLE_CLOSING"
    );
}

#[test]
fn writer_writes_and_the_handles_own_writes_mix_in_order() {
    use futures::io::AsyncWriteExt;
    let body = noise(3 << 20);
    let (a, rest) = body.split_at(1 << 20);
    let (b, c) = rest.split_at(1 << 20);
    for chunked in [false, true] {
        let rec = Recorder::new();
        let s = session(&rec);
        let url = upload_url(false, &format!("mixed-{chunked}"));
        let req = put(&s, &url, (!chunked).then_some(body.len()));
        async_io::block_on(req.async_writer().write_all(a)).expect("through the writer");
        req.write_blocking(b).expect("the handle's write");
        let mut writer = req.blocking_writer();
        std::io::Write::write_all(&mut writer, c).expect("through the blocking writer");
        req.end_request_blocking().expect("HttpEndRequest");
        assert_eq!(req.status_code().expect("status"), 201);
        assert!(
            download(&s, &url) == body,
            "{url}: the uploaded file differs"
        );
        delete(&s, &url);
    }
}
