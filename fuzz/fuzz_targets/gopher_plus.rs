//! Arbitrary bytes into the Gopher+ parsers: the reply header, attribute blocks and error bodies.
//!
//! Beyond "no panic", checks that a header's length counts only bytes it was given, that a
//! header found in a prefix is the same header in the whole, and that every attribute block
//! has a name of printable ASCII.

#![no_main]

use inet_gopher::proto::{parse_attributes, parse_error_body, parse_reply_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_reply_header(data) {
        Ok(Some((header, consumed))) => {
            assert!(consumed <= data.len() && data[consumed - 1] == b'\n');
            assert_eq!(
                parse_reply_header(&data[..consumed]),
                Ok(Some((header, consumed)))
            );
            let _ = parse_attributes(&data[consumed..]);
            let _ = parse_error_body(&data[consumed..]);
        }
        Ok(None) => assert!(!data.contains(&b'\n')),
        Err(_) => {}
    }
    if let Ok(blocks) = parse_attributes(data) {
        for block in blocks {
            assert!(!block.name.is_empty() && block.name.bytes().all(|b| b.is_ascii_graphic()));
            let _ = block.locator();
            let _ = block.attributes().count();
            let _ = block.get("Admin");
        }
    }
    let error = parse_error_body(data);
    assert!(error.code.is_none_or(|c| (1..=9).contains(&c)));
});
