//! The conformance scenarios in the normal test run: every scenario's notifications match its
//! expected file in `conformance/` (or are listed as expected failures, with a reason), and
//! keep the universal rules. `cargo xtask conformance` runs the same with a table.

use inet_tests::conformance::{run, scenarios};

#[test]
fn every_scenario_matches_its_expected_notifications() {
    let xfail = run::expected_failures();
    let outcomes: Vec<_> = scenarios::all()
        .iter()
        .map(|s| run::run_one(s, &xfail))
        .collect();
    let table = run::table(&outcomes);
    println!("{table}");
    assert!(
        outcomes.iter().all(|o| !o.verdict.is_unexpected()),
        "unexpected conformance results:\n{table}"
    );
}

#[test]
fn the_matcher_rejects_a_trace_that_breaks_the_expectation() {
    // One real scenario's trace, with its REQUEST_COMPLETE removed, must not pass.
    let s = scenarios::all()
        .into_iter()
        .find(|s| s.name == "http_unknown_host")
        .expect("scenario");
    let o = run::run_one(&s, &Default::default());
    assert_eq!(o.verdict, run::Verdict::Pass, "{:?}", o.verdict);
    let mutated: Vec<String> = o
        .trace
        .iter()
        .filter(|l| !l.contains("REQUEST_COMPLETE"))
        .cloned()
        .collect();
    let text =
        std::fs::read_to_string(run::conformance_dir().join("expected/http_unknown_host.txt"))
            .expect("file");
    let expected = inet_tests::conformance::expect::Expected::parse(&text).expect("parses");
    assert!(expected.check(&o.trace).is_ok());
    assert!(expected.check(&mutated).is_err());
}
