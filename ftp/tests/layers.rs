//! Layers: `inet-ftp`'s top-level modules import each other without a cycle, leaves first (the
//! order is in ARCHITECTURE.md, "Layers"). The graph is read from `src/` by core's reader.

#[path = "../../core/tests/layers/graph.rs"]
mod graph;

#[test]
fn ftp_modules_form_no_cycle() {
    graph::assert_layered("inet-ftp", env!("CARGO_MANIFEST_DIR"));
}
