//! inet's reactor: which thread waits in it. Alone in its own test binary (process): any other
//! test's `block_on` waiting in the same process-wide reactor would make the wakeups below come
//! from its thread.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use futures_lite::{future, AsyncReadExt, Future};
use inet_core::block_on;
use inet_core::reactor::Async;

#[test]
fn a_blocking_call_takes_its_own_wakeups_while_a_callback_mode_worker_idles() {
    // A session's worker (started by a callback-mode call) waits in the reactor while it is
    // idle. A `block_on` running meanwhile (a blocking call, or a program's own) must do the
    // waiting instead: its socket's wakeups then come on its own thread, not as hops from the
    // worker's. Without the ranks, the idle worker took the lock whenever this thread was busy
    // polling, and from then on every wakeup was a hop (1.6 context switches per request in the
    // sequential-request benchmark).
    let session = inet_core::Session::builder().build().expect("session");
    let conn = session
        .create_child(inet_core::HandleKind::ConnectHttp, inet_core::Context(0))
        .expect("child");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let woken_on = Arc::new(std::sync::Mutex::new(Vec::new()));
    const ROUNDS: usize = 20;
    let log = woken_on.clone();
    let me = thread::current().id();
    let worker = block_on(async {
        let mut ours = Async::<TcpStream>::connect(addr).await.expect("connect");
        let (mut theirs, _) = listener.accept().expect("accept");
        // Start the worker now, inside this `block_on`: a callback-mode operation that waits a
        // little, so it runs on the worker thread, which then idles.
        let (tx, rx) = mpsc::channel();
        let _ = conn.start(async move {
            inet_core::Timer::after(Duration::from_millis(5)).await;
            let _ = tx.send(thread::current().id());
            Ok(())
        });
        // Busy (not waiting) while the worker finishes it and goes idle: the reactor's lock is
        // free for the worker to take.
        thread::sleep(Duration::from_millis(30));
        let writer = thread::spawn(move || {
            for _ in 0..ROUNDS {
                thread::sleep(Duration::from_millis(10));
                theirs.write_all(b"x").expect("write");
            }
            theirs
        });
        for _ in 0..ROUNDS {
            let mut b = [0u8; 1];
            let mut read = ours.read(&mut b);
            future::poll_fn(|cx| {
                let waker = recording_waker(cx.waker().clone(), log.clone());
                let mut cx2 = std::task::Context::from_waker(&waker);
                std::pin::Pin::new(&mut read).poll(&mut cx2)
            })
            .await
            .expect("read");
            // Busy between reads, as a program is: the lock is free meanwhile.
            thread::sleep(Duration::from_millis(2));
        }
        let _theirs = writer.join().expect("writer");
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the worker ran")
    });
    assert_ne!(
        worker, me,
        "the callback-mode operation did not run on the worker"
    );
    let woken_on = woken_on.lock().expect("log").clone();
    assert!(!woken_on.is_empty(), "the reads never waited");
    assert!(
        woken_on.iter().all(|t| *t == me),
        "woken on {woken_on:?}; this thread {me:?}, the worker {worker:?}"
    );
    drop(session);
}

/// A waker that logs the thread each wake comes from, then passes it on.
fn recording_waker(
    inner: std::task::Waker,
    log: Arc<std::sync::Mutex<Vec<thread::ThreadId>>>,
) -> std::task::Waker {
    struct Rec(
        std::task::Waker,
        Arc<std::sync::Mutex<Vec<thread::ThreadId>>>,
    );
    impl std::task::Wake for Rec {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if let Ok(mut l) = self.1.lock() {
                l.push(thread::current().id());
            }
            self.0.wake_by_ref();
        }
    }
    std::task::Waker::from(Arc::new(Rec(inner, log)))
}
