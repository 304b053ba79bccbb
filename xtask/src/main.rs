//! `cargo xtask`: the project's automation (`[alias] xtask` in `.cargo/config.toml`), std only.
//!
//! One module per subcommand; `steps` runs and times commands, `servers` starts the loopback test
//! servers through `inet-test-servers` (crate `inet-tests`).

#![forbid(unsafe_code)]

mod bench;
mod conformance;
mod deny;
mod fuzz;
mod load;
mod results;
mod servers;
mod steps;
mod test;

use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command> [args]

commands:
  test                          cargo fmt --check, clippy -D warnings, start the test servers,
                                cargo test --workspace --all-targets, doc tests, stop the servers
  bench [core|http|ftp|gopher|body|all] [--quick]
                                core: cargo bench -p inet-core --bench dispatch
                                http: cargo bench -p inet-tests --bench http (test servers running):
                                inet (future, callback, `inet get`) vs curl and reqwest; env
                                INET_BENCH_ONLY=bulk,parallel,sequential
                                ftp: cargo bench -p inet-tests --bench ftp (test servers running):
                                RETR 1 GiB, STOR 256 MiB, 1,000 small files on one connection,
                                LIST/MLSD parsing; inet (future, callback, `inet get`/`put`) vs
                                curl and suppaftp; env INET_BENCH_ONLY=retr,stor,small,list
                                gopher: cargo bench -p inet-tests --bench gopher: a 1 GiB item
                                from gophernicus, inet (future, callback, `inet get`) vs curl, and
                                a 10,000-item menu parsed
                                body: cargo bench -p inet-tests --bench body_io: 1 GiB through
                                the reader adapters vs the plain read loop
                                all: env INET_BENCH_ROUNDS=N (default 5); --quick: short
                                development runs (small sizes, few rounds), goals not judged
                                default: all
  conformance [--faults] [--trace] [FILTER]
                                start the test servers, run the conformance scenarios and print
                                their table (scenario, protocol, result, first difference from
                                conformance/expected/NAME.txt); --faults: the fault matrix instead
  fuzz [TARGET|all] [--time SECONDS]
                                run the fuzz targets of fuzz/ in turn for SECONDS each (default:
                                all, 60), stable toolchain, no sanitizer; a table of executions
                                and crashes per target; installs cargo-fuzz if missing
  load [--quick] [--soak SECONDS]
                                start the test servers and run the load bench (tests/benches/
                                load.rs): 10,000 requests through one session with 64
                                connections (memory per idle handle, notifications/s), 10,000
                                connections open at once (memory per connection, time to close
                                them with the session), 1,000 pending requests closed at once,
                                and a soak of mixed HTTP/FTP/Gopher traffic with random
                                cancellations (default 600 s; --quick: 2,000 requests and
                                connections, 20 s); a table of goal / measured / met
  deny [--advisory-db DIR]      cargo deny check against deny.toml (licenses, advisories,
                                duplicate versions, sources); installs cargo-deny if missing;
                                not part of `test`. Offline: --advisory-db DIR reads the
                                advisory database from DIR, a git checkout of
                                github.com/rustsec/advisory-db (`git clone` it where GitHub is
                                reachable), and fetches none; crates still come from crates.io
  help                          this text

Every step prints its duration; the exit status is non-zero when any step failed.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{HELP}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "load" => load::run(rest),
        "conformance" => conformance::run(rest),
        "deny" => deny::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(Failure::usage(format!("unknown command `{other}`"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Why a subcommand failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments: the message, then the help text; exit status 2.
    Usage(String),
    /// Something failed and the message says what; exit status 1.
    Error(String),
    /// Steps failed and the summary already said which; exit status 1.
    StepsFailed,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::Usage(message.into())
    }

    pub fn error(message: impl Into<String>) -> Self {
        Failure::Error(message.into())
    }

    fn report(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}\n\n{HELP}");
                ExitCode::from(2)
            }
            Failure::Error(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
            Failure::StepsFailed => ExitCode::FAILURE,
        }
    }
}
