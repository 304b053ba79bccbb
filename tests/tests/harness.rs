//! The test harness itself: the loopback nginx, proftpd, gophernicus and pygopherd serve what the
//! scripts promise, and each fault server behaviour does what its documentation says.

use inet_tests::fault::{Behaviour, FaultServer};
use inet_tests::servers;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const GET: &[u8] = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const OK_HI: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

// ---- proftpd (driven by hand through inet-ftp's sans-IO core, which it checks against a real
// server) ----

/// A control connection spoken by hand: commands out, whole replies in.
struct Control {
    tcp: TcpStream,
    replies: inet_ftp::proto::ReplyReader,
}

impl Control {
    fn connect(port: u16) -> Self {
        let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to proftpd");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Control {
            tcp,
            replies: inet_ftp::proto::ReplyReader::new(),
        }
    }

    fn reply(&mut self) -> inet_ftp::proto::Reply {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(reply) = self.replies.next_reply().expect("a well-formed reply") {
                return reply;
            }
            let n = self.tcp.read(&mut buf).expect("read a reply");
            assert!(n > 0, "proftpd closed the control connection");
            self.replies.push(&buf[..n]);
        }
    }

    fn send(&mut self, command: inet_ftp::proto::Command) -> inet_ftp::proto::Reply {
        self.tcp
            .write_all(&command.to_bytes().expect("encodable"))
            .expect("send a command");
        self.reply()
    }
}

#[test]
fn proftpd_greets_logs_in_anonymously_and_lists_over_epsv() {
    use inet_ftp::proto::{parse_epsv, parse_list_line, parse_quoted_path, Command, Parsed};
    let ftp = servers::ftp();
    let mut c = Control::connect(ftp.port);
    assert_eq!(c.reply().code, 220);
    assert_eq!(c.send(Command::User("anonymous".into())).code, 331);
    assert_eq!(c.send(Command::Pass("inet@example.com".into())).code, 230);
    let pwd = c.send(Command::Pwd);
    assert_eq!(pwd.code, 257);
    assert_eq!(parse_quoted_path(&pwd.text).expect("quoted path"), "/");
    let features = c.send(Command::Feat);
    assert_eq!(features.code, 211);
    // MLST in FEAT announces MLSD too (RFC 3659 §7.8).
    assert!(
        features.lines().any(|l| l.trim().starts_with("MLST ")),
        "{}",
        features.text
    );
    let epsv = c.send(Command::Epsv);
    assert_eq!(epsv.code, 229);
    let port = parse_epsv(&epsv.text).expect("an EPSV port");
    let mut data = TcpStream::connect(("127.0.0.1", port)).expect("data connection");
    assert_eq!(c.send(Command::List(None)).code, 150);
    let mut listing = String::new();
    data.read_to_string(&mut listing).expect("the listing");
    // proftpd sends 226 only once the client has closed the data connection too.
    drop(data);
    assert_eq!(c.reply().code, 226);
    let entries: Vec<_> = listing
        .lines()
        .map(|line| parse_list_line(line, (2026, 12)))
        .collect();
    let welcome = entries
        .iter()
        .find_map(|p| match p {
            Parsed::Entry(e) if e.name == "welcome.txt" => Some(e),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no welcome.txt in {listing:?}"));
    assert_eq!(welcome.size, Some("Hello from ftp\n".len() as u64));
    assert!(
        entries.iter().all(|p| !matches!(p, Parsed::Raw(_))),
        "lines the parser could not read: {entries:?}"
    );
    assert_eq!(c.send(Command::Quit).code, 221);
}

#[test]
fn proftpd_serves_the_generated_data_files_to_the_local_user() {
    use inet_ftp::proto::{parse_pasv, Command, TransferType};
    let ftp = servers::ftp();
    let mut c = Control::connect(ftp.port);
    assert_eq!(c.reply().code, 220);
    assert_eq!(c.send(Command::User(ftp.user.clone())).code, 331);
    assert_eq!(c.send(Command::Pass(ftp.password.clone())).code, 230);
    assert_eq!(c.send(Command::Type(TransferType::Binary)).code, 200);
    let size = c.send(Command::Size("/data/rand_1M.bin".into()));
    assert_eq!((size.code, size.message().trim()), (213, "1048576"));
    let pasv = c.send(Command::Pasv);
    assert_eq!(pasv.code, 227);
    let addr = parse_pasv(&pasv.text).expect("a PASV address");
    let mut data = TcpStream::connect(addr).expect("data connection");
    assert_eq!(c.send(Command::Retr("/data/rand_1M.bin".into())).code, 150);
    let mut body = Vec::new();
    data.read_to_end(&mut body).expect("the file");
    // proftpd sends 226 only once the client has closed the data connection too.
    drop(data);
    assert_eq!(c.reply().code, 226);
    let on_disk = std::fs::read(ftp.root.join("data/rand_1M.bin")).expect("the file on disk");
    assert!(body == on_disk, "the file differs ({} bytes)", body.len());
}

// ---- gophernicus and pygopherd (read by hand through inet-gopher's sans-IO core, which they
// check against real servers) ----

/// Sends one request line and reads the answer until the server closes.
fn gopher_fetch(port: u16, request: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to the gopher server");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    tcp.write_all(request).expect("send the request");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).expect("read the answer");
    answer
}

/// A menu's items, pushed in small pieces as a socket might deliver them, then closed; and
/// whether it ended with a '.' line.
fn gopher_menu(
    wire: &[u8],
    port: u16,
) -> (
    Result<Vec<inet_gopher::proto::MenuItem>, inet_gopher::proto::ProtoError>,
    bool,
) {
    use inet_gopher::proto::MenuParser;
    let mut menu = MenuParser::for_server("127.0.0.1", port);
    let mut items = Vec::new();
    let mut read = |menu: &mut MenuParser| loop {
        match menu.next_item()? {
            Some(item) => items.push(item),
            None => return Ok(()),
        }
    };
    let mut outcome = Ok(());
    for piece in wire.chunks(7) {
        menu.push(piece);
        outcome = outcome.and_then(|()| read(&mut menu));
    }
    menu.finish();
    outcome = outcome.and_then(|()| read(&mut menu));
    (outcome.map(|()| items), menu.terminated())
}

/// The locators of a menu that must hold nothing else.
fn gopher_entries(
    items: Result<Vec<inet_gopher::proto::MenuItem>, inet_gopher::proto::ProtoError>,
) -> Vec<inet_gopher::proto::Locator> {
    use inet_gopher::proto::MenuItem;
    items
        .expect("a well-formed menu")
        .into_iter()
        .map(|item| match item {
            MenuItem::Entry(locator) => locator,
            MenuItem::Raw(raw) => panic!("a line the parser could not read: {raw:?}"),
        })
        .collect()
}

#[test]
fn gophernicus_root_menu_reads_as_the_items_gopher_sh_wrote() {
    use inet_gopher::proto::{request_line, ItemType};
    let gopher = servers::gopher();
    assert!(!gopher.plus);
    let wire = gopher_fetch(
        gopher.port,
        &request_line(b"", None, None).expect("request"),
    );
    let (items, terminated) = gopher_menu(&wire, gopher.port);
    let entries = gopher_entries(items);
    assert!(terminated, "gophernicus ends menus with a '.' line");
    let items: Vec<(ItemType, String)> = entries
        .iter()
        .filter(|l| !l.item_type().is_info())
        .map(|l| (l.item_type(), l.selector_text().into_owned()))
        .collect();
    assert_eq!(
        items,
        [
            (ItemType::TextFile, "/hello.txt".to_owned()),
            (ItemType::TextFile, "/dots.txt".to_owned()),
            (ItemType::Directory, "/dir".to_owned()),
            (ItemType::Binary, "/bin.dat".to_owned()),
            (ItemType::IndexServer, "/search".to_owned()),
            (
                ItemType::Html,
                "URL:http://127.0.0.1:18080/hello.txt".to_owned()
            ),
        ]
    );
    assert_eq!(
        entries.iter().filter(|l| l.item_type().is_info()).count(),
        2
    );
    let hello = &entries[2];
    assert_eq!((hello.host(), hello.port()), ("127.0.0.1", gopher.port));
    // The menu's own locators fetch what they name.
    let text = gopher_fetch(gopher.port, &hello.request(None, None).expect("request"));
    assert_eq!(text, b"Hello, gopher!\r\n");
}

#[test]
fn gophernicus_sends_text_as_it_is_and_a_search_as_a_menu() {
    use inet_gopher::proto::{request_line, ItemType, TextFraming};
    let gopher = servers::gopher();
    // No '.' line and no dot-stuffing: the file with LF made CRLF, to the close.
    let dots = gopher_fetch(gopher.port, b"/dots.txt\r\n");
    let on_disk = std::fs::read_to_string(gopher.root.join("dots.txt")).expect("dots.txt");
    assert_eq!(dots, on_disk.replace('\n', "\r\n").as_bytes());
    let mut framing = TextFraming::new();
    let frame = framing.frame(&dots);
    assert_eq!(frame.payload, 0..frame.consumed);
    assert!(!framing.is_done());
    // So an RFC 1436 reading of it stops at the lone '.' line, a line early.
    let mut rest = &dots[frame.consumed..];
    while !framing.is_done() && !rest.is_empty() {
        rest = &rest[framing.frame(rest).consumed..];
    }
    assert!(framing.terminated());
    assert_eq!(rest, b"after the lone dot\r\n");

    let wire = gopher_fetch(
        gopher.port,
        &request_line(b"/search", Some("inet rocks"), None).expect("request"),
    );
    let (items, terminated) = gopher_menu(&wire, gopher.port);
    let entries = gopher_entries(items);
    assert!(terminated);
    assert_eq!(entries[0].item_type(), ItemType::Info);
    assert_eq!(entries[0].display(), "You searched for: inet rocks");
    assert_eq!(entries[1].selector(), b"/hello.txt");
}

#[test]
fn gophernicus_binary_item_arrives_whole_and_is_no_menu() {
    use inet_gopher::proto::ProtoError;
    let gopher = servers::gopher();
    let bytes = gopher_fetch(gopher.port, b"/bin.dat\r\n");
    let on_disk = std::fs::read(gopher.root.join("bin.dat")).expect("bin.dat");
    assert_eq!(bytes.len(), 65536);
    assert!(bytes == on_disk, "bin.dat differs");
    let (entries, _) = gopher_menu(&bytes, gopher.port);
    assert!(
        matches!(
            entries,
            Err(ProtoError::InvalidReply(_) | ProtoError::LineTooLong { .. })
        ),
        "{entries:?}"
    );
}

#[test]
fn pygopherd_speaks_gopher_plus_and_gophernicus_does_not() {
    use inet_gopher::proto::{
        parse_attributes, parse_error_body, parse_reply_header, request_line, GopherPlus,
        PlusHeader, PlusLength, ProtoError,
    };
    let plus = servers::gopher_plus();
    assert!(plus.plus);
    // Menus: a '+' fifth field, and no '.' line.
    let wire = gopher_fetch(plus.port, b"\r\n");
    let (items, terminated) = gopher_menu(&wire, plus.port);
    let entries = gopher_entries(items);
    assert!(!terminated);
    let hello = entries
        .iter()
        .find(|l| l.selector() == b"/hello.txt")
        .expect("/hello.txt in the menu");
    assert_eq!(hello.gopher_plus(), Some(GopherPlus::Plus));

    // An item with a length header.
    let reply = gopher_fetch(plus.port, &hello.request(None, Some("+")).expect("request"));
    let (header, at) = parse_reply_header(&reply)
        .expect("a Gopher+ header")
        .expect("a whole header");
    assert_eq!(header, PlusHeader::Data(PlusLength::Bytes(15)));
    assert_eq!(&reply[at..], b"Hello, gopher!\n");

    // Its attributes.
    let reply = gopher_fetch(plus.port, &hello.request(None, Some("!")).expect("request"));
    let (header, at) = parse_reply_header(&reply)
        .expect("a Gopher+ header")
        .expect("a whole header");
    assert_eq!(header, PlusHeader::Data(PlusLength::UntilClose));
    let blocks = parse_attributes(&reply[at..]).expect("attribute blocks");
    let names: Vec<&str> = blocks.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["INFO", "ADMIN", "VIEWS"]);
    assert_eq!(
        blocks[0]
            .locator()
            .expect("INFO holds a locator")
            .selector(),
        b"/hello.txt"
    );
    assert!(blocks[1].get("Admin").is_some() && blocks[1].get("Mod-Date").is_some());
    assert_eq!(
        blocks[2].attributes().next().map(|(view, _)| view),
        Some("text/plain")
    );

    // An error reply.
    let reply = gopher_fetch(
        plus.port,
        &request_line(b"/missing", None, Some("+")).expect("request"),
    );
    let (header, at) = parse_reply_header(&reply)
        .expect("a Gopher+ header")
        .expect("a whole header");
    assert!(matches!(header, PlusHeader::Error(_)), "{header:?}");
    let error = parse_error_body(&reply[at..]);
    assert_eq!(error.code, Some(1));
    assert!(error.message.contains("/missing"), "{error:?}");

    // A plain Gopher server answers an attribute request with the item itself.
    let gopher = servers::gopher();
    let reply = gopher_fetch(gopher.port, b"/hello.txt\t!\r\n");
    assert!(matches!(
        parse_reply_header(&reply),
        Err(ProtoError::NotGopherPlus(_))
    ));
}

// ---- nginx ----

#[test]
fn nginx_serves_hello_txt_over_http() {
    let nginx = servers::nginx();
    let response = http_get(nginx.http_port, "/hello.txt", "GET");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let (_, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    assert_eq!(body, "Hello, world!\n");
}

#[test]
fn nginx_serves_hello_txt_over_https_trusting_the_generated_ca() {
    let nginx = servers::nginx();
    let ca = std::fs::read(&nginx.ca_cert).expect("CA certificate");
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(native_tls::Certificate::from_pem(&ca).expect("PEM"))
        .build()
        .expect("TLS connector");
    let tcp = TcpStream::connect(("127.0.0.1", nginx.https_port)).expect("connect");
    let mut tls = connector.connect("localhost", tcp).expect("TLS handshake");
    tls.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    tls.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nHello, world!\n"), "{response}");
}

#[test]
fn nginx_urls_point_at_its_ports() {
    let nginx = servers::nginx();
    assert_eq!(
        nginx.http_url("hello.txt"),
        format!("http://127.0.0.1:{}/hello.txt", nginx.http_port)
    );
    assert_eq!(
        nginx.https_url("/hello.txt"),
        format!("https://127.0.0.1:{}/hello.txt", nginx.https_port)
    );
}

#[test]
fn nginx_serves_the_generated_data_files() {
    let nginx = servers::nginx();
    let sums = std::fs::read_to_string(nginx.data_dir().join("SHA256SUMS")).expect("SHA256SUMS");
    assert!(
        sums.contains("rand_1M.bin") && sums.contains("rand_64M.bin"),
        "{sums}"
    );
    let head = http_get(nginx.http_port, "/data/rand_64M.bin", "HEAD");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 67108864\r\n"), "{head}");
}

#[test]
fn nginx_basic_auth_credentials_come_from_the_env_file() {
    let nginx = servers::nginx();
    assert_eq!(
        (nginx.basic_user.as_str(), nginx.basic_password.as_str()),
        ("user", "pass")
    );
    let response = http_get(nginx.http_port, "/basic/secret.txt", "GET");
    assert!(response.starts_with("HTTP/1.1 401 "), "{response}");
}

// ---- fault servers ----

#[test]
fn respond_writes_the_bytes_then_closes() {
    let server = FaultServer::start(Behaviour::Respond(OK_HI.to_vec())).expect("server");
    let (answer, result) = exchange(&server, GET);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(answer, OK_HI);
}

#[test]
fn the_request_bytes_are_recorded_per_connection() {
    let server = FaultServer::start(Behaviour::Respond(OK_HI.to_vec())).expect("server");
    let _ = exchange(&server, GET);
    let _ = exchange(&server, b"HEAD /y HTTP/1.1\r\n\r\n");
    assert_eq!(server.connections(), 2);
    assert_eq!(
        server.requests(),
        vec![GET.to_vec(), b"HEAD /y HTTP/1.1\r\n\r\n".to_vec()]
    );
}

#[test]
fn a_connection_that_sends_nothing_records_nothing() {
    let server = FaultServer::start(Behaviour::Stall).expect("server");
    let client = TcpStream::connect(server.addr()).expect("connect");
    assert!(server.wait_for_connections(1, Duration::from_secs(5)));
    client.shutdown(Shutdown::Write).expect("shutdown");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.request(0), b"");
    assert_eq!(server.bytes_received(), 0);
}

#[test]
fn stall_never_answers_within_300_ms() {
    let server = FaultServer::start(Behaviour::Stall).expect("server");
    let mut client = TcpStream::connect(server.addr()).expect("connect");
    client.write_all(GET).expect("write");
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let started = Instant::now();
    let err = client.read(&mut [0; 64]).expect_err("no answer");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(290));
    assert_eq!(server.request(0), GET);
}

#[test]
fn respond_then_reset_makes_the_client_read_fail_with_connection_reset() {
    let server = FaultServer::start(Behaviour::RespondThenReset {
        bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial".to_vec(),
    })
    .expect("server");
    let (_, result) = exchange(&server, GET);
    assert_eq!(
        result.map_err(|e| e.kind()),
        Err(io::ErrorKind::ConnectionReset)
    );
}

#[test]
fn garbage_is_sent_without_waiting_for_a_request() {
    let server =
        FaultServer::start(Behaviour::Garbage(b"\x00\xffnot http".to_vec())).expect("server");
    let mut client = TcpStream::connect(server.addr()).expect("connect");
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).expect("read");
    assert_eq!(answer, b"\x00\xffnot http");
}

#[test]
fn huge_headers_sends_at_least_that_many_header_bytes() {
    let server = FaultServer::start(Behaviour::HugeHeaders(100_000)).expect("server");
    let (answer, result) = exchange(&server, GET);
    assert!(result.is_ok(), "{result:?}");
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(answer.ends_with(b"\r\n\r\n"));
    assert!(answer.len() > 100_000, "{}", answer.len());
    assert_eq!(answer.windows(4).filter(|w| w == b"\r\n\r\n").count(), 1);
}

#[test]
fn delay_answers_after_the_delay() {
    let server = FaultServer::start(Behaviour::Delay(Duration::from_millis(200), OK_HI.to_vec()))
        .expect("server");
    let started = Instant::now();
    let (answer, _) = exchange(&server, GET);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(answer, OK_HI);
}

#[test]
fn slow_body_paces_the_body() {
    let server = FaultServer::start(Behaviour::SlowBody {
        head: b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n".to_vec(),
        body: vec![b'x'; 400],
        bytes_per_sec: 1000,
    })
    .expect("server");
    let started = Instant::now();
    let (answer, _) = exchange(&server, GET);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(350), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(answer.ends_with(&[b'x'; 400]));
}

#[test]
fn sequence_serves_each_connection_in_turn_then_repeats_the_last() {
    let server = FaultServer::sequence(vec![
        Behaviour::Respond(b"first".to_vec()),
        Behaviour::Respond(b"second".to_vec()),
    ])
    .expect("server");
    let answers: Vec<Vec<u8>> = (0..3).map(|_| exchange(&server, GET).0).collect();
    assert_eq!(answers, [&b"first"[..], b"second", b"second"]);
}

#[test]
fn custom_gets_the_connection() {
    let server = FaultServer::start(Behaviour::custom(|conn| {
        let head = conn.read_request_head().unwrap_or_default();
        let _ = write!(
            conn,
            "saw {} bytes on connection {}",
            head.len(),
            conn.index()
        );
    }))
    .expect("server");
    let (answer, _) = exchange(&server, GET);
    assert_eq!(
        answer,
        format!("saw {} bytes on connection 0", GET.len()).as_bytes()
    );
}

#[test]
fn dropping_the_server_closes_stalled_connections_promptly() {
    let server = FaultServer::start(Behaviour::Stall).expect("server");
    let mut client = TcpStream::connect(server.addr()).expect("connect");
    client.write_all(GET).expect("write");
    assert!(server.wait_for_connections(1, Duration::from_secs(5)));
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(2));
    client
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let outcome = client.read(&mut [0; 16]);
    assert!(
        matches!(outcome, Ok(0))
            || matches!(&outcome, Err(e) if e.kind() == io::ErrorKind::ConnectionReset),
        "{outcome:?}"
    );
}

#[test]
fn clients_that_disconnect_early_do_not_disturb_the_server() {
    let server = FaultServer::start(Behaviour::HugeHeaders(4 << 20)).expect("server");
    for _ in 0..3 {
        let mut client = TcpStream::connect(server.addr()).expect("connect");
        client.write_all(GET).expect("write");
        let _ = client.read(&mut [0; 16]);
    } // each client hangs up with megabytes still to come
    let (answer, _) = exchange(&server, GET);
    assert!(answer.len() > 4 << 20);
    assert_eq!(server.connections(), 4);
}

// ---- helpers ----

/// Sends `request` and reads until end of stream or an error.
fn exchange(server: &FaultServer, request: &[u8]) -> (Vec<u8>, io::Result<()>) {
    let mut client = TcpStream::connect(server.addr()).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    client.write_all(request).expect("write");
    let mut answer = Vec::new();
    let result = client.read_to_end(&mut answer).map(drop);
    (answer, result)
}

/// One request with `Connection: close`; the whole response as text.
fn http_get(port: u16, path: &str, method: &str) -> String {
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        client,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    client.read_to_string(&mut response).expect("read");
    response
}
