//! Starts and stops the loopback test servers for a whole test run (`cargo xtask test` uses it).
//!
//! ```text
//! inet-test-servers start DIR   start every server, each with its state in DIR/<name>
//! inet-test-servers stop DIR    stop them
//! ```
//!
//! `start` prints one `INET_TEST_<NAME>=DIR/<name>` line per server on stdout: export them, and
//! `inet_tests::servers` uses those servers instead of starting its own. Progress and each
//! server's `env` file go to stderr.

use inet_tests::servers::{self, Env, ServerError, SCRIPTS};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: inet-test-servers start DIR | stop DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [cmd, dir] if cmd == "start" => start(Path::new(dir)),
        [cmd, dir] if cmd == "stop" => stop(Path::new(dir)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inet-test-servers: {e}");
            ExitCode::FAILURE
        }
    }
}

fn start(dir: &Path) -> Result<(), ServerError> {
    let dir = absolute(dir)?;
    for script in SCRIPTS {
        let state = dir.join(script.name);
        let secs = servers::start(script, &state)?;
        eprintln!(
            "started {} in {secs:.2}s ({})",
            script.name,
            state.display()
        );
        for (key, value) in Env::read(&state)?.vars() {
            eprintln!("  {key}={value}");
        }
        println!("{}={}", script.env_var, state.display());
    }
    Ok(())
}

fn stop(dir: &Path) -> Result<(), ServerError> {
    let dir = absolute(dir)?;
    let mut first_error = None;
    for script in SCRIPTS {
        let state = dir.join(script.name);
        if !state.exists() {
            continue;
        }
        match servers::stop(script, &state) {
            Ok(()) => eprintln!("stopped {}", script.name),
            Err(e) => {
                eprintln!("inet-test-servers: {e}");
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn absolute(dir: &Path) -> Result<PathBuf, ServerError> {
    std::path::absolute(dir)
        .map_err(|e| ServerError::from(format!("cannot resolve {}: {e}", dir.display())))
}
