//! How `inet ls gopher://…` shows a menu: a table for people, or a JSON array for programs.

use inet::gopher::{GopherUrl, Locator, MenuItem};
use serde_json::{json, Value};

/// One object: `type` (the type character), `kind` (its name), `name` (the display string),
/// `selector`, `host`, `port`, `url` (the item's URL, null for `i` and `3` lines); a line in no
/// menu format is `{"type": null, …, "raw": line}`.
pub fn json_item(item: &MenuItem, secure: bool) -> Value {
    match item {
        MenuItem::Entry(l) => json!({
            "type": type_char(l),
            "kind": l.item_type().name(),
            "name": l.display(),
            "selector": l.selector_text(),
            "host": l.host(),
            "port": l.port(),
            "url": GopherUrl::item_url(l, secure),
        }),
        MenuItem::Raw(line) => json!({
            "type": null,
            "kind": "raw",
            "name": null,
            "selector": null,
            "host": null,
            "port": null,
            "url": null,
            "raw": line,
        }),
    }
}

/// The whole menu as a JSON array (pretty-printed).
pub fn json(items: &[MenuItem], secure: bool) -> String {
    let array: Vec<Value> = items.iter().map(|i| json_item(i, secure)).collect();
    serde_json::to_string_pretty(&array).unwrap_or_else(|_| "[]".to_string())
}

/// A table: type, display, selector, host:port. `i` lines show their text only; a line in no
/// menu format shows `raw` and the whole line.
pub fn table(items: &[MenuItem]) -> String {
    let rows: Vec<[String; 4]> = items
        .iter()
        .map(|item| match item {
            MenuItem::Entry(l) if l.item_type().is_info() => [
                type_char(l),
                l.display().to_string(),
                String::new(),
                String::new(),
            ],
            MenuItem::Entry(l) => [
                type_char(l),
                l.display().to_string(),
                l.selector_text().into_owned(),
                format!("{}:{}", l.host(), l.port()),
            ],
            MenuItem::Raw(line) => ["raw".into(), line.clone(), String::new(), String::new()],
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w_type, w_name, w_sel) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [t, name, selector, server] in rows {
        let line = format!("{t:<w_type$}  {name:<w_name$}  {selector:<w_sel$}  {server}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn type_char(l: &Locator) -> String {
    char::from(l.item_type().as_byte()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use inet::gopher::proto::MenuParser;

    fn sample() -> Vec<MenuItem> {
        let mut menu = MenuParser::for_server("127.0.0.1", 7070);
        menu.push(
            b"iWelcome!\t\tnull.host\t1\r\n\
              0Hello text\t/hello.txt\t127.0.0.1\t7070\r\n\
              1A directory\t/dir\tother.host\t70\r\n\
              what is this\r\n.\r\n",
        );
        std::iter::from_fn(|| menu.next_item().ok().flatten()).collect()
    }

    #[test]
    fn json_items_have_type_name_selector_host_port_and_url_and_raw_lines() {
        let v: Value = serde_json::from_str(&json(&sample(), false)).unwrap();
        let items = v.as_array().unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0]["type"], "i");
        assert_eq!(items[0]["name"], "Welcome!");
        assert_eq!(items[0]["url"], Value::Null);
        assert_eq!(items[1]["type"], "0");
        assert_eq!(items[1]["kind"], "text file");
        assert_eq!(items[1]["name"], "Hello text");
        assert_eq!(items[1]["selector"], "/hello.txt");
        assert_eq!(items[1]["host"], "127.0.0.1");
        assert_eq!(items[1]["port"], 7070);
        assert_eq!(items[1]["url"], "gopher://127.0.0.1:7070/0/hello.txt");
        assert_eq!(items[2]["url"], "gopher://other.host/1/dir");
        assert_eq!(items[3]["raw"], "what is this");
        assert_eq!(items[3]["type"], Value::Null);
        assert!(items[1].get("raw").is_none());
    }

    #[test]
    fn the_table_has_aligned_columns() {
        let t = table(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            [
                "i    Welcome!",
                "0    Hello text    /hello.txt  127.0.0.1:7070",
                "1    A directory   /dir        other.host:70",
                "raw  what is this",
            ]
        );
        assert_eq!(table(&[]), "");
    }
}
