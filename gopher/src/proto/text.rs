//! Text items (RFC 1436 §3.8 and §4): the data ends with a line holding only `.`, and a line
//! of the text that starts with `.` is sent with one more `.` in front (dot-stuffing).
//!
//! Two shapes of the same rule, for the two ways inet-core's reader can take it:
//! - [`TextFraming`] finds the payload among the bytes on the wire without copying (the
//!   shape of core's `Framing`: `frame` gives `consumed` and one `payload` range; a stuffed
//!   dot is consumed as framing, never handed out);
//! - [`TextDecoder`] copies the unstuffed text from an input to an output buffer (the shape
//!   of core's `Transform`: `decode(input, output) -> (consumed, produced)`).
//!
//! Both take the bytes in any pieces, keep line ends as sent (CRLF or LF), and need at most
//! two bytes of look-ahead. A `.` line without its line end at the end of the stream still
//! ends the text. The server closing before any `.` line ends the text too (many servers —
//! gophernicus, pygopherd — send text files as they are, with neither the `.` line nor
//! dot-stuffing): both report it through `terminated()`, so the driver may choose. A driver
//! reading such a server should not use either type here for type 0 items (a line `..` would
//! lose a dot): read to the close instead.

use std::ops::Range;

/// What one [`TextFraming::frame`] call found at the start of the bytes it was given (the
/// same fields as inet-core's `Framed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFrame {
    /// Bytes used (payload, a stuffed dot, the `.` line); the caller drops them and offers the
    /// rest again.
    pub consumed: usize,
    /// The text bytes among them, as a range of the input (within `..consumed`; may be empty).
    pub payload: Range<usize>,
}

/// Where a text stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// At the start of a line: a `.` here is special.
    Start,
    /// Inside a line: everything up to the next LF is text.
    Inside,
    /// The `.` line came (or the stream ended).
    Done,
}

/// A text item's framing, zero-copy: which bytes on the wire are text, and where the text
/// ends.
///
/// `frame` returns `consumed: 0` with an empty payload only when it needs more bytes (a `.` at
/// the start of a line, waiting to see what follows) or when the text is over.
///
/// ```
/// use inet_gopher::proto::TextFraming;
///
/// let wire = b"Hello\r\n..dot\r\n.\r\nafter";
/// let mut framing = TextFraming::new();
/// let (mut text, mut at) = (Vec::new(), 0);
/// while !framing.is_done() {
///     let frame = framing.frame(&wire[at..]);
///     text.extend_from_slice(&wire[at..][frame.payload]);
///     at += frame.consumed;
/// }
/// assert_eq!(text, b"Hello\r\n.dot\r\n");
/// assert_eq!(&wire[at..], b"after"); // not part of the item
/// assert!(framing.terminated());
/// ```
#[derive(Debug, Clone)]
pub struct TextFraming {
    line: Line,
    terminated: bool,
    /// The last `frame` call stopped at a `.` (or `.` CR) at the start of a line, waiting to see
    /// what follows.
    held_dot: bool,
}

impl Default for TextFraming {
    fn default() -> Self {
        Self::new()
    }
}

impl TextFraming {
    /// Framing for a text item, at its first byte.
    pub fn new() -> Self {
        TextFraming {
            line: Line::Start,
            terminated: false,
            held_dot: false,
        }
    }

    /// Takes framing and at most one run of text from the start of `wire`.
    pub fn frame(&mut self, wire: &[u8]) -> TextFrame {
        self.held_dot = false;
        let mut at = 0;
        loop {
            match self.line {
                Line::Done => return TextFrame::framing(at),
                Line::Start => match &wire[at..] {
                    [] => return TextFrame::framing(at),
                    [b'.'] | [b'.', b'\r'] => {
                        self.held_dot = true;
                        return TextFrame::framing(at);
                    }
                    [b'.', b'\n', ..] => {
                        self.end_of_text();
                        return TextFrame::framing(at + 2);
                    }
                    [b'.', b'\r', b'\n', ..] => {
                        self.end_of_text();
                        return TextFrame::framing(at + 3);
                    }
                    [b'.', b'.', ..] => {
                        // A stuffed dot: framing; the second dot starts the text of the line.
                        at += 1;
                        self.line = Line::Inside;
                    }
                    _ => self.line = Line::Inside,
                },
                Line::Inside => {
                    let rest = &wire[at..];
                    let end = match rest.iter().position(|&b| b == b'\n') {
                        Some(lf) => {
                            self.line = Line::Start;
                            lf + 1
                        }
                        None => rest.len(),
                    };
                    return TextFrame {
                        consumed: at + end,
                        payload: at..at + end,
                    };
                }
            }
        }
    }

    /// The server closed the connection: the text is over. A `.` (or `.` CR) that the last
    /// [`frame`](Self::frame) call held back at the start of a line was the `.` line without its
    /// line end.
    pub fn end_of_stream(&mut self) {
        if self.line == Line::Start && self.held_dot {
            self.terminated = true;
        }
        self.line = Line::Done;
    }

    /// True once the text is over.
    pub fn is_done(&self) -> bool {
        self.line == Line::Done
    }

    /// Whether the text ended with its `.` line (false when the server just closed).
    pub fn terminated(&self) -> bool {
        self.terminated
    }

    fn end_of_text(&mut self) {
        self.line = Line::Done;
        self.terminated = true;
    }
}

impl TextFrame {
    fn framing(consumed: usize) -> TextFrame {
        TextFrame {
            consumed,
            payload: consumed..consumed,
        }
    }
}

/// Where a [`TextDecoder`] is: like [`Line`], with the look-ahead held inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// At the start of a line.
    Start,
    /// Saw `.` at the start of a line.
    Dot,
    /// Saw `.` CR at the start of a line.
    DotCr,
    /// Inside a line.
    Inside,
    /// The `.` line came (or the stream ended).
    Done,
}

/// A text item's decoder, copying: unstuffed text from `input` into `output`.
///
/// It consumes every input byte up to the end of the `.` line (holding a `.` or `.` CR of
/// look-ahead inside), so a call makes progress whenever there is input before the end and room
/// in `output`. Bytes after the `.` line are not consumed.
///
/// ```
/// use inet_gopher::proto::TextDecoder;
///
/// let mut decoder = TextDecoder::new();
/// let mut out = [0u8; 64];
/// let (used, made) = decoder.decode(b"..a\r\n.", &mut out);
/// assert_eq!((used, &out[..made]), (6, &b".a\r\n"[..]));
/// let (used, made) = decoder.decode(b"\r\n", &mut out);
/// assert_eq!((used, made), (2, 0));
/// assert!(decoder.is_done() && decoder.terminated());
/// ```
#[derive(Debug, Clone)]
pub struct TextDecoder {
    state: Held,
    /// Held-back bytes that turned out to be text (`.`, or `.` CR), still to be written.
    pending: &'static [u8],
    terminated: bool,
}

impl Default for TextDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl TextDecoder {
    /// A decoder for a text item, at its first byte.
    pub fn new() -> Self {
        TextDecoder {
            state: Held::Start,
            pending: b"",
            terminated: false,
        }
    }

    /// Decodes from `input` into `output`; returns `(consumed, produced)`. Call with empty
    /// input to write out held-back text.
    pub fn decode(&mut self, input: &[u8], output: &mut [u8]) -> (usize, usize) {
        let (mut used, mut made) = (0, 0);
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(output.len() - made);
                output[made..made + n].copy_from_slice(&self.pending[..n]);
                self.pending = &self.pending[n..];
                made += n;
                if !self.pending.is_empty() {
                    return (used, made);
                }
            }
            if self.state == Held::Done {
                return (used, made);
            }
            let Some(&byte) = input.get(used) else {
                return (used, made);
            };
            match self.state {
                Held::Start if byte == b'.' => {
                    self.state = Held::Dot;
                    used += 1;
                }
                Held::Start => self.state = Held::Inside,
                Held::Dot => match byte {
                    b'\n' => self.end_of_text(&mut used),
                    b'\r' => {
                        self.state = Held::DotCr;
                        used += 1;
                    }
                    b'.' => {
                        // A stuffed dot: the held one is dropped, this one is text.
                        self.state = Held::Inside;
                    }
                    _ => {
                        // An unstuffed line starting with `.`: the dot was text after all.
                        self.pending = b".";
                        self.state = Held::Inside;
                    }
                },
                Held::DotCr if byte == b'\n' => self.end_of_text(&mut used),
                Held::DotCr => {
                    self.pending = b".\r";
                    self.state = Held::Inside;
                }
                Held::Inside => {
                    let room = output.len() - made;
                    if room == 0 {
                        return (used, made);
                    }
                    let rest = &input[used..];
                    let rest = &rest[..rest.len().min(room)];
                    let n = match rest.iter().position(|&b| b == b'\n') {
                        Some(lf) => {
                            self.state = Held::Start;
                            lf + 1
                        }
                        None => rest.len(),
                    };
                    output[made..made + n].copy_from_slice(&rest[..n]);
                    used += n;
                    made += n;
                }
                Held::Done => return (used, made),
            }
        }
    }

    /// The stream ended (the server closed): a held `.` or `.` CR was the `.` line without its
    /// line end. Returns whether the text ended with its `.` line ([`terminated`]).
    ///
    /// [`terminated`]: Self::terminated
    pub fn finish(&mut self) -> bool {
        if matches!(self.state, Held::Dot | Held::DotCr) {
            self.terminated = true;
        }
        self.state = Held::Done;
        self.terminated
    }

    /// True once the `.` line came (or [`finish`](Self::finish) was called) and every byte of
    /// text was written out.
    pub fn is_done(&self) -> bool {
        self.state == Held::Done && self.pending.is_empty()
    }

    /// Whether the text ended with its `.` line.
    pub fn terminated(&self) -> bool {
        self.terminated
    }

    fn end_of_text(&mut self, used: &mut usize) {
        *used += 1;
        self.state = Held::Done;
        self.terminated = true;
    }
}

/// The text as a server sends it: every line that starts with `.` gets one more, a last line
/// without a line end gets CRLF, then the `.` line (CRLF). [`TextFraming`] and [`TextDecoder`]
/// give back `text` (with that CRLF added when it did not end in LF). For test servers.
///
/// ```
/// use inet_gopher::proto::dot_stuff;
///
/// assert_eq!(dot_stuff(b"a\n.b\n"), b"a\n..b\n.\r\n");
/// assert_eq!(dot_stuff(b"no end"), b"no end\r\n.\r\n");
/// ```
pub fn dot_stuff(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 64 + 5);
    let mut at_start = true;
    for &byte in text {
        if at_start && byte == b'.' {
            out.push(b'.');
        }
        out.push(byte);
        at_start = byte == b'\n';
    }
    if !at_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Text as the server sent it, with only a final `.` line taken off: what the real servers
/// need (gophernicus and pygopherd send text files as they are — no `.` line, no
/// dot-stuffing), and right for an RFC 1436 server too unless its text has lines starting with
/// `.` (they keep their stuffed dot). Zero-copy, core's `Framing` shape, like [`TextFraming`].
///
/// A line holding only `.` is held back until more bytes follow it (then it was text) or the
/// stream ends (then it was the end marker, and is dropped).
///
/// ```
/// use inet_gopher::proto::AsSentFraming;
///
/// let wire = b"..two dots stay\r\n.\r\nmid-text dot line stays\r\n.\r\n";
/// let mut framing = AsSentFraming::new();
/// let (mut text, mut at) = (Vec::new(), 0);
/// loop {
///     let f = framing.frame(&wire[at..]);
///     text.extend_from_slice(&wire[at..][f.payload]);
///     at += f.consumed;
///     if f.consumed == 0 { break; } // holding the last "." line: the stream ends here
/// }
/// framing.end_of_stream();
/// assert_eq!(text, b"..two dots stay\r\n.\r\nmid-text dot line stays\r\n");
/// assert!(framing.terminated());
/// ```
#[derive(Debug, Clone)]
pub struct AsSentFraming {
    at_line_start: bool,
    /// The last `frame` call held back a whole `.` line.
    held_dot_line: bool,
    done: bool,
    terminated: bool,
}

impl Default for AsSentFraming {
    fn default() -> Self {
        Self::new()
    }
}

impl AsSentFraming {
    /// Framing for a text item, at its first byte.
    pub fn new() -> Self {
        AsSentFraming {
            at_line_start: true,
            held_dot_line: false,
            done: false,
            terminated: false,
        }
    }

    /// Takes one run of text from the start of `wire`; `consumed: 0` means "need more bytes"
    /// (a `.` line, or its start, is held back) or "done".
    pub fn frame(&mut self, wire: &[u8]) -> TextFrame {
        self.held_dot_line = false;
        if self.done || wire.is_empty() {
            return TextFrame::framing(0);
        }
        if self.at_line_start {
            let dot_line = match wire {
                [b'.'] | [b'.', b'\r'] => {
                    // A `.` line's start (or, at the end, the line without its line end).
                    self.held_dot_line = true;
                    return TextFrame::framing(0);
                }
                [b'.', b'\n', ..] => Some(2),
                [b'.', b'\r', b'\n', ..] => Some(3),
                _ => None,
            };
            if let Some(n) = dot_line {
                if wire.len() == n {
                    self.held_dot_line = true;
                    return TextFrame::framing(0);
                }
                // More follows: the `.` line was text.
                return TextFrame {
                    consumed: n,
                    payload: 0..n,
                };
            }
        }
        let end = match wire.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                self.at_line_start = true;
                lf + 1
            }
            None => {
                self.at_line_start = false;
                wire.len()
            }
        };
        TextFrame {
            consumed: end,
            payload: 0..end,
        }
    }

    /// The server closed: the text is over; a `.` line held back was its end marker.
    pub fn end_of_stream(&mut self) {
        self.terminated = self.held_dot_line;
        self.done = true;
    }

    /// True once the text is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether the text ended with a `.` line (which was dropped).
    pub fn terminated(&self) -> bool {
        self.terminated
    }
}

#[cfg(test)]
mod as_sent_tests {
    use super::*;

    fn run(wire: &[u8], cut: usize) -> (Vec<u8>, bool) {
        let mut f = AsSentFraming::new();
        let (mut out, mut buf) = (Vec::new(), Vec::new());
        for piece in wire.chunks(cut.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                let fr = f.frame(&buf);
                out.extend_from_slice(&buf[fr.payload.clone()]);
                buf.drain(..fr.consumed);
                if fr.consumed == 0 {
                    break;
                }
            }
        }
        f.end_of_stream();
        (out, f.terminated())
    }

    #[test]
    fn only_a_final_dot_line_is_dropped_however_the_bytes_are_cut() {
        let wire = b".hidden\r\n..two\r\n.\r\nafter a dot line\n.\n";
        for cut in 1..=wire.len() {
            let (out, terminated) = run(wire, cut);
            assert_eq!(
                out, b".hidden\r\n..two\r\n.\r\nafter a dot line\n",
                "cut {cut}"
            );
            assert!(terminated);
        }
    }

    #[test]
    fn text_without_a_dot_line_is_kept_whole() {
        for cut in 1..8 {
            let (out, terminated) = run(b"a\r\nb.\r\n.", cut);
            assert_eq!(out, b"a\r\nb.\r\n", "cut {cut}");
            assert!(
                terminated,
                "a final '.' without its line end still ends the text"
            );
        }
        assert_eq!(run(b"plain\n", 2), (b"plain\n".to_vec(), false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text `TextFraming` finds in `wire` fed in pieces of `size` bytes (as a reader with a
    /// buffer would: unconsumed bytes are offered again with the next piece), and whether the
    /// `.` line came.
    fn framed(wire: &[u8], size: usize) -> (Vec<u8>, bool) {
        let mut framing = TextFraming::new();
        let (mut text, mut start, mut end) = (Vec::new(), 0, 0);
        while !framing.is_done() {
            let frame = framing.frame(&wire[start..end]);
            if frame.consumed == 0 && frame.payload.is_empty() {
                if end == wire.len() {
                    framing.end_of_stream();
                    break;
                }
                end = (end + size).min(wire.len());
                continue;
            }
            text.extend_from_slice(&wire[start..end][frame.payload]);
            start += frame.consumed;
        }
        (text, framing.terminated())
    }

    /// The text `TextDecoder` makes of `wire` in input pieces of `size` and output room of
    /// `room` bytes.
    fn decoded(wire: &[u8], size: usize, room: usize) -> (Vec<u8>, bool) {
        let mut decoder = TextDecoder::new();
        let mut text = Vec::new();
        let mut out = vec![0u8; room];
        for piece in wire.chunks(size) {
            let mut at = 0;
            while at < piece.len() && !decoder.is_done() {
                let (used, made) = decoder.decode(&piece[at..], &mut out);
                text.extend_from_slice(&out[..made]);
                at += used;
            }
        }
        decoder.finish();
        loop {
            let (_, made) = decoder.decode(&[], &mut out);
            if made == 0 {
                break;
            }
            text.extend_from_slice(&out[..made]);
        }
        (text, decoder.terminated())
    }

    fn both(wire: &[u8]) -> (Vec<u8>, bool) {
        let expected = framed(wire, wire.len().max(1));
        for size in 1..=4 {
            assert_eq!(framed(wire, size), expected, "framing, pieces of {size}");
            for room in 1..=3 {
                assert_eq!(
                    decoded(wire, size, room),
                    expected,
                    "decoder, pieces of {size}, room {room}"
                );
            }
        }
        expected
    }

    #[test]
    fn the_dot_line_ends_the_text_and_line_ends_are_kept() {
        assert_eq!(
            both(b"line 1\r\nline 2\n.\r\n"),
            (b"line 1\r\nline 2\n".to_vec(), true)
        );
        assert_eq!(both(b"a\n.\n"), (b"a\n".to_vec(), true));
    }

    #[test]
    fn stuffed_dots_lose_one_dot() {
        assert_eq!(
            both(b"..\r\n...x\r\n..\n.\r\n"),
            (b".\r\n..x\r\n.\n".to_vec(), true)
        );
    }

    #[test]
    fn unstuffed_lines_starting_with_a_dot_are_kept() {
        assert_eq!(
            both(b".profile\r\n.\rx\r\n.\r\n"),
            (b".profile\r\n.\rx\r\n".to_vec(), true)
        );
    }

    #[test]
    fn an_empty_item_is_only_its_dot_line() {
        assert_eq!(both(b".\r\n"), (Vec::new(), true));
    }

    #[test]
    fn a_dot_line_without_its_line_end_at_the_close_still_ends_the_text() {
        assert_eq!(both(b"a\r\n."), (b"a\r\n".to_vec(), true));
        assert_eq!(both(b"a\r\n.\r"), (b"a\r\n".to_vec(), true));
    }

    #[test]
    fn a_close_without_a_dot_line_ends_the_text_unterminated() {
        assert_eq!(both(b"a\r\nb"), (b"a\r\nb".to_vec(), false));
        assert_eq!(both(b""), (Vec::new(), false));
    }

    #[test]
    fn a_dot_in_the_middle_of_a_line_is_text() {
        assert_eq!(
            both(b"a.\r\n.b.\r\n.\r\n"),
            (b"a.\r\n.b.\r\n".to_vec(), true)
        );
    }

    #[test]
    fn bytes_after_the_dot_line_are_not_consumed() {
        let mut framing = TextFraming::new();
        assert_eq!(framing.frame(b".\r\nmore"), TextFrame::framing(3));
        assert_eq!(framing.frame(b"more"), TextFrame::framing(0));
        let mut decoder = TextDecoder::new();
        assert_eq!(decoder.decode(b".\nmore", &mut [0; 8]), (2, 0));
        assert_eq!(decoder.decode(b"more", &mut [0; 8]), (0, 0));
    }

    #[test]
    fn a_stuffed_dot_is_framing_not_payload() {
        let mut framing = TextFraming::new();
        assert_eq!(
            framing.frame(b"..x\n"),
            TextFrame {
                consumed: 4,
                payload: 1..4
            }
        );
    }

    #[test]
    fn a_full_output_stops_the_decoder_without_losing_held_text() {
        let mut decoder = TextDecoder::new();
        assert_eq!(decoder.decode(b".\rx", &mut []), (2, 0));
        let mut out = [0u8; 1];
        assert_eq!(decoder.decode(b"x", &mut out), (0, 1));
        assert_eq!(&out, b".");
        assert_eq!(decoder.decode(b"x", &mut out), (0, 1));
        assert_eq!(&out, b"\r");
        assert_eq!(decoder.decode(b"x", &mut out), (1, 1));
        assert_eq!(&out, b"x");
    }

    #[test]
    fn dot_stuff_is_undone_by_both() {
        let text = b"first\r\n.second\r\n..third\n.\r\nlast";
        assert_eq!(
            both(&dot_stuff(text)),
            ([&text[..], b"\r\n"].concat(), true)
        );
    }
}
