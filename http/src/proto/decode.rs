//! [`ContentDecoder`]: `Content-Encoding: gzip | x-gzip | deflate`, decoded as a stream.
//!
//! Built on `flate2::Decompress`, which inflates from the caller's input slice into the caller's
//! output slice: no buffer is allocated per call, and a large body never sits in memory whole.
//! flate2's pure-Rust backend has no gzip wrapper at this level, so the gzip header and trailer
//! (RFC 1952) are parsed here, incrementally like everything else in `proto`; the trailer's
//! CRC-32 and length are checked, so corruption and truncation are caught.
//!
//! `deflate` is supposed to be zlib-wrapped (RFC 9110 §8.4.1.2), but some servers send raw
//! deflate. Like browsers, we look at the first two bytes: a valid zlib header means zlib,
//! anything else means raw deflate.

use flate2::{Crc, Decompress, FlushDecompress, Status};

use super::ProtoError;

/// Gzip header flag bits (RFC 1952 §2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xE0;

/// Decodes one `Content-Encoding` as the body streams in.
///
/// Feed body bytes to [`decode`](Self::decode) until they run out, then keep calling it with
/// empty input until it produces nothing (the inflater may hold output back when the output
/// buffer was full), then call [`finish`](Self::finish), which turns a truncated stream into an
/// error instead of a silently short file.
///
/// ```
/// use std::io::Write;
/// use inet_http::proto::ContentDecoder;
///
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
/// gz.write_all(b"hello, hello, hello")?;
/// let compressed = gz.finish()?;
///
/// let mut decoder = ContentDecoder::new("gzip").expect("gzip is supported");
/// let mut out = [0u8; 64];
/// let (consumed, produced) = decoder.decode(&compressed, &mut out)?;
/// assert_eq!(consumed, compressed.len());
/// assert_eq!(&out[..produced], b"hello, hello, hello");
/// decoder.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ContentDecoder {
    format: Format,
    stage: Stage,
    inflate: Decompress,
    /// CRC-32 and length of the current gzip member's output, checked against its trailer.
    crc: Crc,
    /// The first two bytes of a deflate stream, held back while deciding zlib or raw.
    sniffed: [u8; 2],
    sniffed_len: usize,
    /// How many of `sniffed` have been fed to the inflater.
    sniffed_fed: usize,
    /// Whether any input arrived; an empty body is a valid empty stream.
    started: bool,
}

/// The two wrappers around a deflate stream we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Gzip,
    Deflate,
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading a gzip member header.
    GzipHeader(GzipHeader),
    /// Collecting the first two bytes of a deflate stream.
    Sniff,
    /// Inflating.
    Inflate,
    /// Reading the 8-byte gzip member trailer (CRC-32, length).
    GzipTrailer { bytes: [u8; 8], len: usize },
    /// A gzip member ended; another may follow (RFC 1952 allows several).
    GzipMemberEnd,
    /// The stream ended; anything after it is ignored, as browsers do.
    Done,
}

/// Incremental parse of a gzip member header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GzipHeader {
    fixed: [u8; 10],
    part: HeaderPart,
    /// A member after the first: if it does not start with the gzip magic, it is trailing junk
    /// to ignore rather than an error.
    subsequent: bool,
}

/// The parts of a gzip header, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderPart {
    /// ID1 ID2 CM FLG MTIME(4) XFL OS; `len` of 10 read.
    Fixed { len: usize },
    /// The 2-byte little-endian length of the extra field.
    ExtraLen { first: Option<u8> },
    /// Skipping the extra field.
    Extra { left: u16 },
    /// Skipping the zero-terminated file name.
    Name,
    /// Skipping the zero-terminated comment.
    Comment,
    /// Skipping the 2-byte header CRC.
    HeaderCrc { left: u8 },
}

/// What one header byte did.
enum HeaderStep {
    More(GzipHeader),
    Complete,
    /// Not a gzip member at all (only for a subsequent member): ignore the rest.
    NotGzip,
}

impl ContentDecoder {
    /// A decoder for the `Content-Encoding` value `encoding`, or `None` for `identity` and for
    /// encodings we do not know (the driver then hands the body over untouched, as WinINet does).
    pub fn new(encoding: &str) -> Option<Self> {
        let format = match encoding.trim() {
            e if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => Format::Gzip,
            e if e.eq_ignore_ascii_case("deflate") => Format::Deflate,
            _ => return None,
        };
        let stage = match format {
            Format::Gzip => Stage::GzipHeader(GzipHeader::new(false)),
            Format::Deflate => Stage::Sniff,
        };
        Some(ContentDecoder {
            format,
            stage,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            sniffed: [0; 2],
            sniffed_len: 0,
            sniffed_fed: 0,
            started: false,
        })
    }

    /// Decodes from `input` into `output`; returns `(consumed, produced)`.
    ///
    /// Stops when the input is used up, the output is full, or the stream ends (bytes after the
    /// end are consumed and ignored). Call with empty input to drain output held back.
    pub fn decode(
        &mut self,
        input: &[u8],
        output: &mut [u8],
    ) -> Result<(usize, usize), ProtoError> {
        self.started |= !input.is_empty();
        let mut consumed = 0;
        let mut produced = 0;
        loop {
            match self.stage {
                Stage::Done => {
                    consumed = input.len();
                    break;
                }
                Stage::GzipMemberEnd => match input.get(consumed) {
                    None => break,
                    Some(0x1f) => self.stage = Stage::GzipHeader(GzipHeader::new(true)),
                    Some(_) => self.stage = Stage::Done,
                },
                Stage::GzipHeader(header) => {
                    let Some(&byte) = input.get(consumed) else {
                        break;
                    };
                    consumed += 1;
                    self.stage = match header.step(byte)? {
                        HeaderStep::More(header) => Stage::GzipHeader(header),
                        HeaderStep::NotGzip => Stage::Done,
                        HeaderStep::Complete => {
                            self.inflate.reset(false);
                            self.crc.reset();
                            Stage::Inflate
                        }
                    };
                }
                Stage::Sniff => {
                    let Some(&byte) = input.get(consumed) else {
                        break;
                    };
                    consumed += 1;
                    self.sniffed[self.sniffed_len] = byte;
                    self.sniffed_len += 1;
                    if self.sniffed_len == self.sniffed.len() {
                        self.inflate = Decompress::new(is_zlib_header(self.sniffed));
                        self.stage = Stage::Inflate;
                    }
                }
                Stage::Inflate => {
                    let progressed =
                        self.inflate_some(input, &mut consumed, output, &mut produced)?;
                    if !progressed {
                        break;
                    }
                }
                Stage::GzipTrailer { mut bytes, len } => {
                    let Some(&byte) = input.get(consumed) else {
                        break;
                    };
                    consumed += 1;
                    bytes[len] = byte;
                    self.stage = if len + 1 == bytes.len() {
                        self.check_trailer(bytes)?;
                        Stage::GzipMemberEnd
                    } else {
                        Stage::GzipTrailer {
                            bytes,
                            len: len + 1,
                        }
                    };
                }
            }
        }
        Ok((consumed, produced))
    }

    /// Whether the compressed stream has ended (a gzip stream may still be followed by another
    /// member).
    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done | Stage::GzipMemberEnd)
    }

    /// Checks, once the body has ended and output has been drained, that the compressed stream
    /// ended too. An empty body counts as an empty stream.
    pub fn finish(&self) -> Result<(), ProtoError> {
        if self.is_done() || !self.started {
            Ok(())
        } else {
            let what = match self.format {
                Format::Gzip => "gzip",
                Format::Deflate => "deflate",
            };
            Err(ProtoError::Decoding(format!("truncated {what} stream")))
        }
    }

    /// One call into the inflater; returns whether anything moved.
    fn inflate_some(
        &mut self,
        input: &[u8],
        consumed: &mut usize,
        output: &mut [u8],
        produced: &mut usize,
    ) -> Result<bool, ProtoError> {
        // The sniffed bytes of a deflate stream go in before the rest of the input.
        let from_sniffed = self.sniffed_fed < self.sniffed_len;
        let src = if from_sniffed {
            &self.sniffed[self.sniffed_fed..self.sniffed_len]
        } else {
            &input[*consumed..]
        };
        let dst = &mut output[*produced..];
        let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
        let status = self
            .inflate
            .decompress(src, dst, FlushDecompress::None)
            .map_err(|err| ProtoError::Decoding(err.to_string()))?;
        // Both deltas are bounded by the slice lengths passed in.
        let read = usize::try_from(self.inflate.total_in() - in_before).unwrap_or(src.len());
        let written = usize::try_from(self.inflate.total_out() - out_before).unwrap_or(dst.len());

        if self.format == Format::Gzip {
            self.crc.update(&dst[..written]);
        }
        if from_sniffed {
            self.sniffed_fed += read;
        } else {
            *consumed += read;
        }
        *produced += written;

        if status == Status::StreamEnd {
            self.stage = match self.format {
                Format::Gzip => Stage::GzipTrailer {
                    bytes: [0; 8],
                    len: 0,
                },
                Format::Deflate => Stage::Done,
            };
            return Ok(true);
        }
        Ok(read > 0 || written > 0)
    }

    /// Checks a gzip member trailer against what was inflated.
    fn check_trailer(&self, trailer: [u8; 8]) -> Result<(), ProtoError> {
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != self.crc.sum() {
            return Err(ProtoError::Decoding("gzip CRC-32 mismatch".into()));
        }
        if size != self.crc.amount() {
            return Err(ProtoError::Decoding("gzip length mismatch".into()));
        }
        Ok(())
    }
}

impl GzipHeader {
    fn new(subsequent: bool) -> Self {
        GzipHeader {
            fixed: [0; 10],
            part: HeaderPart::Fixed { len: 0 },
            subsequent,
        }
    }

    fn flags(&self) -> u8 {
        self.fixed[3]
    }

    /// Takes one header byte.
    fn step(mut self, byte: u8) -> Result<HeaderStep, ProtoError> {
        let next = match self.part {
            HeaderPart::Fixed { len } => {
                self.fixed[len] = byte;
                let len = len + 1;
                let magic_ok = match len {
                    1 => byte == 0x1f,
                    2 => byte == 0x8b,
                    _ => true,
                };
                if !magic_ok {
                    return if self.subsequent {
                        Ok(HeaderStep::NotGzip)
                    } else {
                        Err(ProtoError::Decoding("not a gzip stream".into()))
                    };
                }
                if len == 3 && byte != 8 {
                    return Err(ProtoError::Decoding(format!(
                        "unknown gzip compression method {byte}"
                    )));
                }
                if len == 4 && byte & FRESERVED != 0 {
                    return Err(ProtoError::Decoding("reserved gzip flags set".into()));
                }
                if len < self.fixed.len() {
                    Some(HeaderPart::Fixed { len })
                } else {
                    self.after(HeaderPart::Fixed { len })
                }
            }
            HeaderPart::ExtraLen { first: None } => {
                Some(HeaderPart::ExtraLen { first: Some(byte) })
            }
            HeaderPart::ExtraLen { first: Some(low) } => match u16::from_le_bytes([low, byte]) {
                0 => self.after(HeaderPart::Extra { left: 0 }),
                left => Some(HeaderPart::Extra { left }),
            },
            HeaderPart::Extra { left } if left > 1 => Some(HeaderPart::Extra { left: left - 1 }),
            HeaderPart::Extra { .. } => self.after(HeaderPart::Extra { left: 0 }),
            HeaderPart::Name if byte != 0 => Some(HeaderPart::Name),
            HeaderPart::Name => self.after(HeaderPart::Name),
            HeaderPart::Comment if byte != 0 => Some(HeaderPart::Comment),
            HeaderPart::Comment => self.after(HeaderPart::Comment),
            HeaderPart::HeaderCrc { left: 2 } => Some(HeaderPart::HeaderCrc { left: 1 }),
            HeaderPart::HeaderCrc { .. } => None,
        };
        Ok(match next {
            Some(part) => {
                self.part = part;
                HeaderStep::More(self)
            }
            None => HeaderStep::Complete,
        })
    }

    /// The optional part that follows `done`, given the flags; `None` when the header is over.
    fn after(&self, done: HeaderPart) -> Option<HeaderPart> {
        let flags = self.flags();
        let order = [
            (FEXTRA, HeaderPart::ExtraLen { first: None }),
            (FNAME, HeaderPart::Name),
            (FCOMMENT, HeaderPart::Comment),
            (FHCRC, HeaderPart::HeaderCrc { left: 2 }),
        ];
        let position = match done {
            HeaderPart::Fixed { .. } => 0,
            HeaderPart::ExtraLen { .. } | HeaderPart::Extra { .. } => 1,
            HeaderPart::Name => 2,
            HeaderPart::Comment => 3,
            HeaderPart::HeaderCrc { .. } => 4,
        };
        order
            .iter()
            .skip(position)
            .find(|(flag, _)| flags & flag != 0)
            .map(|&(_, part)| part)
    }
}

/// Whether two bytes form a valid zlib header (RFC 1950 §2.2): deflate method, window at most
/// 32 KiB, and a check value making the pair a multiple of 31.
fn is_zlib_header([cmf, flg]: [u8; 2]) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::{Compression, GzBuilder};

    use super::*;

    fn text() -> Vec<u8> {
        (0..2000)
            .flat_map(|i| format!("line {i}: the quick brown fox\n").into_bytes())
            .collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("writing to a Vec");
        encoder.finish().expect("writing to a Vec")
    }

    /// Decodes `input` fed in pieces of `piece` bytes through an output buffer of `out_len`
    /// bytes, draining at the end, then checks `finish`.
    fn decode_all(
        encoding: &str,
        input: &[u8],
        piece: usize,
        out_len: usize,
    ) -> Result<Vec<u8>, ProtoError> {
        let mut decoder = ContentDecoder::new(encoding).expect("a supported encoding");
        let mut out = vec![0u8; out_len];
        let mut result = Vec::new();
        for mut chunk in input.chunks(piece) {
            while !chunk.is_empty() {
                let (consumed, produced) = decoder.decode(chunk, &mut out)?;
                result.extend_from_slice(&out[..produced]);
                chunk = &chunk[consumed..];
                assert!(consumed > 0 || produced > 0, "no progress");
            }
        }
        loop {
            let (_, produced) = decoder.decode(&[], &mut out)?;
            if produced == 0 {
                break;
            }
            result.extend_from_slice(&out[..produced]);
        }
        decoder.finish()?;
        Ok(result)
    }

    #[test]
    fn gzip_body_decodes_to_the_original() {
        let data = text();
        assert_eq!(
            decode_all("gzip", &gzip(&data), usize::MAX, 1 << 20),
            Ok(data)
        );
    }

    #[test]
    fn x_gzip_is_gzip_and_names_are_case_insensitive() {
        let data = text();
        assert_eq!(decode_all(" X-GZIP ", &gzip(&data), 100, 4096), Ok(data));
    }

    #[test]
    fn gzip_fed_one_byte_at_a_time_into_a_tiny_buffer_decodes_the_same() {
        let data = text();
        assert_eq!(decode_all("gzip", &gzip(&data), 1, 7), Ok(data));
    }

    #[test]
    fn gzip_header_with_every_optional_field_is_skipped() {
        let data = text();
        let mut encoder = GzBuilder::new()
            .filename("file.txt")
            .comment("a comment")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::default());
        encoder.write_all(&data).expect("writing to a Vec");
        let mut compressed = encoder.finish().expect("writing to a Vec");
        // GzBuilder has no header-CRC option: set FHCRC and splice in two (unchecked) bytes.
        compressed[3] |= FHCRC;
        let header_end = 10 + 2 + 4 + "file.txt\0".len() + "a comment\0".len();
        compressed.splice(header_end..header_end, [0xAA, 0xBB]);
        assert_eq!(decode_all("gzip", &compressed, 3, 1000), Ok(data));
    }

    #[test]
    fn concatenated_gzip_members_decode_to_both() {
        let mut compressed = gzip(b"first ");
        compressed.extend_from_slice(&gzip(b"second"));
        assert_eq!(
            decode_all("gzip", &compressed, 5, 3),
            Ok(b"first second".to_vec())
        );
    }

    #[test]
    fn junk_after_a_gzip_stream_is_ignored() {
        let mut compressed = gzip(b"data");
        compressed.extend_from_slice(b"\0\0\0 trailing junk");
        assert_eq!(decode_all("gzip", &compressed, 4, 64), Ok(b"data".to_vec()));
    }

    #[test]
    fn truncated_gzip_is_an_error_at_every_cut() {
        let compressed = gzip(b"some data that compresses");
        for end in 1..compressed.len() {
            let result = decode_all("gzip", &compressed[..end], 64, 64);
            assert!(
                matches!(result, Err(ProtoError::Decoding(_))),
                "cut at {end}: {result:?}"
            );
        }
    }

    #[test]
    fn gzip_with_a_wrong_crc_is_an_error() {
        let mut compressed = gzip(b"data");
        let at = compressed.len() - 8;
        compressed[at] ^= 0xff;
        assert!(matches!(
            decode_all("gzip", &compressed, 64, 64),
            Err(ProtoError::Decoding(_))
        ));
    }

    #[test]
    fn gzip_with_a_wrong_length_is_an_error() {
        let mut compressed = gzip(b"data");
        let at = compressed.len() - 1;
        compressed[at] ^= 0xff;
        assert!(matches!(
            decode_all("gzip", &compressed, 64, 64),
            Err(ProtoError::Decoding(_))
        ));
    }

    #[test]
    fn not_gzip_at_all_is_an_error() {
        assert!(matches!(
            decode_all("gzip", b"<html>plain</html>", 64, 64),
            Err(ProtoError::Decoding(_))
        ));
    }

    #[test]
    fn corrupt_deflate_data_inside_gzip_is_an_error() {
        let mut compressed = gzip(&text());
        for byte in &mut compressed[12..40] {
            *byte = 0xff;
        }
        assert!(matches!(
            decode_all("gzip", &compressed, 64, 64),
            Err(ProtoError::Decoding(_))
        ));
    }

    #[test]
    fn zlib_wrapped_deflate_decodes() {
        let data = text();
        assert_eq!(decode_all("deflate", &zlib(&data), 1, 5), Ok(data));
    }

    #[test]
    fn raw_deflate_without_zlib_header_decodes_too() {
        let data = text();
        let compressed = raw_deflate(&data);
        assert!(!is_zlib_header([compressed[0], compressed[1]]));
        assert_eq!(decode_all("deflate", &compressed, 1, 5), Ok(data.clone()));
        assert_eq!(decode_all("deflate", &compressed, 4096, 1 << 20), Ok(data));
    }

    #[test]
    fn truncated_deflate_is_an_error() {
        let compressed = zlib(&text());
        for end in [1, 2, 3, compressed.len() / 2, compressed.len() - 1] {
            let result = decode_all("deflate", &compressed[..end], 64, 64);
            assert!(
                matches!(result, Err(ProtoError::Decoding(_))),
                "cut at {end}: {result:?}"
            );
        }
    }

    #[test]
    fn empty_body_is_an_empty_stream() {
        assert_eq!(decode_all("gzip", b"", 1, 1), Ok(vec![]));
        assert_eq!(decode_all("deflate", b"", 1, 1), Ok(vec![]));
    }

    #[test]
    fn identity_and_unknown_encodings_have_no_decoder() {
        for encoding in ["identity", "br", "compress", "", "gzip, br"] {
            assert!(ContentDecoder::new(encoding).is_none(), "{encoding}");
        }
    }

    #[test]
    fn decoder_reports_done_at_the_end_of_the_stream() {
        let compressed = zlib(b"abc");
        let mut decoder = ContentDecoder::new("deflate").expect("supported");
        let mut out = [0u8; 16];
        let (consumed, produced) = decoder.decode(&compressed, &mut out).expect("valid zlib");
        assert_eq!((consumed, produced), (compressed.len(), 3));
        assert!(decoder.is_done());
    }
}
