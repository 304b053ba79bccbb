//! `cargo xtask`: the project's automation (`[alias] xtask` in `.cargo/config.toml`), std only.
//!
//! One module per subcommand; `steps` runs and times commands, `servers` starts the loopback test
//! servers through `inet-test-servers` (crate `inet-tests`).

mod bench;
mod deny;
mod fuzz;
mod servers;
mod steps;
mod test;

use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command> [args]

commands:
  test                          cargo fmt --check, clippy -D warnings, start the test servers,
                                cargo test --workspace --all-targets, doc tests, stop the servers
  bench [core|http|body|all]    core: cargo bench -p inet-core --bench dispatch
                                http: cargo bench -p inet-tests --bench http (test servers running):
                                inet (future, callback, `inet get`) vs curl and reqwest; env
                                INET_BENCH_ROUNDS=N, INET_BENCH_ONLY=bulk,parallel,sequential,
                                INET_BENCH_SMOKE=1 (small sizes, one round, goals not judged)
                                body: cargo bench -p inet-tests --bench body_io: 1 GiB through
                                the reader adapters vs the plain read loop; INET_BENCH_ROUNDS=N
                                default: all
  fuzz [TARGET|all] [SECONDS]   run fuzz targets of fuzz/ for SECONDS each (default: all, 60),
                                stable toolchain, no sanitizer; installs cargo-fuzz if missing
  deny                          cargo deny check against deny.toml (licenses, advisories,
                                duplicate versions, sources); installs cargo-deny if missing;
                                not part of `test`
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
