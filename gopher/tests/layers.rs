//! Layers: `inet-gopher`'s protocol modules import each other without a cycle, leaves first (the
//! order is in ARCHITECTURE.md's code map: item, text, locator, menu, plus). The graph is read
//! from `src/proto/` by core's reader.

use std::path::Path;

#[path = "../../core/tests/layers/graph.rs"]
mod graph;

#[test]
fn gopher_proto_modules_form_no_cycle() {
    graph::assert_module_layered(
        "inet-gopher's proto",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/proto"),
    );
}
