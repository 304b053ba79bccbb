//! How much a coalescing stream lets the kernel gather before its reader is woken (the receive
//! low-water mark of `Conn::coalesce_reads`): a pure gauge, told of reads and wakeups, that says
//! when the mark should change. No socket here.
//!
//! Why two levels. A server slower than the client (gophernicus under socat, 8 KiB writes)
//! wakes the reader for every few pieces; the higher the mark the fewer wakeups, and waiting
//! costs nothing since the server is the limit: 1 GiB took 0.37 s of client CPU with no mark,
//! 0.20 s at 128 KiB, 0.13 s at 512 KiB. A server faster than the client (proftpd's sendfile)
//! keeps the socket full; there a high mark makes the reader sit idle while the window fills:
//! 1 GiB went from 0.42 s to 0.48 s at 256 KiB (CPU 0.25 → 0.29 s), while 128 KiB was neutral
//! (0.44 s, 0.22 s). So the mark starts at [`LOW`] and goes to [`HIGH`] only while wakeups show
//! the server to be the limit: a wakeup at which the reader finds barely the mark (less than
//! 1.5 times it) means the bytes came no faster than the mark asked for. A fast server shows
//! twice the mark or more per wakeup (2.3× at 128 KiB, 2× at 512 KiB), a slow one about the
//! mark (1.2× at 128 KiB, 0.9× at 512 KiB).

/// The mark a coalescing stream starts with.
pub(crate) const LOW: usize = 128 * 1024;

/// The mark while the server is the limit.
pub(crate) const HIGH: usize = 512 * 1024;

/// Wakeups in a row that must agree before the mark changes (one setsockopt each change).
const STREAK: u8 = 4;

/// See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct MarkGauge {
    mark: usize,
    /// Bytes read since the last wakeup.
    since_wake: u64,
    /// Wakeups in a row that asked for the other level.
    streak: u8,
}

impl MarkGauge {
    pub(crate) fn new() -> Self {
        MarkGauge {
            mark: LOW,
            since_wake: 0,
            streak: 0,
        }
    }

    /// The mark to set now.
    pub(crate) fn mark(&self) -> usize {
        self.mark
    }

    /// `n` bytes were read.
    pub(crate) fn read(&mut self, n: usize) {
        self.since_wake = self.since_wake.saturating_add(n as u64);
    }

    /// A wait for the mark ended with the socket readable (not at the wait's time limit). Judges
    /// what the previous wakeup brought; the new mark when it changes.
    pub(crate) fn woke(&mut self) -> Option<usize> {
        let got = std::mem::take(&mut self.since_wake);
        let mark = self.mark as u64;
        let server_bound = got < mark.saturating_add(mark / 2);
        let wants_other = match self.mark {
            LOW => server_bound,
            _ => !server_bound,
        };
        if !wants_other {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        if self.streak < STREAK {
            return None;
        }
        self.streak = 0;
        self.mark = if self.mark == LOW { HIGH } else { LOW };
        Some(self.mark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wakeups that each brought `per_wake` bytes; the mark after each.
    fn run(gauge: &mut MarkGauge, per_wake: usize, wakes: usize) -> Vec<usize> {
        (0..wakes)
            .map(|_| {
                gauge.read(per_wake);
                gauge.woke();
                gauge.mark()
            })
            .collect()
    }

    #[test]
    fn a_stream_that_brings_barely_the_mark_goes_high_after_a_streak() {
        let mut g = MarkGauge::new();
        let marks = run(&mut g, LOW + LOW / 5, 4);
        assert_eq!(marks, [LOW, LOW, LOW, HIGH]);
    }

    #[test]
    fn a_stream_that_brings_twice_the_mark_stays_low() {
        let mut g = MarkGauge::new();
        assert!(run(&mut g, 2 * LOW + 1, 50).iter().all(|&m| m == LOW));
    }

    #[test]
    fn a_high_mark_goes_back_low_once_the_stream_outruns_it() {
        let mut g = MarkGauge::new();
        run(&mut g, LOW, 4);
        assert_eq!(g.mark(), HIGH);
        // About the mark at HIGH: stays.
        assert!(run(&mut g, HIGH - HIGH / 10, 20).iter().all(|&m| m == HIGH));
        // Twice the mark: back to LOW after the streak.
        assert_eq!(run(&mut g, 2 * HIGH, 4), [HIGH, HIGH, HIGH, LOW]);
    }

    #[test]
    fn a_streak_broken_by_one_contrary_wakeup_starts_over() {
        let mut g = MarkGauge::new();
        run(&mut g, LOW, 3);
        run(&mut g, 3 * LOW, 1);
        assert_eq!(run(&mut g, LOW, 3), [LOW, LOW, LOW]);
        assert_eq!(run(&mut g, LOW, 1), [HIGH]);
    }

    #[test]
    fn only_reads_since_the_last_wakeup_count() {
        let mut g = MarkGauge::new();
        g.read(usize::MAX);
        g.read(usize::MAX);
        g.woke();
        assert_eq!(run(&mut g, LOW, 4), [LOW, LOW, LOW, HIGH]);
    }
}
