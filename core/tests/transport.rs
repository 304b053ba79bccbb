//! Connecting to a known address and accepting a connection the peer opens.

mod common;

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::servers::{closed_port, Mode, Server};
use common::{session_with, Recorder};
use inet_core::transport::{connect_addr, connect_tcp, Listener};
use inet_core::{Context, HandleKind, Session};

const RESOLVING_NAME: u32 = 10;
const NAME_RESOLVED: u32 = 11;
const CONNECTING: u32 = 20;
const CONNECTED: u32 = 21;

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn connect_addr_reports_connecting_and_connected_without_resolving() {
    let echo = Server::start(Mode::Echo);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let h = session
        .create_child(HandleKind::ConnectFtp, Context(3))
        .unwrap();
    let mut conn = h
        .block(connect_addr(&h, echo.addr, "ftp.test:2121"))
        .unwrap();
    assert_eq!(conn.peer(), echo.addr);
    assert_eq!(conn.label(), "ftp.test:2121");
    let codes = rec.codes(h.id());
    assert!(!codes.contains(&RESOLVING_NAME) && !codes.contains(&NAME_RESOLVED));
    assert_eq!(codes[codes.len() - 2..], [CONNECTING, CONNECTED]);
    let texts: Vec<String> = rec
        .all()
        .into_iter()
        .filter(|s| s.handle == h.id() && s.code == CONNECTED)
        .map(|s| s.text)
        .collect();
    assert_eq!(texts, [format!("CONNECTED_TO_SERVER {}", echo.addr)]);
    // The connection works.
    h.block(conn.write_all(b"hi")).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(h.block(conn.read(&mut buf)).unwrap(), 2);
}

#[test]
fn connect_addr_to_a_refused_port_fails_with_cannot_connect_naming_the_address() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let h = session
        .create_child(HandleKind::ConnectFtp, Context(0))
        .unwrap();
    let addr = loopback(closed_port());
    let err = h.block(connect_addr(&h, addr, "ftp.test")).unwrap_err();
    assert_eq!(err.code(), 12029);
    assert!(err.message().contains(&addr.to_string()), "{err}");
    let codes = rec.codes(h.id());
    assert!(codes.contains(&CONNECTING) && !codes.contains(&CONNECTED));
}

#[test]
fn connect_addr_with_an_unbounded_connect_timeout_still_connects_and_fails() {
    let echo = Server::start(Mode::Echo);
    let session = Session::builder()
        .connect_timeout(Some(Duration::MAX))
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::ConnectFtp, Context(0))
        .unwrap();
    assert!(h.block(connect_addr(&h, echo.addr, "echo")).is_ok());
    let refused = h.block(connect_addr(&h, loopback(closed_port()), "closed"));
    assert_eq!(refused.unwrap_err().code(), 12029);
}

#[test]
fn connect_tcp_with_an_unbounded_connect_timeout_still_connects_and_fails() {
    // `Duration::MAX` means "no limit": no deadline arithmetic may overflow on it.
    let echo = Server::start(Mode::Echo);
    let session = Session::builder()
        .connect_timeout(Some(Duration::MAX))
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    assert!(h.block(connect_tcp(&h, "127.0.0.1", echo.port())).is_ok());
    let refused = h.block(connect_tcp(&h, "127.0.0.1", closed_port()));
    assert_eq!(refused.unwrap_err().code(), 12029);
}

#[test]
fn a_listener_with_an_unbounded_timeout_still_accepts() {
    let session = Session::builder()
        .connect_timeout(Some(Duration::MAX))
        .build()
        .unwrap();
    let mut listener = Listener::bind(&session, loopback(0)).unwrap();
    let addr = listener.local_addr();
    let client = std::thread::spawn(move || TcpStream::connect(addr).unwrap());
    assert!(session.block(listener.accept()).is_ok());
    drop(client.join().unwrap());
}

#[test]
fn a_listener_accepts_a_connection_within_the_connect_timeout() {
    let session = Session::builder()
        .connect_timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let mut listener = Listener::bind(&session, loopback(0)).unwrap();
    let addr = listener.local_addr();
    assert_ne!(addr.port(), 0);
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).unwrap();
        buf
    });
    let mut conn = session.block(listener.accept()).unwrap();
    assert_eq!(conn.peer().ip(), addr.ip());
    session.block(conn.write_all(b"hello")).unwrap();
    assert_eq!(&client.join().unwrap(), b"hello");
}

#[test]
fn a_listener_nobody_connects_to_times_out_with_timeout() {
    let session = Session::builder()
        .connect_timeout(Some(Duration::from_millis(100)))
        .build()
        .unwrap();
    let mut listener = Listener::bind(&session, loopback(0)).unwrap();
    let began = Instant::now();
    let err = session.block(listener.accept()).unwrap_err();
    assert_eq!(err.code(), 12002);
    assert!(began.elapsed() >= Duration::from_millis(100));
    assert!(began.elapsed() < Duration::from_secs(5));
    assert!(
        err.message().contains(&listener.local_addr().to_string()),
        "{err}"
    );
    // An explicit timeout overrides the session's.
    let began = Instant::now();
    let err = session
        .block(listener.accept_within(Some(Duration::from_millis(20))))
        .unwrap_err();
    assert_eq!(err.code(), 12002);
    assert!(began.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_listener_drops_connections_from_other_peers_and_keeps_waiting() {
    let session = Session::builder()
        .connect_timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let expected: IpAddr = [127, 0, 0, 2].into();
    let mut listener = Listener::bind(&session, loopback(0))
        .unwrap()
        .expect_peer(expected);
    let addr = listener.local_addr();

    // A stranger (127.0.0.1) connects first, then the expected peer (127.0.0.2). Both wait in the
    // backlog in that order, so accept sees the stranger first.
    let mut stranger = TcpStream::connect(addr).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let peer = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((expected, 0))).unwrap();
        socket.connect(addr).await.unwrap()
    });

    let conn = session.block(listener.accept()).unwrap();
    assert_eq!(conn.peer().ip(), expected);
    assert_eq!(conn.peer(), peer.local_addr().unwrap());
    // The stranger was closed, not kept.
    stranger
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert!(matches!(stranger.read(&mut buf), Ok(0) | Err(_)));
}

#[test]
fn a_listener_on_an_address_that_is_not_ours_fails_with_cannot_connect() {
    let session = Session::new().unwrap();
    // TEST-NET-1 (RFC 5737) is assigned to nobody, so no interface has it.
    let err = Listener::bind(&session, SocketAddr::from(([192, 0, 2, 1], 0))).unwrap_err();
    assert_eq!(err.code(), 12029);
    assert!(err.message().contains("192.0.2.1"), "{err}");
}

#[test]
fn a_session_with_every_duration_at_max_connects_checks_out_and_refuses() {
    let echo = Server::start(Mode::Echo);
    let session = Session::builder()
        .connect_timeout(Some(Duration::MAX))
        .send_timeout(Some(Duration::MAX))
        .receive_timeout(Some(Duration::MAX))
        .idle_timeout(Duration::MAX)
        .pool_wait_timeout(Some(Duration::MAX))
        .low_speed_limit(u64::MAX, Duration::MAX)
        .max_connections(usize::MAX)
        .max_connections_per_host(usize::MAX)
        .max_idle_connections(usize::MAX)
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let key = inet_core::transport::PoolKey {
        scheme: "test",
        host: "127.0.0.1".into(),
        port: echo.port(),
        proxy: None,
        tls: None,
    };
    let lease = h.block(session.pool().checkout(key.clone())).unwrap();
    let mut conn = h.block(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap();
    h.block(conn.write_all(b"hi")).unwrap();
    lease.put_back(conn);
    assert_eq!(session.pool().stats(&key), (0, 1));
    let refused = h.block(connect_tcp(&h, "127.0.0.1", closed_port()));
    assert_eq!(refused.unwrap_err().code(), 12029);
}
