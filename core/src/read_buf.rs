//! The reader's network buffer ([`ReadBuf`]): where a stream's bytes land from the socket, and
//! from where callback mode's owned reads hand pieces out without copying them.
//!
//! Why: an owned read (`start_read`'s `Bytes`) used to copy its bytes out of the buffer. For a
//! bulk body that copy was a tenth of the client's CPU (1 GiB over loopback HTTP in 64 KiB
//! reads: `memmove` 10% of 0.265 s), and the future form, reading straight into the caller's
//! buffer, had no such cost. Now a large piece is a slice of the buffer itself; the buffer is
//! written again only once every piece of it has been dropped (then it is taken back as it is,
//! no copy and no zeroing), or, while the caller still holds pieces, the bytes not yet handed
//! out move to a new buffer. A held piece is never written: `Bytes` are immutable, and the
//! buffer is writable only when it is the sole owner of its memory.
//!
//! The cost: a piece keeps its whole buffer (up to 1 MiB) alive while it is held, as hyper's
//! pieces do. Small pieces are copied (below [`SHARE_MIN`]), so small responses keep their
//! connection's buffer.

use std::ops::{Deref, Range};

use bytes::{Bytes, BytesMut};

/// Pieces at least this large are handed out as slices of the buffer; smaller ones are copied
/// (a copy of a few KiB costs less than making the buffer shared, and the buffer stays a plain
/// `Vec` that can travel with its connection).
pub(crate) const SHARE_MIN: usize = 16 * 1024;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct ReadBuf {
    now: Buf,
    /// The previous buffer, left while the caller still held a piece of it: taken back for the
    /// next switch once those are dropped. A callback that starts its next read from inside the
    /// completion of the last one holds that piece (the notification has it) just when the
    /// reader needs room; two buffers taking turns serve that without allocating.
    spare: Option<Bytes>,
}

#[derive(Debug)]
enum Buf {
    /// Only the reader has it: a connection's buffer, or one grown for bulk.
    Plain(Vec<u8>),
    /// Pieces of it were handed out; the reader reads what is left through this whole.
    Shared(Bytes),
    /// Taken back once its pieces were dropped: writable again. (Not made a `Vec` again: that
    /// conversion copies.)
    Reclaimed(BytesMut),
}

impl Default for Buf {
    fn default() -> Self {
        Buf::Plain(Vec::new())
    }
}

impl From<Vec<u8>> for ReadBuf {
    fn from(v: Vec<u8>) -> Self {
        ReadBuf {
            now: Buf::Plain(v),
            spare: None,
        }
    }
}

impl Deref for ReadBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.now {
            Buf::Plain(v) => v,
            Buf::Shared(b) => b,
            Buf::Reclaimed(m) => m,
        }
    }
}

impl ReadBuf {
    /// The bytes for writing. A shared buffer is taken back when no piece of it is held any
    /// more; else the bytes at `live` (what the reader has not handed out) are copied, at the
    /// same places, into the spare (when its pieces are gone) or a new buffer of the same
    /// length, and the old one becomes the spare.
    pub(crate) fn writable(&mut self, live: Range<usize>) -> &mut [u8] {
        if let Buf::Shared(whole) = &mut self.now {
            let whole = std::mem::take(whole);
            self.now = match whole.try_into_mut() {
                Ok(m) => Buf::Reclaimed(m),
                Err(whole) => {
                    let mut next = match self.spare.take().map(Bytes::try_into_mut) {
                        Some(Ok(m)) if m.len() == whole.len() => Buf::Reclaimed(m),
                        _ => Buf::Plain(vec![0u8; whole.len()]),
                    };
                    let live = live.start.min(whole.len())..live.end.min(whole.len());
                    if !live.is_empty() {
                        next.bytes_mut()[live.clone()].copy_from_slice(&whole[live]);
                    }
                    self.spare = Some(whole);
                    next
                }
            };
        }
        self.now.bytes_mut()
    }

    /// Grow (or shrink) to `len` bytes, new ones zero; what `live` covers is kept.
    pub(crate) fn resize(&mut self, len: usize, live: Range<usize>) {
        self.writable(live);
        match &mut self.now {
            Buf::Plain(v) => v.resize(len, 0),
            Buf::Reclaimed(m) => m.resize(len, 0),
            Buf::Shared(_) => unreachable!("made writable above"),
        }
    }

    /// The bytes at `range`, handed out: a slice of the buffer when large, else a copy.
    pub(crate) fn hand_out(&mut self, range: Range<usize>) -> Bytes {
        if range.len() < SHARE_MIN {
            return Bytes::copy_from_slice(&self[range]);
        }
        let whole = match std::mem::take(&mut self.now) {
            Buf::Plain(v) => Bytes::from(v),
            Buf::Shared(b) => b,
            Buf::Reclaimed(m) => m.freeze(),
        };
        let piece = whole.slice(range);
        self.now = Buf::Shared(whole);
        piece
    }

    /// The buffer as a plain `Vec` to keep with its connection: only one never shared (a
    /// shared one is bulk-sized, and a connection keeps no such buffer anyway).
    pub(crate) fn into_plain(self) -> Option<Vec<u8>> {
        match self.now {
            Buf::Plain(v) => Some(v),
            Buf::Shared(_) | Buf::Reclaimed(_) => None,
        }
    }
}

impl Buf {
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Buf::Plain(v) => v,
            Buf::Reclaimed(m) => m,
            // A shared buffer is made writable by `ReadBuf::writable` before this is called.
            Buf::Shared(_) => unreachable!("a shared buffer written"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn small_pieces_are_copied_and_the_buffer_stays_plain() {
        let mut buf = ReadBuf::from(numbered(64 * 1024));
        let piece = buf.hand_out(10..10 + SHARE_MIN - 1);
        assert_eq!(&piece[..], &numbered(64 * 1024)[10..10 + SHARE_MIN - 1]);
        assert!(matches!(buf.now, Buf::Plain(_)));
    }

    #[test]
    fn large_pieces_are_slices_of_the_buffer_and_it_is_taken_back_once_they_are_dropped() {
        let mut buf = ReadBuf::from(numbered(1 << 20));
        let at = buf.as_ptr();
        let a = buf.hand_out(0..64 * 1024);
        let b = buf.hand_out(64 * 1024..128 * 1024);
        assert_eq!(
            a.as_ptr(),
            at,
            "a piece is the buffer's own memory, not a copy"
        );
        assert_eq!(&b[..], &numbered(1 << 20)[64 * 1024..128 * 1024]);
        drop((a, b));
        let w = buf.writable(0..0);
        assert_eq!(w.as_ptr(), at, "taken back, not copied");
        assert_eq!(
            w.len(),
            1 << 20,
            "all of it, written bytes and all (nothing zeroed)"
        );
        w[0] = 7;
        assert!(matches!(buf.now, Buf::Reclaimed(_)));
        // Shared again, and taken back again.
        let c = buf.hand_out(0..SHARE_MIN);
        assert_eq!(c[0], 7);
        drop(c);
        assert_eq!(buf.writable(0..0).as_ptr(), at);
    }

    #[test]
    fn a_held_piece_is_never_written_and_the_unread_bytes_move_to_a_new_buffer() {
        let data = numbered(1 << 20);
        let mut buf = ReadBuf::from(data.clone());
        let held = buf.hand_out(0..64 * 1024);
        // The reader still has 64 KiB..96 KiB to hand out when it needs room to write.
        let w = buf.writable(64 * 1024..96 * 1024);
        assert_ne!(
            w.as_ptr(),
            held.as_ptr(),
            "written while a piece of it is held"
        );
        assert_eq!(&w[64 * 1024..96 * 1024], &data[64 * 1024..96 * 1024]);
        w.fill(0xee);
        assert_eq!(&held[..], &data[..64 * 1024], "the held piece changed");
        assert!(matches!(buf.now, Buf::Plain(_)));
    }

    #[test]
    fn two_buffers_take_turns_while_the_caller_holds_the_last_piece_of_each() {
        let mut buf = ReadBuf::from(numbered(1 << 20));
        let first = buf.as_ptr();
        let held_a = buf.hand_out(0..64 * 1024);
        // Room needed while `held_a` is held: a second buffer.
        let second = buf.writable(0..0).as_ptr();
        assert_ne!(second, first);
        let held_b = buf.hand_out(0..64 * 1024);
        drop(held_a);
        // Room needed while `held_b` is held: the first buffer again, its piece dropped.
        assert_eq!(
            buf.writable(0..0).as_ptr(),
            first,
            "the spare was not taken back"
        );
        let held_a = buf.hand_out(0..64 * 1024);
        drop(held_b);
        assert_eq!(buf.writable(0..0).as_ptr(), second);
        assert_eq!(held_a.len(), 64 * 1024);
    }

    #[test]
    fn resizing_a_shared_buffer_keeps_the_live_bytes() {
        let data = numbered(256 * 1024);
        let mut buf = ReadBuf::from(data.clone());
        let _held = buf.hand_out(0..SHARE_MIN);
        buf.resize(512 * 1024, SHARE_MIN..100_000);
        assert_eq!(buf.len(), 512 * 1024);
        assert_eq!(&buf[SHARE_MIN..100_000], &data[SHARE_MIN..100_000]);
        assert!(buf[256 * 1024..].iter().all(|&b| b == 0));
    }

    #[test]
    fn only_a_buffer_never_shared_goes_back_to_its_connection() {
        assert_eq!(ReadBuf::from(vec![1u8; 8]).into_plain(), Some(vec![1u8; 8]));
        let mut buf = ReadBuf::from(numbered(1 << 20));
        drop(buf.hand_out(0..SHARE_MIN));
        assert_eq!(buf.into_plain(), None);
    }
}
