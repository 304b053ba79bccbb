//! Arbitrary bytes into the chunked body decoder.
//!
//! Beyond "no panic", checks that every returned range lies inside what was consumed, that the
//! decoder always makes progress until it is done, and that feeding the input whole or split in
//! pieces (sizes chosen by the first byte) gives the same body and the same ending.

#![no_main]

use inet_http::proto::{BodyDecoder, BodyKind, ProtoError};
use libfuzzer_sys::fuzz_target;

/// Body bytes handed out, then the leftover after the end (`Ok(Some)`), "not finished"
/// (`Ok(None)`) or the error.
type Outcome = (Vec<u8>, Result<Option<Vec<u8>>, ProtoError>);

fn drive(input: &[u8], piece: usize) -> Outcome {
    let mut decoder = BodyDecoder::new(BodyKind::Chunked);
    let mut body = Vec::new();
    let mut left = Vec::new();
    for piece in input.chunks(piece.max(1)) {
        let mut rest = piece;
        if decoder.is_done() {
            left.extend_from_slice(rest);
            continue;
        }
        while !rest.is_empty() {
            let decoded = match decoder.decode(rest) {
                Ok(decoded) => decoded,
                Err(err) => {
                    // An error is sticky: the same bytes fail again.
                    assert_eq!(decoder.decode(rest), Err(err.clone()));
                    return (body, Err(err));
                }
            };
            assert!(decoded.consumed <= rest.len());
            if let Some(range) = decoded.data {
                assert!(range.start < range.end && range.end <= decoded.consumed);
                body.extend_from_slice(&rest[range]);
            }
            rest = &rest[decoded.consumed..];
            if decoded.consumed == 0 {
                assert!(decoder.is_done(), "no progress before the end");
                left.extend_from_slice(rest);
                break;
            }
        }
    }
    assert_eq!(decoder.received(), body.len() as u64);
    if !decoder.is_done() {
        assert!(decoder.on_eof().is_err(), "an unfinished chunked body ended silently");
    }
    let finished = decoder.is_done().then_some(left);
    (body, Ok(finished))
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let whole = drive(input, input.len());
    let split = drive(input, usize::from(first % 16) + 1);
    assert_eq!(whole, split);
});
