//! `cargo xtask bench [core|http|ftp|gopher|body|all] [--quick]`: the project's benchmarks, each a
//! cargo bench target. A target that does not exist yet is an error, never a silent skip.
//! `--quick` asks each bench for its short development run (`--quick` to the bench binary, and
//! `INET_BENCH_SMOKE=1` for the HTTP and FTP benches; the core bench has none).
//!
//! `all` (the default) also writes what the benches printed (their tables, see [`results`]) to
//! `bench/RESULTS.md` with a description of the machine; a `--quick` run writes
//! `target/bench/RESULTS-quick.md` instead, so development numbers never replace real ones.

use crate::results::{self, Section};
use crate::servers::TestServers;
use crate::steps::{cargo, root, target_dir, Steps, Stream};
use crate::Failure;

/// A `cargo bench -p PACKAGE --bench NAME` target.
#[derive(Debug, Clone, Copy)]
struct Bench {
    suite: &'static str,
    package: &'static str,
    name: &'static str,
    /// Where cargo looks for it by default.
    file: &'static str,
    /// Runs against the loopback test servers.
    needs_servers: bool,
}

const BENCHES: &[Bench] = &[
    Bench {
        suite: "core",
        package: "inet-core",
        name: "dispatch",
        file: "core/benches/dispatch.rs",
        needs_servers: false,
    },
    Bench {
        suite: "http",
        package: "inet-tests",
        name: "http",
        file: "tests/benches/http.rs",
        needs_servers: true,
    },
    Bench {
        suite: "ftp",
        package: "inet-tests",
        name: "ftp",
        file: "tests/benches/ftp.rs",
        needs_servers: true,
    },
    Bench {
        suite: "gopher",
        package: "inet-tests",
        name: "gopher",
        file: "tests/benches/gopher.rs",
        needs_servers: true,
    },
    Bench {
        suite: "body",
        package: "inet-tests",
        name: "body_io",
        file: "tests/benches/body_io.rs",
        needs_servers: true,
    },
];

const USAGE: &str = "usage: cargo xtask bench [core|http|ftp|gopher|body|all] [--quick]";

pub fn run(args: &[String]) -> Result<(), Failure> {
    let quick = args.iter().any(|a| a == "--quick");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--quick").collect();
    let suite = match rest[..] {
        [] => "all",
        [suite] if !suite.starts_with('-') => suite.as_str(),
        _ => return Err(Failure::usage(USAGE)),
    };
    let selected: Vec<&Bench> = BENCHES
        .iter()
        .filter(|b| suite == "all" || b.suite == suite)
        .collect();
    if selected.is_empty() {
        return Err(Failure::usage(format!(
            "unknown bench suite `{suite}` (core, http, ftp, gopher, body or all)"
        )));
    }
    let mut steps = Steps::new("bench");
    let mut missing = Vec::new();
    let mut sections = Vec::new();
    for bench in selected {
        if !root().join(bench.file).is_file() {
            missing.push(bench);
            continue;
        }
        let servers = if bench.needs_servers {
            TestServers::start(&mut steps)
        } else {
            None
        };
        let mut cmd = cargo(["bench", "-p", bench.package, "--bench", bench.name]);
        if let Some(servers) = &servers {
            servers.export_to(&mut cmd);
        }
        if quick {
            cmd.args(["--", "--quick"]).env("INET_BENCH_SMOKE", "1");
        }
        let mut output = Vec::new();
        let ok = steps.run_watching(&mut cmd, Stream::Stdout, |line| {
            output.push(line.trim_end_matches(['\r', '\n']).to_owned());
        });
        sections.push(Section {
            suite: bench.suite,
            command: format!("cargo bench -p {} --bench {}", bench.package, bench.name),
            ok,
            output,
        });
        if let Some(servers) = servers {
            servers.stop(&mut steps);
        }
    }
    if suite == "all" {
        let file = if quick {
            target_dir().join("bench/RESULTS-quick.md")
        } else {
            root().join("bench/RESULTS.md")
        };
        let text = results::document(&sections, quick);
        steps.timed(&format!("write {}", file.display()), || {
            let dir = file.parent().ok_or("no parent directory")?;
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            std::fs::write(&file, text).map_err(|e| e.to_string())
        });
    }
    let outcome = steps.finish();
    for bench in missing {
        eprintln!(
            "error: the bench target `{}` of {} does not exist yet: no numbers for `{}`. \
             Add {} (and a [[bench]] entry with `harness = false` if it has its own main).",
            bench.name, bench.package, bench.suite, bench.file
        );
    }
    outcome
}
