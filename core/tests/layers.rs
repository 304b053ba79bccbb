//! Layers: `inet-core`'s top-level modules import each other without a cycle, leaves first (the
//! order is in ARCHITECTURE.md, "Layers"). The graph is read from `src/` by `layers/graph.rs`.

#[path = "layers/graph.rs"]
mod graph;

#[test]
fn core_modules_form_no_cycle() {
    graph::assert_layered("inet-core", env!("CARGO_MANIFEST_DIR"));
}
