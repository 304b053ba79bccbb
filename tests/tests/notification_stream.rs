//! The notification stream with a real request (issue 11 §4): a callback-mode send awaited on the
//! stream, the body copied through the async reader meanwhile notified, every handle's
//! HANDLE_CLOSING last, the session's last of all.

use std::collections::HashMap;

use futures::StreamExt;
use inet_core::{HandleId, Session, Status};
use inet_http::RequestOptions;
use inet_tests::servers::nginx;

#[test]
fn a_callback_mode_send_is_awaited_on_the_stream_then_the_body_is_copied() {
    let session = Session::new().expect("session");
    let session_id = session.id();
    let mut notes = session.notifications(256);
    let seen = smol::block_on(async {
        let req = inet_http::open(
            &session,
            &nginx().http_url("/data/rand_1M.bin"),
            RequestOptions::default(),
        )
        .expect("open");
        let id = req.handle().id();
        let _pending = req.start_send(None, None).expect("start send");
        let mut seen: Vec<(HandleId, u32)> = Vec::new();
        while let Some(n) = notes.next().await {
            seen.push((n.handle, n.status.code()));
            if n.handle == id {
                if let Status::RequestComplete(r) = &n.status {
                    assert!(r.is_ok(), "{:?}", n.status);
                    break;
                }
            }
        }
        assert_eq!(req.status_code().expect("status"), 200);
        let mut sink = futures::io::sink();
        let copied = futures::io::copy(req.async_reader(), &mut sink)
            .await
            .expect("copy");
        assert_eq!(copied, 1 << 20);
        drop(req);
        drop(session);
        while let Some(n) = notes.next().await {
            seen.push((n.handle, n.status.code()));
        }
        seen
    });
    let mut by: HashMap<HandleId, Vec<u32>> = HashMap::new();
    for (h, c) in &seen {
        by.entry(*h).or_default().push(*c);
    }
    assert_eq!(by.len(), 3, "session, connection, request: {by:?}");
    for (h, codes) in &by {
        assert_eq!(codes.last(), Some(&70), "{h}: HANDLE_CLOSING last");
        if *h != session_id {
            assert_eq!(codes.first(), Some(&60), "{h}: HANDLE_CREATED first");
        }
    }
    assert_eq!(seen.last(), Some(&(session_id, 70)));
    // The download was notified while the copy ran.
    assert!(seen.iter().any(|&(_, c)| c == 41), "RESPONSE_RECEIVED seen");
}
