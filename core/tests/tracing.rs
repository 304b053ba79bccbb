//! The `tracing` feature (issue 11 §3): a span per handle with its kind, id, parent, context and
//! URL; an event per notification inside it, DEBUG, a failed REQUEST_COMPLETE at WARN; events in
//! each handle's order, none after HANDLE_CLOSING; no inet lock held while the subscriber runs.
//! Built only with the feature (`cargo xtask test` runs it: `-p inet-core --features tracing`).
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use inet_core::{Completion, Context, Error, ErrorKind, HandleKind, Session, Status};
use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Fields of a span or event, as text.
#[derive(Default, Debug, Clone)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        );
    }
}

#[derive(Default)]
struct Seen {
    spans: HashMap<u64, Fields>,
    /// (level, parent span's fields, event's fields)
    events: Vec<(Level, Option<u64>, Fields)>,
}

/// A subscriber that keeps everything, and calls back into inet while it runs: if inet held a
/// handle's lock meanwhile, this would deadlock.
struct Keep {
    seen: Arc<Mutex<Seen>>,
    next: AtomicU64,
    handles: Arc<Mutex<Vec<inet_core::HandleRef>>>,
}

impl Subscriber for Keep {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut f = Fields::default();
        span.record(&mut f);
        self.seen.lock().spans.insert(id, f);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut seen = self.seen.lock();
        if let Some(f) = seen.spans.get_mut(&span.into_u64()) {
            values.record(f);
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        // Re-entering inet from the subscriber: reads each handle's state, which takes its lock.
        let handles = self.handles.lock().clone();
        for h in handles {
            let _ = h.status_callback();
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let parent = event.parent().map(Id::into_u64);
        self.seen
            .lock()
            .events
            .push((*event.metadata().level(), parent, f));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn each_handle_has_a_span_and_each_notification_an_event_in_it() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let handles = Arc::new(Mutex::new(Vec::new()));
    let subscriber = Keep {
        seen: seen.clone(),
        next: AtomicU64::new(0),
        handles: handles.clone(),
    };
    tracing::subscriber::with_default(subscriber, || {
        // No status callback at all: tracing sees the notifications anyway.
        let session = Session::new().expect("session");
        handles.lock().push((*session).clone());
        let conn = session
            .create_child(HandleKind::ConnectHttp, Context(42))
            .expect("child");
        handles.lock().push((*conn).clone());
        conn.trace_url(|| "http://example.invalid/a".to_string());
        conn.notify(Status::SendingRequest);
        conn.notify(Status::RequestComplete(Err(Error::new(
            ErrorKind::Timeout,
            "receiving from example.invalid:80",
        ))));
        conn.notify(Status::RequestComplete(Ok(Completion::Done)));
        let id = conn.id();
        drop(conn);
        handles.lock().clear();
        drop(session);
        let seen = seen.lock();
        let (span_id, span) = seen
            .spans
            .iter()
            .find(|(_, f)| f.0.get("id").map(String::as_str) == Some(&id.to_string()))
            .expect("the connection's span");
        assert_eq!(span.0.get("kind").map(String::as_str), Some("connection"));
        assert_eq!(span.0.get("context").map(String::as_str), Some("42"));
        assert_eq!(
            span.0.get("url").map(String::as_str),
            Some("http://example.invalid/a")
        );
        let mine: Vec<_> = seen
            .events
            .iter()
            .filter(|(_, p, _)| *p == Some(*span_id))
            .map(|(l, _, f)| (*l, f.0.get("code").cloned().unwrap_or_default()))
            .collect();
        assert_eq!(
            mine,
            [
                (Level::DEBUG, "60".to_string()),
                (Level::DEBUG, "30".to_string()),
                (Level::WARN, "12002".to_string()),
                (Level::DEBUG, "100".to_string()),
                (Level::DEBUG, "70".to_string()),
            ],
            "in order, the failure at WARN with its error code, HANDLE_CLOSING last"
        );
    });
}
