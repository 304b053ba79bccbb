//! A body read in callback mode, continued on whichever thread a read's completion arrives on.
//!
//! `inet get` and `inet cat` start each body's reading from their driver (`crate::serial`), but
//! once the body is flowing the driver has nothing to add: forwarding every `REQUEST_COMPLETE` of
//! a read that went pending to another thread cost two thread switches and a futex wake-up per
//! pending read (1 GiB over loopback HTTP: ~5,800 context switches against ~2,000 for the same
//! reads continued in the callback). Here the status callback writes the piece and starts the
//! next read itself; the driver hears of the transfer again only when its body has ended or
//! failed.
//!
//! The only subtle part is the handoff. A read that goes pending may complete on another thread
//! before the reader, still inside `start_read`, has put its state down. So whoever holds the
//! [`Body`] is its only user, and a completion that finds it in use is left in the slot for the
//! holder to pick up once its `start_read` has returned: no lock is held across a call into inet
//! (whose callbacks may run on the calling thread), and nothing waits.

use std::io;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use inet::{Error, Started};

use crate::output::{Sink, StdoutQueue};

/// How many bytes one read asks for.
pub const READ_CHUNK: usize = 64 * 1024;

/// What a `start_read` did ([`Started`] without its token, which only inet can make: the tests
/// script bodies with this).
pub enum Read {
    /// Done at once with these bytes (empty: the body has ended).
    Done(Bytes),
    /// Pending: its `REQUEST_COMPLETE` will bring the bytes.
    Pending,
}

impl From<Started<Bytes>> for Read {
    fn from(started: Started<Bytes>) -> Self {
        match started {
            Started::Done(data) => Read::Done(data),
            Started::Pending(_) => Read::Pending,
        }
    }
}

/// One transfer's body: where its reads come from and where their bytes go.
pub trait Body: Send {
    /// What [`write`](Body::write) fails with; an inet error becomes one through [`From`].
    type Failure: From<Error> + Send;

    /// Start the next read (InternetReadFile in callback mode).
    fn start_read(&mut self) -> inet::Result<Read>;

    /// Take the next piece of the body (never empty).
    fn write(&mut self, data: &[u8]) -> Result<(), Self::Failure>;

    /// A read went pending: write out what is buffered, so that what came so far is seen while
    /// the network is waited for.
    fn pause(&mut self) -> Result<(), Self::Failure> {
        Ok(())
    }
}

/// What a body is read from: an HTTP request (`inet get`), a URL's stream of any scheme
/// (`inet cat`).
pub trait Source: Send {
    /// InternetReadFile in callback mode, of at most `max` bytes.
    fn start_read(&self, max: usize) -> inet::Result<Started<Bytes>>;
}

impl Source for inet::http::HttpRequest {
    fn start_read(&self, max: usize) -> inet::Result<Started<Bytes>> {
        inet::http::HttpRequest::start_read(self, max)
    }
}

impl Source for inet::UrlStream {
    fn start_read(&self, max: usize) -> inet::Result<Started<Bytes>> {
        inet::UrlStream::start_read(self, max)
    }
}

/// A body read from `source` into `sink` (a file, or stdout in URL order), counting the bytes
/// written; it fails with `F` (the command's failure: an inet error or a write error).
#[derive(Debug)]
pub struct ToSink<S, F> {
    pub source: S,
    pub sink: Sink,
    pub stdout: Arc<Mutex<StdoutQueue>>,
    /// Bytes written so far (the progress line's final count).
    pub received: u64,
    failure: PhantomData<fn() -> F>,
}

impl<S, F> ToSink<S, F> {
    pub fn new(source: S, sink: Sink, stdout: Arc<Mutex<StdoutQueue>>) -> Self {
        ToSink {
            source,
            sink,
            stdout,
            received: 0,
            failure: PhantomData,
        }
    }
}

impl<S: Source, F: From<Error> + From<io::Error> + Send> Body for ToSink<S, F> {
    type Failure = F;

    fn start_read(&mut self) -> inet::Result<Read> {
        self.source.start_read(READ_CHUNK).map(Read::from)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), F> {
        self.received = self.received.saturating_add(data.len() as u64);
        Ok(self.sink.write(&self.stdout, data)?)
    }

    fn pause(&mut self) -> Result<(), F> {
        Ok(self.sink.pause(&self.stdout)?)
    }
}

/// One handoff per transfer, for contexts 1 to `count` (index `ctx - 1`); each tells
/// `on_end(ctx, body, outcome)` of its end.
pub fn per_transfer<B: Body + 'static>(
    count: usize,
    on_end: impl Fn(u64, B, Result<(), B::Failure>) + Clone + Send + Sync + 'static,
) -> Vec<Handoff<B>> {
    (1..=count as u64)
        .map(|ctx| {
            let on_end = on_end.clone();
            Handoff::new(move |body, outcome| on_end(ctx, body, outcome))
        })
        .collect()
}

/// Give a `REQUEST_COMPLETE` of transfer `ctx` (its place in `bodies` counted from 1) to that
/// transfer's body if it is being read and the completion is a read's (bytes, or an error):
/// true when it was taken, so the status callback forwards only the others.
pub fn take_completion<B: Body>(
    bodies: &[Handoff<B>],
    ctx: u64,
    result: &inet::Result<inet::Completion>,
) -> bool {
    let Some(body) = ctx.checked_sub(1).and_then(|i| bodies.get(i as usize)) else {
        return false;
    };
    let read = match result {
        Ok(inet::Completion::Data(b)) => Ok(b.clone()),
        Ok(_) => return false,
        Err(e) => Err(e.clone()),
    };
    body.resume(read)
}

/// Where a body is.
enum Slot<B> {
    /// Not reading yet (the response head is still on its way): completions are not ours.
    Idle,
    /// A read is pending and nobody holds the body: its completion takes it.
    Parked(B),
    /// Someone holds the body and is reading; a completion that arrives meanwhile waits here.
    Busy(Option<inet::Result<Bytes>>),
    /// The body ended or failed; it was handed back.
    Ended,
}

/// Told of a body's end: the body back, and how it ended.
type OnEnd<B> = Box<dyn Fn(B, Result<(), <B as Body>::Failure>) + Send + Sync>;

/// The handoff of one transfer's body between the thread that starts it and the threads its
/// completions arrive on. `on_end` gets the body back with the outcome, once.
pub struct Handoff<B: Body> {
    slot: Mutex<Slot<B>>,
    on_end: OnEnd<B>,
}

impl<B: Body> std::fmt::Debug for Handoff<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*self.lock() {
            Slot::Idle => "idle",
            Slot::Parked(_) => "parked",
            Slot::Busy(_) => "busy",
            Slot::Ended => "ended",
        };
        f.debug_struct("Handoff").field("slot", &state).finish()
    }
}

impl<B: Body> Handoff<B> {
    pub fn new(on_end: impl Fn(B, Result<(), B::Failure>) + Send + Sync + 'static) -> Self {
        Handoff {
            slot: Mutex::new(Slot::Idle),
            on_end: Box::new(on_end),
        }
    }

    /// Start reading `body`: read until a read goes pending (its completion goes to
    /// [`resume`](Self::resume)) or the body ends. A second start is ignored.
    pub fn start(&self, body: B) {
        {
            let mut slot = self.lock();
            if !matches!(*slot, Slot::Idle) {
                return;
            }
            *slot = Slot::Busy(None);
        }
        self.run(body, None);
    }

    /// A read's `REQUEST_COMPLETE` (its bytes, empty at the end, or its error). False when this
    /// body is not being read (the completion is the send's, or comes after the end): the
    /// caller handles it.
    pub fn resume(&self, completed: inet::Result<Bytes>) -> bool {
        let body = {
            let mut slot = self.lock();
            match std::mem::replace(&mut *slot, Slot::Busy(None)) {
                Slot::Parked(body) => body,
                Slot::Busy(_) => {
                    // The holder is still inside the `start_read` that went pending.
                    *slot = Slot::Busy(Some(completed));
                    return true;
                }
                other @ (Slot::Idle | Slot::Ended) => {
                    *slot = other;
                    return false;
                }
            }
        };
        self.run(body, Some(completed));
        true
    }

    /// Hold `body` and read: `next` is a completion to take first.
    fn run(&self, mut body: B, mut next: Option<inet::Result<Bytes>>) {
        loop {
            if let Some(completed) = next.take() {
                match completed {
                    Ok(data) if data.is_empty() => return self.end(body, Ok(())),
                    Ok(data) => {
                        if let Err(f) = body.write(&data) {
                            return self.end(body, Err(f));
                        }
                    }
                    Err(e) => return self.end(body, Err(e.into())),
                }
            }
            match body.start_read() {
                Ok(Read::Done(data)) => next = Some(Ok(data)),
                Ok(Read::Pending) => {
                    if let Err(f) = body.pause() {
                        return self.end(body, Err(f));
                    }
                    let mut slot = self.lock();
                    match &mut *slot {
                        // It completed before we let go: go on with it.
                        Slot::Busy(arrived @ Some(_)) => next = arrived.take(),
                        _ => {
                            *slot = Slot::Parked(body);
                            return;
                        }
                    }
                }
                Err(e) => return self.end(body, Err(e.into())),
            }
        }
    }

    fn end(&self, body: B, outcome: Result<(), B::Failure>) {
        // Handed back while still Busy: a completion arriving meanwhile (there is none: no read is
        // pending) would be kept here and dropped, never started on a body that is gone.
        (self.on_end)(body, outcome);
        *self.lock() = Slot::Ended;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot<B>> {
        // The slot is only replaced whole, never left half-written: a poisoned lock holds a
        // consistent value.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::mpsc;
    use std::sync::Arc;

    /// A scripted body: each `start_read` takes the next answer; a pending one runs `meanwhile`
    /// first (a completion arriving before the reader lets go).
    struct Script {
        reads: VecDeque<Answer>,
        got: Vec<u8>,
        handoff: Option<Arc<Handoff<Script>>>,
    }

    enum Answer {
        Done(&'static [u8]),
        /// Pending; the completion arrives from inside `start_read`, before it returns.
        PendingCompletedAtOnce(&'static [u8]),
        /// Pending; the completion arrives later.
        Pending,
        Fail,
    }

    #[derive(Debug, PartialEq)]
    struct Failed(u32);

    impl From<Error> for Failed {
        fn from(e: Error) -> Self {
            Failed(e.code())
        }
    }

    impl Body for Script {
        type Failure = Failed;

        fn start_read(&mut self) -> inet::Result<Read> {
            match self.reads.pop_front() {
                Some(Answer::Done(d)) => Ok(Read::Done(Bytes::from_static(d))),
                Some(Answer::PendingCompletedAtOnce(d)) => {
                    let handoff = self.handoff.clone();
                    if let Some(h) = handoff {
                        assert!(h.resume(Ok(Bytes::from_static(d))));
                    }
                    Ok(Read::Pending)
                }
                Some(Answer::Pending) => Ok(Read::Pending),
                Some(Answer::Fail) | None => Err(Error::new(inet::ErrorKind::Timeout, "scripted")),
            }
        }

        fn write(&mut self, data: &[u8]) -> Result<(), Failed> {
            self.got.extend_from_slice(data);
            Ok(())
        }
    }

    type Ended = (Vec<u8>, Result<(), Failed>);

    fn handoff() -> (Arc<Handoff<Script>>, mpsc::Receiver<Ended>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let h = Arc::new(Handoff::new(move |body: Script, outcome| {
            let _ = tx.lock().unwrap().send((body.got, outcome));
        }));
        (h, rx)
    }

    fn script(h: &Arc<Handoff<Script>>, reads: Vec<Answer>) -> Script {
        Script {
            reads: reads.into(),
            got: Vec::new(),
            handoff: Some(h.clone()),
        }
    }

    #[test]
    fn completions_before_the_start_are_not_the_body_s() {
        let (h, rx) = handoff();
        assert!(!h.resume(Ok(Bytes::new())));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn reads_done_at_once_and_pending_ones_make_one_body_in_order() {
        let (h, rx) = handoff();
        h.start(script(
            &h,
            vec![
                Answer::Done(b"ab"),
                Answer::Pending,
                Answer::Done(b"d"),
                Answer::Done(b""),
            ],
        ));
        // Parked on the pending read: nothing has ended.
        assert!(rx.try_recv().is_err());
        assert!(h.resume(Ok(Bytes::from_static(b"c"))));
        let (got, outcome) = rx.try_recv().unwrap();
        assert_eq!((got.as_slice(), outcome), (&b"abcd"[..], Ok(())));
        // After the end, completions are not the body's.
        assert!(!h.resume(Ok(Bytes::new())));
    }

    #[test]
    fn a_completion_arriving_inside_start_read_is_taken_by_the_holder() {
        let (h, rx) = handoff();
        h.start(script(
            &h,
            vec![
                Answer::PendingCompletedAtOnce(b"x"),
                Answer::PendingCompletedAtOnce(b"y"),
                Answer::Done(b""),
            ],
        ));
        let (got, outcome) = rx.try_recv().unwrap();
        assert_eq!((got.as_slice(), outcome), (&b"xy"[..], Ok(())));
    }

    #[test]
    fn a_failed_read_ends_the_body_with_its_error_once() {
        let (h, rx) = handoff();
        h.start(script(&h, vec![Answer::Done(b"a"), Answer::Fail]));
        let (got, outcome) = rx.try_recv().unwrap();
        assert_eq!(got, b"a");
        assert_eq!(outcome, Err(Failed(inet::ErrorKind::Timeout.code())));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_pending_read_s_error_ends_the_body() {
        let (h, rx) = handoff();
        h.start(script(&h, vec![Answer::Pending]));
        let cancelled = Error::new(inet::ErrorKind::OperationCancelled, "closed");
        assert!(h.resume(Err(cancelled)));
        let (_, outcome) = rx.try_recv().unwrap();
        assert_eq!(
            outcome,
            Err(Failed(inet::ErrorKind::OperationCancelled.code()))
        );
    }
}
