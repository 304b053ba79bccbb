//! `HandleRef::notifications`: the notification stream beside the callback (issue 11 §4). Per-handle
//! order kept, nothing after HANDLE_CLOSING, bounded with PROGRESS dropped first and
//! HANDLE_CREATED / REQUEST_COMPLETE / HANDLE_CLOSING never, the earlier callback still called,
//! consumed on smol and tokio.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use inet_core::{
    Completion, Context, Direction, HandleId, HandleKind, Notification, Progress, Session, Status,
    STATUS_PROGRESS,
};
use parking_lot::Mutex;

fn progress(done: u64) -> Status {
    Status::Progress(Progress {
        direction: Direction::Receive,
        done,
        total: None,
    })
}

/// Every (handle, code, detail) a callback saw.
type Log = Arc<Mutex<Vec<(HandleId, u32, String)>>>;

fn logging_session() -> (Session, Log) {
    let log: Log = Arc::default();
    let l = log.clone();
    let session = Session::builder()
        .status_callback(move |n: &Notification| {
            l.lock()
                .push((n.handle, n.status.code(), n.status.to_string()))
        })
        .build()
        .expect("session");
    (session, log)
}

fn per_handle(seen: &[(HandleId, u32, String)]) -> HashMap<HandleId, Vec<(u32, String)>> {
    let mut by: HashMap<HandleId, Vec<(u32, String)>> = HashMap::new();
    for (h, c, d) in seen {
        by.entry(*h).or_default().push((*c, d.clone()));
    }
    by
}

#[test]
fn the_stream_sees_what_the_callback_sees_in_each_handles_order_and_ends_after_closing() {
    let (session, log) = logging_session();
    let mut stream = session.notifications(1 << 16);
    // The session's own HANDLE_CREATED came before the stream.
    log.lock().clear();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            session
                .create_child(HandleKind::ConnectHttp, Context(i))
                .expect("child")
        })
        .collect();
    // Four threads notify four handles at once.
    std::thread::scope(|s| {
        for h in &handles {
            s.spawn(move || {
                for i in 0..500u64 {
                    h.notify(progress(i));
                    h.notify(Status::ResponseReceived(i));
                }
                h.notify(Status::RequestComplete(Ok(Completion::Done)));
            });
        }
    });
    drop(handles);
    let session_id = session.id();
    drop(session);
    let got: Vec<Notification> = futures::executor::block_on(stream.by_ref().collect());
    assert_eq!(stream.dropped(), 0);
    let got: Vec<_> = got
        .iter()
        .map(|n| (n.handle, n.status.code(), n.status.to_string()))
        .collect();
    assert_eq!(
        per_handle(&got),
        per_handle(&log.lock()),
        "per-handle order"
    );
    // Ends with the session's own HANDLE_CLOSING; nothing after any handle's HANDLE_CLOSING.
    assert_eq!(got.last().map(|n| (n.0, n.1)), Some((session_id, 70)));
    for (h, notes) in per_handle(&got) {
        assert_eq!(
            notes.last().map(|n| n.0),
            Some(70),
            "{h}: HANDLE_CLOSING last"
        );
        assert_eq!(notes.iter().filter(|n| n.0 == 70).count(), 1, "{h}: once");
    }
}

#[test]
fn a_slow_consumer_loses_progress_first_and_never_completions_or_closings() {
    let session = Session::new().expect("session");
    let mut stream = session.notifications(8);
    let mut children = Vec::new();
    for round in 0..20u64 {
        let h = session
            .create_child(HandleKind::HttpRequest, Context(round))
            .expect("child");
        for i in 0..50 {
            h.notify(progress(round * 1000 + i));
            h.notify(Status::ReceivingResponse);
        }
        h.notify(Status::RequestComplete(Ok(Completion::Count(round))));
        children.push(h.id());
        drop(h);
    }
    drop(session);
    // Nobody read meanwhile: at most the capacity in informational notes are kept.
    let got: Vec<Notification> = futures::executor::block_on(stream.by_ref().collect());
    let essential = |n: &Notification| matches!(n.status.code(), 60 | 70 | 100);
    for id in &children {
        let codes: Vec<u32> = got
            .iter()
            .filter(|n| n.handle == *id && essential(n))
            .map(|n| n.status.code())
            .collect();
        assert_eq!(
            codes,
            [60, 100, 70],
            "{id}: every essential notification, in order"
        );
    }
    let informational = got.iter().filter(|n| !essential(n)).count();
    assert!(informational <= 8, "{informational} informational kept");
    assert!(stream.dropped() >= 20 * 100 - 8);
    // The newest PROGRESS outlives older ones: the one left (if any) is the last one sent.
    let kept: Vec<u64> = got
        .iter()
        .filter_map(|n| match &n.status {
            Status::Progress(p) => Some(p.done),
            _ => None,
        })
        .collect();
    assert!(
        kept.iter().all(|&d| d >= 19_000),
        "old progress evicted first: {kept:?}"
    );
}

#[test]
fn progress_is_evicted_before_other_informational_notes() {
    let session = Session::new().expect("session");
    let mut stream = session.notifications(4);
    let h = session
        .create_child(HandleKind::HttpRequest, Context(0))
        .expect("child");
    h.notify(Status::SendingRequest); // HANDLE_CREATED is already waiting: 2
    h.notify(progress(1));
    h.notify(progress(2)); // full: 4
    h.notify(Status::RequestSent(10)); // evicts progress(1)
    h.notify(Status::ReceivingResponse); // evicts progress(2)
    h.notify(progress(3)); // no progress waiting, informational incoming: dropped
    h.notify(Status::RequestComplete(Ok(Completion::Done))); // evicts SENDING_REQUEST
    let got: Vec<u32> = futures::executor::block_on(async {
        let mut got = Vec::new();
        while let Some(n) = futures::FutureExt::now_or_never(stream.next()).flatten() {
            got.push(n.status.code());
        }
        got
    });
    assert_eq!(got, [60, 31, 40, 100]);
    assert_eq!(stream.dropped(), 4);
    assert!(!got.contains(&STATUS_PROGRESS));
}

#[test]
fn dropping_the_stream_leaves_the_earlier_callback_working() {
    let (session, log) = logging_session();
    let stream = session.notifications(2);
    drop(stream);
    log.lock().clear();
    let h = session
        .create_child(HandleKind::ConnectFtp, Context(0))
        .expect("child");
    for i in 0..100 {
        h.notify(progress(i));
    }
    drop(h);
    assert_eq!(
        log.lock().len(),
        102,
        "HANDLE_CREATED, 100 PROGRESS, HANDLE_CLOSING"
    );
}

#[test]
fn the_stream_ends_when_no_handle_holds_its_callback_any_more() {
    let session = Session::new().expect("session");
    let mut stream = session.notifications(4);
    session.set_status_callback(None);
    assert!(futures::executor::block_on(stream.next()).is_none());
    drop(session);
}

#[test]
fn consumed_on_smol_and_on_tokio_while_another_thread_notifies() {
    for runtime in ["smol", "tokio"] {
        let session = Session::new().expect("session");
        let mut stream = session.notifications(1024);
        let h = session
            .create_child(HandleKind::HttpRequest, Context(5))
            .expect("child");
        let producer = std::thread::spawn(move || {
            for i in 0..200 {
                h.notify(Status::ResponseReceived(i));
                if i % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            h.notify(Status::RequestComplete(Ok(Completion::Done)));
            drop(h);
            drop(session);
        });
        let consume = async move {
            let mut received = 0;
            let mut complete = 0;
            while let Some(n) = stream.next().await {
                match n.status {
                    Status::ResponseReceived(_) => received += 1,
                    Status::RequestComplete(Ok(_)) => complete += 1,
                    _ => {}
                }
            }
            (received, complete)
        };
        let got = match runtime {
            "smol" => smol::block_on(consume),
            _ => tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("tokio")
                .block_on(consume),
        };
        producer.join().expect("producer");
        assert_eq!(got, (200, 1), "{runtime}");
    }
}
