//! inet-gopher against the real servers of the harness: gophernicus (plain Gopher, type 7
//! search) and pygopherd (Gopher+), through the driver, in the three forms.

use std::time::Duration;

use inet_core::{Context, ErrorKind, Session, Started};
use inet_gopher::{GopherConnection, GopherOptions, ItemType, Locator, MenuItem};
use inet_tests::record::Recorder;
use inet_tests::servers::{self, Gopher};

const REQUEST_COMPLETE: u32 = 100;

fn session(rec: &Recorder) -> Session {
    Session::builder()
        .status_callback(rec.callback())
        .receive_timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("session")
}

fn connect(s: &Session, g: &Gopher) -> GopherConnection {
    GopherConnection::open(s, "127.0.0.1", g.port, GopherOptions::new(), Context(0)).expect("open")
}

fn item(g: &Gopher, t: ItemType, selector: &str) -> Locator {
    Locator::new(t, "", selector, "127.0.0.1", g.port).expect("locator")
}

fn entries(items: Vec<MenuItem>) -> Vec<Locator> {
    items
        .into_iter()
        .filter_map(|i| match i {
            MenuItem::Entry(l) => Some(l),
            MenuItem::Raw(_) => None,
        })
        .collect()
}

#[test]
fn the_root_menu_lists_what_the_server_serves_and_next_ends_with_no_more_files() {
    let g = servers::gopher();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = connect(&s, g);
    let find = conn
        .find_first_blocking(None, None, Context(7))
        .expect("root menu");
    let mut items = Vec::new();
    let end = loop {
        match find.next_blocking() {
            Ok(i) => items.push(i),
            Err(e) => break e,
        }
    };
    assert_eq!(end.kind(), ErrorKind::NoMoreFiles);
    let selectors: Vec<Vec<u8>> = entries(items)
        .iter()
        .map(|l| l.selector().to_vec())
        .collect();
    for want in [
        &b"/hello.txt"[..],
        b"/dots.txt",
        b"/dir",
        b"/bin.dat",
        b"/search",
    ] {
        assert!(
            selectors.iter().any(|s| s == want),
            "{want:?} not in {selectors:?}"
        );
    }
}

#[test]
fn text_items_arrive_as_the_server_sent_them_and_binary_items_whole() {
    let g = servers::gopher();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = connect(&s, g);
    for name in ["hello.txt", "dots.txt"] {
        let f = conn
            .open_file_blocking(
                &item(g, ItemType::TextFile, &format!("/{name}")),
                None,
                Context(0),
            )
            .expect(name);
        let on_disk = std::fs::read_to_string(g.root.join(name)).expect("on disk");
        // gophernicus turns LF into CRLF and sends neither a '.' line nor dot-stuffing: the
        // lone '.' line inside dots.txt is text.
        assert_eq!(
            f.read_to_end_blocking(1 << 20).expect("read"),
            on_disk.replace('\n', "\r\n").as_bytes(),
            "{name}"
        );
    }
    for (selector, path) in [
        ("/bin.dat", "bin.dat"),
        ("/data/rand_1M.bin", "data/rand_1M.bin"),
    ] {
        let f = conn
            .open_file_blocking(&item(g, ItemType::Binary, selector), None, Context(0))
            .expect(selector);
        let want = std::fs::read(g.root.join(path)).expect("on disk");
        assert!(
            f.read_to_end_blocking(2 << 20).expect("read") == want,
            "{selector}"
        );
    }
}

#[test]
fn a_search_sends_the_query_and_reads_the_results_menu() {
    let g = servers::gopher();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = connect(&s, g);
    let find = conn
        .find_first_blocking(
            Some(&item(g, ItemType::IndexServer, "/search")),
            Some("inet rocks"),
            Context(0),
        )
        .expect("search");
    let found = entries(find.remaining());
    assert_eq!(found[0].display(), "You searched for: inet rocks");
    assert_eq!(found[1].selector(), b"/hello.txt");
}

#[test]
fn gopher_plus_attributes_come_from_pygopherd_and_gophernicus_is_not_gopher_plus() {
    let plus = servers::gopher_plus();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = connect(&s, plus);
    let blocks = conn
        .get_attribute_blocking(&item(plus, ItemType::TextFile, "/hello.txt"), None)
        .expect("attributes");
    assert!(blocks.iter().any(|b| b.name == "INFO"), "{blocks:?}");
    let info = conn
        .get_attribute_blocking(&item(plus, ItemType::TextFile, "/hello.txt"), Some("INFO"))
        .expect("+INFO");
    assert_eq!(info.len(), 1);

    let g = servers::gopher();
    let conn = connect(&s, g);
    let err = conn
        .get_attribute_blocking(&item(g, ItemType::TextFile, "/hello.txt"), None)
        .expect_err("gophernicus has no attributes");
    assert_eq!(err.kind(), ErrorKind::GopherNotGopherPlus, "{err}");
    assert_eq!(err.code(), 12136);
}

#[test]
fn callback_mode_reads_an_item_and_the_future_form_a_menu() {
    let g = servers::gopher();
    let rec = Recorder::new();
    let s = session(&rec);
    let conn = connect(&s, g);
    let id = conn.handle().id();
    let _ = conn
        .start_open_file(
            &item(g, ItemType::Binary, "/data/rand_1M.bin"),
            None,
            Context(9),
        )
        .expect("started");
    assert!(rec.wait_code(id, REQUEST_COMPLETE, Duration::from_secs(10)));
    assert_eq!(rec.completions(id), vec![0]);
    // The file handle came in the completion; here the same item is opened again in the
    // future form to read it, and its callback-mode reads are counted.
    let f = async_io::block_on(conn.open_file(
        &item(g, ItemType::Binary, "/data/rand_1M.bin"),
        None,
        Context(10),
    ))
    .expect("future form");
    let fid = f.handle().id();
    let mut total = 0u64;
    loop {
        // Counted before the read starts: a pending read's completion may arrive (on another
        // thread) before `start_read` has returned.
        let before = rec.completions(fid).len();
        match f.start_read(64 * 1024).expect("read") {
            Started::Done(b) if b.is_empty() => break,
            Started::Done(b) => total += b.len() as u64,
            Started::Pending(_) => {
                assert!(rec.wait_for(Duration::from_secs(10), |s| s
                    .iter()
                    .filter(|n| n.handle == fid && n.code == REQUEST_COMPLETE)
                    .count()
                    > before));
                let n = rec
                    .all()
                    .into_iter()
                    .rfind(|n| n.handle == fid && n.code == REQUEST_COMPLETE)
                    .and_then(|n| n.amount)
                    .expect("amount");
                if n == 0 {
                    break;
                }
                total += n;
            }
        }
    }
    assert_eq!(total, 1 << 20);
    let menu = async_io::block_on(conn.find_first(None, None, Context(0))).expect("menu");
    assert!(!menu.remaining().is_empty());
}

#[test]
fn open_url_reads_gopher_items_and_menus() {
    let g = servers::gopher();
    let rec = Recorder::new();
    let s = session(&rec);
    let text = inet::open_url_blocking(&s, &g.url("0/hello.txt"), inet::OpenUrlOptions::new())
        .expect("text item")
        .read_to_end_blocking(1 << 20)
        .expect("read");
    assert_eq!(text, b"Hello, gopher!\r\n");
    let menu = inet::open_url_blocking(&s, &g.url("1/"), inet::OpenUrlOptions::new())
        .expect("menu")
        .read_to_end_blocking(1 << 20)
        .expect("read");
    assert!(String::from_utf8_lossy(&menu).contains("/hello.txt"));
}
