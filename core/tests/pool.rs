//! The connection pool: per-host and total limits, first come first served, reuse and staleness.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::servers::{Mode, Server};
use futures_lite::future::{block_on, poll_once};
use inet_core::transport::{connect_tcp, PoolKey};
use inet_core::{Context, HandleKind, Session, Spawn, Task};

fn key(host: &str, port: u16) -> PoolKey {
    PoolKey {
        scheme: "test",
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
    let a = block_on(pool.checkout(key("a", 1))).unwrap();
    let b = block_on(pool.checkout(key("a", 1))).unwrap();
    let mut third = Box::pin(pool.checkout(key("a", 1)));
    assert!(
        block_on(poll_once(&mut third)).is_none(),
        "a third connection to one host was allowed"
    );
    // Another host is not held up.
    let other = block_on(pool.checkout(key("b", 1))).unwrap();
    drop(a);
    let c = block_on(third).unwrap();
    assert_eq!(pool.stats(&key("a", 1)).0, 2);
    drop((b, c, other));
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn try_checkout_grants_at_once_within_the_limits_and_gives_the_key_back_beyond_them() {
    let session = Session::builder()
        .max_connections_per_host(1)
        .build()
        .unwrap();
    let pool = session.pool();
    let a = pool
        .try_checkout(key("a", 1))
        .expect("no permit with room left");
    assert_eq!(pool.stats(&key("a", 1)).0, 1);
    let refused = pool.try_checkout(key("a", 1)).err();
    assert_eq!(refused, Some(key("a", 1)), "a second permit past the limit");
    // Refused without queueing: the permit in use stays the only one, and a waiting checkout
    // gets the freed permit.
    assert_eq!(pool.in_use(), 1);
    let mut waiting = Box::pin(pool.checkout(key("a", 1)));
    assert!(block_on(poll_once(&mut waiting)).is_none());
    drop(a);
    let b = block_on(waiting).unwrap();
    assert_eq!(pool.in_use(), 1);
    drop(b);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let session = Session::builder()
        .max_connections_per_host(1)
        .build()
        .unwrap();
    let pool = session.pool();
    let first = block_on(pool.checkout(key("a", 1))).unwrap();
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
    let first = block_on(pool.checkout(key("a", 1))).unwrap();
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
    let a = block_on(pool.checkout(key("a", 1))).unwrap();
    let _b = block_on(pool.checkout(key("b", 1))).unwrap();
    let mut c = Box::pin(pool.checkout(key("c", 1)));
    assert!(block_on(poll_once(&mut c)).is_none());
    drop(a);
    assert!(block_on(poll_once(&mut c)).is_some());
}

#[test]
fn under_the_total_limit_waiters_of_every_host_are_served_in_arrival_order() {
    // Queued a, b, a: freed permits go to them in that order, whatever their host — and a
    // host's waiter that gave up leaves no gap in the order.
    let session = Session::builder().max_connections(1).build().unwrap();
    let pool = session.pool();
    let first = block_on(pool.checkout(key("x", 1))).unwrap();
    let mut w1 = Box::pin(pool.checkout(key("a", 1)));
    let mut gone = Box::pin(pool.checkout(key("b", 1)));
    let mut w2 = Box::pin(pool.checkout(key("b", 1)));
    let mut w3 = Box::pin(pool.checkout(key("a", 1)));
    for w in [&mut w1, &mut gone, &mut w2, &mut w3] {
        assert!(block_on(poll_once(w)).is_none());
    }
    drop(gone);
    assert_eq!(pool.waiting(), 3);
    drop(first);
    assert!(
        block_on(poll_once(&mut w3)).is_none(),
        "a later `a` overtook"
    );
    assert!(
        block_on(poll_once(&mut w2)).is_none(),
        "`b` overtook the first `a`"
    );
    let l1 = block_on(poll_once(&mut w1)).expect("the oldest waiter was not served");
    drop(l1);
    assert!(
        block_on(poll_once(&mut w3)).is_none(),
        "the second `a` overtook `b`"
    );
    let l2 = block_on(poll_once(&mut w2)).expect("`b` was not served next");
    drop(l2);
    assert!(block_on(poll_once(&mut w3)).is_some());
    assert_eq!(pool.waiting(), 0);
}

#[test]
fn a_returned_connection_is_reused_and_a_closed_one_is_not() {
    let echo = Server::start(Mode::Echo);
    let session = Session::new().unwrap();
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let k = key("127.0.0.1", echo.port());
    let mut lease = block_on(session.pool().checkout(k.clone())).unwrap();
    assert!(lease.take_idle().is_none());
    let conn = block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap();
    assert!(!conn.is_reused());
    lease.put_back(conn);
    assert_eq!(session.pool().stats(&k), (0, 1));
    let mut lease = block_on(session.pool().checkout(k.clone())).unwrap();
    let conn = lease
        .take_idle()
        .expect("the idle connection was not reused");
    assert!(conn.is_reused());
    lease.put_back(conn);

    // A server that closes after answering: its idle connection is stale and must be skipped.
    let closing = Server::start(Mode::AnswerThenClose);
    let k2 = key("127.0.0.1", closing.port());
    let lease = block_on(session.pool().checkout(k2.clone())).unwrap();
    let mut conn = block_on(connect_tcp(&h, "127.0.0.1", closing.port())).unwrap();
    block_on(conn.write_all(b"hi")).unwrap();
    let mut buf = [0u8; 2];
    assert_eq!(block_on(conn.read(&mut buf)).unwrap(), 2);
    lease.put_back(conn);
    std::thread::sleep(Duration::from_millis(100));
    let mut lease = block_on(session.pool().checkout(k2)).unwrap();
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
    let lease = block_on(session.pool().checkout(k.clone())).unwrap();
    lease.put_back(block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap());
    std::thread::sleep(Duration::from_millis(120));
    let mut lease = block_on(session.pool().checkout(k)).unwrap();
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
    let lease = block_on(one.pool().checkout(k.clone())).unwrap();
    lease.put_back(block_on(connect_tcp(&h, "127.0.0.1", echo.port())).unwrap());
    let mut other = block_on(two.pool().checkout(k.clone())).unwrap();
    assert!(other.take_idle().is_none());
    assert_eq!(one.pool().stats(&k), (0, 1));
    assert_eq!(two.pool().stats(&k), (1, 0));
}

/// A connection to `server`, through a throwaway handle of `session`.
fn connect(session: &Session, server: &Server) -> inet_core::transport::Conn {
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    block_on(connect_tcp(&h, "127.0.0.1", server.port())).unwrap()
}

/// Wait up to `limit` for `pred`.
fn eventually(limit: Duration, pred: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if pred() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    pred()
}

#[test]
fn an_idle_connection_nobody_asks_for_again_is_closed_when_it_expires() {
    let server = Server::start(Mode::Stall);
    let session = Session::builder()
        .idle_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(session.pool().checkout(k.clone())).unwrap();
    lease.put_back(connect(&session, &server));
    assert_eq!(session.pool().stats(&k), (0, 1));
    // No pool operation follows: only the sweeper can close it.
    assert!(
        eventually(Duration::from_secs(5), || !server
            .client_gone
            .lock()
            .is_empty()),
        "the idle connection was never closed"
    );
    assert_eq!(session.pool().stats(&k), (0, 0));
    assert_eq!(session.pool().idle(), 0);
}

#[test]
fn any_pool_operation_drops_expired_idle_connections_of_other_keys() {
    let server = Server::start(Mode::Stall);
    // An executor that never runs anything: no sweeper, so only pool operations can expire.
    struct Idle;
    impl Spawn for Idle {
        fn spawn(&self, _: Task) {}
    }
    let session = Session::builder()
        .idle_timeout(Duration::from_millis(50))
        .spawner(Arc::new(Idle))
        .build()
        .unwrap();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(session.pool().checkout(k.clone())).unwrap();
    lease.put_back(connect(&session, &server));
    std::thread::sleep(Duration::from_millis(80));
    assert_eq!(session.pool().stats(&k), (0, 1));
    // Another key's lease coming back sweeps.
    block_on(session.pool().checkout(key("other", 1)))
        .unwrap()
        .discard();
    assert_eq!(session.pool().stats(&k), (0, 0));
}

#[test]
fn idle_connections_are_capped_in_all_and_the_oldest_goes_first() {
    let server = Server::start(Mode::Stall);
    let session = Session::builder().max_idle_connections(2).build().unwrap();
    let pool = session.pool();
    let keys = [key("one", 1), key("two", 1), key("three", 1)];
    for k in &keys {
        let lease = block_on(pool.checkout(k.clone())).unwrap();
        let conn = connect(&session, &server);
        // Distinct idle_since stamps, so "oldest" is well defined.
        std::thread::sleep(Duration::from_millis(5));
        lease.put_back(conn);
    }
    assert_eq!(pool.idle(), 2);
    assert_eq!(pool.stats(&keys[0]), (0, 0), "the oldest was kept");
    assert_eq!(pool.stats(&keys[1]), (0, 1));
    assert_eq!(pool.stats(&keys[2]), (0, 1));
    assert!(eventually(Duration::from_secs(5), || server
        .client_gone
        .lock()
        .len()
        == 1));
}

#[test]
fn max_idle_connections_zero_keeps_none() {
    let server = Server::start(Mode::Stall);
    let session = Session::builder().max_idle_connections(0).build().unwrap();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(session.pool().checkout(k.clone())).unwrap();
    lease.put_back(connect(&session, &server));
    assert_eq!(session.pool().stats(&k), (0, 0));
}

#[test]
fn a_connection_put_back_after_the_session_closed_is_not_kept() {
    let server = Server::start(Mode::Stall);
    let session = Session::new().unwrap();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(session.pool().checkout(k.clone())).unwrap();
    let conn = connect(&session, &server);
    session.close();
    lease.put_back(conn);
    assert_eq!(session.pool().stats(&k), (0, 0));
    assert!(eventually(Duration::from_secs(5), || !server
        .client_gone
        .lock()
        .is_empty()));
}

#[test]
fn a_checkout_that_waits_past_the_pool_wait_timeout_fails_naming_the_host_and_the_limit() {
    let session = Session::builder()
        .max_connections_per_host(1)
        .pool_wait_timeout(Some(Duration::from_millis(50)))
        .build()
        .unwrap();
    let pool = session.pool();
    let held = block_on(pool.checkout(key("busy.test", 80))).unwrap();
    let began = Instant::now();
    let err = block_on(pool.checkout(key("busy.test", 80))).unwrap_err();
    assert_eq!(err.code(), 12002);
    assert!(began.elapsed() >= Duration::from_millis(50));
    assert!(err.message().contains("busy.test:80"), "{err}");
    assert!(err.message().contains("1 per host"), "{err}");
    // It gave its place up: nothing waits, and the permit still works.
    assert_eq!(pool.waiting(), 0);
    drop(held);
    assert!(block_on(pool.checkout(key("busy.test", 80))).is_ok());
}

#[test]
fn the_pool_wait_timeout_names_the_total_limit_when_that_is_the_one_reached() {
    let session = Session::builder()
        .max_connections(1)
        .pool_wait_timeout(Some(Duration::from_millis(20)))
        .build()
        .unwrap();
    let pool = session.pool();
    let _held = block_on(pool.checkout(key("a", 1))).unwrap();
    let err = block_on(pool.checkout(key("b", 1))).unwrap_err();
    assert_eq!(err.code(), 12002);
    assert!(err.message().contains("1 in all"), "{err}");
}

#[test]
fn unbounded_durations_mean_no_limit_in_the_pool() {
    // Duration::MAX for the idle and wait timeouts: nothing may overflow, nothing expires.
    let server = Server::start(Mode::Stall);
    let session = Session::builder()
        .max_connections_per_host(1)
        .idle_timeout(Duration::MAX)
        .pool_wait_timeout(Some(Duration::MAX))
        .connect_timeout(Some(Duration::MAX))
        .build()
        .unwrap();
    let pool = session.pool();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(pool.checkout(k.clone())).unwrap();
    let mut waiter = Box::pin(pool.checkout(k.clone()));
    assert!(block_on(poll_once(&mut waiter)).is_none());
    lease.put_back(connect(&session, &server));
    let mut lease = block_on(waiter).unwrap();
    assert!(lease.take_idle().is_some(), "the idle connection expired");
}

#[test]
fn the_idle_sweeper_ends_when_the_session_closes() {
    // Runs each task on a thread of its own and counts the tasks that ended.
    #[derive(Default)]
    struct Counting {
        spawned: AtomicUsize,
        ended: Arc<AtomicUsize>,
    }
    impl Spawn for Counting {
        fn spawn(&self, task: Task) {
            self.spawned.fetch_add(1, Ordering::SeqCst);
            let ended = self.ended.clone();
            std::thread::spawn(move || {
                futures_lite::future::block_on(task);
                ended.fetch_add(1, Ordering::SeqCst);
            });
        }
    }
    let server = Server::start(Mode::Stall);
    let spawner = Arc::new(Counting::default());
    let session = Session::builder()
        .idle_timeout(Duration::from_secs(3600))
        .spawner(spawner.clone())
        .build()
        .unwrap();
    let k = key("127.0.0.1", server.port());
    let lease = block_on(session.pool().checkout(k)).unwrap();
    lease.put_back(connect(&session, &server));
    assert_eq!(spawner.spawned.load(Ordering::SeqCst), 1, "no sweeper");
    assert_eq!(spawner.ended.load(Ordering::SeqCst), 0);
    session.close();
    assert!(
        eventually(Duration::from_secs(5), || spawner
            .ended
            .load(Ordering::SeqCst)
            == 1),
        "the sweeper outlived the session"
    );
}

#[test]
fn an_executor_that_drops_the_sweeper_does_not_stop_the_next_one_from_starting() {
    // Counts the tasks it is given, and drops them unrun (a runtime shutting down).
    #[derive(Default)]
    struct Dropping(AtomicUsize);
    impl Spawn for Dropping {
        fn spawn(&self, _: Task) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let server = Server::start(Mode::Stall);
    let spawner = Arc::new(Dropping::default());
    let session = Session::builder().spawner(spawner.clone()).build().unwrap();
    let pool = session.pool();
    for port in [1, 2] {
        let lease = block_on(pool.checkout(key("h", port))).unwrap();
        lease.put_back(connect(&session, &server));
    }
    assert_eq!(spawner.0.load(Ordering::SeqCst), 2);
}
