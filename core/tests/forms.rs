//! Callback mode's first try on the caller's thread, parking until the first wakeup, panics turned
//! into REQUEST_COMPLETE, per-call contexts, and asynchronous cleanup before HANDLE_CLOSING.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{session_with, Recorder};
use inet_core::{Context, Handle, HandleKind, Session, Started};

const COMPLETE: u32 = 100;
const CLOSING: u32 = 70;

fn request(session: &Session, ctx: u64) -> Handle {
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(ctx))
        .unwrap();
    conn.create_child(HandleKind::HttpRequest, Context(ctx))
        .unwrap()
}

fn completions(rec: &Recorder, h: &Handle) -> Vec<(u64, Option<u32>)> {
    rec.all()
        .into_iter()
        .filter(|s| s.handle == h.id() && s.code == COMPLETE)
        .map(|s| (s.context, s.error))
        .collect()
}

/// Waits (up to 5 s) for `h`'s REQUEST_COMPLETE.
fn wait_for_completion(rec: &Recorder, h: &Handle) {
    assert!(
        rec.wait_for(Duration::from_secs(5), |s| s
            .iter()
            .any(|x| x.handle == h.id() && x.code == COMPLETE)),
        "no REQUEST_COMPLETE on handle {}",
        h.id()
    );
}

#[test]
fn start_now_that_finishes_at_once_returns_done_and_sends_no_request_complete() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 1);
    let started = req.start_now(async { Ok(7u64) }).unwrap();
    assert!(matches!(started, Started::Done(7)));
    // The handle is free again at once.
    assert!(matches!(
        req.start_now(async { Ok(8u64) }).unwrap(),
        Started::Done(8)
    ));
    std::thread::sleep(Duration::from_millis(50));
    assert!(completions(&rec, &req).is_empty());
}

#[test]
fn start_now_that_fails_at_once_returns_the_error_and_frees_the_handle() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 1);
    let err = req
        .start_now(async {
            Err::<u64, _>(inet_core::Error::new(
                inet_core::ErrorKind::Timeout,
                "made up",
            ))
        })
        .unwrap_err();
    assert_eq!(err.code(), 12002);
    assert!(req.begin_operation().is_ok());
}

#[test]
fn an_operation_that_waits_is_parked_until_its_wakeup_then_completes() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 3);
    let started = req
        .start_now(async {
            async_io::Timer::after(Duration::from_millis(30)).await;
            Ok(42u64)
        })
        .unwrap();
    assert!(matches!(started, Started::Pending(_)));
    // While it is pending, the handle is taken.
    assert_eq!(req.start_now(async { Ok(1u64) }).unwrap_err().code(), 12019);
    wait_for_completion(&rec, &req);
    assert_eq!(completions(&rec, &req), vec![(3, Some(0))]);
}

#[test]
fn a_wakeup_during_the_first_poll_is_not_lost() {
    // The future wakes its own waker before returning Pending: the parked task must still run.
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 4);
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let started = req
        .start_now(futures_lite::future::poll_fn(move |cx| {
            if p.fetch_add(1, Ordering::SeqCst) == 0 {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(Ok(5u64))
            }
        }))
        .unwrap();
    assert!(matches!(started, Started::Pending(_)));
    wait_for_completion(&rec, &req);
    assert_eq!(polled.load(Ordering::SeqCst), 2);
}

#[test]
fn start_that_finishes_at_once_still_sends_request_complete() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 6);
    let _pending = req.start(async { Ok(()) }).unwrap();
    assert_eq!(completions(&rec, &req), vec![(6, Some(0))]);
}

#[test]
fn a_panicking_operation_completes_with_internal_error_and_frees_the_handle() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 7);

    // Panicking on the first poll (caller's thread).
    let _pending = req
        .start(async {
            panic!("boom");
            #[allow(unreachable_code)]
            Ok(())
        })
        .unwrap();
    // Panicking later, on the executor.
    let _pending = req
        .start(async {
            async_io::Timer::after(Duration::from_millis(10)).await;
            panic!("boom later");
            #[allow(unreachable_code)]
            Ok(())
        })
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .filter(|x| x.handle == req.id() && x.code == COMPLETE)
        .count()
        == 2));
    assert_eq!(
        completions(&rec, &req),
        vec![(7, Some(12004)), (7, Some(12004))]
    );
    // And the handle still works.
    assert!(matches!(
        req.start_now(async { Ok(1u64) }).unwrap(),
        Started::Done(1)
    ));
    // start_now reports a panic on the first poll as an error, at once.
    let err = req
        .start_now(async {
            panic!("boom now");
            #[allow(unreachable_code)]
            Ok(1u64)
        })
        .unwrap_err();
    assert_eq!(err.code(), 12004);
}

#[test]
fn try_then_start_done_by_the_try_builds_no_operation_and_sends_no_request_complete() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 11);
    let built = AtomicBool::new(false);
    let started = req
        .try_then_start(
            || {
                // The try runs as the handle's operation: nothing else can start meanwhile.
                assert_eq!(req.start_now(async { Ok(0u64) }).unwrap_err().code(), 12019);
                Some(Ok(9u64))
            },
            || {
                built.store(true, Ordering::SeqCst);
                async { Ok(0u64) }
            },
        )
        .unwrap();
    assert!(matches!(started, Started::Done(9)));
    assert!(!built.load(Ordering::SeqCst));
    // A try that fails: the error at once, and the handle free again.
    let err = req
        .try_then_start(
            || {
                Some(Err::<u64, _>(inet_core::Error::new(
                    inet_core::ErrorKind::Timeout,
                    "made up",
                )))
            },
            || async { Ok(0u64) },
        )
        .unwrap_err();
    assert_eq!(err.code(), 12002);
    // A try that panics: INTERNAL_ERROR at once, and the handle free again.
    let err = req
        .try_then_start(
            || -> Option<inet_core::Result<u64>> { panic!("boom") },
            || async { Ok(0u64) },
        )
        .unwrap_err();
    assert_eq!(err.code(), 12004);
    assert!(req.begin_operation().is_ok());
    std::thread::sleep(Duration::from_millis(50));
    assert!(completions(&rec, &req).is_empty());
}

#[test]
fn try_then_start_that_would_wait_goes_on_as_one_operation_ending_in_request_complete() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 12);
    let started = req
        .try_then_start(
            || None,
            || async {
                async_io::Timer::after(Duration::from_millis(30)).await;
                Ok(43u64)
            },
        )
        .unwrap();
    assert!(matches!(started, Started::Pending(_)));
    // Still one operation: the handle stays taken until REQUEST_COMPLETE.
    assert_eq!(req.start_now(async { Ok(1u64) }).unwrap_err().code(), 12019);
    wait_for_completion(&rec, &req);
    assert_eq!(completions(&rec, &req), vec![(12, Some(0))]);
    // While another operation is pending, the try does not even run.
    let _op = req.begin_operation().unwrap();
    let tried = AtomicBool::new(false);
    let err = req
        .try_then_start(
            || {
                tried.store(true, Ordering::SeqCst);
                Some(Ok(1u64))
            },
            || async { Ok(1u64) },
        )
        .unwrap_err();
    assert_eq!(err.code(), 12019);
    assert!(!tried.load(Ordering::SeqCst));
}

#[test]
fn closing_wakes_every_waiter_of_a_pending_operation() {
    // Two tasks wait on one operation's cancellation (its own race, and another watcher): the
    // close must wake both, not only the first.
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 13);
    let op = Arc::new(req.begin_operation().unwrap());
    let (woken, wakeups) = std::sync::mpsc::channel();
    for _ in 0..2 {
        let (op, woken) = (op.clone(), woken.clone());
        std::thread::spawn(move || {
            futures_lite::future::block_on(op.cancelled());
            let _ = woken.send(());
        });
    }
    std::thread::sleep(Duration::from_millis(50));
    req.close();
    for waiter in 0..2 {
        assert!(
            wakeups.recv_timeout(Duration::from_secs(5)).is_ok(),
            "waiter {waiter} was not woken by the close"
        );
    }
    assert!(op.is_cancelled());
}

#[test]
fn a_call_context_is_carried_by_its_notifications_and_cancelled_by_close() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 10);
    let h = (*req).clone();
    let _pending = req
        .with_call_context(Context(99))
        .start(async move {
            h.notify(inet_core::Status::SendingRequest);
            futures_lite::future::pending::<()>().await;
            Ok(())
        })
        .unwrap();
    req.notify(inet_core::Status::StateChange(1));
    req.close();
    assert!(rec.wait_for(Duration::from_secs(2), |s| s
        .iter()
        .any(|x| x.handle == req.id() && x.code == CLOSING)));
    let mine: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.handle == req.id())
        .map(|s| (s.code, s.context, s.error))
        .collect();
    assert_eq!(
        mine,
        vec![
            (60, 10, None),  // HANDLE_CREATED, the handle's context
            (30, 99, None),  // SENDING_REQUEST during the call
            (200, 99, None), // anything about the handle while the call is pending
            (COMPLETE, 99, Some(12017)),
            (CLOSING, 10, None), // after the call: the handle's own again
        ]
    );
}

#[test]
fn asynchronous_cleanup_runs_before_handle_closing_and_children_close_first() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let conn = session
        .create_child(HandleKind::ConnectFtp, Context(1))
        .unwrap();
    let file = conn.create_child(HandleKind::FtpFile, Context(2)).unwrap();
    let cleaned = Arc::new(AtomicBool::new(false));
    let c = cleaned.clone();
    let h = (*file).clone();
    file.on_close_async(Duration::from_secs(5), move || {
        Some(Box::pin(async move {
            async_io::Timer::after(Duration::from_millis(50)).await;
            // The step may still report about the handle: HANDLE_CLOSING has not been sent.
            h.notify(inet_core::Status::StateChange(2));
            c.store(true, Ordering::SeqCst);
        }))
    });
    conn.close();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.handle == conn.id() && x.code == CLOSING)));
    assert!(cleaned.load(Ordering::SeqCst));
    let order: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.handle == file.id() || s.handle == conn.id())
        .map(|s| (s.handle, s.code))
        .collect();
    assert_eq!(
        order,
        vec![
            (conn.id(), 60),
            (file.id(), 60),
            (file.id(), 200), // the cleanup step may still report
            (file.id(), CLOSING),
            (conn.id(), CLOSING),
        ]
    );
}

#[test]
fn a_cleanup_step_that_hangs_is_cut_off_at_its_limit() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let file = session
        .create_child(HandleKind::FtpFile, Context(2))
        .unwrap();
    file.on_close_async(Duration::from_millis(100), || {
        Some(Box::pin(futures_lite::future::pending::<()>()))
    });
    let t0 = std::time::Instant::now();
    file.close();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.handle == file.id() && x.code == CLOSING)));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(90) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn a_completion_can_carry_a_protocol_value_that_core_does_not_know() {
    #[derive(Debug, PartialEq)]
    struct Entry {
        name: String,
        size: u64,
    }
    let got = Arc::new(parking_lot::Mutex::new(None));
    let g = got.clone();
    let session = Session::builder()
        .status_callback(move |n| {
            if let inet_core::Status::RequestComplete(Ok(c)) = &n.status {
                if let Some(e) = c.value::<Entry>() {
                    *g.lock() = Some((e.name.clone(), e.size));
                }
            }
        })
        .build()
        .unwrap();
    let find = session
        .create_child(HandleKind::FtpFind, Context(1))
        .unwrap();
    let _pending = find
        .start(async {
            async_io::Timer::after(Duration::from_millis(5)).await;
            Ok(inet_core::Value::new(Entry {
                name: "readme.txt".into(),
                size: 42,
            }))
        })
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while got.lock().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(*got.lock(), Some(("readme.txt".to_string(), 42)));
}

#[test]
fn a_cleanup_with_nothing_left_to_do_closes_on_the_spot_without_the_executor() {
    // A transfer already over has no step to run at close: the close must not cost a trip
    // through the executor (a thread woken per FTP file closed), and HANDLE_CLOSING comes
    // before close() returns.
    struct Counting(AtomicUsize, Arc<dyn inet_core::Spawn>);
    impl inet_core::Spawn for Counting {
        fn spawn(&self, task: inet_core::Task) {
            self.0.fetch_add(1, Ordering::SeqCst);
            self.1.spawn(task);
        }
    }
    struct Threads;
    impl inet_core::Spawn for Threads {
        fn spawn(&self, task: inet_core::Task) {
            std::thread::spawn(move || inet_core::block_on(task));
        }
    }
    let spawner = Arc::new(Counting(AtomicUsize::new(0), Arc::new(Threads)));
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder().spawner(spawner.clone()));
    let file = session
        .create_child(HandleKind::FtpFile, Context(2))
        .unwrap();
    let asked = Arc::new(AtomicBool::new(false));
    let a = asked.clone();
    file.on_close_async(Duration::from_secs(5), move || {
        a.store(true, Ordering::SeqCst);
        None
    });
    file.close();
    assert!(
        asked.load(Ordering::SeqCst),
        "the cleanup maker was not asked"
    );
    assert!(
        rec.all()
            .iter()
            .any(|x| x.handle == file.id() && x.code == CLOSING),
        "HANDLE_CLOSING had not come when close() returned"
    );
    assert_eq!(spawner.0.load(Ordering::SeqCst), 0, "a task was spawned");
}
