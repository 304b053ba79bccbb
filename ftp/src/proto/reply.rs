//! The control connection's replies (RFC 959 §4.2): [`ReplyReader`] turns bytes, as they
//! arrive, into whole [`Reply`] values, single- or multi-line.
//!
//! It holds only bytes and limits: it must not know which command a reply answers (that is the
//! driver's state machine) and must not touch a socket.

use super::{bytes_to_text, ProtoError};

/// Default longest reply line, in bytes (without its line end).
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// Default largest reply, in bytes, counting every line and one byte per line end: enough for
/// any `FEAT` or `HELP`, small enough that a multi-line reply that never ends fails quickly.
pub const DEFAULT_MAX_REPLY: usize = 64 * 1024;

/// The kind of answer a reply is, from its first digit (RFC 959 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplyClass {
    /// 1xx: the action is starting; expect another reply before sending a new command.
    Preliminary,
    /// 2xx: the action is done.
    Completion,
    /// 3xx: the command was accepted; send the next one of the sequence (`PASS` after `USER`).
    Intermediate,
    /// 4xx: not done this time; the same command may work later.
    TransientNegative,
    /// 5xx: not done, and retrying the same command will not help.
    PermanentNegative,
}

/// One whole reply: its code and every line of its text.
///
/// `text` holds the lines as the server sent them, codes included, joined by `\n` and without
/// the final line end (so `"230-Welcome\n230 Logged in"`). The reader only yields replies whose
/// code is 100 to 599, so [`Reply::class`] is always meaningful.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code, 100 to 599.
    pub code: u16,
    /// Every line, as sent (codes included), joined by `\n`.
    pub text: String,
}

impl Reply {
    /// What kind of answer this is, from the first digit of the code.
    ///
    /// ```
    /// use inet_ftp::proto::{Reply, ReplyClass};
    ///
    /// let reply = Reply { code: 550, text: "550 No such file".into() };
    /// assert_eq!(reply.class(), ReplyClass::PermanentNegative);
    /// ```
    pub fn class(&self) -> ReplyClass {
        match self.code / 100 {
            1 => ReplyClass::Preliminary,
            2 => ReplyClass::Completion,
            3 => ReplyClass::Intermediate,
            4 => ReplyClass::TransientNegative,
            // The reader refuses codes outside 100..=599; a hand-built reply with another
            // code is a failure, which is the safe reading.
            _ => ReplyClass::PermanentNegative,
        }
    }

    /// Whether the code is 2xx.
    pub fn is_completion(&self) -> bool {
        self.class() == ReplyClass::Completion
    }

    /// The lines as sent, codes included.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.text.split('\n')
    }

    /// The text without reply codes, lines joined by `\n`: what an error message should show.
    ///
    /// The code is taken off the first and last lines, and off inner lines that repeat it with a
    /// hyphen (`230-`), which many servers do; other inner lines are kept whole.
    ///
    /// ```
    /// use inet_ftp::proto::Reply;
    ///
    /// let reply = Reply { code: 211, text: "211-Features:\n MDTM\n211 End".into() };
    /// assert_eq!(reply.message(), "Features:\n MDTM\nEnd");
    /// ```
    pub fn message(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let code = self.code.to_string();
        for (index, line) in self.lines().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            let stripped = line
                .strip_prefix(code.as_str())
                .and_then(|rest| {
                    rest.strip_prefix('-')
                        .or_else(|| rest.strip_prefix(' '))
                        .or(if rest.is_empty() { Some(rest) } else { None })
                })
                .unwrap_or(line);
            out.push_str(stripped);
        }
        out
    }

    /// Writes the reply as a server sends it: each line followed by CRLF. Test servers use it;
    /// reading the output back gives an equal reply.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for line in self.lines() {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A multi-line reply whose last line has not arrived yet.
#[derive(Debug, Clone)]
struct Pending {
    code: u16,
    text: String,
    /// Bytes counted against the reply limit so far.
    size: usize,
}

/// The incremental reply reader: push bytes as they arrive, take whole replies out.
///
/// Lines may end in CRLF or a bare LF. Bytes after a reply stay buffered for the next one (a
/// `150` and its `226` often arrive together). Both limits make a misbehaving server fail
/// instead of growing memory: a line longer than `max_line` or a reply larger than `max_reply`
/// (counted as the text it holds: a byte outside ASCII, read as Latin-1, counts two) is an error. After an error the reader keeps returning it: the control connection is no
/// longer in step and must be dropped.
///
/// ```
/// use inet_ftp::proto::ReplyReader;
///
/// let mut reader = ReplyReader::new();
/// reader.push(b"220-Hello\r\n220 rea");
/// assert_eq!(reader.next_reply()?, None); // the last line is not complete yet
/// reader.push(b"dy\r\n");
/// let reply = reader.next_reply()?.expect("the reply is complete");
/// assert_eq!(reply.code, 220);
/// assert_eq!(reply.message(), "Hello\nready");
/// # Ok::<(), inet_ftp::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReplyReader {
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    start: usize,
    /// How far past `start` we already looked for a line end, so a slow trickle is not
    /// scanned again from the start each time (no quadratic work).
    scanned: usize,
    pending: Option<Pending>,
    failed: Option<ProtoError>,
    max_line: usize,
    max_reply: usize,
}

impl Default for ReplyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyReader {
    /// A reader with [`DEFAULT_MAX_LINE`] and [`DEFAULT_MAX_REPLY`].
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_MAX_LINE, DEFAULT_MAX_REPLY)
    }

    /// A reader with the given longest line and largest reply, in bytes.
    pub fn with_limits(max_line: usize, max_reply: usize) -> Self {
        ReplyReader {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            pending: None,
            failed: None,
            max_line,
            max_reply,
        }
    }

    /// Adds bytes read from the control connection.
    pub fn push(&mut self, bytes: &[u8]) {
        // Drop what was consumed before growing, so the buffer holds at most one reply's worth
        // of unread bytes plus what just arrived.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes pushed but not yet part of a returned reply (including a reply in progress).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether a multi-line reply has started and not ended, or a line is partly in.
    pub fn in_reply(&self) -> bool {
        self.pending.is_some() || self.buffered() > 0
    }

    /// The next whole reply, `Ok(None)` when more bytes are needed, or the error that stopped
    /// the reader.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ProtoError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.read_reply() {
            Ok(reply) => Ok(reply),
            Err(err) => {
                self.failed = Some(err.clone());
                Err(err)
            }
        }
    }

    fn read_reply(&mut self) -> Result<Option<Reply>, ProtoError> {
        while let Some(line) = self.next_line()? {
            if let Some(reply) = self.take_line(&line)? {
                return Ok(Some(reply));
            }
        }
        Ok(None)
    }

    /// The next complete line's bytes, without its line end; `None` when none is complete.
    fn next_line(&mut self) -> Result<Option<Vec<u8>>, ProtoError> {
        let unread = &self.buf[self.start..];
        let found = unread[self.scanned..].iter().position(|&b| b == b'\n');
        let Some(offset) = found else {
            self.scanned = unread.len();
            // A CR may still be waiting for its LF, so allow one byte over the line limit.
            if unread.len() > self.max_line + 1 {
                return Err(ProtoError::LineTooLong {
                    limit: self.max_line,
                });
            }
            return Ok(None);
        };
        let end = self.scanned + offset;
        let mut line = &unread[..end];
        if let Some(without_cr) = line.strip_suffix(b"\r") {
            line = without_cr;
        }
        if line.len() > self.max_line {
            return Err(ProtoError::LineTooLong {
                limit: self.max_line,
            });
        }
        let line = line.to_vec();
        self.start += end + 1;
        self.scanned = 0;
        Ok(Some(line))
    }

    /// Adds one line to the reply in progress (or starts one); returns the reply it ends.
    fn take_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ProtoError> {
        // Counted as stored text (a byte outside ASCII becomes two, read as Latin-1), so that
        // the limit bounds what the reply holds, not only what arrived.
        let line_text = bytes_to_text(line);
        let size = line_text.len() + 1;
        match self.pending.take() {
            None => {
                let (code, sep) = parse_code(line).ok_or_else(|| {
                    ProtoError::InvalidReply(format!(
                        "line does not start with a reply code: {:?}",
                        String::from_utf8_lossy(&line[..line.len().min(80)])
                    ))
                })?;
                if size > self.max_reply {
                    return Err(ProtoError::ReplyTooLong {
                        limit: self.max_reply,
                    });
                }
                let text = line_text;
                if sep == Some(b'-') {
                    self.pending = Some(Pending { code, text, size });
                    Ok(None)
                } else {
                    Ok(Some(Reply { code, text }))
                }
            }
            Some(mut pending) => {
                pending.size += size;
                if pending.size > self.max_reply {
                    return Err(ProtoError::ReplyTooLong {
                        limit: self.max_reply,
                    });
                }
                pending.text.push('\n');
                pending.text.push_str(&line_text);
                // Only the same code followed by a space (or nothing) ends the reply; inner
                // lines may start with anything, other codes and `code-` included.
                let ends = matches!(parse_code(line), Some((code, None | Some(b' '))) if code == pending.code);
                if ends {
                    Ok(Some(Reply {
                        code: pending.code,
                        text: pending.text,
                    }))
                } else {
                    self.pending = Some(pending);
                    Ok(None)
                }
            }
        }
    }
}

/// The reply code at the start of a line and the byte after it (`None` at the end of the line).
///
/// The code is three digits, the first 1 to 5; the byte after must be a space or a hyphen.
fn parse_code(line: &[u8]) -> Option<(u16, Option<u8>)> {
    let [a, b, c, rest @ ..] = line else {
        return None;
    };
    if !(b'1'..=b'5').contains(a) || !b.is_ascii_digit() || !c.is_ascii_digit() {
        return None;
    }
    let sep = match rest.first() {
        None => None,
        Some(&s @ (b' ' | b'-')) => Some(s),
        Some(_) => return None,
    };
    let code = u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0');
    Some((code, sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> Result<Vec<Reply>, ProtoError> {
        let mut reader = ReplyReader::new();
        reader.push(bytes);
        let mut replies = Vec::new();
        while let Some(reply) = reader.next_reply()? {
            replies.push(reply);
        }
        Ok(replies)
    }

    #[test]
    fn single_line_reply_is_read() {
        let replies = read_all(b"220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n").unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].code, 220);
        assert_eq!(
            replies[0].message(),
            "ProFTPD Server (Debian) [::ffff:127.0.0.1]"
        );
    }

    #[test]
    fn multi_line_reply_keeps_every_line_including_ones_with_other_codes() {
        let wire = b"211-Features:\r\n EPRT\r\n200 not the end\r\n211-still not\r\n MLST type*;size*;\r\n211 End\r\n";
        let replies = read_all(wire).unwrap();
        assert_eq!(replies.len(), 1);
        let reply = &replies[0];
        assert_eq!(reply.code, 211);
        assert_eq!(reply.lines().count(), 6);
        assert_eq!(
            reply.message(),
            "Features:\n EPRT\n200 not the end\nstill not\n MLST type*;size*;\nEnd"
        );
    }

    #[test]
    fn pure_ftpd_banner_whose_first_line_is_all_hyphens_is_one_reply() {
        let wire = b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n\
220-You are user number 1 of 50 allowed.\r\n\
220-Local time is now 10:00. Server port: 21.\r\n\
220 You will be disconnected after 15 minutes of inactivity.\r\n";
        let replies = read_all(wire).unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].lines().count(), 4);
        assert!(replies[0].message().starts_with("--------- Welcome"));
    }

    #[test]
    fn vsftpd_and_iis_login_sequences_read_in_order() {
        let wire = b"220 (vsFTPd 3.0.5)\r\n331 Please specify the password.\r\n\
230-Welcome to IIS\r\n  Be nice.\r\n230 User logged in.\r\n";
        let codes: Vec<u16> = read_all(wire).unwrap().iter().map(|r| r.code).collect();
        assert_eq!(codes, [220, 331, 230]);
    }

    #[test]
    fn lf_only_line_ends_are_accepted() {
        let replies = read_all(b"230-User logged in\n230 OK\n331 next\n").unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].text, "230-User logged in\n230 OK");
        assert_eq!(replies[1].code, 331);
    }

    #[test]
    fn a_reply_split_byte_by_byte_is_the_same_reply() {
        let wire = b"150-Opening\r\n150 BINARY mode\r\n226 Transfer complete\r\n";
        let mut reader = ReplyReader::new();
        let mut replies = Vec::new();
        for &byte in wire.iter() {
            reader.push(&[byte]);
            while let Some(reply) = reader.next_reply().unwrap() {
                replies.push(reply);
            }
        }
        assert_eq!(replies, read_all(wire).unwrap());
        assert!(!reader.in_reply());
    }

    #[test]
    fn bytes_after_a_reply_wait_for_the_next_call() {
        let mut reader = ReplyReader::new();
        reader.push(b"150 Opening\r\n226 Do");
        assert_eq!(reader.next_reply().unwrap().unwrap().code, 150);
        assert_eq!(reader.next_reply().unwrap(), None);
        assert_eq!(reader.buffered(), 6);
        reader.push(b"ne\r\n");
        assert_eq!(reader.next_reply().unwrap().unwrap().code, 226);
    }

    #[test]
    fn a_bare_code_line_is_a_reply() {
        assert_eq!(read_all(b"200\r\n").unwrap()[0].message(), "");
    }

    #[test]
    fn garbage_without_a_code_is_an_error_and_stays_one() {
        let mut reader = ReplyReader::new();
        reader.push(b"HTTP/1.1 400 Bad Request\r\n220 ok\r\n");
        assert!(matches!(
            reader.next_reply(),
            Err(ProtoError::InvalidReply(_))
        ));
        assert!(matches!(
            reader.next_reply(),
            Err(ProtoError::InvalidReply(_))
        ));
    }

    #[test]
    fn codes_outside_one_to_five_hundreds_are_garbage() {
        assert!(read_all(b"600 what\r\n").is_err());
        assert!(read_all(b"099 what\r\n").is_err());
        assert!(read_all(b"2000 too many digits\r\n").is_err());
        assert!(read_all(b"20 short\r\n").is_err());
    }

    #[test]
    fn a_line_over_the_limit_fails_even_before_its_end_arrives() {
        let mut reader = ReplyReader::with_limits(16, 1024);
        reader.push(b"220 this line never ends and keeps going");
        assert_eq!(
            reader.next_reply(),
            Err(ProtoError::LineTooLong { limit: 16 })
        );
    }

    #[test]
    fn a_multi_line_reply_that_never_ends_fails() {
        let mut reader = ReplyReader::with_limits(64, 1000);
        reader.push(b"220-start\r\n");
        let mut result = Ok(None);
        for _ in 0..200 {
            reader.push(b"220-more of the same\r\n");
            result = reader.next_reply();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(ProtoError::ReplyTooLong { limit: 1000 }));
    }

    #[test]
    fn non_utf8_text_is_kept_as_latin1() {
        let replies = read_all(b"550 Datei nicht gefunden: \xe4\r\n").unwrap();
        assert_eq!(replies[0].message(), "Datei nicht gefunden: ä");
    }

    #[test]
    fn classes_follow_the_first_digit() {
        let class = |code| {
            Reply {
                code,
                text: String::new(),
            }
            .class()
        };
        assert_eq!(class(150), ReplyClass::Preliminary);
        assert_eq!(class(226), ReplyClass::Completion);
        assert_eq!(class(331), ReplyClass::Intermediate);
        assert_eq!(class(421), ReplyClass::TransientNegative);
        assert_eq!(class(530), ReplyClass::PermanentNegative);
    }

    #[test]
    fn encode_then_read_gives_the_same_reply() {
        let reply = Reply {
            code: 214,
            text: "214-Help\n USER PASS\n214 Done".into(),
        };
        let mut wire = Vec::new();
        reply.encode(&mut wire);
        assert_eq!(read_all(&wire).unwrap(), vec![reply]);
    }

    #[test]
    fn the_reply_limit_bounds_the_text_held_not_only_the_bytes_received() {
        // 94 bytes on the wire, but 184 bytes of text once the Latin-1 bytes are decoded
        // (found by the ftp_reply fuzz target).
        let mut reader = ReplyReader::with_limits(200, 100);
        let mut line = b"200 ".to_vec();
        line.extend(std::iter::repeat_n(0xe9, 90));
        line.extend_from_slice(b"\r\n");
        reader.push(&line);
        assert_eq!(
            reader.next_reply(),
            Err(ProtoError::ReplyTooLong { limit: 100 })
        );
    }
}
