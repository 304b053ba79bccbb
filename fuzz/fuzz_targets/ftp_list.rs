//! Arbitrary text into the `LIST` line parser: no panic, and a line it cannot read comes back
//! whole as `Parsed::Raw`.

#![no_main]

use inet_ftp::proto::{parse_list_line, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first bytes choose "now", so recent-date year inference is fuzzed too.
    let (now, rest) = match data {
        [a, b, c, rest @ ..] => ((i32::from_le_bytes([*a, *b, 0, 0]), *c), rest),
        _ => ((2024, 6), data),
    };
    let line = String::from_utf8_lossy(rest);
    match parse_list_line(&line, now) {
        Parsed::Raw(raw) => assert_eq!(raw, line.trim_end_matches(['\r', '\n'])),
        Parsed::Entry(entry) => assert!(!entry.name.is_empty()),
        Parsed::Skip => {}
    }
});
