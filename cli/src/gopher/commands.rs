//! `inet ls gopher://…`: a menu or a search's results (GopherFindFirstFile, then
//! InternetFindNextFile until NO_MORE_FILES), in callback mode.

use std::io::{self, Write};
use std::time::Instant;

use inet::gopher::{GopherFind, MenuItem};
use inet::{Context, Error, ErrorKind, Started};

use super::reply::error_in_menu;
use super::{listing, parse_url, run_one, server_error, Client, Common, Failure, GopherUrl, CTX};
use crate::exit;
use crate::progress::Meter;

/// Run `inet ls` on a gopher URL: the menu as a table, or JSON with `json`.
pub fn ls(url: &str, json: bool, common: &Common, t0: Instant) -> u8 {
    let url = match parse_url("ls", url) {
        Ok(url) => url,
        Err(code) => return code,
    };
    let query = match common.query(&url) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("inet: ls {url}: {e}");
            return exit::USAGE;
        }
    };
    run_one("ls", &url, common, t0, Meter::default(), |client| {
        let items = list(client, &url, query.as_deref())?;
        if !common.raw {
            if let Some(text) = error_in_menu(&items) {
                return Err(server_error("reading the menu", &text));
            }
        }
        let text = if json {
            listing::json(&items, url.secure) + "\n"
        } else {
            listing::table(&items)
        };
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Failure::Write)
    })
}

/// Every item of the menu; an empty menu is an empty list (WinINet's find-first fails with
/// NO_MORE_FILES then).
fn list(client: &Client, url: &GopherUrl, query: Option<&str>) -> Result<Vec<MenuItem>, Failure> {
    let locator = url.locator()?;
    let conn = client.conn();
    let find = match client.call(conn.start_find_first(Some(&locator), query, Context(CTX))) {
        Ok(c) => c.value::<GopherFind>().cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                "listing: the completion holds no find handle",
            )
        })?,
        Err(e) if e.kind() == ErrorKind::NoMoreFiles => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut items = Vec::new();
    let outcome = loop {
        // The menu was read whole: find-next is always done at once.
        match find.start_next() {
            Ok(Started::Done(item)) => items.push(item),
            Ok(Started::Pending(p)) => match client.call(Ok(p)) {
                Ok(c) => match c.value::<MenuItem>() {
                    Some(item) => items.push(item.clone()),
                    None => break Ok(()),
                },
                Err(e) if e.kind() == ErrorKind::NoMoreFiles => break Ok(()),
                Err(e) => break Err(e.into()),
            },
            Err(e) if e.kind() == ErrorKind::NoMoreFiles => break Ok(()),
            Err(e) => break Err(e.into()),
        }
    };
    find.close();
    outcome.map(|()| items)
}
