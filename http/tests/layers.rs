//! Layers: `inet-http`'s top-level modules import each other without a cycle, leaves first (the
//! order is in ARCHITECTURE.md, "Layers"). The graph is read from `src/` by core's reader.

#[path = "../../core/tests/layers/graph.rs"]
mod graph;

#[test]
fn http_modules_form_no_cycle() {
    graph::assert_layered("inet-http", env!("CARGO_MANIFEST_DIR"));
}
