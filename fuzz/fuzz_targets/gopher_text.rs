//! Arbitrary bytes into a Gopher text item's framing (zero-copy) and decoder (copying).
//!
//! Beyond "no panic", checks that both find the same text and the same ending, whole or split in
//! two pieces (where the first byte says), with a small output buffer for the decoder; that the
//! framing's payload ranges lie inside what it consumed; and that the decoder undoes
//! `dot_stuff` exactly.

#![no_main]

use inet_gopher::proto::{dot_stuff, TextDecoder, TextFraming};
use libfuzzer_sys::fuzz_target;

/// The text and whether the `.` line came, framed as inet-core's reader would do it.
fn framed(pieces: &[&[u8]]) -> (Vec<u8>, bool) {
    let mut framing = TextFraming::new();
    let (mut text, mut buffered) = (Vec::new(), Vec::new());
    let mut incoming = pieces.iter();
    loop {
        let frame = framing.frame(&buffered);
        assert!(frame.payload.start <= frame.payload.end && frame.payload.end <= frame.consumed);
        assert!(frame.consumed <= buffered.len());
        if frame.consumed == 0 && frame.payload.is_empty() {
            if framing.is_done() {
                break;
            }
            match incoming.next() {
                Some(piece) => buffered.extend_from_slice(piece),
                None => {
                    framing.end_of_stream();
                    break;
                }
            }
            continue;
        }
        text.extend_from_slice(&buffered[frame.payload.clone()]);
        buffered.drain(..frame.consumed);
    }
    (text, framing.terminated())
}

fn decoded(pieces: &[&[u8]], room: usize) -> (Vec<u8>, bool) {
    let mut decoder = TextDecoder::new();
    let mut out = vec![0u8; room];
    let mut text = Vec::new();
    for piece in pieces {
        let mut at = 0;
        while at < piece.len() && !decoder.is_done() {
            let (used, made) = decoder.decode(&piece[at..], &mut out);
            assert!(used > 0 || made > 0, "the decoder made no progress");
            text.extend_from_slice(&out[..made]);
            at += used;
        }
    }
    decoder.finish();
    while !decoder.is_done() {
        let (_, made) = decoder.decode(&[], &mut out);
        assert!(made > 0);
        text.extend_from_slice(&out[..made]);
    }
    (text, decoder.terminated())
}

fuzz_target!(|data: &[u8]| {
    let whole = framed(&[data]);
    assert!(whole.0.len() <= data.len());
    if let Some(&first) = data.first() {
        let cut = usize::from(first) * data.len() / 256;
        let split: &[&[u8]] = &[&data[..cut], &data[cut..]];
        assert_eq!(framed(split), whole);
        assert_eq!(decoded(split, usize::from(first % 7) + 1), whole);
    }
    assert_eq!(decoded(&[data], 4096), whole);
    let mut text = data.to_vec();
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.extend_from_slice(b"\r\n");
    }
    assert_eq!(decoded(&[&dot_stuff(data)], 64), (text.clone(), true));
    assert_eq!(framed(&[&dot_stuff(data)]), (text, true));
});
