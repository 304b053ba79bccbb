//! Throttled byte progress: at most one [`Status::Progress`] every 50 ms per transfer, plus the
//! last one, so progress costs nothing on fast transfers.

use std::time::{Duration, Instant};

use crate::handle::HandleRef;
use crate::status::{Direction, Progress, Status};

const INTERVAL: Duration = Duration::from_millis(50);

/// Counts bytes of one transfer and reports them to a handle's callback, throttled.
#[derive(Debug)]
pub struct ProgressMeter {
    direction: Direction,
    total: Option<u64>,
    done: u64,
    reported: Option<u64>,
    /// When the last report went out, or the first bytes came (None before any): the clock is
    /// read once per [`add`](Self::add) and not at all for the rest, as a small transfer is
    /// one or two adds.
    last: Option<Instant>,
}

impl ProgressMeter {
    /// A meter for a transfer of `total` bytes (None when unknown).
    pub fn new(direction: Direction, total: Option<u64>) -> Self {
        ProgressMeter {
            direction,
            total,
            done: 0,
            reported: None,
            last: None,
        }
    }

    /// Bytes moved so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Count `n` more bytes; notify `handle` if the last report is 50 ms old.
    pub fn add(&mut self, handle: &HandleRef, n: u64) {
        self.done += n;
        let now = Instant::now();
        let last = *self.last.get_or_insert(now);
        if now.saturating_duration_since(last) >= INTERVAL {
            self.last = Some(now);
            self.report(handle);
        }
    }

    /// The final report (sent once, unless the last report already said the same).
    pub fn finish(&mut self, handle: &HandleRef) {
        if self.reported != Some(self.done) {
            self.report(handle);
        }
    }

    fn report(&mut self, handle: &HandleRef) {
        self.reported = Some(self.done);
        handle.notify(Status::Progress(Progress {
            direction: self.direction,
            done: self.done,
            total: self.total,
        }));
    }
}
