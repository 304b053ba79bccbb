//! The connection pool: per-host and total limits, first come first served, reuse and staleness.

mod common;

use std::time::Duration;

use common::servers::{Mode, Server};
use futures_lite::future::{block_on, poll_once};
use inet_core::transport::{connect_tcp, PoolKey};
use inet_core::{Context, HandleKind, Session};

fn key(host: &str, port: u16) -> PoolKey {
    PoolKey {
        scheme: "test".into(),
        host: host.into(),
        port,
        proxy: None,
        tls: None,
    }
}

#[test]
fn the_per_host_limit_makes_the_next_checkout_wait_until_a_lease_is_freed() {
    let session = Session::builder()
        .max_connections_per_host(2)
        .build()
        .unwrap();
    let pool = session.pool();
    let a = block_on(pool.checkout(key("a", 1)));
    let b = block_on(pool.checkout(key("a", 1)));
    let mut third = Box::pin(pool.checkout(key("a", 1)));
    assert!(
        block_on(poll_once(&mut third)).is_none(),
        "a third connection to one host was allowed"
    );
    // Another host is not held up.
    let other = block_on(pool.checkout(key("b", 1)));
    drop(a);
    let c = block_on(third);
    assert_eq!(pool.stats(&key("a", 1)).0, 2);
    drop((b, c, other));
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let session = Session::builder()
        .max_connections_per_host(1)
        .build()
        .unwrap();
    let pool = session.pool();
    let first = block_on(pool.checkout(key("a", 1)));
    let mut w1 = Box::pin(pool.checkout(key("a", 1)));
    let mut w2 = Box::pin(pool.checkout(key("a", 1)));
    assert!(block_on(poll_once(&mut w1)).is_none());
    assert!(block_on(poll_once(&mut w2)).is_none());
    assert_eq!(pool.waiting(), 2);
    drop(first);
    assert!(
        block_on(poll_once(&mut w2)).is_none(),
        "the later waiter went first"
    );
    let l1 = block_on(poll_once(&mut w1)).expect("the first waiter was not served");
    drop(l1);
    assert!(block_on(poll_once(&mut w2)).is_some());
}

#[test]
fn a_waiter_that_gives_up_leaves_its_place_to_the_next() {
    let session = Session::builder()
        .max_connections_per_host(1)
        .build()
        .unwrap();
    let pool = session.pool();
    let first = block_on(pool.checkout(key("a", 1)));
    let mut w1 = Box::pin(pool.checkout(key("a", 1)));
    let mut w2 = Box::pin(pool.checkout(key("a", 1)));
    assert!(block_on(poll_once(&mut w1)).is_none());
    assert!(block_on(poll_once(&mut w2)).is_none());
    drop(w1);
    drop(first);
    assert!(block_on(poll_once(&mut w2)).is_some());
}

#[test]
fn the_total_limit_holds_across_hosts() {
    let session = Session::builder().max_connections(2).build().unwrap();
    let pool = session.pool();
    let a = block_on(pool.checkout(key("a", 1)));
    let _b = block_on(pool.checkout(key("b", 1)));
    let mut c = Box::pin(pool.checkout(key("c", 1)));
    assert!(block_on(poll_once(&mut c)).is_none());
    drop(a);
    assert!(block_on(poll_once(&mut c)).is_some());
}

#[test]
fn a_returned_connection_is_reused_and_a_closed_one_is_not() {
    let echo = Server::start(Mode::Echo);
    let session = Session::new().unwrap();
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let k = key("127.0.0.1", echo.port());
    let mut lease = block_on(session.pool().checkout(k.clone()));
    assert!(lease.take_idle().is_none());
    let conn = block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap();
    assert!(!conn.is_reused());
    lease.put_back(conn);
    assert_eq!(session.pool().stats(&k), (0, 1));
    let mut lease = block_on(session.pool().checkout(k.clone()));
    let conn = lease
        .take_idle()
        .expect("the idle connection was not reused");
    assert!(conn.is_reused());
    lease.put_back(conn);

    // A server that closes after answering: its idle connection is stale and must be skipped.
    let closing = Server::start(Mode::AnswerThenClose);
    let k2 = key("127.0.0.1", closing.port());
    let lease = block_on(session.pool().checkout(k2.clone()));
    let mut conn = block_on(connect_tcp(&h, "127.0.0.1", closing.port())).unwrap();
    block_on(conn.write_all(b"hi")).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(block_on(conn.read(&mut buf)).unwrap(), 2);
    lease.put_back(conn);
    std::thread::sleep(Duration::from_millis(100));
    let mut lease = block_on(session.pool().checkout(k2));
    assert!(
        lease.take_idle().is_none(),
        "a connection closed by the server was handed out"
    );
}

#[test]
fn idle_connections_expire_after_the_idle_timeout() {
    let echo = Server::start(Mode::Echo);
    let session = Session::builder()
        .idle_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let k = key("127.0.0.1", echo.port());
    let lease = block_on(session.pool().checkout(k.clone()));
    lease.put_back(block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap());
    std::thread::sleep(Duration::from_millis(120));
    let mut lease = block_on(session.pool().checkout(k));
    assert!(lease.take_idle().is_none());
}

#[test]
fn two_sessions_share_no_connections() {
    let echo = Server::start(Mode::Echo);
    let one = Session::new().unwrap();
    let two = Session::new().unwrap();
    let h = one
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let k = key("127.0.0.1", echo.port());
    let lease = block_on(one.pool().checkout(k.clone()));
    lease.put_back(block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap());
    let mut other = block_on(two.pool().checkout(k.clone()));
    assert!(other.take_idle().is_none());
    assert_eq!(one.pool().stats(&k), (0, 1));
    assert_eq!(two.pool().stats(&k), (1, 0));
}
