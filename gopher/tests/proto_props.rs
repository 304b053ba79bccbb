//! Property tests of the sans-IO Gopher core: locators survive encoding and parsing, no
//! argument can smuggle a field or a second request, menus and text items read the same
//! whatever the split of their bytes, and dot-unstuffing undoes dot-stuffing.

use inet_gopher::proto::{
    dot_stuff, parse_attributes, parse_error_body, parse_reply_header, request_line, GopherPlus,
    ItemType, Locator, MenuItem, MenuParser, ProtoError, TextDecoder, TextFraming,
};
use proptest::prelude::*;

/// A locator as `Locator::new` accepts it.
fn locator_strategy() -> impl Strategy<Value = Locator> {
    (
        0x21u8..0x7f,
        "[^\t\r\n\0]{0,30}",
        proptest::collection::vec(any::<u8>(), 0..30),
        "[^\t\r\n\0]{1,20}",
        1u16..,
        prop::option::of(prop::sample::select(vec![
            GopherPlus::Plus,
            GopherPlus::Ask,
        ])),
    )
        .prop_map(|(byte, display, mut selector, host, port, plus)| {
            selector.retain(|b| !matches!(b, b'\t' | b'\r' | b'\n' | b'\0'));
            Locator::new(ItemType::from_byte(byte), &display, selector, &host, port)
                .expect("fields without TAB, CR, LF or NUL")
                .with_gopher_plus(plus)
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

/// Every item of a menu fed in pieces, then closed; or the error that stopped it.
fn menu_in_pieces(wire: &[u8], sizes: &[usize]) -> (Vec<MenuItem>, Option<ProtoError>) {
    let mut menu = MenuParser::for_server("origin", 70).with_max_line(256);
    let mut items = Vec::new();
    let mut drain = |menu: &mut MenuParser| -> Option<ProtoError> {
        loop {
            match menu.next_item() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return None,
                Err(e) => return Some(e),
            }
        }
    };
    for piece in pieces(wire, sizes) {
        menu.push(piece);
        if let Some(e) = drain(&mut menu) {
            return (items, Some(e));
        }
    }
    menu.finish();
    let error = drain(&mut menu);
    assert!(error.is_some() || menu.is_done());
    (items, error)
}

/// The text `TextFraming` finds in `wire` fed in pieces, as inet-core's reader does (unconsumed
/// bytes are offered again with the next piece).
fn framed(wire: &[u8], sizes: &[usize]) -> (Vec<u8>, bool) {
    let mut framing = TextFraming::new();
    let mut text = Vec::new();
    let mut buffered: Vec<u8> = Vec::new();
    let mut incoming = pieces(wire, sizes);
    loop {
        let frame = framing.frame(&buffered);
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

/// The text `TextDecoder` makes of `wire` in input pieces, with `room` bytes of output each call.
fn decoded(wire: &[u8], sizes: &[usize], room: usize) -> (Vec<u8>, bool) {
    let mut decoder = TextDecoder::new();
    let mut out = vec![0u8; room];
    let mut text = Vec::new();
    for piece in pieces(wire, sizes) {
        let mut at = 0;
        while at < piece.len() && !decoder.is_done() {
            let (used, made) = decoder.decode(&piece[at..], &mut out);
            assert!(used > 0 || made > 0, "no progress");
            text.extend_from_slice(&out[..made]);
            at += used;
        }
    }
    decoder.finish();
    while !decoder.is_done() {
        let (_, made) = decoder.decode(&[], &mut out);
        text.extend_from_slice(&out[..made]);
    }
    (text, decoder.terminated())
}

proptest! {
    #[test]
    fn locators_round_trip(loc in locator_strategy()) {
        let wire = loc.to_bytes();
        prop_assert_eq!(Locator::parse(&wire)?, loc.clone());
        let mut line = wire.clone();
        line.extend_from_slice(b"\r\n");
        prop_assert_eq!(Locator::parse(&line)?, loc);
    }

    #[test]
    fn parsed_locators_encode_to_lines_that_parse_the_same(
        line in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        if let Ok(loc) = Locator::parse(&line) {
            prop_assert_eq!(Locator::parse(&loc.to_bytes())?, loc);
        }
    }

    #[test]
    fn locators_in_a_menu_come_back_as_they_were(
        locs in proptest::collection::vec(locator_strategy(), 0..8),
        sizes in proptest::collection::vec(1usize..40, 1..6),
        lf_only in any::<bool>(),
        terminated in any::<bool>(),
    ) {
        let mut wire = Vec::new();
        for loc in &locs {
            loc.encode(&mut wire);
            wire.extend_from_slice(if lf_only { b"\n" } else { b"\r\n" });
        }
        if terminated {
            wire.extend_from_slice(b".\r\n");
        }
        let (items, error) = menu_in_pieces(&wire, &sizes);
        prop_assert_eq!(error, None);
        let expected: Vec<MenuItem> = locs.into_iter().map(MenuItem::Entry).collect();
        prop_assert_eq!(items, expected);
    }

    #[test]
    fn menu_parsing_never_panics_and_does_not_depend_on_the_split(
        wire in proptest::collection::vec(any::<u8>(), 0..1024),
        sizes in proptest::collection::vec(1usize..64, 1..8),
    ) {
        let whole = menu_in_pieces(&wire, &[wire.len().max(1)]);
        prop_assert_eq!(menu_in_pieces(&wire, &sizes), whole.clone());
        for item in whole.0 {
            if let MenuItem::Raw(raw) = item {
                prop_assert!(raw.chars().count() <= 256);
            }
        }
    }

    #[test]
    fn menu_parsing_of_menu_shaped_noise_does_not_depend_on_the_split(
        lines in proptest::collection::vec(
            ("[0-9a-zA-Z.+ ]", "[ -~]{0,12}", proptest::collection::vec("[ -~]{0,8}", 0..5)),
            0..12,
        ),
        sizes in proptest::collection::vec(1usize..16, 1..6),
    ) {
        let mut wire = Vec::new();
        for (kind, display, fields) in &lines {
            wire.extend_from_slice(kind.as_bytes());
            wire.extend_from_slice(display.as_bytes());
            for field in fields {
                wire.push(b'\t');
                wire.extend_from_slice(field.as_bytes());
            }
            wire.extend_from_slice(b"\r\n");
        }
        let whole = menu_in_pieces(&wire, &[wire.len().max(1)]);
        prop_assert_eq!(menu_in_pieces(&wire, &sizes), whole);
    }

    #[test]
    fn text_decoding_undoes_dot_stuffing_whatever_the_split(
        lines in proptest::collection::vec("\\.{0,3}[a-z.\r]{0,6}(\r\n|\n)", 0..12),
        sizes in proptest::collection::vec(1usize..16, 1..6),
        room in 1usize..8,
    ) {
        let text = lines.concat().into_bytes();
        let wire = dot_stuff(&text);
        prop_assert_eq!(framed(&wire, &sizes), (text.clone(), true));
        prop_assert_eq!(decoded(&wire, &sizes, room), (text, true));
    }

    #[test]
    fn text_decoding_of_any_bytes_does_not_depend_on_the_split(
        wire in proptest::collection::vec(prop::sample::select(b".\r\nab".to_vec()), 0..200),
        sizes in proptest::collection::vec(1usize..16, 1..6),
        room in 1usize..8,
    ) {
        let whole = framed(&wire, &[wire.len().max(1)]);
        prop_assert_eq!(framed(&wire, &sizes), whole.clone());
        prop_assert_eq!(decoded(&wire, &sizes, room), whole.clone());
        // Never more text than bytes, and no byte that was not sent.
        prop_assert!(whole.0.len() <= wire.len());
    }

    #[test]
    fn no_selector_or_query_with_a_tab_or_line_break_is_sent(
        before in "[^\t\r\n\0]{0,20}",
        bad in prop::sample::select(vec!["\t", "\r", "\n", "\r\n", "\0"]),
        after in "[^\t\r\n\0]{0,20}",
        in_query in any::<bool>(),
    ) {
        let arg = format!("{before}{bad}{after}");
        let result = if in_query {
            request_line(b"/search", Some(&arg), None)
        } else {
            request_line(arg.as_bytes(), None, None)
        };
        prop_assert!(matches!(result, Err(ProtoError::InvalidArgument(_))));
        prop_assert!(Locator::new(ItemType::TextFile, "d", arg.as_bytes(), "h", 70).is_err());
    }

    #[test]
    fn request_lines_are_one_line(
        selector in "[^\t\r\n\0]{0,40}",
        query in prop::option::of("[^\t\r\n\0]{0,20}"),
        plus in prop::option::of(prop::sample::select(vec!["+", "!", "$", "!+ABSTRACT"])),
    ) {
        let line = request_line(selector.as_bytes(), query.as_deref(), plus)?;
        prop_assert!(line.ends_with(b"\r\n"));
        prop_assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        let fields = 1 + usize::from(query.is_some()) + usize::from(plus.is_some());
        prop_assert_eq!(line.iter().filter(|&&b| b == b'\t').count(), fields - 1);
    }

    #[test]
    fn gopher_plus_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(Some((_, consumed))) = parse_reply_header(&bytes) {
            prop_assert!(consumed <= bytes.len());
        }
        let _ = parse_attributes(&bytes);
        let _ = parse_error_body(&bytes);
    }

    #[test]
    fn plus_data_lengths_round_trip(length in any::<u64>()) {
        let header = format!("+{length}\r\n");
        let parsed = parse_reply_header(header.as_bytes())?;
        prop_assert_eq!(
            parsed,
            Some((
                inet_gopher::proto::PlusHeader::Data(inet_gopher::proto::PlusLength::Bytes(length)),
                header.len()
            ))
        );
    }
}
