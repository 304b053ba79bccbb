//! `--trace json|text`: one line on stderr per notification.
//!
//! JSON keeps the field order of the issue —
//! `{"t_ms":…,"handle":…,"parent":…,"kind":"request","context":…,"status":"SENDING_REQUEST","code":30,"info":{…}}`
//! — so the top level is written by hand; `info` (the status's data) is a `serde_json` object.

use std::io::Write;
use std::time::Instant;

use clap::ValueEnum;
use inet::{Completion, Direction, Notification, Status};
use serde_json::{json, Value};

/// How `--trace` prints notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// One JSON object per line.
    Json,
    /// One human line, e.g. `+12.3ms #3 request ctx=1 SENDING_REQUEST`.
    Text,
}

/// Writes notifications to stderr, timed from `t0`.
#[derive(Debug, Clone, Copy)]
pub struct Tracer {
    format: TraceFormat,
    t0: Instant,
}

impl Tracer {
    pub fn new(format: TraceFormat, t0: Instant) -> Self {
        Tracer { format, t0 }
    }

    /// Print one line for `n` (a failed write to stderr is ignored: there is nowhere to report it).
    /// The time is taken with stderr locked, so lines from different threads stay in time order.
    pub fn write(&self, n: &Notification) {
        let mut stderr = std::io::stderr().lock();
        let t_ms = self.t0.elapsed().as_secs_f64() * 1000.0;
        let line = match self.format {
            TraceFormat::Json => json_line(t_ms, n),
            TraceFormat::Text => text_line(t_ms, n),
        };
        let _ = writeln!(stderr, "{line}");
    }
}

/// `{"t_ms":…,"handle":…,"parent":…,"kind":…,"context":…,"status":…,"code":…,"info":{…}}`.
pub fn json_line(t_ms: f64, n: &Notification) -> String {
    let parent = n.parent.map_or(Value::Null, |p| p.get().into());
    format!(
        r#"{{"t_ms":{},"handle":{},"parent":{},"kind":{},"context":{},"status":{},"code":{},"info":{}}}"#,
        Value::from((t_ms * 1000.0).round() / 1000.0),
        n.handle.get(),
        parent,
        Value::from(n.kind.short_name()),
        n.context.0,
        Value::from(n.status.name()),
        n.status.code(),
        info(&n.status),
    )
}

/// `+12.3ms #3 request ctx=1 SENDING_REQUEST` (with the status's data after the name).
pub fn text_line(t_ms: f64, n: &Notification) -> String {
    let mut line = format!(
        "+{t_ms:.1}ms {} {} ctx={} {}",
        n.handle,
        n.kind.short_name(),
        n.context.0,
        n.status
    );
    if let Status::RequestComplete(Err(e)) = &n.status {
        line.push_str(&format!(": {e}"));
    }
    line
}

/// The data a status carries, as a JSON object (empty when it carries none).
///
/// REQUEST_COMPLETE follows WinINet's `INTERNET_ASYNC_RESULT`: `result` (1 or 0) and `error` (0 or
/// the ERROR_INTERNET_* code), plus `name` and `message` on failure and the payload on success.
pub fn info(status: &Status) -> Value {
    match status {
        Status::ResolvingName(host) => json!({ "host": host }),
        Status::NameResolved(ip) => json!({ "address": ip.to_string() }),
        Status::ConnectingToServer(a) | Status::ConnectedToServer(a) => {
            json!({ "address": a.to_string() })
        }
        Status::RequestSent(n) | Status::ResponseReceived(n) => json!({ "bytes": n }),
        Status::HandleCreated(id) => json!({ "handle": id.get() }),
        Status::RequestComplete(Ok(c)) => completion(c),
        Status::RequestComplete(Err(e)) => json!({
            "result": 0,
            "error": e.code(),
            "name": e.kind().name(),
            "message": e.to_string(),
        }),
        Status::Redirect(url) => json!({ "url": url }),
        Status::IntermediateResponse(code) => json!({ "status": code }),
        Status::StateChange(state) => json!({ "state": state }),
        Status::Progress(p) => json!({
            "direction": match p.direction {
                Direction::Send => "send",
                Direction::Receive => "receive",
            },
            "done": p.done,
            "total": p.total,
        }),
        _ => json!({}),
    }
}

fn completion(c: &Completion) -> Value {
    match c {
        Completion::Done => json!({ "result": 1, "error": 0 }),
        Completion::Count(n) => json!({ "result": 1, "error": 0, "count": n }),
        Completion::Data(b) => json!({ "result": 1, "error": 0, "bytes": b.len() }),
        Completion::Text(s) => json!({ "result": 1, "error": 0, "text": s }),
        Completion::Handle(h) => json!({ "result": 1, "error": 0, "handle": h.id().get() }),
        Completion::Value(v) => json!({ "result": 1, "error": 0, "value": v.type_name() }),
        _ => json!({ "result": 1, "error": 0 }),
    }
}
