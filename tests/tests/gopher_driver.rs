//! inet-gopher's driver against in-process Gopher servers that answer exactly what a test needs
//! (the real server of the harness is in `gopher_api.rs`): menus, text items with `.` lines and
//! dot-stuffing, binary items, searches, Gopher+ attributes, and what servers get wrong.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use inet_core::{Context, ErrorKind, Session};
use inet_gopher::{GopherConnection, GopherOptions, ItemType, Locator, MenuItem};
use inet_tests::fault::{Behaviour, Connection, FaultServer};
use parking_lot::Mutex;

/// A server that reads one request line, records it, answers `reply(line)` and closes.
fn server(
    reply: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) -> (FaultServer, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let s = FaultServer::start(Behaviour::custom(move |c: &mut Connection| {
        let mut line = Vec::new();
        let mut b = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            match c.read(&mut b) {
                Ok(1) => line.push(b[0]),
                _ => return,
            }
        }
        let text = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        let answer = reply(&text);
        log.lock().push(text);
        let _ = c.write_all(&answer);
    }))
    .expect("server");
    (s, seen)
}

fn session() -> Session {
    Session::builder()
        .receive_timeout(Some(Duration::from_secs(5)))
        .build()
        .expect("session")
}

fn connection(s: &Session, port: u16) -> GopherConnection {
    GopherConnection::open(s, "127.0.0.1", port, GopherOptions::new(), Context(0)).expect("open")
}

fn locator(t: ItemType, selector: &str, port: u16) -> Locator {
    Locator::new(t, "x", selector, "127.0.0.1", port).expect("locator")
}

#[test]
fn a_menu_is_read_into_a_find_handle_with_info_lines_and_raw_lines_kept() {
    let (srv, seen) = server(|_| {
        b"iWelcome\t\terror.host\t1\r\n0About\t/about.txt\t127.0.0.1\t70\r\n1Docs\t/docs\t127.0.0.1\t70\r\nnot a menu line\r\n.\r\n".to_vec()
    });
    let s = session();
    let g = connection(&s, srv.port());
    let find = g
        .find_first_blocking(None, None, Context(4))
        .expect("root menu");
    let mut items = Vec::new();
    loop {
        match find.next_blocking() {
            Ok(i) => items.push(i),
            Err(e) => {
                assert_eq!(e.code(), 18, "{e}");
                break;
            }
        }
    }
    assert_eq!(items.len(), 4, "{items:?}");
    let MenuItem::Entry(about) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(
        (about.item_type(), about.selector()),
        (ItemType::TextFile, &b"/about.txt"[..])
    );
    assert!(matches!(&items[3], MenuItem::Raw(r) if r == "not a menu line"));
    assert_eq!(seen.lock().as_slice(), [""]);
}

#[test]
fn a_search_sends_its_query_after_a_tab() {
    let (srv, seen) = server(|_| b"0Hit\t/hit\t127.0.0.1\t70\r\n.\r\n".to_vec());
    let s = session();
    let g = connection(&s, srv.port());
    let search = locator(ItemType::IndexServer, "/search", srv.port());
    let find = g
        .find_first_blocking(Some(&search), Some("gopher rfc"), Context(0))
        .expect("search results");
    assert_eq!(find.remaining().len(), 1);
    assert_eq!(seen.lock().as_slice(), ["/search\tgopher rfc"]);
}

#[test]
fn text_is_read_as_sent_with_its_final_dot_line_dropped_or_unstuffed_when_asked() {
    let (srv, _) = server(|_| b"..kept as sent\r\n.\r\nmore text\r\n.\r\n".to_vec());
    let s = session();
    let g = connection(&s, srv.port());
    let item = locator(ItemType::TextFile, "/t", srv.port());
    let f = g.open_file_blocking(&item, None, Context(0)).expect("text");
    assert_eq!(
        f.read_to_end_blocking(1 << 20).expect("read"),
        b"..kept as sent\r\n.\r\nmore text\r\n"
    );
    let rfc = GopherConnection::open(
        &s,
        "127.0.0.1",
        srv.port(),
        GopherOptions::new().dot_stuffed(true),
        Context(0),
    )
    .expect("open");
    let f = rfc
        .open_file_blocking(&item, None, Context(0))
        .expect("text");
    assert_eq!(
        f.read_to_end_blocking(1 << 20).expect("read"),
        b".kept as sent\r\n"
    );
}

#[test]
fn a_text_item_ends_at_its_dot_line_with_dots_unstuffed_and_binary_reads_to_close() {
    let (srv, _) = server(|sel| match sel {
        "/t" => b"line one\r\n..starts with a dot\r\n.\r\nnot text\r\n".to_vec(),
        _ => (0..=255u8).cycle().take(100_000).collect(),
    });
    let s = session();
    // RFC 1436 framing, as asked.
    let g = GopherConnection::open(
        &s,
        "127.0.0.1",
        srv.port(),
        GopherOptions::new().dot_stuffed(true),
        Context(0),
    )
    .expect("open");
    let text = g
        .open_file_blocking(
            &locator(ItemType::TextFile, "/t", srv.port()),
            None,
            Context(0),
        )
        .expect("text");
    assert_eq!(
        text.read_to_end_blocking(1 << 20).expect("read"),
        b"line one\r\n.starts with a dot\r\n"
    );
    let bin = g
        .open_file_blocking(
            &locator(ItemType::Binary, "/b", srv.port()),
            None,
            Context(0),
        )
        .expect("binary");
    let data = bin.read_to_end_blocking(1 << 20).expect("read");
    assert_eq!(data.len(), 100_000);
    assert!(data.iter().zip((0..=255u8).cycle()).all(|(a, b)| *a == b));
}

#[test]
fn a_text_item_without_its_dot_line_ends_at_the_close() {
    let (srv, _) = server(|_| b"no terminator\r\nat all".to_vec());
    let s = session();
    let g = connection(&s, srv.port());
    let f = g
        .open_file_blocking(
            &locator(ItemType::TextFile, "/t", srv.port()),
            None,
            Context(0),
        )
        .expect("text");
    assert_eq!(
        f.read_to_end_blocking(1 << 20).expect("read"),
        b"no terminator\r\nat all"
    );
}

#[test]
fn wrong_locator_types_are_refused_before_anything_is_sent() {
    let (srv, seen) = server(|_| Vec::new());
    let s = session();
    let g = connection(&s, srv.port());
    let err = g
        .open_file_blocking(
            &locator(ItemType::Directory, "/d", srv.port()),
            None,
            Context(0),
        )
        .expect_err("a menu is not a file");
    assert_eq!(err.kind(), ErrorKind::GopherNotFile);
    assert_eq!(err.code(), 12131);
    let err = g
        .find_first_blocking(
            Some(&locator(ItemType::TextFile, "/t", srv.port())),
            None,
            Context(0),
        )
        .expect_err("a file is not a menu");
    assert_eq!(err.code(), 12135);
    assert_eq!(srv.connections(), 0);
    assert!(seen.lock().is_empty());
}

#[test]
fn binary_noise_as_a_menu_is_an_invalid_server_response_and_an_empty_one_no_more_files() {
    let (srv, _) = server(|sel| match sel {
        "/noise" => vec![0u8, 1, 2, 0xff, b'\n', 0, 0],
        _ => b".\r\n".to_vec(),
    });
    let s = session();
    let g = connection(&s, srv.port());
    let err = g
        .find_first_blocking(
            Some(&locator(ItemType::Directory, "/noise", srv.port())),
            None,
            Context(0),
        )
        .expect_err("noise");
    assert_eq!(err.code(), 12152, "{err}");
    let err = g
        .find_first_blocking(
            Some(&locator(ItemType::Directory, "/empty", srv.port())),
            None,
            Context(0),
        )
        .expect_err("empty");
    assert_eq!(err.code(), 18, "{err}");
}

#[test]
fn gopher_plus_attributes_are_read_and_plain_servers_say_so() {
    let (plus, seen) = server(|_| {
        b"+-1\r\n+INFO: 0About\t/about\t127.0.0.1\t70\t+\r\n+ADMIN:\r\n Admin: Ann <ann@example.org>\r\n Mod-Date: <20240101000000>\r\n+ABSTRACT:\r\n A short text.\r\n.\r\n".to_vec()
    });
    let s = session();
    let g = connection(&s, plus.port());
    let item = locator(ItemType::TextFile, "/about", plus.port());
    let all = g.get_attribute_blocking(&item, None).expect("attributes");
    let names: Vec<&str> = all.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["INFO", "ADMIN", "ABSTRACT"]);
    assert_eq!(all[1].get("admin"), Some("Ann <ann@example.org>"));
    let admin = g
        .get_attribute_blocking(&item, Some("+ADMIN"))
        .expect("one block");
    assert_eq!(admin.len(), 1);
    assert_eq!(seen.lock()[0], "/about\t!");
    assert_eq!(seen.lock()[1], "/about\t!");
    let err = g
        .get_attribute_blocking(&item, Some("VIEWS"))
        .expect_err("no such block");
    assert_eq!(err.code(), 12137, "{err}");

    let (plain, _) = server(|_| b"iJust a menu\t\th\t1\r\n.\r\n".to_vec());
    let g = connection(&s, plain.port());
    let err = g
        .get_attribute_blocking(&locator(ItemType::TextFile, "/a", plain.port()), None)
        .expect_err("not Gopher+");
    assert_eq!(err.code(), 12136, "{err}");
}

#[test]
fn a_selector_that_would_smuggle_a_second_request_is_refused() {
    let err = Locator::new(ItemType::TextFile, "x", "/a\r\n/b", "127.0.0.1", 70)
        .expect_err("CR LF in a selector");
    assert!(err.to_string().contains("selector"), "{err}");
}

#[test]
fn a_ten_mebibyte_menu_line_is_refused_without_holding_it() {
    let (srv, _) = server(|_| {
        let mut line = b"0".to_vec();
        line.resize(10 << 20, b'x');
        line
    });
    let s = session();
    let g = connection(&s, srv.port());
    let err = g
        .find_first_blocking(None, None, Context(0))
        .expect_err("a line longer than the limit");
    assert_eq!(err.kind(), ErrorKind::InvalidServerResponse, "{err}");
}

#[test]
fn gophers_runs_each_request_over_tls_verified_as_https_is() {
    use std::net::TcpListener;
    // An in-process gophers server with the harness's certificate for localhost/127.0.0.1.
    let nginx = inet_tests::servers::nginx();
    let tls_dir = nginx.ca_cert.parent().expect("tls dir");
    let cert = std::fs::read(tls_dir.join("server.crt")).expect("certificate");
    let key = std::fs::read(tls_dir.join("server.key")).expect("key");
    let identity = native_tls::Identity::from_pkcs8(&cert, &key).expect("identity");
    let acceptor = native_tls::TlsAcceptor::new(identity).expect("acceptor");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().expect("accept");
            let Ok(mut tls) = acceptor.accept(tcp) else {
                lines.push("(handshake refused)".to_string());
                continue;
            };
            let mut line = Vec::new();
            let mut b = [0u8; 1];
            while !line.ends_with(b"\r\n") && tls.read(&mut b).unwrap_or(0) == 1 {
                line.push(b[0]);
            }
            lines.push(String::from_utf8_lossy(&line).trim_end().to_string());
            let _ = tls.write_all(b"0Secret\t/secret.txt\tlocalhost\t70\r\n.\r\n");
            let _ = tls.shutdown();
        }
        lines
    });
    let trusting = Session::builder()
        .add_root_certificates_file(&nginx.ca_cert)
        .receive_timeout(Some(Duration::from_secs(5)))
        .build()
        .expect("session");
    let g = GopherConnection::open(
        &trusting,
        "localhost",
        port,
        GopherOptions::new().secure(true),
        Context(0),
    )
    .expect("open");
    let menu = g
        .find_first_blocking(None, None, Context(0))
        .expect("a menu over TLS");
    assert_eq!(menu.remaining().len(), 1);
    // Without the CA the certificate is refused, as for HTTPS.
    let untrusting = session();
    let g = GopherConnection::open(
        &untrusting,
        "localhost",
        port,
        GopherOptions::new().secure(true),
        Context(0),
    )
    .expect("open");
    let err = g
        .find_first_blocking(None, None, Context(0))
        .expect_err("untrusted");
    assert_eq!(err.code(), 12045, "{err}");
    let seen = server.join().expect("server");
    assert_eq!(seen[0], "");
}
