//! Property tests of the sans-IO protocol core: how bytes are split across reads must never
//! change what is parsed or decoded.

use std::io::Write;

use inet_http::proto::{
    parse_response_head, BodyDecoder, BodyKind, ChunkedEncoder, ContentDecoder, ProtoError,
};
use proptest::prelude::*;

const LIMIT: usize = 64 * 1024;

/// Cuts `bytes` at the given fractions of its length (sorted, so pieces are in order).
fn split_at_fractions<'a>(bytes: &'a [u8], fractions: &[f64]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = fractions
        .iter()
        .map(|f| ((bytes.len() as f64) * f) as usize)
        .map(|cut| cut.min(bytes.len()))
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts {
        pieces.push(&bytes[start..cut]);
        start = cut;
    }
    pieces.push(&bytes[start..]);
    pieces
}

/// What a body decoder made of some input: the body bytes it handed out, then either the bytes
/// it left over after finishing (or `None` if not finished), or the error that stopped it.
type Outcome = (Vec<u8>, Result<Option<Vec<u8>>, ProtoError>);

/// Feeds `pieces` to a decoder the way a driver does: offer, drop what was consumed, offer the
/// rest again; stop at the end of the body or at the first error.
fn drive(kind: BodyKind, pieces: &[&[u8]]) -> Outcome {
    let mut decoder = BodyDecoder::new(kind);
    let mut body = Vec::new();
    let mut left = Vec::new();
    for piece in pieces {
        let mut rest: &[u8] = piece;
        if decoder.is_done() {
            left.extend_from_slice(rest);
            continue;
        }
        while !rest.is_empty() {
            let decoded = match decoder.decode(rest) {
                Ok(decoded) => decoded,
                Err(err) => return (body, Err(err)),
            };
            assert!(decoded.consumed <= rest.len());
            if let Some(range) = decoded.data {
                assert!(range.start <= range.end && range.end <= decoded.consumed);
                body.extend_from_slice(&rest[range]);
            }
            rest = &rest[decoded.consumed..];
            if decoded.consumed == 0 {
                assert!(
                    decoder.is_done(),
                    "a decoder made no progress before its end"
                );
                left.extend_from_slice(rest);
                break;
            }
        }
    }
    let finished = decoder.is_done().then_some(left);
    (body, Ok(finished))
}

fn header_name() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,15}")
        .expect("a valid regex")
}

fn header_value() -> impl Strategy<Value = String> {
    proptest::string::string_regex("([!-~]([ -~\t]{0,20}[!-~])?)?").expect("a valid regex")
}

fn response_head() -> impl Strategy<Value = (u16, String, Vec<(String, String)>, bool)> {
    (
        100u16..=999,
        proptest::string::string_regex("[ -~]{0,20}").expect("a valid regex"),
        prop::collection::vec((header_name(), header_value()), 0..20),
        any::<bool>(),
    )
}

fn encode_head(status: u16, reason: &str, headers: &[(String, String)], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("HTTP/1.1 {status} {reason}{eol}");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}{eol}"));
    }
    text.push_str(eol);
    text.into_bytes()
}

proptest! {
    #[test]
    fn chunked_encode_then_decode_with_random_splits_gives_the_original(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..10),
        fractions in prop::collection::vec(0.0f64..=1.0, 0..8),
        next_response in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let encoder = ChunkedEncoder::new();
        let mut wire = Vec::new();
        for chunk in &chunks {
            encoder.encode_chunk(chunk, &mut wire);
        }
        encoder.finish(&mut wire);
        wire.extend_from_slice(&next_response);

        let pieces = split_at_fractions(&wire, &fractions);
        let (body, finished) = drive(BodyKind::Chunked, &pieces);
        prop_assert_eq!(body, chunks.concat());
        prop_assert_eq!(finished, Ok(Some(next_response)));
    }

    #[test]
    fn chunked_decoding_of_any_bytes_does_not_depend_on_splits(
        wire in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(b"0123456789abcdefABCDEF;= \t\r\n".to_vec()),
                1 => any::<u8>(),
            ],
            0..200,
        ),
        fractions in prop::collection::vec(0.0f64..=1.0, 0..8),
    ) {
        let whole = drive(BodyKind::Chunked, &[&wire]);
        let split = drive(BodyKind::Chunked, &split_at_fractions(&wire, &fractions));
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn length_body_with_random_splits_gives_the_original_and_leaves_the_rest(
        body in prop::collection::vec(any::<u8>(), 0..2000),
        rest in prop::collection::vec(any::<u8>(), 0..20),
        fractions in prop::collection::vec(0.0f64..=1.0, 0..8),
    ) {
        let wire = [body.as_slice(), rest.as_slice()].concat();
        let pieces = split_at_fractions(&wire, &fractions);
        let (decoded, finished) = drive(BodyKind::Length(body.len() as u64), &pieces);
        prop_assert_eq!(decoded, body);
        prop_assert_eq!(finished, Ok(Some(rest)));
    }

    #[test]
    fn response_head_parse_is_independent_of_how_the_bytes_are_split(
        (status, reason, headers, crlf) in response_head(),
        body in prop::collection::vec(any::<u8>(), 0..20),
    ) {
        let head_bytes = encode_head(status, &reason, &headers, crlf);
        let wire = [head_bytes.as_slice(), body.as_slice()].concat();

        let whole = parse_response_head(&wire, LIMIT);
        let Ok(Some((head, consumed))) = whole.clone() else {
            return Err(TestCaseError::fail(format!("no head from {wire:?}: {whole:?}")));
        };
        prop_assert_eq!(consumed, head_bytes.len());
        prop_assert_eq!(head.status, status);
        prop_assert_eq!(head.reason.as_str(), reason.as_str());
        let parsed: Vec<(String, String)> = head
            .headers
            .iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        prop_assert_eq!(&parsed, &headers);
        prop_assert_eq!(head.raw.as_bytes(), encode_head(status, &reason, &headers, true));

        // A driver that appends each read and parses again sees `None` until the head is
        // complete, then the very same head.
        for end in 0..=wire.len() {
            let prefix = parse_response_head(&wire[..end], LIMIT);
            if end < consumed {
                prop_assert_eq!(prefix, Ok(None), "prefix of {} bytes", end);
            } else {
                prop_assert_eq!(&prefix, &whole, "prefix of {} bytes", end);
            }
        }
    }

    #[test]
    fn response_head_parse_of_any_bytes_agrees_with_every_prefix(
        wire in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..100),
            (response_head(), prop::collection::vec(any::<u8>(), 0..30), any::<prop::sample::Index>())
                .prop_map(|((status, reason, headers, crlf), noise, at)| {
                    // A valid head with noise spliced in somewhere.
                    let mut bytes = encode_head(status, &reason, &headers, crlf);
                    let at = at.index(bytes.len() + 1);
                    bytes.splice(at..at, noise);
                    bytes
                }),
        ],
    ) {
        let whole = parse_response_head(&wire, LIMIT);
        for end in 0..wire.len() {
            let prefix = parse_response_head(&wire[..end], LIMIT);
            prop_assert!(
                prefix == Ok(None) || prefix == whole,
                "prefix of {} bytes gave {:?}, whole gave {:?}", end, prefix, whole
            );
        }
    }

    #[test]
    fn response_head_limit_is_never_exceeded(
        wire in prop::collection::vec(any::<u8>(), 0..200),
        limit in 0usize..200,
    ) {
        match parse_response_head(&wire, limit) {
            Ok(Some((_, consumed))) => prop_assert!(consumed <= limit),
            Ok(None) => prop_assert!(wire.len() < limit),
            Err(_) => {}
        }
    }

    #[test]
    fn gzip_decoding_with_random_splits_and_buffer_sizes_gives_the_original(
        data in prop::collection::vec(prop::sample::select(b"abcab \n".to_vec()), 0..5000),
        fractions in prop::collection::vec(0.0f64..=1.0, 0..8),
        out_len in 1usize..300,
        encoding in prop::sample::select(vec!["gzip", "deflate-zlib", "deflate-raw"]),
    ) {
        let compressed = match encoding {
            "gzip" => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&data).and_then(|()| e.finish())
            }
            "deflate-zlib" => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&data).and_then(|()| e.finish())
            }
            _ => {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&data).and_then(|()| e.finish())
            }
        };
        let compressed = compressed.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let name = if encoding == "gzip" { "gzip" } else { "deflate" };
        let Some(mut decoder) = ContentDecoder::new(name) else {
            return Err(TestCaseError::fail("gzip and deflate are supported"));
        };

        let mut out = vec![0u8; out_len];
        let mut result = Vec::new();
        for mut piece in split_at_fractions(&compressed, &fractions) {
            while !piece.is_empty() {
                let (consumed, produced) = decoder
                    .decode(piece, &mut out)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(consumed > 0 || produced > 0, "no progress");
                result.extend_from_slice(&out[..produced]);
                piece = &piece[consumed..];
            }
        }
        loop {
            let (_, produced) = decoder
                .decode(&[], &mut out)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            if produced == 0 {
                break;
            }
            result.extend_from_slice(&out[..produced]);
        }
        prop_assert_eq!(decoder.finish(), Ok(()));
        prop_assert_eq!(result, data);
    }
}
