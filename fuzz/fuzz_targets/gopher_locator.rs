//! Arbitrary bytes into Gopher locators: parsed as a locator string, and cut (at 0x1F bytes)
//! into the parts of `Locator::new` and of a request line.
//!
//! Beyond "no panic", checks the rules the driver relies on: a locator string that parses
//! encodes back to an equal locator; `Locator::new` refuses exactly the fields that would shift
//! a menu line's fields or end it (TAB, CR, LF, NUL; an empty host; a type byte that is not
//! printable ASCII), and what it accepts encodes to a line that parses back to it; a request
//! line is refused when the selector or query holds TAB/CR/LF/NUL or the Gopher+ suffix CR/LF/NUL,
//! and otherwise ends with its only CRLF and has one TAB per extra field.

#![no_main]

use inet_gopher::proto::{request_line, ItemType, Locator};
use libfuzzer_sys::fuzz_target;

fn clean(field: &[u8]) -> bool {
    !field.iter().any(|b| matches!(b, b'\t' | b'\r' | b'\n' | 0))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(loc) = Locator::parse(data) {
        assert_eq!(Locator::parse(&loc.to_bytes()), Ok(loc));
    }

    let mut parts = data.split(|&b| b == 0x1f);
    let kind = parts.next().and_then(|p| p.first().copied()).unwrap_or(b'0');
    let display = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let selector = parts.next().unwrap_or_default();
    let host = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let port = parts
        .next()
        .map(|p| p.iter().fold(0u16, |n, &b| n.wrapping_mul(31).wrapping_add(u16::from(b))))
        .unwrap_or(70);
    let query = parts.next().map(|q| String::from_utf8_lossy(q).into_owned());
    let plus = parts.next().map(|p| String::from_utf8_lossy(p).into_owned());

    let item_type = ItemType::from_byte(kind);
    let acceptable = item_type.as_byte().is_ascii_graphic()
        && clean(display.as_bytes())
        && clean(selector)
        && clean(host.as_bytes())
        && !host.is_empty();
    match Locator::new(item_type, &display, selector, &host, port) {
        Ok(loc) => {
            assert!(acceptable, "accepted {loc:?}");
            assert_eq!(loc.selector(), selector);
            assert_eq!(Locator::parse(&loc.to_bytes()).as_ref(), Ok(&loc));
        }
        Err(_) => assert!(!acceptable, "refused clean fields"),
    }

    let line = request_line(selector, query.as_deref(), plus.as_deref());
    let allowed = clean(selector)
        && query.as_deref().is_none_or(|q| clean(q.as_bytes()))
        && plus
            .as_deref()
            .is_none_or(|p| !p.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)));
    match line {
        Ok(line) => {
            assert!(allowed);
            let body = line.strip_suffix(b"\r\n").expect("a request line ends with CRLF");
            assert!(!body.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
            let tabs = body.iter().filter(|&&b| b == b'\t').count();
            let extra = usize::from(query.is_some())
                + plus.as_deref().map_or(0, |p| 1 + p.matches('\t').count());
            assert_eq!(tabs, extra);
        }
        Err(_) => assert!(!allowed),
    }
});
