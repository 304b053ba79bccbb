//! Walk a Gopher server's menus (GopherFindFirstFile / InternetFindNextFile), breadth first, to
//! a depth, printing each item; menus on other servers are listed, not entered.
//!
//! ```sh
//! cargo run -p inet --example gopher_walk -- gopher://127.0.0.1:7070/ 2
//! ```

use std::collections::VecDeque;

use inet::gopher::{GopherConnection, GopherOptions, Locator, MenuItem};
use inet::urls::crack_url;
use inet::{Context, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: gopher_walk gopher://host[:port]/ [DEPTH]")?;
    let depth: usize = args.next().map_or(Ok(2), |d| d.parse())?;
    let parts = crack_url(&url)?;
    let session = Session::new()?;
    let gopher = GopherConnection::open(
        &session,
        &parts.host,
        parts.port,
        GopherOptions::new(),
        Context(0),
    )?;
    let mut queue: VecDeque<(Locator, usize)> = VecDeque::from([(gopher.root()?, 0)]);
    let mut seen = std::collections::HashSet::new();
    while let Some((menu, level)) = queue.pop_front() {
        if !seen.insert(menu.selector().to_vec()) {
            continue;
        }
        let find = match gopher.find_first_blocking(Some(&menu), None, Context(0)) {
            Ok(f) => f,
            Err(e) => {
                println!("{}{}: {e}", "  ".repeat(level), menu.selector_text());
                continue;
            }
        };
        for item in find.remaining() {
            match item {
                MenuItem::Entry(l) => {
                    println!(
                        "{}[{}] {} {}",
                        "  ".repeat(level),
                        l.item_type(),
                        l.display(),
                        l.selector_text()
                    );
                    let here = l.host() == parts.host && l.port() == parts.port;
                    if l.item_type().is_directory() && here && level + 1 < depth {
                        queue.push_back((l, level + 1));
                    }
                }
                MenuItem::Raw(line) => println!("{}(raw) {line}", "  ".repeat(level)),
            }
        }
    }
    Ok(())
}
