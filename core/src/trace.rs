//! The optional `tracing` feature: one span per handle (`inet_handle`: kind, id, parent, context,
//! and the URL without credentials when a protocol crate records it) and one event per
//! notification inside it — DEBUG, or WARN for a failed REQUEST_COMPLETE. Events are emitted where
//! notifications leave the mailbox, with no inet lock held (a subscriber is user code too), in
//! each handle's order; a notification nobody listens to is traced all the same, one after
//! HANDLE_CLOSING never. Compiled only with the feature: off, nothing of it exists.

use tracing::Span;

use crate::ids::{Context, HandleId, HandleKind};
use crate::status::{Notification, Status};

/// The span of a new handle.
pub(crate) fn handle_span(
    kind: HandleKind,
    id: HandleId,
    parent: Option<HandleId>,
    context: Context,
) -> Span {
    tracing::debug_span!(
        target: "inet",
        "inet_handle",
        kind = kind.short_name(),
        id = %id,
        parent = parent.map(|p| p.to_string()),
        context = context.0,
        url = tracing::field::Empty,
    )
}

/// The event of one notification, in its handle's span.
pub(crate) fn notification(span: &Span, note: &Notification) {
    match &note.status {
        Status::RequestComplete(Err(e)) => tracing::warn!(
            target: "inet",
            parent: span,
            handle = %note.handle,
            context = note.context.0,
            code = e.code(),
            error = %e,
            "REQUEST_COMPLETE failed"
        ),
        status => tracing::debug!(
            target: "inet",
            parent: span,
            handle = %note.handle,
            context = note.context.0,
            code = status.code(),
            "{status}"
        ),
    }
}
