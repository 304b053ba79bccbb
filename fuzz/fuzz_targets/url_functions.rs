//! The facade's URL functions (InternetCrackUrl, InternetCreateUrl, InternetCombineUrl,
//! InternetCanonicalizeUrl) on arbitrary text: no panic, and what `crack_url` accepts,
//! `create_url` writes back into a URL that cracks to the same scheme, host and port.
//! Input: `url` or `base\nrelative`.
#![no_main]

use inet::urls::{canonicalize_url, combine_url, crack_url, create_url, Canonicalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(parts) = crack_url(a) {
        if let Ok(again) = create_url(&parts) {
            if let Ok(back) = crack_url(&again) {
                assert_eq!(
                    (&back.scheme, &back.host, back.port),
                    (&parts.scheme, &parts.host, parts.port),
                    "{a:?} -> {again:?}"
                );
            }
        }
    }
    let _ = combine_url(a, b);
    for flags in [
        Canonicalize::new(),
        Canonicalize::new().decode(),
        Canonicalize::new().no_meta(),
        Canonicalize::new().encode_spaces_only().browser_mode(),
    ] {
        let _ = canonicalize_url(a, flags);
    }
});
