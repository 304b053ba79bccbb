//! Gopher+ (the 1993 Gopher+ protocol description): the header line of a Gopher+ reply, error
//! replies, and attribute blocks (`+INFO`, `+ADMIN`, `+VIEWS`, `+ABSTRACT`, …).
//!
//! A Gopher+ request (a selector with a TAB and `+`, `!` or `$` after it, see
//! [`request_line`](super::request_line)) is answered with one header line: `+` then the data
//! length (`-1`: text ended by a `.` line; `-2`: until the server closes; a number: exactly that
//! many bytes), or `-` and a length for an error. A server that does not speak Gopher+ answers
//! without it: [`parse_reply_header`] says so with [`ProtoError::NotGopherPlus`], which the
//! driver reports as `ERROR_GOPHER_NOT_GOPHER_PLUS` (12136).
//!
//! Attribute replies are small: the driver reads the whole reply (bounded) and hands it to
//! [`parse_attributes`].

use super::locator::strip_line_end;
use super::{bytes_to_text, excerpt, Locator, ProtoError};

/// A header line longer than this is no Gopher+ header (the longest real one is `+` and a
/// 20-digit length).
const MAX_HEADER: usize = 64;

/// How much data follows a Gopher+ header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlusLength {
    /// `-1`: text ended by a `.` line (dot-stuffed, see [`TextFraming`](super::TextFraming)).
    DotTerminated,
    /// `-2`: everything until the server closes the connection.
    UntilClose,
    /// Exactly this many bytes.
    Bytes(u64),
}

/// The header line of a Gopher+ reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlusHeader {
    /// `+…`: the data asked for follows.
    Data(PlusLength),
    /// `-…`: an error follows ([`parse_error_body`] reads it).
    Error(PlusLength),
}

/// Reads the header line at the start of a Gopher+ reply: `Ok(Some((header, consumed)))`, where
/// `consumed` counts the line and its line end; `Ok(None)` when the line is not complete yet.
///
/// Refused with [`ProtoError::NotGopherPlus`]: a reply that does not start with `+` or `-`
/// followed by `-1`, `-2` or a number (trailing spaces are allowed).
///
/// ```
/// use inet_gopher::proto::{parse_reply_header, PlusHeader, PlusLength, ProtoError};
///
/// assert_eq!(parse_reply_header(b"+-2\r\n+INFO: ...")?,
///            Some((PlusHeader::Data(PlusLength::UntilClose), 5)));
/// assert_eq!(parse_reply_header(b"+15\r\nHello, gopher!")?,
///            Some((PlusHeader::Data(PlusLength::Bytes(15)), 5)));
/// assert_eq!(parse_reply_header(b"--2\r\n1 Admin <a@b>\r\n")?,
///            Some((PlusHeader::Error(PlusLength::UntilClose), 5)));
/// assert_eq!(parse_reply_header(b"+-")?, None); // more to come
/// assert!(matches!(parse_reply_header(b"Hello, gopher!\r\n"),
///                  Err(ProtoError::NotGopherPlus(_))));
/// # Ok::<(), ProtoError>(())
/// ```
pub fn parse_reply_header(reply: &[u8]) -> Result<Option<(PlusHeader, usize)>, ProtoError> {
    let not_plus = || {
        ProtoError::NotGopherPlus(format!(
            "the reply does not start with a Gopher+ header: {}",
            excerpt(reply)
        ))
    };
    let Some(&sign) = reply.first() else {
        return Ok(None);
    };
    if sign != b'+' && sign != b'-' {
        return Err(not_plus());
    }
    let Some(lf) = reply.iter().position(|&b| b == b'\n') else {
        return if reply.len() > MAX_HEADER {
            Err(not_plus())
        } else {
            Ok(None)
        };
    };
    let line = strip_line_end(&reply[..=lf]);
    let length = match line[1..].trim_ascii_end() {
        b"-1" => PlusLength::DotTerminated,
        b"-2" => PlusLength::UntilClose,
        digits
            if !digits.is_empty()
                && digits.len() <= 20
                && digits.iter().all(u8::is_ascii_digit) =>
        {
            let value = digits.iter().try_fold(0u64, |acc, &d| {
                acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            });
            PlusLength::Bytes(value.ok_or_else(not_plus)?)
        }
        _ => return Err(not_plus()),
    };
    let header = if sign == b'+' {
        PlusHeader::Data(length)
    } else {
        PlusHeader::Error(length)
    };
    Ok(Some((header, lf + 1)))
}

/// A Gopher+ error reply's body: a first line `N contact`, then a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlusError {
    /// `1`: the item is not available; `2`: try again later; `3`: the item has moved (the
    /// message holds its new locator). `None` when the body does not start with a code.
    pub code: Option<u8>,
    /// Who to ask: the rest of the first line (empty without a code).
    pub contact: String,
    /// The remaining lines, joined by `\n` (a final `.` line dropped).
    pub message: String,
}

/// Reads the body of a Gopher+ error reply (what follows a `-` header). Never fails: a body in no
/// known shape is all message.
///
/// ```
/// use inet_gopher::proto::parse_error_body;
///
/// let error = parse_error_body(b"1 Admin <admin@example.org>\r\n'/x' does not exist\r\n");
/// assert_eq!(error.code, Some(1));
/// assert_eq!(error.contact, "Admin <admin@example.org>");
/// assert_eq!(error.message, "'/x' does not exist");
/// ```
pub fn parse_error_body(body: &[u8]) -> PlusError {
    let mut lines: Vec<&[u8]> = body.split(|&b| b == b'\n').map(strip_line_end).collect();
    while lines.last().is_some_and(|l| l.is_empty() || *l == b".") {
        lines.pop();
    }
    let (code, contact, rest) = match lines.split_first() {
        Some((&[digit @ b'1'..=b'9', ref after @ ..], rest))
            if after.is_empty() || after[0] == b' ' || after[0] == b'\t' =>
        {
            (Some(digit - b'0'), bytes_to_text(after.trim_ascii()), rest)
        }
        _ => (None, String::new(), &lines[..]),
    };
    let message = rest
        .iter()
        .map(|l| bytes_to_text(l))
        .collect::<Vec<_>>()
        .join("\n");
    PlusError {
        code,
        contact,
        message,
    }
}

/// One attribute block: a `+NAME: value` line and the content lines after it (each sent with a
/// leading space).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeBlock {
    /// The block's name without `+` and `:`: `INFO`, `ADMIN`, `VIEWS`, `ABSTRACT`, `ASK`, …
    pub name: String,
    /// The rest of the header line (for `+INFO`, the item's locator).
    pub value: String,
    /// The content lines, without their leading space.
    pub lines: Vec<String>,
}

impl AttributeBlock {
    /// The item's locator, for an `INFO` block whose value reads as one.
    pub fn locator(&self) -> Option<Locator> {
        if !self.name.eq_ignore_ascii_case("INFO") {
            return None;
        }
        Locator::parse(self.value.as_bytes()).ok()
    }

    /// The content lines read as `Name: value` attributes (`Admin: …`, `Mod-Date: …`,
    /// `text/plain: <10k>`); lines without a `:` are skipped.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.lines.iter().filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim(), value.trim()))
        })
    }

    /// The value of attribute `name` (ASCII case ignored), the first if there are several.
    ///
    /// ```
    /// use inet_gopher::proto::parse_attributes;
    ///
    /// let blocks = parse_attributes(b"+ADMIN:\r\n Admin: Ann <ann@example.org>\r\n")?;
    /// assert_eq!(blocks[0].get("admin"), Some("Ann <ann@example.org>"));
    /// # Ok::<(), inet_gopher::proto::ProtoError>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The content lines joined by `\n` (an `ABSTRACT`'s text).
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// Reads the attribute blocks of a Gopher+ attribute reply (after its header line): for `!`,
/// one item's blocks; for `$`, every item's, each item starting with its `INFO` block.
///
/// A `.` line ends the data (for `+-1` replies); blank lines are skipped; a line starting with
/// a space or a TAB is content of the block before it.
///
/// Refused with [`ProtoError::InvalidReply`]: a content line before any block, a `+` line
/// without a `:` or whose name is empty or not all printable ASCII, any other line.
///
/// ```
/// use inet_gopher::proto::{parse_attributes, ItemType};
///
/// let reply = b"+INFO: 0Hello\t/hello.txt\t127.0.0.1\t70\t+\r\n\
/// +ADMIN:\r\n Admin: Ann <ann@example.org>\r\n Mod-Date: Tue Dec  1 05:57:33 2026\r\n\
/// +VIEWS:\r\n text/plain: <1k>\r\n";
/// let blocks = parse_attributes(reply)?;
/// assert_eq!(blocks.len(), 3);
/// assert_eq!(blocks[0].locator().unwrap().item_type(), ItemType::TextFile);
/// assert_eq!(blocks[1].get("Mod-Date"), Some("Tue Dec  1 05:57:33 2026"));
/// assert_eq!(blocks[2].attributes().next(), Some(("text/plain", "<1k>")));
/// # Ok::<(), inet_gopher::proto::ProtoError>(())
/// ```
pub fn parse_attributes(data: &[u8]) -> Result<Vec<AttributeBlock>, ProtoError> {
    let mut blocks: Vec<AttributeBlock> = Vec::new();
    for line in data.split(|&b| b == b'\n').map(strip_line_end) {
        match line {
            b"." => break,
            [] => {}
            [b' ' | b'\t', content @ ..] => match blocks.last_mut() {
                Some(block) => block.lines.push(bytes_to_text(content)),
                None => {
                    return Err(ProtoError::InvalidReply(format!(
                        "attribute content before any +BLOCK: line: {}",
                        excerpt(line)
                    )))
                }
            },
            [b'+', rest @ ..] => {
                let colon = rest.iter().position(|&b| b == b':');
                let name = colon.map(|c| rest[..c].trim_ascii());
                let (Some(c), Some(name)) = (colon, name) else {
                    return Err(bad_block(line));
                };
                if name.is_empty() || !name.iter().all(u8::is_ascii_graphic) {
                    return Err(bad_block(line));
                }
                let value = &rest[c + 1..];
                let value = value.strip_prefix(b" ").unwrap_or(value);
                blocks.push(AttributeBlock {
                    name: bytes_to_text(name),
                    value: bytes_to_text(value),
                    lines: Vec::new(),
                });
            }
            _ => {
                return Err(ProtoError::InvalidReply(format!(
                    "not an attribute line: {}",
                    excerpt(line)
                )))
            }
        }
    }
    Ok(blocks)
}

fn bad_block(line: &[u8]) -> ProtoError {
    ProtoError::InvalidReply(format!(
        "an attribute block line without NAME: : {}",
        excerpt(line)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ItemType;

    #[test]
    fn header_lengths_are_read() {
        let header = |wire: &[u8]| parse_reply_header(wire).unwrap().unwrap().0;
        assert_eq!(
            header(b"+-1\r\n"),
            PlusHeader::Data(PlusLength::DotTerminated)
        );
        assert_eq!(header(b"+-2\n"), PlusHeader::Data(PlusLength::UntilClose));
        assert_eq!(header(b"+0\r\n"), PlusHeader::Data(PlusLength::Bytes(0)));
        assert_eq!(
            header(b"+1234 \r\n"),
            PlusHeader::Data(PlusLength::Bytes(1234))
        );
        assert_eq!(
            header(b"--1\r\n"),
            PlusHeader::Error(PlusLength::DotTerminated)
        );
        assert_eq!(header(b"-20\r\n"), PlusHeader::Error(PlusLength::Bytes(20)));
        assert_eq!(
            header(b"+18446744073709551615\r\n"),
            PlusHeader::Data(PlusLength::Bytes(u64::MAX))
        );
    }

    #[test]
    fn a_header_needs_its_whole_line() {
        assert_eq!(parse_reply_header(b""), Ok(None));
        assert_eq!(parse_reply_header(b"+12"), Ok(None));
        assert_eq!(parse_reply_header(b"+12\r"), Ok(None));
        assert_eq!(
            parse_reply_header(b"+12\r\nrest"),
            Ok(Some((PlusHeader::Data(PlusLength::Bytes(12)), 5)))
        );
    }

    #[test]
    fn replies_of_plain_gopher_servers_are_not_gopher_plus() {
        for reply in [
            &b"Hello, gopher!\r\n"[..],
            b"iWelcome\t\tnull.host\t1\r\n",
            b"+INFO: 0x\t/x\th\t70\r\n",
            b"+\r\n",
            b"+-3\r\n",
            b"+12a\r\n",
            b"+18446744073709551616\r\n",
            b"3Error\t\terror.host\t1\r\n",
        ] {
            assert!(
                matches!(parse_reply_header(reply), Err(ProtoError::NotGopherPlus(_))),
                "{reply:?}"
            );
        }
        let endless = [b'+'; 100];
        assert!(parse_reply_header(&endless).is_err());
    }

    #[test]
    fn pygopherds_attribute_reply_reads_block_by_block() {
        let reply = b"+INFO: 0hello.txt\t/hello.txt\t127.0.0.1\t18071\t+\r\n\
+ADMIN:\r\n Admin: Unconfigured Pygopherd Admin <pygopherd@nowhere.nowhere>\r\n \
Mod-Date: Tue Dec  1 05:57:33 2026 <20261201055733>\r\n\
+VIEWS:\r\n text/plain: <0k>\r\n";
        let blocks = parse_attributes(reply).unwrap();
        let names: Vec<&str> = blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["INFO", "ADMIN", "VIEWS"]);
        let info = blocks[0].locator().unwrap();
        assert_eq!((info.item_type(), info.port()), (ItemType::TextFile, 18071));
        assert!(info.is_gopher_plus());
        assert_eq!(
            blocks[1].get("admin"),
            Some("Unconfigured Pygopherd Admin <pygopherd@nowhere.nowhere>")
        );
        assert_eq!(
            blocks[1].get("Mod-Date"),
            Some("Tue Dec  1 05:57:33 2026 <20261201055733>")
        );
        assert_eq!(
            blocks[2].attributes().collect::<Vec<_>>(),
            [("text/plain", "<0k>")]
        );
        assert_eq!(blocks[1].locator(), None);
    }

    #[test]
    fn an_abstract_is_text_and_a_dot_line_ends_the_data() {
        let blocks =
            parse_attributes(b"+ABSTRACT:\r\n First line.\r\n Second: line.\r\n.\r\n+X: y\r\n")
                .unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].text(), "First line.\nSecond: line.");
    }

    #[test]
    fn malformed_attribute_replies_are_invalid() {
        for reply in [
            &b" content first\r\n"[..],
            b"+INFO 0x\r\n",
            b"+: value\r\n",
            b"+TWO WORDS: value\r\n",
            // Found by the gopher_plus fuzz target: a vertical tab inside a name.
            b"+1\x0b*INFO: \n",
            b"+N\xe4ME: value\r\n",
            b"+INFO: 0x\t/x\th\t70\r\nplain line\r\n",
        ] {
            assert!(
                matches!(parse_attributes(reply), Err(ProtoError::InvalidReply(_))),
                "{reply:?}"
            );
        }
        assert_eq!(parse_attributes(b""), Ok(Vec::new()));
    }

    #[test]
    fn error_bodies_give_code_contact_and_message() {
        let error = parse_error_body(
            b"1 Unconfigured Pygopherd Admin <pygopherd@nowhere.nowhere>\r\n'/x' does not exist (no handler found)\r\n",
        );
        assert_eq!(error.code, Some(1));
        assert_eq!(
            error.contact,
            "Unconfigured Pygopherd Admin <pygopherd@nowhere.nowhere>"
        );
        assert_eq!(error.message, "'/x' does not exist (no handler found)");
        let error = parse_error_body(b"2\r\nbusy\r\n.\r\n");
        assert_eq!((error.code, error.message.as_str()), (Some(2), "busy"));
        let error = parse_error_body(b"just text\r\nmore");
        assert_eq!(error.code, None);
        assert_eq!(error.message, "just text\nmore");
        assert_eq!(parse_error_body(b"").message, "");
    }
}
