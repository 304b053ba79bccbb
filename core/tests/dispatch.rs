//! The dispatcher's rules (issue: core §2 a–e), each against a recording callback.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{session_with, Recorder};
use inet_core::{Context, HandleKind, Session, Status};

const CREATED: u32 = 60;
const CLOSING: u32 = 70;

#[test]
fn handle_created_comes_first_and_carries_the_id_and_context() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder().context(7));
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let req = conn
        .create_child(HandleKind::HttpRequest, Context(42))
        .unwrap();
    req.notify(Status::SendingRequest);
    let all = rec.all();
    for (h, ctx) in [(session.id(), 7), (conn.id(), 0), (req.id(), 42)] {
        let first = all.iter().find(|s| s.handle == h).unwrap();
        assert_eq!(first.code, CREATED);
        assert_eq!(first.context, ctx);
        assert_eq!(first.text, format!("HANDLE_CREATED {h}"));
    }
    assert_eq!(rec.codes(req.id()), vec![CREATED, 30]);
    assert_eq!(req.parent_id(), Some(conn.id()));
    assert_eq!(req.kind().code(), 13);
}

#[test]
fn context_zero_is_an_ordinary_value_and_set_context_applies_to_later_notifications() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let h = session
        .create_child(HandleKind::ConnectFtp, Context(0))
        .unwrap();
    h.notify(Status::SendingRequest);
    h.set_context(Context(9));
    h.notify(Status::RequestSent(3));
    let ctx: Vec<u64> = rec
        .all()
        .iter()
        .filter(|s| s.handle == h.id())
        .map(|s| s.context)
        .collect();
    assert_eq!(ctx, vec![0, 0, 9]);
}

#[test]
fn handle_closing_comes_exactly_once_and_is_the_last_notification() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let h = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    let keep = h.clone();
    h.notify(Status::SendingRequest);
    h.close();
    h.close();
    keep.notify(Status::RequestSent(1));
    drop(h);
    drop(keep);
    assert_eq!(rec.codes(session.id()), vec![CREATED]);
    let ids: Vec<_> = rec.all().iter().map(|s| s.handle).collect();
    let child = ids[1];
    assert_eq!(rec.codes(child), vec![CREATED, 30, CLOSING]);
}

#[test]
fn closing_a_parent_closes_its_children_first() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    let a = conn
        .create_child(HandleKind::HttpRequest, Context(2))
        .unwrap();
    let b = conn
        .create_child(HandleKind::HttpRequest, Context(3))
        .unwrap();
    session.close();
    let closing: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.code == CLOSING)
        .map(|s| s.handle)
        .collect();
    assert_eq!(closing.len(), 4);
    let pos = |h| closing.iter().position(|x| *x == h).unwrap();
    assert!(pos(a.id()) < pos(conn.id()) && pos(b.id()) < pos(conn.id()));
    assert_eq!(pos(session.id()), 3);
    assert!(a.is_closed() && b.is_closed() && conn.is_closed());
    assert_eq!(session.open_handles(), 0);
}

#[test]
fn a_child_keeps_its_parent_open_until_it_is_dropped() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    let conn_id = conn.id();
    let req = conn
        .create_child(HandleKind::HttpRequest, Context(2))
        .unwrap();
    drop(conn);
    assert_eq!(rec.codes(conn_id), vec![CREATED]);
    drop(req);
    assert_eq!(rec.codes(conn_id), vec![CREATED, CLOSING]);
}

#[test]
fn a_child_takes_its_parents_callback_at_creation_only() {
    let first = Recorder::default();
    let second = Recorder::default();
    let session = session_with(&first, Session::builder());
    let old_child = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    session.set_status_callback(Some(Arc::new(second.callback())));
    let new_child = session
        .create_child(HandleKind::ConnectHttp, Context(2))
        .unwrap();
    old_child.notify(Status::SendingRequest);
    new_child.notify(Status::SendingRequest);
    assert_eq!(first.codes(old_child.id()), vec![CREATED, 30]);
    assert!(second.codes(old_child.id()).is_empty());
    assert_eq!(second.codes(new_child.id()), vec![CREATED, 30]);
    assert!(first.codes(new_child.id()).is_empty());
}

#[test]
fn a_handle_without_a_callback_reports_again_once_given_one_and_stops_once_it_is_taken() {
    let rec = Recorder::default();
    let session = Session::builder().build().unwrap();
    let req = session
        .create_child(HandleKind::HttpRequest, Context(1))
        .unwrap();
    // Nobody listens: dropped (without the handle's lock).
    req.notify(Status::SendingRequest);
    req.set_status_callback(Some(Arc::new(rec.callback())));
    req.notify(Status::RequestSent(10));
    assert_eq!(rec.codes(req.id()), vec![31]);
    req.set_status_callback(None);
    req.notify(Status::ReceivingResponse);
    assert_eq!(rec.codes(req.id()), vec![31]);
    // A callback that takes itself away while being called: nothing reaches it after that
    // (a note it pushes meanwhile is the delivery's, which has no callback any more), and a
    // callback given later hears the notes that follow.
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let (s, r) = (seen.clone(), (*req).clone());
    req.set_status_callback(Some(Arc::new(move |n: &inet_core::Notification| {
        s.lock().push(n.status.code());
        if n.status.code() == 40 {
            r.set_status_callback(None);
            r.notify(Status::ResponseReceived(5));
        }
    })));
    req.notify(Status::ReceivingResponse);
    req.notify(Status::ResponseReceived(6));
    assert_eq!(*seen.lock(), vec![40]);
    req.set_status_callback(Some(Arc::new(rec.callback())));
    req.notify(Status::ResponseReceived(7));
    assert_eq!(rec.codes(req.id()), vec![31, 41]);
}

#[test]
fn one_handles_notifications_arrive_in_order_and_never_concurrently() {
    let inside = Arc::new(AtomicBool::new(false));
    let overlaps = Arc::new(AtomicUsize::new(0));
    let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let (i, o, ord) = (inside.clone(), overlaps.clone(), order.clone());
    let session = Session::builder()
        .status_callback(move |n| {
            if i.swap(true, Ordering::AcqRel) {
                o.fetch_add(1, Ordering::Relaxed);
            }
            if let Status::RequestSent(v) = n.status {
                ord.lock().push(v);
                std::hint::spin_loop();
            }
            i.store(false, Ordering::Release);
        })
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::HttpRequest, Context(0))
        .unwrap();
    const THREADS: u64 = 4;
    const EACH: u64 = 5_000;
    thread::scope(|s| {
        for t in 0..THREADS {
            let h = &h;
            s.spawn(move || {
                for k in 0..EACH {
                    h.notify(Status::RequestSent(t * 1_000_000 + k));
                }
            });
        }
    });
    assert_eq!(
        overlaps.load(Ordering::Relaxed),
        0,
        "two callbacks ran at once for one handle"
    );
    let order = order.lock();
    assert_eq!(order.len() as u64, THREADS * EACH);
    for t in 0..THREADS {
        let mine: Vec<u64> = order
            .iter()
            .copied()
            .filter(|v| v / 1_000_000 == t)
            .collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "thread {t}'s notifications were reordered"
        );
    }
}

#[test]
fn different_handles_are_notified_in_parallel() {
    // Each callback waits (up to 5 s) for the other one to be running too: only parallel delivery
    // lets both see the other.
    let arrived = Arc::new(AtomicUsize::new(0));
    let met = Arc::new(AtomicUsize::new(0));
    let (a, m) = (arrived.clone(), met.clone());
    let session = Session::builder()
        .status_callback(move |n| {
            if let Status::SendingRequest = n.status {
                a.fetch_add(1, Ordering::AcqRel);
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                while a.load(Ordering::Acquire) < 2 && std::time::Instant::now() < deadline {
                    thread::yield_now();
                }
                if a.load(Ordering::Acquire) == 2 {
                    m.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .build()
        .unwrap();
    let h1 = session
        .create_child(HandleKind::HttpRequest, Context(1))
        .unwrap();
    let h2 = session
        .create_child(HandleKind::HttpRequest, Context(2))
        .unwrap();
    thread::scope(|s| {
        s.spawn(|| h1.notify(Status::SendingRequest));
        s.spawn(|| h2.notify(Status::SendingRequest));
    });
    assert_eq!(met.load(Ordering::Relaxed), 2);
}

#[test]
fn a_callback_may_close_its_own_handle_and_call_inet_without_deadlock() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    let req = conn
        .create_child(HandleKind::HttpRequest, Context(2))
        .unwrap();
    let req_ref = (*req).clone();
    let conn_ref = (*conn).clone();
    req.set_status_callback(Some(Arc::new({
        let rec = rec.clone();
        move |n: &inet_core::Notification| {
            rec.record(n);
            // Re-entrant calls on the very handle being notified, and on its parent.
            if let Status::RequestSent(_) = n.status {
                req_ref.set_context(Context(99));
                req_ref.notify(Status::ReceivingResponse);
                let extra = conn_ref
                    .create_child(HandleKind::HttpRequest, Context(3))
                    .unwrap();
                drop(extra);
                req_ref.close();
                req_ref.notify(Status::ResponseReceived(1));
            }
        }
    })));
    req.notify(Status::RequestSent(10));
    assert_eq!(rec.codes(req.id()), vec![CREATED, 31, 40, CLOSING]);
    assert!(req.is_closed());
    assert!(!conn.is_closed());
    let created_in_callback: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.context == 3)
        .map(|s| s.code)
        .collect();
    assert_eq!(created_in_callback, vec![CREATED, CLOSING]);
}

#[test]
fn a_panicking_callback_does_not_stop_later_notifications() {
    let rec = Recorder::default();
    let r = rec.clone();
    let session = Session::builder()
        .status_callback(move |n| {
            r.record(n);
            if let Status::SendingRequest = n.status {
                panic!("callback panics on purpose");
            }
        })
        .build()
        .unwrap();
    let h = session
        .create_child(HandleKind::HttpRequest, Context(0))
        .unwrap();
    h.notify(Status::SendingRequest);
    h.notify(Status::RequestSent(5));
    let other = session
        .create_child(HandleKind::HttpRequest, Context(1))
        .unwrap();
    other.notify(Status::SendingRequest);
    other.notify(Status::ReceivingResponse);
    h.close();
    assert_eq!(rec.codes(h.id()), vec![CREATED, 30, 31, CLOSING]);
    assert_eq!(rec.codes(other.id()), vec![CREATED, 30, 40]);
}

#[test]
fn ten_thousand_handles_created_and_closed_leave_the_table_empty() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    let mut ids = std::collections::HashSet::new();
    let mut open = Vec::new();
    for i in 0..10_000u64 {
        let h = conn
            .create_child(HandleKind::HttpRequest, Context(i))
            .unwrap();
        assert!(ids.insert(h.id()), "id reused");
        if i % 2 == 0 {
            h.close();
        } else {
            open.push(h);
        }
    }
    assert_eq!(session.open_handles(), 2 + 5_000);
    drop(open);
    assert_eq!(session.open_handles(), 2);
    conn.close();
    session.close();
    assert_eq!(session.open_handles(), 0);
    let closing = rec.all().iter().filter(|s| s.code == CLOSING).count();
    assert_eq!(closing, 10_002);
}

#[test]
fn a_closed_handle_refuses_new_children() {
    let session = Session::new().unwrap();
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .unwrap();
    conn.close();
    let err = conn
        .create_child(HandleKind::HttpRequest, Context(0))
        .unwrap_err();
    assert_eq!(err.code(), 6);
}

#[test]
fn sessions_and_handles_are_send_sync_and_cheap_to_clone() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Session>();
    send_sync::<inet_core::Handle>();
    send_sync::<inet_core::HandleRef>();
    send_sync::<inet_core::Error>();
    let session = Session::new().unwrap();
    let clone = session.clone();
    assert_eq!(clone.id(), session.id());
    assert_eq!(session.open_handles(), 1);
}

#[test]
fn a_parents_handle_closing_waits_for_a_child_still_being_delivered_on_another_thread() {
    // One thread is inside the callback for the child (slowly); meanwhile the main thread
    // queues more for the child and closes the parent. The parent's HANDLE_CLOSING must still
    // come after everything of the child's, HANDLE_CLOSING included.
    let rec = Recorder::default();
    let r = rec.clone();
    let session = Session::builder()
        .status_callback(move |n| {
            if matches!(n.status, Status::StateChange(1)) {
                thread::sleep(Duration::from_millis(150));
            }
            r.record(n);
        })
        .build()
        .unwrap();
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(1))
        .unwrap();
    let req = conn
        .create_child(HandleKind::HttpRequest, Context(2))
        .unwrap();
    let slow = (*req).clone();
    let deliverer = thread::spawn(move || slow.notify(Status::StateChange(1)));
    thread::sleep(Duration::from_millis(30));
    req.notify(Status::StateChange(2));
    conn.close();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.handle == conn.id() && x.code == CLOSING)));
    deliverer.join().unwrap();
    let order: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.handle == conn.id() || s.handle == req.id())
        .filter(|s| s.code != CREATED)
        .map(|s| (s.handle, s.code))
        .collect();
    assert_eq!(
        order,
        vec![
            (req.id(), 200),
            (req.id(), 200),
            (req.id(), CLOSING),
            (conn.id(), CLOSING)
        ]
    );
}
