//! The outside programs the benches run: `curl` (installed when missing) and the `inet` binary
//! (built by the bench). Shared by `http.rs` and `ftp.rs`, which include it with `#[path]`.

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::process::Result;

/// Makes sure `curl` runs, installing Debian's package when it is missing (serialised with the
/// test scripts' apt lock). `what` names the bench in messages.
pub fn ensure_curl(what: &str) -> Result<()> {
    if curl_runs() {
        return Ok(());
    }
    eprintln!("{what}: curl is missing, installing it with apt-get");
    let status = Command::new("flock")
        .args(["/tmp/inet-tests-apt.lock", "bash", "-c"])
        .arg(
            "apt-get install -y --no-install-recommends curl >&2 || \
             { apt-get update >&2 && apt-get install -y --no-install-recommends curl >&2; }",
        )
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if status.success() && curl_runs() {
        Ok(())
    } else {
        Err(format!("curl is missing and apt-get could not install it ({status})").into())
    }
}

fn curl_runs() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `curl VERSION (TLS library)` from curl's first `--version` line.
pub fn curl_version() -> String {
    let out = Command::new("curl").arg("--version").output();
    let text = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let words: Vec<String> = text
        .unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let tls = words.iter().find(|w| {
        ["OpenSSL/", "GnuTLS/", "wolfSSL/", "mbedTLS/", "rustls"]
            .iter()
            .any(|p| w.starts_with(p))
    });
    match (&words[..], tls) {
        ([name, version, ..], Some(tls)) => format!("{name} {version} ({tls})"),
        ([name, version, ..], None) => format!("{name} {version}"),
        _ => "curl (version unknown)".to_owned(),
    }
}

/// Builds the `inet` binary (`cli/`) in this bench's profile and target directory, and returns
/// its path: `cargo bench` runs from `target/release/deps/` (so `--release`), `cargo test` from
/// `target/debug/deps/`. Cargo releases its build lock before it runs benches and tests.
pub fn build_inet_cli(what: &str) -> Result<PathBuf> {
    let exe = env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("cannot tell the target directory from this binary's path")?;
    let release = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => true,
        Some("debug") => false,
        other => return Err(format!("unknown profile directory {other:?}").into()),
    };
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "inet-cli", "--bin", "inet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    if release {
        cmd.arg("--release");
    }
    let started = Instant::now();
    let status = cmd.status()?;
    if !status.success() {
        return Err(format!("building the inet binary failed ({status})").into());
    }
    let bin = profile_dir.join("inet");
    if !bin.is_file() {
        return Err(format!("no inet binary at {}", bin.display()).into());
    }
    eprintln!(
        "{what}: built {} in {:.1} s",
        bin.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(bin)
}
