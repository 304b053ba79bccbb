//! `cargo xtask load [--quick] [--soak SECONDS]`: load and cancellation under stress (issue 10
//! §3), the bench target `load` of inet-tests (`tests/benches/load.rs`) run against the loopback
//! test servers: 10,000 requests through one session with 64 connections, 10,000 connections
//! open at once, 1,000 pending requests closed at once, and a soak of mixed HTTP/FTP/Gopher
//! traffic with random cancellations (10 minutes by default; `--quick`: 2,000 requests and
//! connections and a 20 s soak). It prints a table of goal / measured / met; the exit status is
//! non-zero when a part could not run (a goal not met is reported in the table).

use crate::servers::TestServers;
use crate::steps::{cargo, Steps};
use crate::Failure;

const USAGE: &str = "usage: cargo xtask load [--quick] [--soak SECONDS]";

pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut pass = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => pass.push(arg.clone()),
            "--soak" => {
                let secs = rest
                    .next()
                    .filter(|s| s.parse::<u64>().is_ok_and(|n| n > 0))
                    .ok_or_else(|| Failure::usage(USAGE))?;
                pass.extend(["--soak".to_owned(), secs.clone()]);
            }
            _ => return Err(Failure::usage(USAGE)),
        }
    }
    let mut steps = Steps::new("load");
    // Build first, so the servers do not wait for the compiler.
    if !steps.run(&mut cargo([
        "bench",
        "-p",
        "inet-tests",
        "--bench",
        "load",
        "--no-run",
    ])) {
        return steps.finish();
    }
    let Some(servers) = TestServers::start(&mut steps) else {
        return steps.finish();
    };
    let mut cmd = cargo(["bench", "-q", "-p", "inet-tests", "--bench", "load", "--"]);
    cmd.args(&pass);
    servers.export_to(&mut cmd);
    steps.run(&mut cmd);
    servers.stop(&mut steps);
    steps.finish()
}
