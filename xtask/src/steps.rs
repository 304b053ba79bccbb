//! Running commands as timed steps, and where things are.

use crate::Failure;
use std::env;
use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Cargo's target directory.
pub fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| root().join("target"), PathBuf::from)
}

/// `cargo ARGS`, run in the workspace root (the same cargo that runs xtask).
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(args).current_dir(root());
    cmd
}

/// A command line for humans.
pub fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    cmd.get_args().fold(program, |line, arg| {
        format!("{line} {}", arg.to_string_lossy())
    })
}

/// Which output stream of a command to watch line by line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// The steps of one subcommand: each is announced, timed, and listed in the summary.
#[derive(Debug)]
pub struct Steps {
    title: &'static str,
    done: Vec<Done>,
}

#[derive(Debug)]
struct Done {
    name: String,
    took: Duration,
    ok: bool,
}

impl Steps {
    pub fn new(title: &'static str) -> Self {
        Steps {
            title,
            done: Vec::new(),
        }
    }

    /// Runs `cmd` with the terminal as its stdin/stdout/stderr; true on success.
    pub fn run(&mut self, cmd: &mut Command) -> bool {
        let name = describe(cmd);
        self.timed(&name, || {
            cmd.status()
                .map_err(|e| format!("cannot run {name}: {e}"))
                .and_then(|status| status.success().then_some(()).ok_or(status.to_string()))
        })
    }

    /// Runs `cmd`, copying `stream` through to ours while handing each of its lines to `watch`.
    pub fn run_watching(
        &mut self,
        cmd: &mut Command,
        stream: Stream,
        mut watch: impl FnMut(&str),
    ) -> bool {
        let name = describe(cmd);
        self.timed(&name, || {
            match stream {
                Stream::Stdout => cmd.stdout(Stdio::piped()),
                Stream::Stderr => cmd.stderr(Stdio::piped()),
            };
            let mut child = cmd.spawn().map_err(|e| format!("cannot run {name}: {e}"))?;
            let copied = match stream {
                Stream::Stdout => child
                    .stdout
                    .take()
                    .map(|out| copy_lines(out, &mut io::stdout(), &mut watch)),
                Stream::Stderr => child
                    .stderr
                    .take()
                    .map(|err| copy_lines(err, &mut io::stderr(), &mut watch)),
            };
            let status = child.wait().map_err(|e| format!("{name}: {e}"))?;
            if let Some(Err(e)) = copied {
                return Err(format!("{name}: copying its output: {e}"));
            }
            status.success().then_some(()).ok_or(status.to_string())
        })
    }

    /// Runs `step` (which says why it failed) as a step called `name`.
    pub fn timed(&mut self, name: &str, step: impl FnOnce() -> Result<(), String>) -> bool {
        println!("==> {name}");
        flush();
        let started = Instant::now();
        let outcome = step();
        let took = started.elapsed();
        match &outcome {
            Ok(()) => println!("<== ok in {}: {name}", secs(took)),
            Err(why) => println!("<== FAILED ({why}) in {}: {name}", secs(took)),
        }
        flush();
        self.done.push(Done {
            name: name.to_owned(),
            took,
            ok: outcome.is_ok(),
        });
        outcome.is_ok()
    }

    /// Prints every step with its duration; `Err(StepsFailed)` when any failed.
    pub fn finish(self) -> Result<(), Failure> {
        println!("\nxtask {}: {} steps", self.title, self.done.len());
        for step in &self.done {
            let verdict = if step.ok { "ok" } else { "FAILED" };
            println!("{:>9}  {verdict:<6}  {}", secs(step.took), step.name);
        }
        let total: Duration = self.done.iter().map(|s| s.took).sum();
        println!("{:>9}  total", secs(total));
        flush();
        if self.done.iter().all(|s| s.ok) {
            Ok(())
        } else {
            Err(Failure::StepsFailed)
        }
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

fn flush() {
    let _ = io::stdout().flush();
}

/// Copies `from` to `to` line by line (bytes as they are), showing each line to `watch`.
fn copy_lines(
    from: impl Read,
    to: &mut impl Write,
    watch: &mut impl FnMut(&str),
) -> io::Result<()> {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        to.write_all(&line)?;
        to.flush()?;
        watch(&String::from_utf8_lossy(&line));
    }
}
