//! Arbitrary bytes into the response-head parser.
//!
//! Beyond "no panic", checks the property the driver relies on: parsing a prefix of the input
//! either asks for more bytes or gives exactly what parsing the whole input gives, so the head
//! found never depends on how the bytes arrived.

#![no_main]

use inet_http::proto::parse_response_head;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 8 * 1024;

fuzz_target!(|data: &[u8]| {
    let whole = parse_response_head(data, LIMIT);
    if let Ok(Some((head, consumed))) = &whole {
        assert!(*consumed <= data.len() && *consumed <= LIMIT);
        assert!((100..=999).contains(&head.status));
        assert!(head.raw.ends_with("\r\n\r\n"));
    }
    if let Ok(None) = whole {
        assert!(data.len() < LIMIT);
    }
    // One split point, chosen by the input itself, keeps each run cheap.
    if let Some(&first) = data.first() {
        let cut = usize::from(first) * data.len() / 256;
        let prefix = parse_response_head(&data[..cut], LIMIT);
        assert!(
            prefix == Ok(None) || prefix == whole,
            "prefix of {cut} bytes: {prefix:?}, whole: {whole:?}"
        );
    }
});
