//! How `inet ls` shows a listing: a table for people, or a JSON array for programs.

use inet::ftp::{EntryKind, Found, Timestamp};
use serde_json::{json, Value};

/// `file`, `dir`, `link` or `other` (an unparsed line is `other`).
pub fn kind(found: &Found) -> &'static str {
    match found.entry().map(|e| &e.kind) {
        Some(EntryKind::File) => "file",
        Some(EntryKind::Dir) => "dir",
        Some(EntryKind::Link { .. }) => "link",
        _ => "other",
    }
}

/// ISO 8601, `2024-01-15T15:04:05` (no zone: LIST gives the server's local time).
fn iso(t: &Timestamp) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// One object: `name`, `size`, `kind`, `modified` (ISO 8601 or null), `permissions` (or null),
/// plus `target` for links and `raw` (the whole line) for lines in no known format.
pub fn json_item(found: &Found) -> Value {
    match found {
        Found::Entry(e) => {
            let mut v = json!({
                "name": e.name,
                "size": e.size,
                "kind": kind(found),
                "modified": e.modified.as_ref().map(iso),
                "permissions": e.permissions,
            });
            if let EntryKind::Link { target } = &e.kind {
                v["target"] = json!(target);
            }
            v
        }
        other => json!({
            "name": other.name(),
            "size": null,
            "kind": "other",
            "modified": null,
            "raw": other.name(),
        }),
    }
}

/// The whole listing as a JSON array (pretty-printed, one line per field).
pub fn json(items: &[Found]) -> String {
    let array: Vec<Value> = items.iter().map(json_item).collect();
    serde_json::to_string_pretty(&array).unwrap_or_else(|_| "[]".to_string())
}

/// A table: kind, size, modified, name (`name -> target` for links; an unparsed line whole, as
/// its name). Sizes are right-aligned; unknown values are `-`.
pub fn table(items: &[Found]) -> String {
    let rows: Vec<[String; 4]> = items
        .iter()
        .map(|f| {
            let e = f.entry();
            let size = e
                .and_then(|e| e.size)
                .map_or_else(|| "-".to_string(), |s| s.to_string());
            let modified = e
                .and_then(|e| e.modified.as_ref())
                .map_or_else(|| "-".to_string(), Timestamp::to_string);
            let name = match e.map(|e| &e.kind) {
                Some(EntryKind::Link {
                    target: Some(target),
                }) => format!("{} -> {target}", f.name()),
                _ => f.name().to_string(),
            };
            [kind(f).to_string(), size, modified, name]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let (w_kind, w_size, w_time) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [kind, size, modified, name] in rows {
        out.push_str(&format!(
            "{kind:<w_kind$}  {size:>w_size$}  {modified:<w_time$}  {name}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use inet::ftp::proto::{parse_list_line, Parsed};

    fn found(line: &str) -> Found {
        match parse_list_line(line, (2024, 6)) {
            Parsed::Entry(e) => Found::Entry(e),
            Parsed::Raw(r) => Found::Unparsed(r),
            Parsed::Skip => panic!("skipped: {line}"),
        }
    }

    fn sample() -> Vec<Found> {
        vec![
            found("-rw-r--r--    1 1000     1000      1048576 Jan 15 15:04 rand_1M.bin"),
            found("drwxr-xr-x    2 1000     1000         4096 Mar  1  2023 tree"),
            found("lrwxrwxrwx    1 1000     1000            8 Feb  2 10:00 latest -> tree/top"),
            found("what is this"),
        ]
    }

    #[test]
    fn json_items_have_name_size_kind_modified_and_link_targets_and_raw_lines() {
        let v: Value = serde_json::from_str(&json(&sample())).unwrap();
        let items = v.as_array().unwrap();
        assert_eq!(items[0]["name"], "rand_1M.bin");
        assert_eq!(items[0]["size"], 1048576);
        assert_eq!(items[0]["kind"], "file");
        assert_eq!(items[0]["modified"], "2024-01-15T15:04:00");
        assert_eq!(items[0]["permissions"], "-rw-r--r--");
        assert_eq!(items[1]["kind"], "dir");
        assert_eq!(items[1]["modified"], "2023-03-01T00:00:00");
        assert_eq!(items[2]["kind"], "link");
        assert_eq!(items[2]["target"], "tree/top");
        assert_eq!(items[3]["kind"], "other");
        assert_eq!(items[3]["raw"], "what is this");
        assert_eq!(items[3]["size"], Value::Null);
        assert_eq!(items[3]["modified"], Value::Null);
        assert!(items[0].get("raw").is_none() && items[0].get("target").is_none());
    }

    #[test]
    fn the_table_has_aligned_columns() {
        let t = table(&sample());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            [
                "file   1048576  2024-01-15 15:04:00  rand_1M.bin",
                "dir       4096  2023-03-01 00:00:00  tree",
                "link         8  2024-02-02 10:00:00  latest -> tree/top",
                "other        -  -                    what is this",
            ]
        );
        assert_eq!(table(&[]), "");
    }
}
