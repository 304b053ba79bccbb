//! `cargo xtask deny`: `cargo deny check` (licenses, advisories, duplicate versions, sources)
//! against the checked-in `deny.toml`, installing cargo-deny first when it is missing. Kept out
//! of `cargo xtask test`: it fetches the advisory database, and CI's test run stays fast.

use std::process::Stdio;

use crate::steps::{cargo, root, Steps};
use crate::Failure;

pub fn run(args: &[String]) -> Result<(), Failure> {
    if !args.is_empty() {
        return Err(Failure::usage("`cargo xtask deny` takes no arguments"));
    }
    let config = root().join("deny.toml");
    if !config.is_file() {
        return Err(Failure::error(format!("{} is missing", config.display())));
    }
    let mut steps = Steps::new("deny");
    if !has_cargo_deny() && !steps.run(&mut cargo(["install", "cargo-deny", "--locked"])) {
        return steps.finish();
    }
    let config = config.display().to_string();
    steps.run(&mut cargo([
        "deny",
        "--workspace",
        "--config",
        config.as_str(),
        "check",
    ]));
    steps.finish()
}

fn has_cargo_deny() -> bool {
    cargo(["deny", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
