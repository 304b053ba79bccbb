//! An operation's cancellation: the signal a handle's close sets ([`OpSignal`]) and the race of a
//! future against it ([`CancelSignal`]). Knows no handle (the handle's state holds the signal), so
//! it sits below the handle tree.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use event_listener::Event;

use crate::error::{Error, Result};

/// The cancellation signal of one pending operation, set when its handle closes.
pub(crate) struct OpSignal {
    cancelled: AtomicBool,
    event: Event,
}

impl Default for OpSignal {
    fn default() -> Self {
        OpSignal {
            cancelled: AtomicBool::new(false),
            event: Event::new(),
        }
    }
}

impl OpSignal {
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    pub(crate) async fn cancelled(&self) {
        loop {
            if self.is_cancelled() {
                return;
            }
            let listener = self.event.listen();
            if self.is_cancelled() {
                return;
            }
            listener.await;
        }
    }
}

/// An owned view of an operation's cancellation, for futures that must not borrow the
/// [`Operation`] (a callback-mode task keeps the operation beside its future, to complete it even
/// when the future panics).
pub(crate) struct CancelSignal(pub(crate) Arc<OpSignal>);

impl CancelSignal {
    /// Run `fut` until it finishes or the handle is closed (then OPERATION_CANCELLED; `fut` is
    /// dropped, releasing its sockets).
    pub(crate) async fn race<T>(
        self,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if self.0.is_cancelled() {
            return Err(Error::cancelled());
        }
        futures_lite::future::or(fut, async {
            self.0.cancelled().await;
            Err(Error::cancelled())
        })
        .await
    }
}
