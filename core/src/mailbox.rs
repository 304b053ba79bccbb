//! A handle's mailbox, the rules alone: a queue, a "someone is delivering" flag and a seal. Generic
//! over what it carries; it must not know handle records, locks, callbacks or threads (the
//! handle's lock around it and the delivery loop are `notify`'s), so every rule is tested here with
//! plain values.
//!
//! How it is used, under the handle's lock: [`push`](Mailbox::push) a note; if the answer is
//! [`Push::DeliverNow`], the pusher has become the deliverer: it delivers that note with the lock
//! released, then asks [`next`](Mailbox::next) (locked again) for whatever was pushed meanwhile,
//! until `next` says `None`, which ends its delivery. This gives, with no thread of its own:
//! - per-handle order, and never two deliveries at once for one handle;
//! - re-entrancy: a note pushed while one is being delivered (by the callback itself, or another
//!   thread) is queued, and the running deliverer delivers it.
//!
//! [`push_last`](Mailbox::push_last) (for `HANDLE_CLOSING`) seals the mailbox: later pushes are
//! dropped, so nothing follows it. With nobody listening (no callback) and nobody delivering, a
//! note is dropped, not kept.

use std::collections::VecDeque;

/// What to do with a pushed note.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Push<N> {
    /// Nobody was delivering: the pusher delivers this note now, then drains [`Mailbox::next`].
    DeliverNow(N),
    /// Someone is delivering; they will deliver it, in order.
    Queued,
    /// Sealed, or nobody listens: the note goes nowhere. The caller drops it — outside its lock,
    /// since a note may own a handle whose drop closes it.
    Dropped(N),
}

/// The queue, the delivering flag and the seal of one handle.
#[derive(Debug)]
pub(crate) struct Mailbox<N> {
    queue: Queue<N>,
    delivering: bool,
    sealed: bool,
}

impl<N> Default for Mailbox<N> {
    fn default() -> Self {
        Mailbox {
            queue: Queue::default(),
            delivering: false,
            sealed: false,
        }
    }
}

impl<N> Mailbox<N> {
    /// Push `note`; `listening` says whether the handle has a callback now.
    pub(crate) fn push(&mut self, note: N, listening: bool) -> Push<N> {
        if self.sealed {
            return Push::Dropped(note);
        }
        if !listening && !self.delivering {
            return Push::Dropped(note);
        }
        if self.delivering {
            self.queue.push_back(note);
            return Push::Queued;
        }
        self.delivering = true;
        Push::DeliverNow(note)
    }

    /// Push the handle's last note (`HANDLE_CLOSING`) and seal: nothing pushed after it goes
    /// anywhere. Sealed already, it is dropped like any other.
    pub(crate) fn push_last(&mut self, note: N, listening: bool) -> Push<N> {
        let pushed = self.push(note, listening);
        self.sealed = true;
        pushed
    }

    /// True while a deliverer is draining the queue (notes pushed now are queued for it).
    pub(crate) fn is_delivering(&self) -> bool {
        self.delivering
    }

    /// True once the last note was pushed: later ones are dropped.
    #[cfg(feature = "tracing")]
    pub(crate) fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// The deliverer's next note, in push order; `None` ends its delivery (the next push delivers
    /// at once again). Only the deliverer calls it.
    pub(crate) fn next(&mut self) -> Option<N> {
        let next = self.queue.pop_front();
        if next.is_none() {
            self.delivering = false;
        }
        next
    }
}

/// A FIFO queue that holds its first item inline: a handle's queued notes, and its close hooks
/// (`record.rs`). A handle queues one or two notes at a time (those pushed from inside its own
/// callback) and has one close hook or two, and most handles live for one request: a
/// collection alone allocated on each handle's first note, and again for its first hook.
#[derive(Debug)]
pub(crate) struct Queue<N> {
    /// The oldest item, unless it is in `rest`: an item goes here only when the queue is empty,
    /// so everything in `rest` came after it.
    first: Option<N>,
    rest: VecDeque<N>,
}

impl<N> Default for Queue<N> {
    fn default() -> Self {
        Queue {
            first: None,
            rest: VecDeque::new(),
        }
    }
}

impl<N> Queue<N> {
    pub(crate) fn push_back(&mut self, note: N) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(note);
        } else {
            self.rest.push_back(note);
        }
    }

    pub(crate) fn pop_front(&mut self) -> Option<N> {
        self.first.take().or_else(|| self.rest.pop_front())
    }
}

impl<N> IntoIterator for Queue<N> {
    type Item = N;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<N>, std::collections::vec_deque::IntoIter<N>>;

    /// Every item, oldest first.
    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_keeps_push_order_when_pops_and_pushes_interleave() {
        let mut q = Queue::default();
        let mut out = Vec::new();
        q.push_back(1);
        q.push_back(2);
        out.extend(q.pop_front());
        // The inline slot is free while 2 still waits: 3 must not overtake it.
        q.push_back(3);
        out.extend(q.pop_front());
        q.push_back(4);
        while let Some(n) = q.pop_front() {
            out.push(n);
        }
        q.push_back(5);
        out.extend(q.pop_front());
        assert_eq!(out, [1, 2, 3, 4, 5]);
        assert_eq!(q.pop_front(), None);
    }

    /// Deliver like `notify` does: the first note, then `next` until it ends.
    fn drain(mb: &mut Mailbox<u32>, first: u32) -> Vec<u32> {
        let mut out = vec![first];
        while let Some(n) = mb.next() {
            out.push(n);
        }
        out
    }

    #[test]
    fn the_first_push_on_an_idle_mailbox_is_delivered_now() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, true), Push::DeliverNow(1));
        assert_eq!(mb.next(), None);
        // Delivery ended: the next push is delivered now again.
        assert_eq!(mb.push(2, true), Push::DeliverNow(2));
    }

    #[test]
    fn pushes_during_a_delivery_are_queued_and_come_out_in_push_order() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, true), Push::DeliverNow(1));
        // Re-entrant pushes (from the callback itself, or another thread) only queue.
        assert_eq!(mb.push(2, true), Push::Queued);
        assert_eq!(mb.push(3, true), Push::Queued);
        assert_eq!(drain(&mut mb, 1), [1, 2, 3]);
    }

    #[test]
    fn a_push_while_draining_joins_the_running_delivery() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, true), Push::DeliverNow(1));
        assert_eq!(mb.push(2, true), Push::Queued);
        assert_eq!(mb.next(), Some(2));
        // Delivering 2, its callback pushes 3: still the same deliverer's.
        assert_eq!(mb.push(3, true), Push::Queued);
        assert_eq!(mb.next(), Some(3));
        assert_eq!(mb.next(), None);
    }

    #[test]
    fn nothing_is_pushed_after_the_last_note() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push_last(70, true), Push::DeliverNow(70));
        assert_eq!(mb.next(), None);
        assert_eq!(mb.push(1, true), Push::Dropped(1));
        assert_eq!(mb.push_last(70, true), Push::Dropped(70));
    }

    #[test]
    fn the_last_note_queued_behind_a_delivery_still_comes_last() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, true), Push::DeliverNow(1));
        assert_eq!(mb.push_last(70, true), Push::Queued);
        assert_eq!(mb.push(2, true), Push::Dropped(2));
        assert_eq!(drain(&mut mb, 1), [1, 70]);
    }

    #[test]
    fn with_no_callback_nothing_is_delivered_or_kept() {
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, false), Push::Dropped(1));
        assert_eq!(mb.next(), None);
        // The seal still holds for a handle nobody listens to.
        assert_eq!(mb.push_last(70, false), Push::Dropped(70));
        assert_eq!(mb.push(2, true), Push::Dropped(2));
    }

    #[test]
    fn a_callback_removed_mid_delivery_still_gets_the_queue_drained() {
        // The running deliverer owns what was queued; a push with no callback joins it, and the
        // deliverer decides (with the callback it finds) what to do with each.
        let mut mb = Mailbox::default();
        assert_eq!(mb.push(1, true), Push::DeliverNow(1));
        assert_eq!(mb.push(2, false), Push::Queued);
        assert_eq!(drain(&mut mb, 1), [1, 2]);
        assert_eq!(mb.push(3, false), Push::Dropped(3));
    }
}
