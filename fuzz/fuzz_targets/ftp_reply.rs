//! Arbitrary bytes into the FTP reply reader.
//!
//! Beyond "no panic", checks the properties the driver relies on: every reply has a code from
//! 100 to 599 and fits the limit, and feeding the bytes in two pieces (split where the input
//! says) gives the same replies, or the same error, as feeding them at once.

#![no_main]

use inet_ftp::proto::{ProtoError, Reply, ReplyReader};
use libfuzzer_sys::fuzz_target;

const MAX_LINE: usize = 512;
const MAX_REPLY: usize = 4 * 1024;

fn read(pieces: &[&[u8]]) -> (Vec<Reply>, Option<ProtoError>) {
    let mut reader = ReplyReader::with_limits(MAX_LINE, MAX_REPLY);
    let mut replies = Vec::new();
    for piece in pieces {
        reader.push(piece);
        loop {
            match reader.next_reply() {
                Ok(Some(reply)) => {
                    assert!((100..600).contains(&reply.code));
                    assert!(reply.text.len() <= MAX_REPLY);
                    replies.push(reply);
                }
                Ok(None) => break,
                Err(err) => return (replies, Some(err)),
            }
        }
    }
    (replies, None)
}

fuzz_target!(|data: &[u8]| {
    let whole = read(&[data]);
    if let Some(&first) = data.first() {
        let cut = usize::from(first) * data.len() / 256;
        let split = read(&[&data[..cut], &data[cut..]]);
        // A line over the limit can be noticed before its end arrives, so only compare runs
        // that did not fail on a line length.
        if !matches!(whole.1, Some(ProtoError::LineTooLong { .. }))
            && !matches!(split.1, Some(ProtoError::LineTooLong { .. }))
        {
            assert_eq!(whole, split);
        }
    }
});
