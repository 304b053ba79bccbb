//! The resources a page names, found while the page is still arriving: the browser scenario of
//! WinINet's asynchronous-mode documentation ("a browser downloads a page, then the images,
//! scripts and sounds it names — in async mode requested at once and taken as they become
//! available").
//!
//! [`LinkScanner`] takes the page's bytes in any pieces and hands out each `src="…"` and
//! `href="…"` value as soon as its closing quote has arrived, so a request for it can start
//! before the rest of the page is in. It is not an HTML parser: it reads attribute values, and
//! that is all the scenario needs.
//!
//! ```
//! use inet::html::LinkScanner;
//!
//! let mut scan = LinkScanner::new();
//! assert_eq!(scan.push(br#"<img src="a.png"><script sr"#), ["a.png"]);
//! assert_eq!(scan.push(br#"c='app.js'></script><a HREF="/b">"#), ["app.js", "/b"]);
//! assert!(scan.push(br#"<img src="a.png">"#).is_empty()); // named twice, handed out once
//! ```

use std::collections::HashSet;

/// Longest attribute value kept waiting for its closing quote; a longer one is dropped (and
/// memory stays bounded whatever the page holds).
const MAX_VALUE: usize = 4096;

/// Attribute names whose values are links.
const NAMES: [&[u8]; 2] = [b"src", b"href"];

/// Finds `src` and `href` values in a page as its bytes arrive (see the module docs).
#[derive(Debug, Default, Clone)]
pub struct LinkScanner {
    /// Bytes not yet scanned to the end: at most an attribute name's worth, or one unfinished
    /// value.
    pending: Vec<u8>,
    seen: HashSet<String>,
}

impl LinkScanner {
    /// A scanner at the start of a page.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next bytes of the page; returns the link values completed by them, each value once
    /// per page, in page order. Values are trimmed; empty ones, `#fragment`s, `javascript:`,
    /// `data:` and `mailto:` links are left out.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut found = Vec::new();
        let mut at = 0;
        let buf = &self.pending;
        let keep_from = loop {
            let (name_start, value_start, quote) = match next_attribute(buf, at) {
                Next::Value {
                    name_start,
                    value_start,
                    quote,
                } => (name_start, value_start, quote),
                // `src =` cut at the end of the bytes: keep it from its name.
                Next::Partial { name_start } => break name_start,
                // Keep a tail that could be the start of an attribute name.
                Next::None => break buf.len().saturating_sub(8).max(at),
            };
            match buf[value_start..].iter().position(|&b| b == quote) {
                Some(len) => {
                    let value = String::from_utf8_lossy(&buf[value_start..value_start + len]);
                    let value = value.trim();
                    if wanted(value) && self.seen.insert(value.to_string()) {
                        found.push(value.to_string());
                    }
                    at = value_start + len + 1;
                }
                None if buf.len() - value_start > MAX_VALUE => at = buf.len(),
                // The value goes on in the next bytes: keep it from its name.
                None => break name_start,
            }
        };
        self.pending.drain(..keep_from.min(self.pending.len()));
        found
    }
}

/// What [`next_attribute`] found.
enum Next {
    /// `name = "` : where the name and the value start, and the quote that ends the value.
    Value {
        name_start: usize,
        value_start: usize,
        quote: u8,
    },
    /// A link attribute's name at the end of the bytes, its `=` or quote still to come.
    Partial {
        name_start: usize,
    },
    None,
}

/// The next link attribute at or after `from`.
fn next_attribute(buf: &[u8], from: usize) -> Next {
    let mut i = from;
    while i < buf.len() {
        for name in NAMES {
            let end = i + name.len();
            if end <= buf.len()
                && buf[i..end].eq_ignore_ascii_case(name)
                && (i == 0 || !buf[i - 1].is_ascii_alphanumeric())
            {
                let mut j = end;
                while j < buf.len() && buf[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < buf.len() && buf[j] == b'=' {
                    j += 1;
                    while j < buf.len() && buf[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if j < buf.len() && (buf[j] == b'"' || buf[j] == b'\'') {
                        return Next::Value {
                            name_start: i,
                            value_start: j + 1,
                            quote: buf[j],
                        };
                    }
                }
                if j >= buf.len() {
                    return Next::Partial { name_start: i };
                }
            }
        }
        i += 1;
    }
    Next::None
}

fn wanted(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    !(value.is_empty()
        || value.starts_with('#')
        || lower.starts_with("javascript:")
        || lower.starts_with("data:")
        || lower.starts_with("mailto:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = br##"<html><head><link rel=stylesheet href="/s.css"><script src='/a.js'></script></head>
<body><img SRC = "/i/1.png"><a href="#top">top</a><a href="javascript:x()">x</a>
<img src="/i/2.png" alt="src=nope"><iframe src="/f.html"></iframe><a href="/s.css">again</a></body>"##;

    fn all(cut: usize) -> Vec<String> {
        let mut s = LinkScanner::new();
        PAGE.chunks(cut).flat_map(|c| s.push(c)).collect()
    }

    #[test]
    fn links_come_out_in_order_once_however_the_page_is_cut() {
        let want = ["/s.css", "/a.js", "/i/1.png", "/i/2.png", "/f.html"];
        for cut in 1..=PAGE.len() {
            assert_eq!(all(cut), want, "cut {cut}");
        }
    }

    #[test]
    fn an_endless_value_does_not_grow_memory() {
        let mut s = LinkScanner::new();
        s.push(b"<img src=\"");
        for _ in 0..100 {
            assert!(s.push(&[b'x'; 1000]).is_empty());
        }
        assert!(s.pending.len() < 2 * MAX_VALUE);
        assert_eq!(s.push(b"<img src=\"/ok\">"), ["/ok"]);
    }
}
