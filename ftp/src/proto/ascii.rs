//! `TYPE A` line ends. On the wire, ASCII-mode text ends its lines with CRLF (RFC 959 §3.1.1.1);
//! on this side they end with LF, as curl does on Unix. Both directions stream: a CR at the end
//! of one chunk and its LF at the start of the next are one line end.

/// Wire text to local text: CRLF becomes LF; a CR not followed by LF is kept.
///
/// ```
/// use inet_ftp::proto::ascii::FromWire;
///
/// let mut d = FromWire::default();
/// let mut out = [0u8; 16];
/// let (_, n1) = d.decode(b"a\r", &mut out);
/// let (_, n2) = d.decode(b"\nb", &mut out[n1..]);
/// assert_eq!(&out[..n1 + n2], b"a\nb");
/// ```
#[derive(Debug, Default, Clone)]
pub struct FromWire {
    /// A CR was read and not yet written: what follows decides whether it stays.
    held_cr: bool,
}

impl FromWire {
    /// Decode from `input` into `output`; returns `(consumed, produced)`. With empty input,
    /// writes out a CR still held back (the end of the text).
    pub fn decode(&mut self, input: &[u8], output: &mut [u8]) -> (usize, usize) {
        let (mut i, mut o) = (0, 0);
        if input.is_empty() {
            if self.held_cr && !output.is_empty() {
                output[0] = b'\r';
                self.held_cr = false;
                return (0, 1);
            }
            return (0, 0);
        }
        while i < input.len() && o < output.len() {
            let b = input[i];
            if self.held_cr {
                self.held_cr = false;
                if b == b'\n' {
                    output[o] = b'\n';
                    o += 1;
                    i += 1;
                    continue;
                }
                output[o] = b'\r';
                o += 1;
                continue;
            }
            if b == b'\r' {
                self.held_cr = true;
            } else {
                output[o] = b;
                o += 1;
            }
            i += 1;
        }
        (i, o)
    }

    /// True when a CR is still held back.
    pub fn holds_bytes(&self) -> bool {
        self.held_cr
    }
}

/// Local text to wire text: an LF not preceded by CR becomes CRLF.
///
/// ```
/// use inet_ftp::proto::ascii::ToWire;
///
/// let mut e = ToWire::default();
/// let mut out = Vec::new();
/// e.encode(b"a\nb\r", &mut out);
/// e.encode(b"\nc", &mut out);
/// assert_eq!(out, b"a\r\nb\r\nc");
/// ```
#[derive(Debug, Default, Clone)]
pub struct ToWire {
    last_was_cr: bool,
}

impl ToWire {
    /// Append `input`, converted, to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 32);
        for &b in input {
            if b == b'\n' && !self.last_was_cr {
                out.push(b'\r');
            }
            out.push(b);
            self.last_was_cr = b == b'\r';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_chunks(wire: &[u8], chunk: usize) -> Vec<u8> {
        let mut d = FromWire::default();
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        for piece in wire.chunks(chunk.max(1)) {
            let mut rest = piece;
            while !rest.is_empty() {
                let (c, p) = d.decode(rest, &mut buf);
                out.extend_from_slice(&buf[..p]);
                rest = &rest[c..];
            }
        }
        loop {
            let (_, p) = d.decode(&[], &mut buf);
            if p == 0 {
                break;
            }
            out.extend_from_slice(&buf[..p]);
        }
        out
    }

    #[test]
    fn crlf_becomes_lf_however_the_bytes_are_cut() {
        let wire = b"one\r\ntwo\r\n\r\nlone\rcr\r";
        for chunk in 1..=wire.len() {
            assert_eq!(
                decode_in_chunks(wire, chunk),
                b"one\ntwo\n\nlone\rcr\r",
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn encoding_then_decoding_gives_back_lf_text() {
        let text = b"a\nb\n\nc";
        let mut wire = Vec::new();
        ToWire::default().encode(text, &mut wire);
        assert_eq!(wire, b"a\r\nb\r\n\r\nc");
        assert_eq!(decode_in_chunks(&wire, 2), text);
    }
}
