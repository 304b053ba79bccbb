//! `cargo xtask test`: everything CI checks, in order. A failing step does not stop the later
//! ones (one run shows every problem); the servers are stopped in any case.

use crate::servers::TestServers;
use crate::steps::{cargo, root, target_dir, Steps, Stream};
use crate::Failure;

/// What a run from a fresh clone writes under `target/`, in GB: 2.5 with `CARGO_INCREMENTAL=0` (as
/// `.ci/run` sets), 4.4 with incremental builds, measured on 2026-12-01.
const FRESH_RUN_GB: f64 = 4.4;

pub fn run(args: &[String]) -> Result<(), Failure> {
    if !args.is_empty() {
        return Err(Failure::usage("`cargo xtask test` takes no arguments"));
    }
    warn_if_disk_is_short();
    let mut steps = Steps::new("test");
    steps.run(&mut cargo(["fmt", "--all", "--", "--check"]));
    steps.run(&mut cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]));
    // Each protocol builds alone behind the facade (the default features are all three).
    for feature in ["http", "ftp", "gopher"] {
        steps.run(&mut cargo([
            "check",
            "-q",
            "-p",
            "inet",
            "--no-default-features",
            "--features",
            feature,
        ]));
    }
    // The library crates' docs build without a rustdoc warning (broken links, private links).
    let mut doc = cargo([
        "doc",
        "--no-deps",
        "-q",
        "-p",
        "inet-core",
        "-p",
        "inet-http",
        "-p",
        "inet-ftp",
        "-p",
        "inet-gopher",
        "-p",
        "inet",
    ]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    steps.run(&mut doc);
    let servers = TestServers::start(&mut steps);
    let mut counts = TestCounts::default();
    for which in ["--all-targets", "--doc"] {
        let mut cmd = cargo(["test", "--workspace", which, "--no-fail-fast"]);
        if let Some(servers) = &servers {
            servers.export_to(&mut cmd);
        }
        steps.run_watching(&mut cmd, Stream::Stdout, |line| counts.add(line));
    }
    // The optional `tracing` feature, off in the workspace build: its own tests, with it on,
    // and clippy over the code it adds — in core, and in the FTP and Gopher crates with their
    // test (`inet-tests` turns it on in inet).
    steps.run(&mut cargo([
        "clippy",
        "-p",
        "inet-core",
        "-p",
        "inet-tests",
        "--features",
        "inet-core/tracing,inet-tests/tracing",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]));
    steps.run_watching(
        &mut cargo([
            "test",
            "-p",
            "inet-core",
            "--features",
            "tracing",
            "--test",
            "tracing",
        ]),
        Stream::Stdout,
        |line| counts.add(line),
    );
    // FTP and Gopher handles' span URLs, against the servers (`tests/tracing_urls.rs`).
    let mut cmd = cargo([
        "test",
        "-p",
        "inet-tests",
        "--features",
        "tracing",
        "--test",
        "tracing_urls",
    ]);
    if let Some(servers) = &servers {
        servers.export_to(&mut cmd);
    }
    steps.run_watching(&mut cmd, Stream::Stdout, |line| counts.add(line));
    if let Some(servers) = servers {
        servers.stop(&mut steps);
    }
    let outcome = steps.finish();
    // the closing line CI reads
    println!(
        "tests: {} passed, {} failed, {} skipped",
        counts.passed, counts.failed, counts.ignored
    );
    outcome
}

/// A full disk fails the build deep inside rustc ("LLVM ERROR: IO failure on output stream"): say
/// so up front, in words, when there may not be room. Only a warning — a warm `target/` needs far
/// less.
fn warn_if_disk_is_short() {
    let target = target_dir();
    // `df` needs a path that exists; a fresh clone has no `target/` yet.
    let probe = if target.exists() { target } else { root() };
    let Some(free_kib) = std::process::Command::new("df")
        .arg("-Pk")
        .arg(&probe)
        .output()
        .ok()
        .and_then(|out| free_kib_from_df(&String::from_utf8_lossy(&out.stdout)))
    else {
        return;
    };
    let free_gb = free_kib as f64 * 1024.0 / 1e9;
    if free_gb < FRESH_RUN_GB {
        println!(
            "warning: {free_gb:.1} GB free on the disk of {}; a run from a fresh clone writes up to \
             {FRESH_RUN_GB} GB there (2.5 GB with CARGO_INCREMENTAL=0)",
            probe.display()
        );
    }
}

/// The "Available" column of `df -Pk PATH`'s one data line, in KiB.
fn free_kib_from_df(out: &str) -> Option<u64> {
    out.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// Sums libtest's `test result: ok. 18 passed; 0 failed; 1 ignored; …` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct TestCounts {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestCounts {
    fn add(&mut self, line: &str) {
        let Some(result) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in result.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{free_kib_from_df, TestCounts};

    #[test]
    fn free_space_is_read_from_dfs_available_column() {
        let out = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                   /dev/vda         263174212  25041936  71349800      27% /\n";
        assert_eq!(free_kib_from_df(out), Some(71_349_800));
        assert_eq!(free_kib_from_df("Filesystem 1024-blocks\n"), None);
        assert_eq!(free_kib_from_df(""), None);
    }

    #[test]
    fn counts_add_up_over_result_lines_and_skip_other_lines() {
        let mut counts = TestCounts::default();
        for line in [
            "running 18 tests",
            "test result: ok. 18 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 2.46s",
            "test result: FAILED. 14 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s\n",
            "test foo ... ok",
        ] {
            counts.add(line);
        }
        assert_eq!(
            counts,
            TestCounts {
                passed: 32,
                failed: 4,
                ignored: 1
            }
        );
    }
}
