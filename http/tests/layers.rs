//! Layers: `inet-http`'s top-level modules import each other without a cycle, leaves first (the
//! order is in ARCHITECTURE.md, "Layers"). The graph is read from `src/` by core's reader.

#[path = "../../core/tests/layers/graph.rs"]
mod graph;

use std::path::Path;

#[test]
fn http_modules_form_no_cycle() {
    let graph = graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 5, "no modules read: {graph:?}");
    if let Some(cycle) = graph::find_cycle(&graph) {
        panic!("inet-http's modules import each other in a cycle:\n{cycle}");
    }
    println!(
        "layers, leaves first: {}",
        graph::layers(&graph).join(" → ")
    );
}
