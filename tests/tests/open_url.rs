//! `inet::open_url` (InternetOpenUrl) for every scheme against the real servers of the harness
//! (nginx, proftpd) and an in-process Gopher server, in the three forms.

use std::io::{Read, Write};
use std::time::Duration;

use inet::{
    open_url, open_url_blocking, start_open_url, Completion, OpenUrlOptions, Session, Status,
    UrlStream,
};
use inet_tests::fault::{Behaviour, Connection, FaultServer};
use inet_tests::record::Recorder;
use inet_tests::servers;
use parking_lot::Mutex;
use std::sync::Arc;

fn session(rec: &Recorder) -> Session {
    let nginx = servers::nginx();
    Session::builder()
        .status_callback(rec.callback())
        .add_root_certificates_file(&nginx.ca_cert)
        .receive_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("session")
}

/// A Gopher server that answers every request line with `answer`.
fn gopher(answer: &'static [u8]) -> FaultServer {
    FaultServer::start(Behaviour::custom(move |c: &mut Connection| {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            match c.read(&mut b) {
                Ok(1) => line.push(b[0]),
                _ => return,
            }
        }
        let _ = c.write_all(answer);
    }))
    .expect("gopher server")
}

#[test]
fn open_url_blocking_reads_http_https_ftp_and_gopher_the_same_way() {
    let nginx = servers::nginx();
    let ftp = servers::ftp();
    let g = gopher(b"Hello from gopher\r\n..dot\r\n.\r\n");
    let rec = Recorder::new();
    let s = session(&rec);
    let cases = [
        (nginx.http_url("/hello.txt"), b"Hello, world!\n".to_vec()),
        (nginx.https_url("/hello.txt"), b"Hello, world!\n".to_vec()),
        (ftp.url("/welcome.txt"), b"Hello from ftp\n".to_vec()),
        (
            format!("gopher://127.0.0.1:{}/0/about.txt", g.port()),
            // As sent, the final '.' line dropped (GopherOptions::dot_stuffed is off by default:
            // the real servers do not dot-stuff).
            b"Hello from gopher\r\n..dot\r\n".to_vec(),
        ),
    ];
    for (url, want) in cases {
        let stream = open_url_blocking(&s, &url, OpenUrlOptions::new()).expect(&url);
        assert_eq!(
            stream.read_to_end_blocking(1 << 20).expect(&url),
            want,
            "{url}"
        );
        stream.close();
    }
    // The user's local files through the URL's credentials, and a directory listing.
    let listing = open_url_blocking(&s, &ftp.user_url("/data/"), OpenUrlOptions::new())
        .expect("listing")
        .read_to_end_blocking(1 << 20)
        .expect("listing text");
    assert!(String::from_utf8_lossy(&listing).contains("rand_1M.bin"));
}

#[test]
fn open_url_futures_and_errors() {
    let ftp = servers::ftp();
    let rec = Recorder::new();
    let s = session(&rec);
    let got = async_io::block_on(async {
        let stream = open_url(&s, &ftp.url("/data/rand_1M.bin"), OpenUrlOptions::new()).await?;
        stream.read_to_end(2 << 20).await
    })
    .expect("ftp future");
    assert_eq!(got.len(), 1 << 20);
    let err =
        open_url_blocking(&s, "telnet://127.0.0.1/", OpenUrlOptions::new()).expect_err("scheme");
    assert_eq!(err.code(), 12006);
    let err = open_url_blocking(&s, "http//no", OpenUrlOptions::new()).expect_err("url");
    assert_eq!(err.code(), 12005);
    let err =
        open_url_blocking(&s, &ftp.url("/no/such/file"), OpenUrlOptions::new()).expect_err("550");
    assert_eq!(err.code(), 12003, "{err}");
}

#[test]
fn start_open_url_completes_on_the_connection_handle_with_the_stream() {
    let nginx = servers::nginx();
    let ftp = servers::ftp();
    let g = gopher(b"0About\t/about\t127.0.0.1\t70\r\n.\r\n");
    let got: Arc<Mutex<Vec<(u64, UrlStream)>>> = Default::default();
    let keep = got.clone();
    let s = Session::builder()
        .add_root_certificates_file(&nginx.ca_cert)
        .status_callback(move |n| {
            if let Status::RequestComplete(Ok(c @ Completion::Value(_))) = &n.status {
                if let Some(stream) = c.value::<UrlStream>() {
                    keep.lock().push((n.context.0, stream.clone()));
                }
            }
        })
        .build()
        .expect("session");
    let urls = [
        nginx.http_url("/hello.txt"),
        ftp.url("/welcome.txt"),
        format!("gopher://127.0.0.1:{}/1/", g.port()),
    ];
    let mut handles = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let (h, _pending) = start_open_url(
            &s,
            url,
            OpenUrlOptions::new().context(inet::Context(100 + i as u64)),
        )
        .expect(url);
        handles.push(h);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got.lock().len() < urls.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut streams = got.lock().drain(..).collect::<Vec<_>>();
    streams.sort_by_key(|(ctx, _)| *ctx);
    let contexts: Vec<u64> = streams.iter().map(|(c, _)| *c).collect();
    assert_eq!(contexts, [100, 101, 102]);
    let bodies: Vec<Vec<u8>> = streams
        .iter()
        .map(|(_, s)| s.read_to_end_blocking(1 << 20).expect("read"))
        .collect();
    assert_eq!(bodies[0], b"Hello, world!\n");
    assert_eq!(bodies[1], b"Hello from ftp\n");
    assert_eq!(bodies[2], b"0About\t/about\t127.0.0.1\t70\r\n");
}
