//! Whose turn it is: the URLs of `inet get` and `inet cat` start in order, at most `--parallel`
//! at once, and the run ends when every one has finished.
//!
//! Counted, not scanned: the drivers ask after every completion, and a scan of all transfers
//! there made a run of N URLs cost N² (20,000 URLs: over half of the command's CPU).

/// Started and finished counts of `total` transfers that start in index order.
#[derive(Debug)]
pub struct Turns {
    total: usize,
    parallel: usize,
    /// Transfers `0..started` have started; the next to start is `started`.
    started: usize,
    finished: usize,
}

impl Turns {
    /// `total` transfers, at most `parallel` (at least 1) at once.
    pub fn new(total: usize, parallel: usize) -> Self {
        Turns {
            total,
            parallel: parallel.max(1),
            started: 0,
            finished: 0,
        }
    }

    /// The index of the next transfer to start, when one is waiting and fewer than `parallel`
    /// are running; it counts as started from here.
    pub fn start_next(&mut self) -> Option<usize> {
        let running = self.started - self.finished;
        if self.started == self.total || running >= self.parallel {
            return None;
        }
        self.started += 1;
        Some(self.started - 1)
    }

    /// A started transfer has finished. Once per transfer: the drivers call it only on the
    /// change into their `Done` phase.
    pub fn finish(&mut self) {
        self.finished = (self.finished + 1).min(self.started);
    }

    /// Transfers not finished, waiting ones included.
    pub fn unfinished(&self) -> usize {
        self.total - self.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_start_in_order_up_to_the_limit_and_one_more_per_finish() {
        let mut turns = Turns::new(5, 2);
        assert_eq!(turns.start_next(), Some(0));
        assert_eq!(turns.start_next(), Some(1));
        assert_eq!(turns.start_next(), None, "two are running");
        turns.finish();
        assert_eq!(turns.unfinished(), 4);
        assert_eq!(turns.start_next(), Some(2));
        assert_eq!(turns.start_next(), None);
        turns.finish();
        turns.finish();
        assert_eq!(turns.start_next(), Some(3));
        assert_eq!(turns.start_next(), Some(4));
        assert_eq!(turns.start_next(), None, "none is waiting");
        assert_eq!(turns.unfinished(), 2);
        turns.finish();
        turns.finish();
        assert_eq!(turns.unfinished(), 0);
        assert_eq!(turns.start_next(), None);
    }

    #[test]
    fn a_limit_of_zero_runs_one_at_a_time_and_no_transfers_means_done() {
        let mut turns = Turns::new(2, 0);
        assert_eq!(turns.start_next(), Some(0));
        assert_eq!(turns.start_next(), None);
        assert_eq!(Turns::new(0, 8).unfinished(), 0);
        assert_eq!(Turns::new(0, 8).start_next(), None);
    }
}
