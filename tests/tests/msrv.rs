//! The workspace's declared MSRV (`rust-version` in the top-level Cargo.toml) stays true for
//! what Cargo.lock resolves: no package of the build needs a newer Rust. (The workspace's own
//! code is held to it by clippy's `incompatible_msrv` lint, on by default once `rust-version` is
//! set, which `cargo xtask test` runs with `-D warnings`.)

use std::process::Command;

/// `1.85` or `1.85.0` as comparable numbers.
fn version(v: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn no_locked_package_needs_a_newer_rust_than_the_workspace_declares() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("rust-version in the workspace's Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(&root)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let mut too_new = Vec::new();
    let mut checked = 0;
    for p in packages {
        let Some(rv) = p["rust_version"].as_str() else {
            continue;
        };
        checked += 1;
        if version(rv) > version(declared) {
            too_new.push(format!("{} {} needs {rv}", p["name"], p["version"]));
        }
    }
    assert!(checked > 50, "read {checked} packages' rust_version");
    assert!(
        too_new.is_empty(),
        "rust-version = {declared:?}, but Cargo.lock has: {too_new:?}"
    );
}
