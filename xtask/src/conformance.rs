//! `cargo xtask conformance [--faults] [--trace] [FILTER]`: start the loopback servers (nginx,
//! proftpd, gophernicus, pygopherd — installed with apt-get when missing), run the conformance
//! scenarios (`tests/src/conformance/`, runner `inet-conformance`) and print their table:
//! scenario, protocol, result, first difference against `conformance/expected/NAME.txt`. Exits
//! non-zero on any unexpected result.
//!
//! `--faults` runs the fault matrix instead: the in-process fault servers of
//! `tests/tests/fault_matrix.rs` (HTTP, HTTPS certificate faults and Gopher) and `ftp_faults.rs`
//! (FTP), whose tables give each fault's error, time and descriptor count, and the other fault
//! tests (also part of `cargo xtask test`).

use crate::servers::TestServers;
use crate::steps::{cargo, Steps};
use crate::Failure;

pub fn run(args: &[String]) -> Result<(), Failure> {
    let faults = args.iter().any(|a| a == "--faults");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--faults").collect();
    let mut steps = Steps::new("conformance");
    let servers = TestServers::start(&mut steps);
    let mut cmd = if faults {
        let mut c = cargo(["test", "-p", "inet-tests"]);
        for t in ["fault_matrix", "ftp_faults", "http_faults", "gopher_driver"] {
            c.args(["--test", t]);
        }
        c.args(["--", "--nocapture", "--test-threads=1"]);
        c
    } else {
        let mut c = cargo([
            "run",
            "-q",
            "-p",
            "inet-tests",
            "--bin",
            "inet-conformance",
            "--",
        ]);
        c.args(rest.iter().map(|s| s.as_str()));
        c
    };
    if let Some(servers) = &servers {
        servers.export_to(&mut cmd);
    }
    steps.run(&mut cmd);
    if let Some(servers) = servers {
        servers.stop(&mut steps);
    }
    steps.finish()
}
