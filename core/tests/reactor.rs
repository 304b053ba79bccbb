//! inet's reactor (core/src/reactor): sockets, timers and `block_on`, on their own — each test
//! a way waiting could go wrong (a lost edge, a wait nobody interrupts, nobody waiting at all).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use futures_lite::{future, AsyncReadExt, AsyncWriteExt};
use inet_core::reactor::Async;
use inet_core::{block_on, Timer};

/// A connected pair: (inet's end through the reactor, the peer as a plain blocking socket).
fn pair() -> (Async<TcpStream>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let ours = block_on(Async::<TcpStream>::connect(addr)).expect("connect");
    let (theirs, _) = listener.accept().expect("accept");
    (ours, theirs)
}

#[test]
fn timers_fire_in_deadline_order_and_not_early() {
    let start = Instant::now();
    let order = block_on(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut tasks = Vec::new();
        for ms in [30u64, 10, 20] {
            let tx = tx.clone();
            tasks.push(async move {
                let at = Timer::after(Duration::from_millis(ms)).await;
                assert!(Instant::now() >= at, "fired before its deadline");
                tx.send(ms).expect("send");
            });
        }
        let mut tasks = tasks.into_iter();
        let (a, b, c) = (
            tasks.next().expect("a"),
            tasks.next().expect("b"),
            tasks.next().expect("c"),
        );
        future::zip(a, future::zip(b, c)).await;
        drop(tx);
        rx.iter().collect::<Vec<_>>()
    });
    assert_eq!(order, [10, 20, 30]);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_timer_set_later_from_another_thread_wakes_an_idle_wait_in_time() {
    // The waiting thread sleeps in epoll_wait with no deadline; a shorter timer added from
    // another thread must shorten that wait, or the timer fires only at the next event.
    let (tx, rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    let parked: Arc<std::sync::Mutex<Option<std::task::Waker>>> = Default::default();
    let (waiting, slot) = (done.clone(), parked.clone());
    let waiter = thread::spawn(move || {
        block_on(future::or(
            async {
                Timer::after(Duration::from_secs(30)).await;
            },
            // Ends the wait when the test is over.
            future::poll_fn(|cx| {
                if let Ok(mut w) = slot.lock() {
                    *w = Some(cx.waker().clone());
                }
                if waiting.load(Ordering::SeqCst) {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            }),
        ))
    });
    thread::sleep(Duration::from_millis(50));
    let t = thread::spawn(move || {
        let started = Instant::now();
        // A foreign executor: the waiting is someone else's (the block_on thread above).
        futures_lite::future::block_on(Timer::after(Duration::from_millis(20)));
        tx.send(started.elapsed()).expect("send");
    });
    let took = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the short timer never fired");
    done.store(true, Ordering::SeqCst);
    if let Some(w) = parked.lock().expect("slot").take() {
        w.wake();
    }
    t.join().expect("join");
    waiter.join().expect("waiter");
    // Without the interruption it would fire with the 30 s one.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[test]
fn futures_on_another_executor_make_progress_with_no_block_on_running() {
    // No inet `block_on` anywhere in this test: the reactor's own thread must do the waiting.
    let (mut ours, mut theirs) = pair();
    let reader = thread::spawn(move || {
        futures_lite::future::block_on(async {
            let mut buf = vec![0u8; 5];
            ours.read_exact(&mut buf).await.map(|_| buf)
        })
    });
    thread::sleep(Duration::from_millis(30));
    theirs.write_all(b"hello").expect("write");
    assert_eq!(reader.join().expect("join").expect("read"), b"hello");
}

#[test]
fn no_edge_is_lost_over_many_small_exchanges() {
    // Ping-pong of 1..=200-byte messages: every read waits for an edge that comes while the
    // previous read's readiness is being cleared, so a lost one hangs the test.
    let (mut ours, theirs) = pair();
    let echo = thread::spawn(move || {
        let mut s = theirs;
        let mut buf = [0u8; 256];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if s.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        }
    });
    block_on(async {
        for round in 0..2000usize {
            let len = round % 200 + 1;
            let msg = vec![(round % 251) as u8; len];
            ours.write_all(&msg).await.expect("write");
            let mut got = vec![0u8; len];
            ours.read_exact(&mut got).await.expect("read");
            assert_eq!(got, msg, "round {round}");
        }
    });
    drop(ours);
    echo.join().expect("echo");
}

#[test]
fn a_wake_from_another_thread_interrupts_a_block_on_waiting_in_the_reactor() {
    let (tx, rx) = async_channel_pair();
    let started = Instant::now();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        tx.store(true, Ordering::SeqCst);
    });
    // Polls a flag, waking itself through a waker another thread calls: the waiting thread
    // sits in epoll_wait with nothing registered, so only the notification gets it out.
    let flag = rx;
    block_on(future::poll_fn(|cx| {
        if flag.load(Ordering::SeqCst) {
            return std::task::Poll::Ready(());
        }
        let waker = cx.waker().clone();
        let f = flag.clone();
        thread::spawn(move || {
            while !f.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(5));
            }
            waker.wake();
        });
        std::task::Poll::Pending
    }));
    assert!(started.elapsed() < Duration::from_secs(5));
    sender.join().expect("join");
}

fn async_channel_pair() -> (Arc<AtomicBool>, Arc<AtomicBool>) {
    let f = Arc::new(AtomicBool::new(false));
    (f.clone(), f)
}

#[test]
fn a_block_on_inside_a_block_on_works() {
    let n = block_on(async {
        block_on(async {
            Timer::after(Duration::from_millis(5)).await;
            7
        })
    });
    assert_eq!(n, 7);
}

#[test]
fn a_refused_connect_fails_with_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("addr");
    drop(listener);
    let err = block_on(Async::<TcpStream>::connect(closed)).expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn a_busy_block_on_does_not_stall_another_threads_socket_for_long() {
    // Thread A runs inet's block_on and keeps polling without waiting (a status callback doing
    // slow work); thread B's future waits on a socket. The reactor's own thread must take a
    // round within its watch interval, not leave B until A waits again.
    let (mut ours, mut theirs) = pair();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let busy = thread::spawn(move || {
        block_on(future::poll_fn(|cx| {
            if s.load(Ordering::SeqCst) {
                return std::task::Poll::Ready(());
            }
            // Busy: never pending for long, never waiting in the reactor.
            thread::sleep(Duration::from_secs(2));
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }))
    });
    thread::sleep(Duration::from_millis(20));
    let reader = thread::spawn(move || {
        let started = Instant::now();
        futures_lite::future::block_on(async {
            let mut b = [0u8; 1];
            ours.read_exact(&mut b).await.expect("read");
        });
        started.elapsed()
    });
    thread::sleep(Duration::from_millis(20));
    theirs.write_all(b"x").expect("write");
    let took = reader.join().expect("join");
    stop.store(true, Ordering::SeqCst);
    busy.join().expect("busy");
    // The watch interval is 10 ms; a busy poll lasts 2 s. Far apart, so a loaded machine does
    // not blur them: under 1 s means the reactor's thread took the round.
    assert!(took < Duration::from_secs(1), "took {took:?}");
}
