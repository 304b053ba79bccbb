//! Arbitrary bytes into the Gopher menu parser, and into the locator parser (the locator has
//! its own target too, `gopher_locator`).
//!
//! Beyond "no panic", checks what the driver relies on: feeding the bytes in two pieces (split
//! where the first byte says) gives the same items and the same error as feeding them at once;
//! a raw line fits the line limit; every entry encodes to a line that parses back to it; and a
//! locator string that parses encodes back to an equal locator.

#![no_main]

use inet_gopher::proto::{Locator, MenuItem, MenuParser, ProtoError};
use libfuzzer_sys::fuzz_target;

const MAX_LINE: usize = 512;

fn read(pieces: &[&[u8]]) -> (Vec<MenuItem>, Option<ProtoError>) {
    let mut menu = MenuParser::for_server("origin.example", 70).with_max_line(MAX_LINE);
    let mut items = Vec::new();
    let mut drain = |menu: &mut MenuParser, items: &mut Vec<MenuItem>| loop {
        match menu.next_item() {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return None,
            Err(err) => return Some(err),
        }
    };
    for piece in pieces {
        menu.push(piece);
        if let Some(err) = drain(&mut menu, &mut items) {
            return (items, Some(err));
        }
    }
    menu.finish();
    let err = drain(&mut menu, &mut items);
    assert!(err.is_some() || menu.is_done());
    (items, err)
}

fuzz_target!(|data: &[u8]| {
    let whole = read(&[data]);
    if let Some(&first) = data.first() {
        let cut = usize::from(first) * data.len() / 256;
        assert_eq!(read(&[&data[..cut], &data[cut..]]), whole);
    }
    for item in &whole.0 {
        match item {
            // Blank lines (ASCII whitespace only, as `u8::is_ascii_whitespace` has it: no
            // vertical tab) are skipped, never raw.
            MenuItem::Raw(raw) => {
                assert!(!raw.bytes().all(|b| b.is_ascii_whitespace()));
                assert!(raw.chars().count() <= MAX_LINE);
            }
            MenuItem::Entry(loc) => assert_eq!(Locator::parse(&loc.to_bytes()).as_ref(), Ok(loc)),
        }
    }
    if let Ok(loc) = Locator::parse(data) {
        assert_eq!(Locator::parse(&loc.to_bytes()), Ok(loc));
    }
});
