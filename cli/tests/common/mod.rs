//! Running the `inet` binary as a user would, for the CLI's protocol tests (`ftp.rs`,
//! `gopher.rs`).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `inet ARGS` in the temporary directory.
pub fn inet(args: &[&str]) -> Output {
    inet_in(&std::env::temp_dir(), args)
}

/// `inet ARGS` in `dir`, stdin closed.
pub fn inet_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inet"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the inet binary runs")
}

/// `inet ARGS` in the temporary directory with these environment variables set (and `NETRC`
/// removed unless given), stdin closed.
#[allow(dead_code)] // Not every test file sets variables.
pub fn inet_env(args: &[&str], vars: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inet"));
    cmd.args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("NETRC")
        .stdin(Stdio::null());
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.output().expect("the inet binary runs")
}

/// A fresh home directory whose `.netrc` is `netrc`.
#[allow(dead_code)] // Not every test file reads a netrc.
pub fn home_with_netrc(name: &str, netrc: &str) -> std::path::PathBuf {
    let home = std::env::temp_dir()
        .join(format!("inet-cli-home-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("home dir");
    std::fs::write(home.join(".netrc"), netrc).expect("write .netrc");
    home
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
}

/// The one error line a failed run prints (trace lines aside).
#[track_caller]
pub fn error_line(out: &Output) -> String {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "inet panicked: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("inet: ")).collect();
    assert_eq!(lines.len(), 1, "one `inet:` error line expected:\n{err}");
    lines[0].to_string()
}
