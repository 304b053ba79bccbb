//! Property tests of the sans-IO FTP core: replies survive any split of their bytes, addresses
//! survive formatting and parsing, no argument can smuggle a second command, and no listing
//! line makes a parser panic.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};

use inet_ftp::proto::{
    epsv_reply_text, format_eprt, parse_epsv, parse_list_line, parse_mlsd_line, parse_pasv,
    pasv_reply_text, Command, Parsed, ProtoError, Reply, ReplyReader,
};
use proptest::prelude::*;

/// A multi-line reply's inner line: printable text that may start with digits, but never with
/// the reply's own code followed by a space (which would end the reply early).
fn inner_line(code: u16) -> impl Strategy<Value = String> {
    "[ -~]{0,40}".prop_filter("must not end the reply", move |line| {
        let own = code.to_string();
        !(line == &own || line.starts_with(&format!("{own} ")))
    })
}

fn reply_strategy() -> impl Strategy<Value = Reply> {
    (100u16..600).prop_flat_map(|code| {
        (
            Just(code),
            "[ -~]{0,40}",
            proptest::collection::vec(inner_line(code), 0..6),
            "[ -~]{0,40}",
        )
            .prop_map(|(code, first, middle, last)| {
                let text = if middle.is_empty() && first.is_empty() {
                    format!("{code} {last}")
                } else {
                    let mut lines = vec![format!("{code}-{first}")];
                    lines.extend(middle);
                    lines.push(format!("{code} {last}"));
                    lines.join("\n")
                };
                Reply { code, text }
            })
    })
}

/// `wire` cut into pieces of the given sizes (cycled), as a socket might deliver it.
fn pieces<'a>(wire: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = wire;
    sizes.iter().cycle().map_while(move |&size| {
        if rest.is_empty() {
            return None;
        }
        let (piece, after) = rest.split_at(size.clamp(1, rest.len()));
        rest = after;
        Some(piece)
    })
}

/// Feeds `wire` to a reader in pieces of the given sizes and collects every reply.
fn read_in_pieces(wire: &[u8], sizes: &[usize]) -> Result<Vec<Reply>, ProtoError> {
    let mut reader = ReplyReader::new();
    let mut replies = Vec::new();
    for piece in pieces(wire, sizes) {
        reader.push(piece);
        while let Some(reply) = reader.next_reply()? {
            replies.push(reply);
        }
    }
    Ok(replies)
}

proptest! {
    #[test]
    fn replies_round_trip_whatever_the_split(
        replies in proptest::collection::vec(reply_strategy(), 1..4),
        sizes in proptest::collection::vec(1usize..64, 1..8),
        lf_only in any::<bool>(),
    ) {
        let mut wire = Vec::new();
        for reply in &replies {
            reply.encode(&mut wire);
        }
        if lf_only {
            wire.retain(|&b| b != b'\r');
        }
        prop_assert_eq!(read_in_pieces(&wire, &sizes)?, replies);
    }

    #[test]
    fn the_reader_never_panics_and_stays_bounded(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let mut reader = ReplyReader::with_limits(64, 256);
        for piece in pieces(&bytes, &sizes) {
            reader.push(piece);
            match reader.next_reply() {
                Ok(Some(reply)) => {
                    prop_assert!((100..600).contains(&reply.code));
                    prop_assert!(reply.text.len() <= 256);
                }
                Ok(None) => prop_assert!(reader.buffered() <= 256 + 64),
                Err(_) => break,
            }
        }
    }

    #[test]
    fn pasv_round_trips(ip in any::<u32>(), port in any::<u16>()) {
        let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
        prop_assert_eq!(parse_pasv(&pasv_reply_text(addr))?, addr);
    }

    #[test]
    fn epsv_round_trips(port in 1u16..) {
        prop_assert_eq!(parse_epsv(&epsv_reply_text(port))?, port);
    }

    #[test]
    fn eprt_carries_the_address_between_its_delimiters(
        v4 in any::<u32>(), v6 in any::<u128>(), port in any::<u16>(), ipv6 in any::<bool>(),
    ) {
        let addr = if ipv6 {
            SocketAddr::from((Ipv6Addr::from(v6), port))
        } else {
            SocketAddr::from((Ipv4Addr::from(v4), port))
        };
        let text = format_eprt(addr);
        let parts: Vec<&str> = text.split('|').collect();
        prop_assert_eq!(parts.len(), 5);
        prop_assert_eq!(parts[1], if ipv6 { "2" } else { "1" });
        let ip: std::net::IpAddr = parts[2].parse().map_err(|_| TestCaseError::fail("ip"))?;
        let port: u16 = parts[3].parse().map_err(|_| TestCaseError::fail("port"))?;
        prop_assert_eq!(SocketAddr::new(ip, port), addr);
    }

    #[test]
    fn parsers_of_reply_text_never_panic(text in "\\PC{0,80}") {
        let _ = parse_pasv(&text);
        let _ = parse_epsv(&text);
        let _ = inet_ftp::proto::parse_quoted_path(&text);
    }

    #[test]
    fn no_argument_with_cr_lf_or_nul_is_encoded(
        before in "\\PC{0,20}",
        bad in prop::sample::select(vec!["\r", "\n", "\r\n", "\0"]),
        after in "\\PC{0,20}",
        which in 0usize..6,
    ) {
        let arg = format!("{before}{bad}{after}");
        let command = match which {
            0 => Command::User(arg),
            1 => Command::Pass(arg),
            2 => Command::Retr(arg),
            3 => Command::Cwd(arg),
            4 => Command::List(Some(arg)),
            _ => Command::Raw(arg),
        };
        let mut out = Vec::new();
        prop_assert!(matches!(command.encode(&mut out), Err(ProtoError::InvalidArgument(_))));
        prop_assert!(out.is_empty());
        prop_assert!(!command.to_string().contains(['\r', '\n']));
    }

    #[test]
    fn arguments_without_cr_lf_or_nul_encode_as_one_line(arg in "[^\r\n\0]{0,40}") {
        let bytes = Command::Stor(arg.clone()).to_bytes()?;
        prop_assert_eq!(bytes, format!("STOR {arg}\r\n").into_bytes());
    }

    #[test]
    fn listing_parsers_never_panic_and_keep_what_they_cannot_read(
        line in "\\PC{0,120}", year in any::<i32>(), month in any::<u8>(),
    ) {
        for parsed in [parse_list_line(&line, (year, month)), parse_mlsd_line(&line)] {
            if let Parsed::Raw(raw) = parsed {
                prop_assert_eq!(raw.as_str(), line.trim_end_matches(['\r', '\n']));
            }
        }
    }

    #[test]
    fn listing_parsers_never_panic_on_listing_shaped_noise(
        mode in "[-dlcbps][rwxsStT-]{9}[+@.]?",
        fields in proptest::collection::vec("[0-9A-Za-z,:]{0,6}", 0..9),
        name in "\\PC{0,20}",
    ) {
        let line = format!("{mode} {} {name}", fields.join(" "));
        let _ = parse_list_line(&line, (2024, 6));
        let facts = format!("{}; {name}", fields.join(";"));
        let _ = parse_mlsd_line(&facts);
    }
}

// ----- dialogs and ASCII line ends ----------------------------------------------------------

mod dialogs {
    use super::*;
    use inet_ftp::proto::ascii::{FromWire, ToWire};
    use inet_ftp::proto::dialog::{DataMode, Login, LoginStep, Transfer, TransferStep};
    use inet_ftp::proto::TransferType;

    proptest! {
        /// Whatever a server answers, in whatever order, the login dialog answers with a step or
        /// an error — never a panic — and stops at the first error.
        #[test]
        fn login_survives_any_replies(
            replies in proptest::collection::vec(reply_strategy(), 1..12),
            tls in any::<bool>(),
        ) {
            let mut login = Login::new("u", "p", Some("a"), tls);
            for reply in &replies {
                match login.on_reply(reply) {
                    Ok(LoginStep::StartTls) => { let _ = login.tls_started(); }
                    Ok(LoginStep::Done(_)) => { prop_assert!(login.is_done()); break; }
                    Ok(LoginStep::Send(cmd)) => { prop_assert!(cmd.to_bytes().is_ok()); }
                    Err(_) => break,
                }
            }
        }

        /// The transfer dialog too, in every data-connection mode, and its commands are
        /// always encodable.
        #[test]
        fn transfer_survives_any_replies(
            replies in proptest::collection::vec(reply_strategy(), 1..12),
            mode in 0u8..4,
            rest in proptest::option::of(0u64..1_000_000),
        ) {
            // Pipelined (3) only without TYPE, as the driver asks for it.
            let ty = (mode != 3).then_some(TransferType::Binary);
            let mode = match mode {
                0 => DataMode::Passive { try_epsv: true, trust_pasv_address: false, pipeline: false },
                1 => DataMode::Passive { try_epsv: false, trust_pasv_address: true, pipeline: false },
                3 => DataMode::Passive { try_epsv: true, trust_pasv_address: false, pipeline: true },
                _ => DataMode::Active,
            };
            let peer = "127.0.0.1".parse().expect("ip");
            let (mut t, mut step) = Transfer::new(Command::Retr("f".into()), ty, rest, mode, peer);
            for reply in &replies {
                match step {
                    TransferStep::Send(cmd) => prop_assert!(cmd.to_bytes().is_ok()),
                    TransferStep::SendPipelined(cmds) => {
                        prop_assert!(cmds.iter().all(|c| c.to_bytes().is_ok()));
                    }
                    TransferStep::Receive | TransferStep::ReceiveFinal => {}
                    TransferStep::Connect(_) => { step = t.data_ready(); continue; }
                    TransferStep::Listen => {
                        step = t.listening("127.0.0.1:2000".parse().expect("addr"));
                        continue;
                    }
                    TransferStep::Done(_) => break,
                    TransferStep::Open(_) => {}
                }
                match t.on_reply(reply) {
                    Ok(next) => step = next,
                    Err(_) => break,
                }
            }
        }

        /// CRLF → LF decoding gives the same text however the wire bytes are cut, and undoes
        /// the encoding of LF-only text.
        #[test]
        fn ascii_round_trip_is_split_independent(
            text in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b' ')], 0..200),
            cut in 1usize..17,
        ) {
            let mut wire = Vec::new();
            ToWire::default().encode(&text, &mut wire);
            let mut d = FromWire::default();
            let mut out = Vec::new();
            let mut buf = [0u8; 7];
            for piece in wire.chunks(cut) {
                let mut rest = piece;
                while !rest.is_empty() {
                    let (c, p) = d.decode(rest, &mut buf);
                    out.extend_from_slice(&buf[..p]);
                    rest = &rest[c..];
                }
            }
            let (_, p) = d.decode(&[], &mut buf);
            out.extend_from_slice(&buf[..p]);
            prop_assert_eq!(out, text);
        }
    }
}
