//! `cargo xtask deny [--advisory-db DIR]`: `cargo deny check` (licenses, advisories, duplicate
//! versions, sources) against the checked-in `deny.toml`, installing cargo-deny first when it is
//! missing. Kept out of `cargo xtask test`: it fetches the advisory database, and CI's test run
//! stays fast.
//!
//! # Offline: `--advisory-db DIR`
//!
//! Where GitHub is out of reach, clone <https://github.com/rustsec/advisory-db> where it is (or
//! `git clone` a mirror of it) and run `cargo xtask deny --advisory-db DIR`. DIR must be a git
//! checkout with a work tree (`crates/` and `.git`); it is only read, never fetched, and nothing
//! under `~/.cargo` changes.
//!
//! How: cargo-deny looks for a database in `[advisories] db-path` (default
//! `$CARGO_HOME/advisory-dbs`), in a directory named after the database's URL: the URL's last
//! path segment and an XXH64 of the lower-cased URL (cargo-deny's `url_to_db_path`), which for
//! the default database, github.com/rustsec/advisory-db, is [`DB_DIR_NAME`]. xtask makes a
//! temporary directory holding that name as a symbolic link to DIR and a copy of `deny.toml` with
//! `db-path` pointing there (one line added under `[advisories]`, so that diagnostics about the
//! lines after it are one line off), then runs `cargo fetch` and `cargo deny --offline ...
//! check`. `--offline` is the only switch of cargo-deny 0.20 that stops the database fetch
//! (`check --disable-fetch` of older versions is gone); it also stops cargo-deny's own
//! `cargo fetch`, hence the separate one: crates still come from crates.io.
//!
//! cargo-deny refuses a database older than `maximum-db-staleness` (90 days). It dates the
//! checkout by `.git/FETCH_HEAD`, or in a fresh clone by the later of HEAD's commit date and
//! `.git/HEAD`'s modification time, so a fresh clone of an old snapshot passes: xtask prints the
//! checkout's HEAD commit and its date. The yanked-crate check reads the crates.io index cache in
//! `$CARGO_HOME` (the index entries cargo last fetched), with or without the option.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::steps::{cargo, root, Steps};
use crate::Failure;

/// Where cargo-deny (0.20, as the versions before it) looks for the default advisory database,
/// `https://github.com/RustSec/advisory-db`, under its `db-path`.
const DB_DIR_NAME: &str = "advisory-db-3157b0e258782691";

pub fn run(args: &[String]) -> Result<(), Failure> {
    let advisory_db = parse_args(args)?;
    let config = root().join("deny.toml");
    if !config.is_file() {
        return Err(Failure::error(format!("{} is missing", config.display())));
    }
    // Checked before anything runs: a wrong DIR is the likeliest mistake.
    let offline = match &advisory_db {
        Some(dir) => Some(OfflineDb::prepare(dir, &config)?),
        None => None,
    };
    let mut steps = Steps::new("deny");
    if !has_cargo_deny() && !steps.run(&mut cargo(["install", "cargo-deny", "--locked"])) {
        return steps.finish();
    }
    let mut deny = cargo(["deny"]);
    match &offline {
        None => {
            deny.arg("--workspace").arg("--config").arg(&config);
        }
        Some(offline) => {
            println!("{}", offline.describe());
            if !steps.run(&mut cargo(["fetch"])) {
                return steps.finish();
            }
            deny.args(["--offline", "--workspace", "--config"])
                .arg(&offline.config);
        }
    }
    deny.arg("check");
    steps.run(&mut deny);
    drop(offline);
    steps.finish()
}

/// `--advisory-db DIR` or `--advisory-db=DIR`, at most once.
fn parse_args(args: &[String]) -> Result<Option<PathBuf>, Failure> {
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--advisory-db" {
            args.next().map(String::as_str)
        } else if let Some(value) = arg.strip_prefix("--advisory-db=") {
            Some(value)
        } else {
            return Err(Failure::usage(format!(
                "`cargo xtask deny`: unknown argument `{arg}`"
            )));
        };
        let value = value.filter(|v| !v.is_empty()).ok_or_else(|| {
            Failure::usage("`--advisory-db` needs a directory (a checkout of rustsec/advisory-db)")
        })?;
        if dir.replace(PathBuf::from(value)).is_some() {
            return Err(Failure::usage("`--advisory-db` given more than once"));
        }
    }
    Ok(dir)
}

fn has_cargo_deny() -> bool {
    cargo(["deny", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The temporary `db-path` and config through which cargo-deny reads a local advisory database;
/// removed on drop.
#[derive(Debug)]
struct OfflineDb {
    /// The checkout, canonical.
    db: PathBuf,
    temp: PathBuf,
    link: PathBuf,
    config: PathBuf,
    /// The line of `config` that says `db-path`.
    db_path_line: usize,
}

impl OfflineDb {
    fn prepare(dir: &Path, deny_toml: &Path) -> Result<Self, Failure> {
        let db = check_checkout(dir)?;
        let original = fs::read_to_string(deny_toml)
            .map_err(|e| Failure::error(format!("{}: {e}", deny_toml.display())))?;
        let temp = std::env::temp_dir().join(format!("inet-xtask-deny-{}", std::process::id()));
        let db_root = temp.join("advisory-dbs");
        let (text, db_path_line) = offline_config(&original, &db_root).map_err(|why| {
            Failure::error(format!(
                "{}: {why}; `--advisory-db` sets them",
                deny_toml.display()
            ))
        })?;
        let offline = OfflineDb {
            link: db_root.join(DB_DIR_NAME),
            config: temp.join("deny.toml"),
            db,
            temp,
            db_path_line,
        };
        let _ = fs::remove_dir_all(&offline.temp);
        let made = fs::create_dir_all(&db_root)
            .and_then(|()| symlink_dir(&offline.db, &offline.link))
            .and_then(|()| fs::write(&offline.config, text));
        made.map_err(|e| {
            Failure::error(format!(
                "setting up {} for cargo-deny: {e}",
                offline.temp.display()
            ))
        })?;
        Ok(offline)
    }

    fn describe(&self) -> String {
        let head = Command::new("git")
            .arg("-C")
            .arg(&self.db)
            .args(["log", "-1", "--format=%h of %cs"])
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
            .filter(|head| !head.is_empty())
            .unwrap_or_else(|| "HEAD unknown".to_owned());
        format!(
            "advisory database: {} (commit {head}), not fetched\n\
             cargo-deny reads it as {} and its config from {} (deny.toml with `db-path` at line \
             {})",
            self.db.display(),
            self.link.display(),
            self.config.display(),
            self.db_path_line,
        )
    }
}

impl Drop for OfflineDb {
    fn drop(&mut self) {
        // The link first, so that nothing could follow it into the checkout.
        let _ = fs::remove_file(&self.link).or_else(|_| fs::remove_dir(&self.link));
        let _ = fs::remove_dir_all(&self.temp);
    }
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// DIR, canonical, when it looks like a work tree of rustsec/advisory-db.
fn check_checkout(dir: &Path) -> Result<PathBuf, Failure> {
    let shown = dir.display();
    let not_checkout = |why: String| {
        Failure::error(format!(
            "--advisory-db {shown}: {why}; expected a git checkout of \
             https://github.com/rustsec/advisory-db (`git clone` it)"
        ))
    };
    let dir = fs::canonicalize(dir).map_err(|e| not_checkout(e.to_string()))?;
    if !dir.is_dir() {
        return Err(not_checkout("not a directory".into()));
    }
    if !dir.join("crates").is_dir() {
        if dir.join("HEAD").is_file() && dir.join("objects").is_dir() {
            return Err(Failure::error(format!(
                "--advisory-db {shown}: a bare git repository, without a work tree; make one \
                 with `git clone {shown} /tmp/advisory-db` and pass that"
            )));
        }
        return Err(not_checkout("no crates/ directory".into()));
    }
    if !dir.join(".git").exists() {
        return Err(not_checkout(
            "no .git (cargo-deny dates the database by its git metadata)".into(),
        ));
    }
    Ok(dir)
}

/// `deny_toml` with `db-path = "DB_ROOT"` first in `[advisories]` (a new `[advisories]` at the
/// end when there is none), and that line's number; an error when `[advisories]` already sets
/// `db-path` or `db-urls`.
fn offline_config(deny_toml: &str, db_root: &Path) -> Result<(String, usize), String> {
    let db_root = db_root
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", db_root.display()))?;
    let setting = format!(
        "db-path = \"{}\"",
        db_root.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut out = String::new();
    let mut line_no = None;
    let mut in_advisories = false;
    for (i, line) in deny_toml.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("").trim();
        if code.starts_with('[') {
            in_advisories = code == "[advisories]";
        } else if in_advisories {
            let key = code.split('=').next().unwrap_or("").trim();
            if key == "db-path" || key == "db-urls" {
                return Err(format!("[advisories] sets `{key}` (line {})", i + 1));
            }
        }
        out.push_str(line);
        out.push('\n');
        if in_advisories && code == "[advisories]" {
            out.push_str(&setting);
            out.push('\n');
            line_no = Some(i + 2);
        }
    }
    let line_no = match line_no {
        Some(n) => n,
        None => {
            out.push_str("\n[advisories]\n");
            out.push_str(&setting);
            out.push('\n');
            out.lines().count()
        }
    };
    Ok((out, line_no))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn advisory_db_argument() {
        assert_eq!(parse_args(&[]).unwrap(), None);
        for form in [&["--advisory-db", "/db"][..], &["--advisory-db=/db"]] {
            assert_eq!(parse_args(&args(form)).unwrap(), Some(PathBuf::from("/db")));
        }
        for wrong in [
            &["--advisory-db"][..],
            &["--advisory-db="],
            &["--advisory-db", "a", "--advisory-db", "b"],
            &["--offline"],
        ] {
            assert!(matches!(parse_args(&args(wrong)), Err(Failure::Usage(_))));
        }
    }

    #[test]
    fn db_path_goes_first_in_advisories() {
        let toml = "[graph]\nall-features = true\n\n[advisories] # db\nversion = 2\n\n[bans]\n";
        let (out, line) = offline_config(toml, Path::new("/tmp/x\"y")).unwrap();
        assert_eq!(
            out,
            "[graph]\nall-features = true\n\n[advisories] # db\ndb-path = \"/tmp/x\\\"y\"\n\
             version = 2\n\n[bans]\n"
        );
        assert_eq!(line, 5);
        let (out, line) = offline_config("[bans]\n", Path::new("/d")).unwrap();
        assert_eq!(out, "[bans]\n\n[advisories]\ndb-path = \"/d\"\n");
        assert_eq!(line, 4);
    }

    #[test]
    fn db_settings_of_our_own_conflict() {
        for key in ["db-path = \"~/dbs\"", "db-urls = []"] {
            let toml = format!("[advisories]\nversion = 2\n{key}\n");
            let err = offline_config(&toml, Path::new("/d")).unwrap_err();
            assert!(err.contains("line 3"), "{err}");
        }
        // Elsewhere they are not cargo-deny's advisory settings.
        assert!(offline_config("[other]\ndb-path = 1\n", Path::new("/d")).is_ok());
    }

    #[test]
    fn the_checked_in_config_takes_db_path() {
        let toml = fs::read_to_string(root().join("deny.toml")).unwrap();
        let (out, line) = offline_config(&toml, Path::new("/d")).unwrap();
        assert_eq!(out.lines().nth(line - 1), Some("db-path = \"/d\""));
    }

    #[test]
    fn a_bare_repository_or_other_directory_is_refused() {
        let dir = std::env::temp_dir().join(format!("inet-xtask-deny-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("objects")).unwrap();
        fs::write(dir.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let message = |r: Result<PathBuf, Failure>| match r {
            Err(Failure::Error(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(message(check_checkout(&dir)).contains("bare git repository"));
        fs::remove_file(dir.join("HEAD")).unwrap();
        assert!(message(check_checkout(&dir)).contains("no crates/ directory"));
        fs::create_dir(dir.join("crates")).unwrap();
        assert!(message(check_checkout(&dir)).contains("no .git"));
        fs::create_dir(dir.join(".git")).unwrap();
        assert!(check_checkout(&dir).is_ok());
        assert!(message(check_checkout(&dir.join("missing"))).contains("--advisory-db"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
