//! `cargo xtask fuzz [TARGET|all] [SECONDS]`: runs the cargo-fuzz targets of `fuzz/` on the
//! stable toolchain, without a sanitizer:
//!
//! `RUSTFLAGS="-Cllvm-args=-max-loads-per-memcmp=0" cargo fuzz run -s none TARGET -- -max_total_time=SECONDS`
//!
//! (the RUSTFLAGS part keeps short byte comparisons visible to libFuzzer). A dictionary
//! `fuzz/dicts/TARGET.dict`, when present, is passed with `-dict=`. cargo-fuzz is installed first
//! when missing.

use crate::steps::{cargo, root, Steps};
use crate::Failure;
use std::process::Stdio;

const DEFAULT_SECONDS: u64 = 60;
const RUSTFLAGS: &str = "-Cllvm-args=-max-loads-per-memcmp=0";

pub fn run(args: &[String]) -> Result<(), Failure> {
    let (target, seconds) = parse_args(args)?;
    if !root().join("fuzz/Cargo.toml").is_file() {
        return Err(Failure::error(
            "there is no fuzz crate yet (fuzz/Cargo.toml); create it with `cargo fuzz init` \
             and keep it out of the workspace",
        ));
    }
    let mut steps = Steps::new("fuzz");
    if !has_cargo_fuzz() && !steps.run(&mut cargo(["install", "cargo-fuzz"])) {
        return steps.finish();
    }
    let all = list_targets()?;
    let targets = match target.as_deref() {
        None | Some("all") => all,
        Some(one) if all.iter().any(|t| t == one) => vec![one.to_owned()],
        Some(other) => {
            return Err(Failure::error(format!(
                "no fuzz target `{other}`; the targets are: {}",
                all.join(", ")
            )))
        }
    };
    if targets.is_empty() {
        return Err(Failure::error(
            "fuzz/ has no targets (`cargo fuzz list` is empty)",
        ));
    }
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} {RUSTFLAGS}"),
        _ => RUSTFLAGS.to_owned(),
    };
    let mut crashed = Vec::new();
    for target in &targets {
        let mut cmd = cargo(["fuzz", "run", "-s", "none", target.as_str(), "--"]);
        cmd.arg(format!("-max_total_time={seconds}"))
            .env("RUSTFLAGS", &rustflags);
        let dict = root().join("fuzz/dicts").join(format!("{target}.dict"));
        if dict.is_file() {
            cmd.arg(format!("-dict={}", dict.display()));
        }
        if !steps.run(&mut cmd) {
            crashed.push(target);
        }
    }
    let outcome = steps.finish();
    for target in crashed {
        eprintln!(
            "fuzz target `{target}` failed: inputs are in fuzz/artifacts/{target}/; reproduce with \
             `cargo fuzz run -s none {target} fuzz/artifacts/{target}/<file>` and make it a unit test"
        );
    }
    outcome
}

/// `[TARGET|all] [SECONDS]`; a lone number is taken as SECONDS.
fn parse_args(args: &[String]) -> Result<(Option<String>, u64), Failure> {
    let usage = || Failure::usage("usage: cargo xtask fuzz [TARGET|all] [SECONDS]");
    let seconds = |s: &String| s.parse::<u64>().ok().filter(|&n| n > 0);
    match args {
        [] => Ok((None, DEFAULT_SECONDS)),
        [one] => match seconds(one) {
            Some(n) => Ok((None, n)),
            None => Ok((Some(one.clone()), DEFAULT_SECONDS)),
        },
        [target, secs] => Ok((Some(target.clone()), seconds(secs).ok_or_else(usage)?)),
        _ => Err(usage()),
    }
}

fn has_cargo_fuzz() -> bool {
    cargo(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn list_targets() -> Result<Vec<String>, Failure> {
    let out = cargo(["fuzz", "list"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Failure::error(format!("cannot run cargo fuzz list: {e}")))?;
    if !out.status.success() {
        return Err(Failure::error(format!(
            "cargo fuzz list failed ({})",
            out.status
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{parse_args, DEFAULT_SECONDS};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_lone_number_is_the_duration_for_all_targets() {
        assert_eq!(parse_args(&args(&["30"])).ok(), Some((None, 30)));
        assert_eq!(parse_args(&args(&[])).ok(), Some((None, DEFAULT_SECONDS)));
    }

    #[test]
    fn a_target_may_come_with_a_duration() {
        assert_eq!(
            parse_args(&args(&["http_response", "5"])).ok(),
            Some((Some("http_response".to_owned()), 5))
        );
        assert!(parse_args(&args(&["http_response", "soon"])).is_err());
        assert!(parse_args(&args(&["a", "1", "b"])).is_err());
    }
}
