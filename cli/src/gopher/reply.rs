//! How the Gopher commands tell a server's error reply from an item. Gopher has no status codes:
//! a server answers a selector it cannot serve with an error item — a menu line of type `3`
//! (RFC 1436), as pygopherd, gophernicus (for menus) and most servers send — or, as gophernicus
//! does for files, a bare `Error: …` line. Pure functions, tested here.

use inet::gopher::proto::MenuParser;
use inet::gopher::MenuItem;

/// The longest reply `inet get` examines: a longer one is an item, whatever it starts with.
pub const SNIFF_LIMIT: usize = 4096;

/// The server's error text when a whole reply (at most [`SNIFF_LIMIT`] bytes) is an error reply:
/// menu lines of type `3` (and `i` lines) only, or a single `Error: …` line. None for anything
/// else, binary bytes included.
pub fn error_reply(reply: &[u8]) -> Option<String> {
    if reply.len() > SNIFF_LIMIT || reply.is_empty() {
        return None;
    }
    let mut menu = MenuParser::new();
    menu.push(reply);
    menu.finish();
    let mut items = Vec::new();
    while let Ok(Some(item)) = menu.next_item() {
        items.push(item);
    }
    if let Some(text) = error_lines(&items) {
        return Some(text);
    }
    match &items[..] {
        [MenuItem::Raw(line)] if line.starts_with("Error: ") => Some(line.clone()),
        _ => None,
    }
}

/// The error text of a menu that holds nothing but the server's error: one or more `3` lines (and
/// `i` lines), or only lines in no menu format (a file's error text, given for a menu).
pub fn error_in_menu(items: &[MenuItem]) -> Option<String> {
    if let Some(text) = error_lines(items) {
        return Some(text);
    }
    let raw: Vec<&str> = items
        .iter()
        .map(|i| match i {
            MenuItem::Raw(line) => Some(line.as_str()),
            MenuItem::Entry(_) => None,
        })
        .collect::<Option<_>>()?;
    (!raw.is_empty()).then(|| raw.join(" | "))
}

/// The display strings of the `3` lines, when the items are `3` and `i` lines only (one `3` at
/// least).
fn error_lines(items: &[MenuItem]) -> Option<String> {
    let mut errors = Vec::new();
    for item in items {
        match item {
            MenuItem::Entry(l) if l.item_type().is_error() => errors.push(l.display().trim()),
            MenuItem::Entry(l) if l.item_type().is_info() => {}
            _ => return None,
        }
    }
    (!errors.is_empty()).then(|| errors.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_3_lines_are_an_error_reply() {
        let reply = b"3Error: File or directory not found! (null)\tTITLE\tnull.host\t1\r\n.\r\n";
        assert_eq!(
            error_reply(reply).as_deref(),
            Some("Error: File or directory not found! (null)")
        );
        let pygopherd = b"3'/nope' does not exist (no handler found)\t\terror.host\t1\n";
        assert_eq!(
            error_reply(pygopherd).as_deref(),
            Some("'/nope' does not exist (no handler found)")
        );
        let with_info = b"iSorry:\t\th\t1\r\n3gone\t\th\t1\r\n";
        assert_eq!(error_reply(with_info).as_deref(), Some("gone"));
    }

    #[test]
    fn a_bare_error_line_is_one_too() {
        let reply = b"Error: File or directory not found! (null)\r\n";
        assert_eq!(
            error_reply(reply).as_deref(),
            Some("Error: File or directory not found! (null)")
        );
    }

    #[test]
    fn items_are_not_errors() {
        for item in [
            &b"Hello, gopher!\r\n"[..],
            b"",
            b"Error: one\r\nsecond line\r\n",
            b"0Hello\t/hello.txt\th\t70\r\n3and an error\t\th\t1\r\n",
            b"iinfo only\t\th\t1\r\n",
            b"\x00\x01binary 3x\t\t\t1\n",
        ] {
            assert_eq!(
                error_reply(item),
                None,
                "{:?}",
                String::from_utf8_lossy(item)
            );
        }
        let mut long = b"3too long to be an error reply\t\th\t1\r\n".to_vec();
        long.resize(SNIFF_LIMIT + 1, b'x');
        assert_eq!(error_reply(&long), None);
    }

    #[test]
    fn a_menu_of_error_or_unreadable_lines_only_is_an_error() {
        let items = |bytes: &[u8]| {
            let mut menu = MenuParser::new();
            menu.push(bytes);
            menu.finish();
            std::iter::from_fn(|| menu.next_item().ok().flatten()).collect::<Vec<_>>()
        };
        assert_eq!(
            error_in_menu(&items(b"Error: File or directory not found! (null)\r\n")).as_deref(),
            Some("Error: File or directory not found! (null)")
        );
        assert_eq!(
            error_in_menu(&items(b"3gone\t\th\t1\r\n.\r\n")).as_deref(),
            Some("gone")
        );
        assert_eq!(error_in_menu(&items(b"iinfo\t\th\t1\r\n")), None);
        assert_eq!(
            error_in_menu(&items(b"odd line\r\n1Dir\t/d\th\t70\r\n")),
            None
        );
        assert_eq!(error_in_menu(&[]), None);
    }
}
