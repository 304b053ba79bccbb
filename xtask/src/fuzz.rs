//! `cargo xtask fuzz [TARGET|all] [--time SECONDS]`: runs the cargo-fuzz targets of `fuzz/` in
//! turn on the stable toolchain, without a sanitizer:
//!
//! `RUSTFLAGS="-Cllvm-args=-max-loads-per-memcmp=0" cargo fuzz run -s none TARGET -- -max_total_time=SECONDS -print_final_stats=1`
//!
//! (the RUSTFLAGS part keeps short byte comparisons visible to libFuzzer). A dictionary
//! `fuzz/dicts/TARGET.dict`, when present, is passed with `-dict=`. cargo-fuzz is installed first
//! when missing. At the end a table gives each target's executions (libFuzzer's final
//! `stat::number_of_executed_units`, or its last `#N` status line when it stopped on a crash),
//! executions per second, and the crash, leak, timeout and out-of-memory inputs it wrote to
//! `fuzz/artifacts/TARGET/` during this run (libFuzzer stops at the first one).

use crate::steps::{cargo, root, Steps, Stream};
use crate::Failure;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

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
    let mut rows = Vec::new();
    for target in &targets {
        let artifacts = root().join("fuzz/artifacts").join(target);
        let found_before = findings(&artifacts);
        let mut cmd = cargo(["fuzz", "run", "-s", "none", target.as_str(), "--"]);
        cmd.arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1")
            .env("RUSTFLAGS", &rustflags);
        let dict = root().join("fuzz/dicts").join(format!("{target}.dict"));
        if dict.is_file() {
            cmd.arg(format!("-dict={}", dict.display()));
        }
        let mut stats = Stats::default();
        let started = Instant::now();
        let ok = steps.run_watching(&mut cmd, Stream::Stderr, |line| stats.read(line));
        let took = started.elapsed().as_secs_f64();
        let found: Vec<String> = findings(&artifacts)
            .into_iter()
            .filter(|f| !found_before.contains(f))
            .collect();
        if !ok {
            crashed.push(target);
        }
        rows.push(Row {
            target: target.clone(),
            stats,
            // The build is in `took` for the first target; libFuzzer's own time is better.
            seconds: took.min(seconds as f64),
            found,
            ok,
        });
    }
    print!("\n{}", table(&rows));
    let outcome = steps.finish();
    for target in crashed {
        eprintln!(
            "fuzz target `{target}` failed: inputs are in fuzz/artifacts/{target}/; reproduce with \
             `cargo fuzz run -s none {target} fuzz/artifacts/{target}/<file>` and make it a unit test"
        );
    }
    outcome
}

/// One target's run.
#[derive(Debug)]
struct Row {
    target: String,
    stats: Stats,
    seconds: f64,
    /// Files libFuzzer wrote to the target's artifacts directory during this run.
    found: Vec<String>,
    ok: bool,
}

/// What libFuzzer's stderr said.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    /// `stat::number_of_executed_units: N` (with -print_final_stats=1).
    executed: Option<u64>,
    /// The highest `#N` of a status line (`#4096\tpulse  cov: …`, `#N\tDONE …`).
    last_status: Option<u64>,
    /// `stat::average_exec_per_sec: N`.
    per_sec: Option<u64>,
}

impl Stats {
    fn read(&mut self, line: &str) {
        let line = line.trim();
        let number = |rest: &str| rest.trim().parse::<u64>().ok();
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            self.executed = number(rest).or(self.executed);
        } else if let Some(rest) = line.strip_prefix("stat::average_exec_per_sec:") {
            self.per_sec = number(rest).or(self.per_sec);
        } else if let Some(rest) = line.strip_prefix('#') {
            let n = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse::<u64>().ok());
            if let Some(n) = n {
                self.last_status = Some(self.last_status.map_or(n, |m| m.max(n)));
            }
        }
    }

    fn executions(&self) -> Option<u64> {
        self.executed.or(self.last_status)
    }
}

/// The crash, leak, timeout and out-of-memory inputs in `dir` (none when it does not exist).
fn findings(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            ["crash-", "leak-", "timeout-", "oom-"]
                .iter()
                .any(|p| n.starts_with(p))
        })
        .collect();
    names.sort();
    names
}

/// The markdown table of every target's run.
fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| target | executions | exec/s | crashes etc. (new in fuzz/artifacts) | result |\n\
         |---|---:|---:|---|---|\n",
    );
    for row in rows {
        let executions = row
            .stats
            .executions()
            .map_or("?".to_owned(), |n| n.to_string());
        let per_sec = row
            .stats
            .per_sec
            .or_else(|| {
                let n = row.stats.executions()?;
                (row.seconds > 0.0).then(|| (n as f64 / row.seconds) as u64)
            })
            .map_or("?".to_owned(), |n| n.to_string());
        let found = if row.found.is_empty() {
            "0".to_owned()
        } else {
            format!("{}: {}", row.found.len(), row.found.join(", "))
        };
        let result = if row.ok { "ok" } else { "FAILED" };
        out += &format!(
            "| {} | {executions} | {per_sec} | {found} | {result} |\n",
            row.target
        );
    }
    out
}

/// `[TARGET|all] [--time SECONDS]`, or the older `[TARGET|all] [SECONDS]`; a lone number is
/// taken as SECONDS.
fn parse_args(args: &[String]) -> Result<(Option<String>, u64), Failure> {
    let usage = || Failure::usage("usage: cargo xtask fuzz [TARGET|all] [--time SECONDS]");
    let seconds = |s: &String| s.parse::<u64>().ok().filter(|&n| n > 0);
    if let Some(i) = args.iter().position(|a| a == "--time") {
        let secs = args.get(i + 1).and_then(seconds).ok_or_else(usage)?;
        let rest: Vec<String> = args[..i].iter().chain(&args[i + 2..]).cloned().collect();
        return match rest.as_slice() {
            [] => Ok((None, secs)),
            [target] if !target.starts_with('-') => Ok((Some(target.clone()), secs)),
            _ => Err(usage()),
        };
    }
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
    use super::{parse_args, Stats, DEFAULT_SECONDS};

    #[test]
    fn time_is_a_flag_too() {
        assert_eq!(parse_args(&args(&["--time", "10"])).ok(), Some((None, 10)));
        assert_eq!(
            parse_args(&args(&["ftp_list", "--time", "3"])).ok(),
            Some((Some("ftp_list".to_owned()), 3))
        );
        assert!(parse_args(&args(&["--time"])).is_err());
        assert!(parse_args(&args(&["--time", "0"])).is_err());
    }

    #[test]
    fn executions_come_from_the_final_stats_or_the_last_status_line() {
        let mut stats = Stats::default();
        for line in [
            "INFO: Seed: 123",
            "#2\tINITED cov: 10 ft: 10 corp: 1/1b exec/s: 0 rss: 30Mb",
            "#524288\tpulse  cov: 80 ft: 200 corp: 40/2Kb lim: 4096 exec/s: 262144 rss: 40Mb",
            "#1000000\tDONE   cov: 80 ft: 200 corp: 40/2Kb lim: 4096 exec/s: 333333 rss: 40Mb",
        ] {
            stats.read(line);
        }
        assert_eq!(stats.executions(), Some(1_000_000));
        stats.read("stat::number_of_executed_units: 1000123");
        stats.read("stat::average_exec_per_sec:     333374");
        assert_eq!(stats.executions(), Some(1_000_123));
        assert_eq!(stats.per_sec, Some(333_374));
    }

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
