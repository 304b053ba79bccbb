//! Runs the conformance scenarios (`cargo xtask conformance` starts the servers and calls this).
//!
//! ```text
//! inet-conformance [--trace] [NAME_FILTER]
//! ```
//!
//! Prints the table (scenario, protocol, result, first difference) and exits 1 when any result
//! is unexpected: a difference not listed in `conformance/expected-failures.txt`, or a listed
//! one that passed. `--trace` prints each scenario's notifications too (for writing an
//! expected file).

use std::process::ExitCode;

use inet_tests::conformance::{run, scenarios};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_trace = args.iter().any(|a| a == "--trace");
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let xfail = run::expected_failures();
    let mut outcomes = Vec::new();
    for s in scenarios::all() {
        if filter.as_deref().is_some_and(|f| !s.name.contains(f)) {
            continue;
        }
        let o = run::run_one(&s, &xfail);
        if show_trace {
            println!("== {}", s.name);
            for line in &o.trace {
                println!("{line}");
            }
        }
        outcomes.push(o);
    }
    print!("{}", run::table(&outcomes));
    if outcomes.iter().any(|o| o.verdict.is_unexpected()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
