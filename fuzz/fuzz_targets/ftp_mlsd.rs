//! Arbitrary text into the `MLSD` line parser: no panic, and a line it cannot read comes back
//! whole as `Parsed::Raw`.

#![no_main]

use inet_ftp::proto::{parse_mlsd_line, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    match parse_mlsd_line(&line) {
        Parsed::Raw(raw) => assert_eq!(raw, line.trim_end_matches(['\r', '\n'])),
        Parsed::Entry(entry) => assert!(!entry.name.is_empty()),
        Parsed::Skip => {}
    }
});
