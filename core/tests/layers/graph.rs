//! The module graph of a crate, read from its source, for the layering guard tests
//! (`core/tests/layers.rs`, `http/tests/layers.rs`, `gopher/tests/layers.rs`). Holds only the
//! reading and the cycle search; it must not know any crate's module names (each test passes
//! its own `src` directory).
//!
//! A node is a top-level module: `src/x.rs`, or `src/x/` with every `.rs` file under it. An edge
//! `a -> b` is a `crate::b` path in a's code (in a `use` or inline, `crate::{b, ..}` included), or
//! a `crate::Name` whose `Name` the crate root re-exports from `b`. Comments and everything from
//! `#[cfg(test)]` on are skipped: doc links and unit tests may look anywhere.

// Each guard test includes this file and uses a part of it (a crate's `src/` or one module's).
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// `module -> (module it uses -> first place it does, "file:line")`.
pub type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The guard itself: read `crate_dir/src`, fail naming a cycle if there is one, and print the
/// layers, leaves first.
pub fn assert_layered(crate_name: &str, crate_dir: &str) {
    let graph = read(&Path::new(crate_dir).join("src"));
    assert!(graph.len() > 5, "no modules read: {graph:?}");
    assert_acyclic(crate_name, &graph);
}

/// The same guard for the submodules of one module directory (`src/proto/`, whose root is its
/// `mod.rs`): `super::x` in its files names a sibling, `super::Name` a re-export of `mod.rs`.
pub fn assert_module_layered(what: &str, dir: &Path) {
    let graph = read_rooted(dir, "mod.rs");
    assert!(
        graph.len() > 3,
        "no modules read in {}: {graph:?}",
        dir.display()
    );
    assert_acyclic(what, &graph);
}

fn assert_acyclic(what: &str, graph: &Graph) {
    if let Some(cycle) = find_cycle(graph) {
        panic!("{what}'s modules import each other in a cycle:\n{cycle}");
    }
    println!("layers, leaves first: {}", layers(graph).join(" → "));
}

/// Reads the module graph of the crate whose sources are in `src`.
pub fn read(src: &Path) -> Graph {
    read_rooted(src, "lib.rs")
}

/// Reads the module graph of the modules in `src`, whose root file (re-exports) is `root`.
fn read_rooted(src: &Path, root: &str) -> Graph {
    let modules = top_level_modules(src);
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let exported = root_exports(&src.join(root), &names);
    let mut graph = Graph::new();
    for (module, files) in &modules {
        let edges = graph.entry(module.clone()).or_default();
        for file in files {
            let text = fs::read_to_string(file).unwrap_or_default();
            // `super::` in a file directly under `src` (x.rs, x/mod.rs) is the crate root.
            let top = file.parent() == Some(src)
                || (file.ends_with("mod.rs") && file.parent().and_then(Path::parent) == Some(src));
            // Whole text, so that a `crate::{…}` group may span lines.
            let code: String = code_lines(&text).map(|(_, l)| format!("{l}\n")).collect();
            for (at, target) in crate_paths(&code, top) {
                let to = if names.contains(&target) {
                    Some(target)
                } else {
                    exported.get(&target).cloned()
                };
                if let Some(to) = to.filter(|to| to != module) {
                    let line_no = code[..at].matches('\n').count() + 1;
                    let place = format!("{}:{}", shown(src, file), line_no);
                    edges.entry(to).or_insert(place);
                }
            }
        }
    }
    graph
}

/// The first cycle found, as `a -> b -> … -> a` with where each step is written; None when the
/// graph is a DAG.
pub fn find_cycle(graph: &Graph) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            return Some(format!("{}\n  {}", cycle.join(" -> "), steps.join("\n  ")));
        }
    }
    None
}

/// The modules in layer order, leaves first (each after everything it uses); ties by name.
/// Meaningful only for a graph without cycles.
pub fn layers(graph: &Graph) -> Vec<String> {
    let mut placed: Vec<String> = Vec::new();
    while placed.len() < graph.len() {
        let ready: Vec<String> = graph
            .iter()
            .filter(|(m, _)| !placed.contains(m))
            .filter(|(_, uses)| uses.keys().all(|u| placed.contains(u)))
            .map(|(m, _)| m.clone())
            .collect();
        if ready.is_empty() {
            break; // a cycle: `find_cycle` names it
        }
        placed.extend(ready);
    }
    placed
}

fn top_level_modules(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src).into_iter().flatten().flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.is_dir() {
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            modules.insert(stem.to_string(), files);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !matches!(stem, "lib" | "main" | "mod")
        {
            modules.insert(stem.to_string(), vec![path]);
        }
    }
    modules
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `Name -> module` for each `pub use module::…Name…;` of the crate root.
fn root_exports(lib: &Path, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let text = fs::read_to_string(lib).unwrap_or_default();
    let code: String = code_lines(&text).map(|(_, l)| format!("{l}\n")).collect();
    let mut exported = BTreeMap::new();
    for statement in code.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let idents = idents(rest);
        let Some((first, names)) = idents.split_first() else {
            continue;
        };
        if modules.contains(first) {
            for name in names {
                exported.insert(name.clone(), first.clone());
            }
        }
    }
    exported
}

/// Numbered lines of code: comments cut, and nothing from the first `#[cfg(test)]` on.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.find("//").map_or(l, |at| &l[..at])))
}

/// The first segment after each `crate::` (each of a `crate::{a, b::c}` group), with the byte
/// offset of its `crate::`; `super::` counts as `crate::` when `top`.
fn crate_paths(line: &str, top: bool) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let prefixes: &[&str] = if top {
        &["crate::", "super::"]
    } else {
        &["crate::"]
    };
    for prefix in prefixes {
        for (at, _) in line.match_indices(prefix) {
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `inet_crate::`, not ours
            }
            let rest = &line[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // Top-level items of the group: after `{` and after each `,` at depth 0.
                let mut depth = 0;
                let mut item_start = true;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if item_start && (c.is_alphanumeric() || c == '_') => {
                            item_start = false;
                            if depth == 0 {
                                found.extend(
                                    idents(&group[i..]).into_iter().next().map(|m| (at, m)),
                                );
                            }
                        }
                        _ => {}
                    }
                }
            } else {
                found.extend(idents(rest).into_iter().next().map(|m| (at, m)));
            }
        }
    }
    found
}

fn idents(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty() && !w.starts_with(|c: char| c.is_ascii_digit()))
        .filter(|w| !matches!(*w, "self" | "as" | "pub" | "use" | "crate"))
        .map(str::to_string)
        .collect()
}

fn shown(src: &Path, file: &Path) -> String {
    file.strip_prefix(src.parent().unwrap_or(src))
        .unwrap_or(file)
        .display()
        .to_string()
}
