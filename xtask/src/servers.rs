//! The loopback test servers for a whole run, through `inet-test-servers` (crate `inet-tests`).
//!
//! Their state lives in `target/inet-test-servers/<name>/` (logs stay there after the run). The
//! binary prints `INET_TEST_<NAME>=DIR` lines; exporting them makes the tests use these servers
//! instead of starting their own.

use crate::steps::{cargo, describe, target_dir, Steps};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Running test servers; stopped by [`TestServers::stop`], or on drop.
#[derive(Debug)]
pub struct TestServers {
    dir: PathBuf,
    exports: Vec<(String, String)>,
    running: bool,
}

impl TestServers {
    /// Starts every server as a step; `None` when that failed (the step says why).
    pub fn start(steps: &mut Steps) -> Option<Self> {
        let dir = target_dir().join("inet-test-servers");
        let mut exports = Vec::new();
        let ok = steps.timed("start test servers (inet-test-servers start)", || {
            let mut cmd = servers_command("start", &dir);
            let out = cmd
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run {}: {e}", describe(&cmd)))?;
            if !out.status.success() {
                return Err(out.status.to_string());
            }
            exports = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| line.split_once('='))
                .filter(|(key, _)| key.starts_with("INET_TEST_"))
                .map(|(key, value)| (key.to_owned(), value.to_owned()))
                .collect();
            for (key, value) in &exports {
                println!("    export {key}={value}");
            }
            Ok(())
        });
        ok.then_some(TestServers {
            dir,
            exports,
            running: true,
        })
    }

    /// Makes `cmd` use these servers.
    pub fn export_to(&self, cmd: &mut Command) {
        cmd.envs(self.exports.iter().map(|(k, v)| (k, v)));
    }

    /// Stops the servers as a step.
    pub fn stop(mut self, steps: &mut Steps) {
        self.running = false;
        steps.run(&mut servers_command("stop", &self.dir));
    }
}

impl Drop for TestServers {
    fn drop(&mut self) {
        if self.running {
            let _ = servers_command("stop", &self.dir).status();
        }
    }
}

fn servers_command(action: &str, dir: &PathBuf) -> Command {
    let mut cmd = cargo([
        "run",
        "-q",
        "-p",
        "inet-tests",
        "--bin",
        "inet-test-servers",
        "--",
    ]);
    cmd.arg(action).arg(dir).stdin(Stdio::null());
    cmd
}
