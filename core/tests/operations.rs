//! Operations in their three forms, one pending per handle, and cancellation by close.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::servers::{closed_port, Mode, Server};
use common::{session_with, Recorder};
use inet_core::transport::connect_tcp;
use inet_core::{Context, HandleKind, HandleRef, Session, Spawn, StaticResolver, Status, Task};

const COMPLETE: u32 = 100;
const CLOSING: u32 = 70;

/// A tiny operation: connect, send "ping", wait for an answer, return its length.
async fn ping(h: HandleRef, host: &'static str, port: u16) -> inet_core::Result<u64> {
    let mut conn = connect_tcp(&h, host, port).await?;
    h.notify(Status::SendingRequest);
    conn.write_all(b"ping").await?;
    h.notify(Status::RequestSent(4));
    h.notify(Status::ReceivingResponse);
    let mut buf = [0u8; 16];
    let n = conn.read(&mut buf).await?;
    h.notify(Status::ResponseReceived(n as u64));
    Ok(n as u64)
}

fn request(session: &Session, ctx: u64) -> inet_core::Handle {
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(ctx))
        .unwrap();
    conn.create_child(HandleKind::HttpRequest, Context(ctx))
        .unwrap()
}

#[test]
fn closing_a_pending_request_reports_cancelled_then_handle_closing_within_100ms() {
    let server = Server::start(Mode::Stall);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 5);
    let id = req.id();
    let _pending = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.handle == id && x.code == 40)));

    let closed_at = Instant::now();
    req.close();
    assert!(rec.wait_for(Duration::from_secs(2), |s| s
        .iter()
        .any(|x| x.handle == id && x.code == CLOSING)));
    let mine: Vec<_> = rec.all().into_iter().filter(|s| s.handle == id).collect();
    let n = mine.len();
    assert_eq!(mine[n - 2].code, COMPLETE);
    assert_eq!(mine[n - 2].error, Some(12017));
    assert_eq!(mine[n - 1].code, CLOSING);
    assert!(
        mine[n - 1].at - closed_at < Duration::from_millis(100),
        "HANDLE_CLOSING took {:?}",
        mine[n - 1].at - closed_at
    );
    // The socket was released: the server saw the client go away.
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.client_gone.lock().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let gone = *server
        .client_gone
        .lock()
        .first()
        .expect("server never saw the socket close");
    assert!(
        gone - closed_at < Duration::from_millis(100),
        "socket released after {:?}",
        gone - closed_at
    );
    // And nothing more in the next second.
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(rec.all().into_iter().filter(|s| s.handle == id).count(), n);
}

#[test]
fn dropping_the_last_owner_cancels_the_pending_operation() {
    let server = Server::start(Mode::Stall);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 1);
    let id = req.id();
    let _p = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.handle == id && x.code == 40)));
    drop(req);
    assert!(rec.wait_for(Duration::from_secs(2), |s| s
        .iter()
        .any(|x| x.handle == id && x.code == CLOSING)));
    let codes = rec.codes(id);
    assert_eq!(codes[codes.len() - 2..], [COMPLETE, CLOSING]);
    let complete = rec
        .all()
        .into_iter()
        .find(|s| s.handle == id && s.code == COMPLETE)
        .unwrap();
    assert_eq!(complete.error, Some(12017));
}

#[test]
fn a_second_operation_while_one_is_pending_fails_and_sends_nothing() {
    let server = Server::start(Mode::Stall);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 1);
    let _p = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    let before = rec.codes(req.id()).len();
    let err = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap_err();
    assert_eq!(err.code(), 12019);
    let err = req
        .block(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap_err();
    assert_eq!(err.code(), 12019);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        *server.accepted.lock(),
        1,
        "the refused operations must not connect"
    );
    // Only the first operation's own progress may have been notified since.
    let after: Vec<u32> = rec.codes(req.id())[before..].to_vec();
    assert!(
        after
            .iter()
            .all(|c| [10, 11, 20, 21, 30, 31, 40].contains(c)),
        "{after:?}"
    );
}

#[test]
fn callback_mode_returns_pending_then_request_complete_with_the_result() {
    let server = Server::start(Mode::Echo);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 3);
    let pending = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert_eq!(pending.code(), 997);
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.code == COMPLETE)));
    assert_eq!(
        rec.codes(req.id()),
        vec![60, 10, 11, 20, 21, 30, 31, 40, 41, COMPLETE]
    );
    let done = rec.all().into_iter().find(|s| s.code == COMPLETE).unwrap();
    assert_eq!((done.error, done.context), (Some(0), 3));
    // The handle is free again: a second operation may start.
    let again = req
        .block(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert_eq!(again, 4);
}

#[test]
fn the_future_form_runs_on_smol_tokio_and_a_plain_block_on() {
    let server = Server::start(Mode::Echo);
    let session = Session::new().unwrap();
    let req = request(&session, 0);
    let port = server.port();
    let on_smol = smol::block_on(req.run(ping((*req).clone(), "127.0.0.1", port))).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let on_tokio = rt
        .block_on(req.run(ping((*req).clone(), "127.0.0.1", port)))
        .unwrap();
    let on_futures =
        futures::executor::block_on(req.run(ping((*req).clone(), "127.0.0.1", port))).unwrap();
    let blocking = req.block(ping((*req).clone(), "127.0.0.1", port)).unwrap();
    assert_eq!([on_smol, on_tokio, on_futures, blocking], [4, 4, 4, 4]);
}

#[test]
fn dropping_a_future_cancels_it_and_frees_the_handle() {
    let server = Server::start(Mode::Stall);
    let session = Session::new().unwrap();
    let req = request(&session, 0);
    let port = server.port();
    let mut fut = Box::pin(req.run(ping((*req).clone(), "127.0.0.1", port)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while *server.accepted.lock() == 0 && Instant::now() < deadline {
        assert!(
            futures_lite::future::block_on(futures_lite::future::poll_once(&mut fut)).is_none()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(fut);
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.client_gone.lock().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        server.client_gone.lock().len(),
        1,
        "the dropped future's socket stayed open"
    );
    assert!(
        req.begin_operation().is_ok(),
        "the handle stayed busy after its future was dropped"
    );
}

struct TokioSpawn(tokio::runtime::Handle);
impl Spawn for TokioSpawn {
    fn spawn(&self, task: Task) {
        self.0.spawn(task);
    }
}

#[test]
fn callback_mode_runs_on_an_embedders_tokio_runtime() {
    let server = Server::start(Mode::Echo);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let rec = Recorder::default();
    let session = session_with(
        &rec,
        Session::builder().spawner(Arc::new(TokioSpawn(rt.handle().clone()))),
    );
    let req = request(&session, 8);
    let _p = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.code == COMPLETE)));
    let done = rec.all().into_iter().find(|s| s.code == COMPLETE).unwrap();
    assert_eq!(done.error, Some(0));
}

#[test]
fn a_refused_connection_completes_with_cannot_connect_after_connecting_to_server() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder());
    let req = request(&session, 1);
    let _p = req
        .start(ping((*req).clone(), "127.0.0.1", closed_port()))
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.code == COMPLETE)));
    assert_eq!(rec.codes(req.id()), vec![60, 10, 11, 20, COMPLETE]);
    let done = rec.all().into_iter().find(|s| s.code == COMPLETE).unwrap();
    assert_eq!(done.error, Some(12029));
}

#[test]
fn an_unknown_host_completes_with_name_not_resolved_after_resolving_name() {
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder().resolver(StaticResolver::new()));
    let req = request(&session, 1);
    let _p = req.start(ping((*req).clone(), "nowhere.test", 80)).unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.code == COMPLETE)));
    assert_eq!(rec.codes(req.id()), vec![60, 10, COMPLETE]);
    let done = rec.all().into_iter().find(|s| s.code == COMPLETE).unwrap();
    assert_eq!(done.error, Some(12007));
}

#[test]
fn a_silent_server_hits_the_receive_timeout() {
    let server = Server::start(Mode::Stall);
    let session = Session::builder()
        .receive_timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    let req = request(&session, 0);
    let err = req
        .block(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap_err();
    assert_eq!(err.code(), 12002, "{err}");
    assert!(err.to_string().contains("nothing arrived"), "{err}");
}

#[test]
fn a_trickling_server_hits_the_low_speed_limit() {
    let server = Server::start(Mode::Trickle {
        n: 100,
        gap: Duration::from_millis(50),
    });
    let session = Session::builder()
        .low_speed_limit(1_000, Duration::from_millis(300))
        .build()
        .unwrap();
    let req = request(&session, 0);
    let port = server.port();
    let err = req
        .block(async {
            let mut conn = connect_tcp(&req, "127.0.0.1", port).await?;
            conn.write_all(b"go").await?;
            let mut buf = [0u8; 64];
            loop {
                if conn.read(&mut buf).await? == 0 {
                    return Ok(());
                }
            }
        })
        .unwrap_err();
    assert_eq!(err.code(), 12002, "{err}");
    assert!(err.to_string().contains("low-speed limit"), "{err}");
}

#[test]
fn zero_worker_threads_are_refused_at_build_unless_a_spawner_runs_the_work() {
    let err = Session::builder().worker_threads(0).build().unwrap_err();
    assert_eq!(err.code(), 87);
    assert!(err.to_string().contains("worker_threads(0)"), "{err}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let session = Session::builder()
        .worker_threads(0)
        .spawner(Arc::new(TokioSpawn(rt.handle().clone())))
        .build();
    assert!(session.is_ok());
}

#[test]
fn one_worker_thread_runs_callback_mode_operations() {
    let server = Server::start(Mode::Echo);
    let rec = Recorder::default();
    let session = session_with(&rec, Session::builder().worker_threads(1));
    let req = request(&session, 9);
    let _p = req
        .start(ping((*req).clone(), "127.0.0.1", server.port()))
        .unwrap();
    assert!(rec.wait_for(Duration::from_secs(5), |s| s
        .iter()
        .any(|x| x.code == COMPLETE && x.error == Some(0))));
}
