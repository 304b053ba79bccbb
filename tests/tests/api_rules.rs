//! Rules of the public API that let it grow without breaking (issue 11 §5), checked over the
//! library crates' sources: every public enum is `#[non_exhaustive]` unless it is listed below as
//! closed, with the reason. (Every public type being `Debug` is the `missing_debug_implementations`
//! lint; `#[must_use]` on builders is clippy's `return_self_not_must_use`; both are workspace
//! lints that CI denies.)

use std::path::{Path, PathBuf};

/// Public enums that stay exhaustive on purpose: matching all of them is the point.
const CLOSED: &[(&str, &str)] = &[
    (
        "Started",
        "a callback-mode call finished at once or is pending: nothing else",
    ),
    ("Direction", "bytes go up or down"),
    (
        "Stream",
        "core's transport streams, matched inside core only",
    ),
    ("MenuItem", "a menu line is an item or it is not"),
    ("Parsed", "a listing line is an entry, skipped, or kept raw"),
    (
        "LoginStep",
        "a driver must handle every step of the login dialog",
    ),
    (
        "TransferStep",
        "a driver must handle every step of the transfer dialog",
    ),
    ("ReplyClass", "RFC 959's five reply classes"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn public_enums_are_non_exhaustive_unless_closed_on_purpose() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["core", "http", "ftp", "gopher", "facade"] {
        sources(&root.join(krate).join("src"), &mut files);
    }
    let mut open = Vec::new();
    let mut seen = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("pub enum ") else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            seen += 1;
            // The attributes and docs right above it.
            let marked = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim_start();
                    l.starts_with("#[") || l.starts_with("///") || l.starts_with("//")
                })
                .any(|l| l.contains("#[non_exhaustive]"));
            if !marked && !CLOSED.iter().any(|(n, _)| *n == name) {
                open.push(format!("{} {name}", file.display()));
            }
        }
    }
    assert!(seen > 20, "found {seen} public enums");
    assert!(
        open.is_empty(),
        "public enums that may grow need #[non_exhaustive] (or a place in CLOSED, with the \
         reason): {open:#?}"
    );
}
