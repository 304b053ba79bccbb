//! Real servers on 127.0.0.1, started from the scripts in `tests/servers/`.
//!
//! Each server is reached through one function that returns a `&'static` description of a running
//! instance ([`nginx()`]). The first call in a test process decides where it comes from:
//!
//! - if the environment names a state directory (`INET_TEST_NGINX=DIR`, exported by
//!   `cargo xtask test` after `inet-test-servers start`), the server already running there is used;
//! - otherwise one is started for this process, on free ports, in a fresh temporary directory. A
//!   watchdog (a small shell loop in its own process group) stops it and deletes the directory once
//!   the test process has exited, however it exits.
//!
//! Adding a server means: its script in `tests/servers/` (sourcing `lib.sh` there for the pid
//! check, the stop and the locked package install), a [`Script`] constant listed in [`SCRIPTS`], a
//! struct read from the script's `env` file, and a function like [`nginx()`] (as [`gopher()`] was
//! added).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// nginx serving `docroot` over HTTP and HTTPS (see `tests/servers/http.sh` for what it serves).
///
/// `docroot/data` holds the files of `tests/servers/mkdata.sh`: `rand_1M.bin`, `rand_64M.bin`,
/// text files, `tree/` and `SHA256SUMS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nginx {
    /// Plain HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// TLS port on 127.0.0.1; the certificate is valid for `localhost` and `127.0.0.1`.
    pub https_port: u16,
    /// PEM certificate of the throwaway CA that signed the server certificate.
    pub ca_cert: PathBuf,
    /// Directory served at `/`.
    pub docroot: PathBuf,
    /// The script's state directory (`env`, `logs/`, `tls/`, `www/`).
    pub state_dir: PathBuf,
    /// User name accepted under `/basic/`.
    pub basic_user: String,
    /// Password accepted under `/basic/`.
    pub basic_password: String,
}

impl Nginx {
    /// `http://127.0.0.1:PORT/path` (a missing leading `/` is added).
    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.http_port, slash(path))
    }

    /// `https://127.0.0.1:PORT/path`; trust [`Nginx::ca_cert`] to verify it.
    pub fn https_url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{}", self.https_port, slash(path))
    }

    /// `https://localhost:PORT/path`, for tests of name-based certificate checks.
    pub fn https_localhost_url(&self, path: &str) -> String {
        format!("https://localhost:{}{}", self.https_port, slash(path))
    }

    /// The generated test data (`docroot/data`), served at `/data/`.
    pub fn data_dir(&self) -> PathBuf {
        self.docroot.join("data")
    }

    /// Reads the `env` file that `http.sh` wrote into `state_dir`.
    pub fn from_state_dir(state_dir: &Path) -> Result<Self, ServerError> {
        let env = Env::read(state_dir)?;
        let (basic_user, basic_password) = env
            .get("BASIC_AUTH")?
            .split_once(':')
            .ok_or_else(|| ServerError::new("BASIC_AUTH in the env file is not USER:PASSWORD"))?;
        Ok(Nginx {
            http_port: env.port("HTTP_PORT")?,
            https_port: env.port("HTTPS_PORT")?,
            ca_cert: env.get("CA_CERT")?.into(),
            docroot: env.get("DOCROOT")?.into(),
            state_dir: state_dir.to_path_buf(),
            basic_user: basic_user.to_owned(),
            basic_password: basic_password.to_owned(),
        })
    }
}

/// The nginx instance of this test process; see the [module docs](self) for where it comes from.
///
/// ```
/// use std::io::{Read, Write};
///
/// let nginx = inet_tests::servers::nginx();
/// let mut tcp = std::net::TcpStream::connect(("127.0.0.1", nginx.http_port))?;
/// tcp.write_all(b"GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
/// let mut response = String::new();
/// tcp.read_to_string(&mut response)?;
/// assert!(response.ends_with("\r\n\r\nHello, world!\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
/// When no server can be had (the message says why, e.g. the script's stderr); use
/// [`try_nginx`] to handle that.
pub fn nginx() -> &'static Nginx {
    match try_nginx() {
        Ok(nginx) => nginx,
        Err(e) => panic!("inet-tests: no nginx: {e}"),
    }
}

/// Like [`nginx`], returning the error instead of panicking. The first outcome is kept.
pub fn try_nginx() -> Result<&'static Nginx, &'static ServerError> {
    static NGINX: OnceLock<Result<Nginx, ServerError>> = OnceLock::new();
    NGINX
        .get_or_init(|| shared(&NGINX_SCRIPT, Nginx::from_state_dir))
        .as_ref()
}

/// proftpd on 127.0.0.1 (see `tests/servers/ftp.sh`): a local user with read-write access and
/// anonymous read-only access, both chrooted to [`Ftp::root`]; passive ports on 127.0.0.1; FTPS by
/// explicit `AUTH TLS` on the same port (optional), with proftpd's default demand that each data
/// connection resume the control connection's TLS session.
///
/// `root/data` holds the files of `tests/servers/mkdata.sh` (read-only: root-owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ftp {
    /// Control port on 127.0.0.1.
    pub port: u16,
    /// The local user (read-write).
    pub user: String,
    /// Its password.
    pub password: String,
    /// The directory every login is chrooted to (`/` on the server).
    pub root: PathBuf,
    /// PEM certificate of the throwaway CA that signed the server certificate (FTPS).
    pub ca_cert: PathBuf,
    /// The script's state directory.
    pub state_dir: PathBuf,
}

impl Ftp {
    /// `ftp://127.0.0.1:PORT/path` (anonymous; a missing leading `/` is added).
    pub fn url(&self, path: &str) -> String {
        format!("ftp://127.0.0.1:{}{}", self.port, slash(path))
    }

    /// `ftp://USER:PASSWORD@127.0.0.1:PORT/path` for the local user.
    pub fn user_url(&self, path: &str) -> String {
        format!(
            "ftp://{}:{}@127.0.0.1:{}{}",
            self.user,
            self.password,
            self.port,
            slash(path)
        )
    }

    /// Reads the `env` file that `ftp.sh` wrote into `state_dir`.
    pub fn from_state_dir(state_dir: &Path) -> Result<Self, ServerError> {
        let env = Env::read(state_dir)?;
        Ok(Ftp {
            port: env.port("FTP_PORT")?,
            user: env.get("FTP_USER")?.to_owned(),
            password: env.get("FTP_PASS")?.to_owned(),
            root: env.get("FTP_ROOT")?.into(),
            ca_cert: env.get("FTP_CA_CERT")?.into(),
            state_dir: state_dir.to_path_buf(),
        })
    }
}

/// The FTP server of this test process, like [`nginx()`].
///
/// # Panics
/// When no server can be had; use [`try_ftp`] to handle that.
pub fn ftp() -> &'static Ftp {
    match try_ftp() {
        Ok(ftp) => ftp,
        Err(e) => panic!("inet-tests: no FTP server: {e}"),
    }
}

/// Like [`ftp`], returning the error instead of panicking. The first outcome is kept.
pub fn try_ftp() -> Result<&'static Ftp, &'static ServerError> {
    static FTP: OnceLock<Result<Ftp, ServerError>> = OnceLock::new();
    FTP.get_or_init(|| shared(&FTP_SCRIPT, Ftp::from_state_dir))
        .as_ref()
}

/// A Gopher server on 127.0.0.1 (see `tests/servers/gopher.sh`): [`gopher()`] is gophernicus
/// (plain Gopher: menus end with a `.` line, text items are sent as they are, a type 7 search at
/// `/search`), [`gopher_plus()`] is pygopherd (Gopher+: a `+` fifth field on menu lines, reply
/// headers, `!` and `$` attribute requests; menus without a `.` line).
///
/// Both serve a root menu (`gophermap`) with `i` lines, `0` `/hello.txt`, `0` `/dots.txt` (lines
/// that start with `.`), `1` `/dir`, `9` `/bin.dat` (64 KiB) and an `h` `URL:` link. For
/// gophernicus, `root/data` holds the files of `tests/servers/mkdata.sh` (listed at `/data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gopher {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The directory served as the root menu.
    pub root: PathBuf,
    /// Whether the server speaks Gopher+ (pygopherd).
    pub plus: bool,
    /// Which server it is: `gophernicus` or `pygopherd`.
    pub server: String,
    /// The script's state directory.
    pub state_dir: PathBuf,
}

impl Gopher {
    /// `gopher://127.0.0.1:PORT/path`, where `path` is an item type then a selector
    /// (`1/dir`, `0/hello.txt`; RFC 4266); a missing leading `/` is added.
    pub fn url(&self, path: &str) -> String {
        format!("gopher://127.0.0.1:{}{}", self.port, slash(path))
    }

    /// Reads the `env` file that `gopher.sh` wrote into `state_dir`.
    pub fn from_state_dir(state_dir: &Path) -> Result<Self, ServerError> {
        let env = Env::read(state_dir)?;
        Ok(Gopher {
            port: env.port("GOPHER_PORT")?,
            root: env.get("GOPHER_ROOT")?.into(),
            plus: env.get("GOPHER_PLUS")? == "1",
            server: env.get("GOPHER_SERVER")?.to_owned(),
            state_dir: state_dir.to_path_buf(),
        })
    }
}

/// The plain Gopher server (gophernicus) of this test process, like [`nginx()`].
///
/// ```
/// use std::io::{Read, Write};
///
/// let gopher = inet_tests::servers::gopher();
/// let mut tcp = std::net::TcpStream::connect(("127.0.0.1", gopher.port))?;
/// tcp.write_all(b"/hello.txt\r\n")?;
/// let mut text = String::new();
/// tcp.read_to_string(&mut text)?;
/// assert_eq!(text, "Hello, gopher!\r\n");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
/// When no server can be had; use [`try_gopher`] to handle that.
pub fn gopher() -> &'static Gopher {
    match try_gopher() {
        Ok(gopher) => gopher,
        Err(e) => panic!("inet-tests: no Gopher server: {e}"),
    }
}

/// Like [`gopher`], returning the error instead of panicking. The first outcome is kept.
pub fn try_gopher() -> Result<&'static Gopher, &'static ServerError> {
    static GOPHER: OnceLock<Result<Gopher, ServerError>> = OnceLock::new();
    GOPHER
        .get_or_init(|| shared(&GOPHER_SCRIPT, Gopher::from_state_dir))
        .as_ref()
}

/// The Gopher+ server (pygopherd) of this test process, like [`nginx()`].
///
/// # Panics
/// When no server can be had; use [`try_gopher_plus`] to handle that.
pub fn gopher_plus() -> &'static Gopher {
    match try_gopher_plus() {
        Ok(gopher) => gopher,
        Err(e) => panic!("inet-tests: no Gopher+ server: {e}"),
    }
}

/// Like [`gopher_plus`], returning the error instead of panicking. The first outcome is kept.
pub fn try_gopher_plus() -> Result<&'static Gopher, &'static ServerError> {
    static GOPHER_PLUS: OnceLock<Result<Gopher, ServerError>> = OnceLock::new();
    GOPHER_PLUS
        .get_or_init(|| shared(&GOPHER_PLUS_SCRIPT, Gopher::from_state_dir))
        .as_ref()
}

/// A server script in `tests/servers/` and how the harness drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Script {
    /// Short name: the state subdirectory used by `inet-test-servers`, and used in messages.
    pub name: &'static str,
    /// File name in `tests/servers/`.
    pub file: &'static str,
    /// Variable naming the state directory of an already running instance.
    pub env_var: &'static str,
    /// How many ports the script takes after the state directory (each gets a free port).
    pub ports: usize,
    /// Where `mkdata.sh` writes its files, relative to the state directory.
    pub data_dir: Option<&'static str>,
}

/// `http.sh`: nginx, HTTP + HTTPS.
pub const NGINX_SCRIPT: Script = Script {
    name: "nginx",
    file: "http.sh",
    env_var: "INET_TEST_NGINX",
    ports: 2,
    data_dir: Some("www/data"),
};

/// `ftp.sh`: proftpd, FTP + explicit FTPS; its ports are the control port and the first of 20
/// passive ports.
pub const FTP_SCRIPT: Script = Script {
    name: "ftp",
    file: "ftp.sh",
    env_var: "INET_TEST_FTP",
    ports: 2,
    data_dir: Some("ftp/data"),
};

/// `gopher.sh`: gophernicus under socat, plain Gopher.
pub const GOPHER_SCRIPT: Script = Script {
    name: "gopher",
    file: "gopher.sh",
    env_var: "INET_TEST_GOPHER",
    ports: 1,
    data_dir: Some("gopher/data"),
};

/// `gopher-plus.sh`: `gopher.sh` with pygopherd, Gopher+.
pub const GOPHER_PLUS_SCRIPT: Script = Script {
    name: "gopher-plus",
    file: "gopher-plus.sh",
    env_var: "INET_TEST_GOPHER_PLUS",
    ports: 1,
    data_dir: None,
};

/// Every server `inet-test-servers` starts, in order.
pub const SCRIPTS: &[Script] = &[NGINX_SCRIPT, FTP_SCRIPT, GOPHER_SCRIPT, GOPHER_PLUS_SCRIPT];

/// Starts `script` with its state in `state_dir` on free ports, then generates its test data.
/// A state directory whose server is still running is reused as it is.
/// Returns the seconds it took.
pub fn start(script: &Script, state_dir: &Path) -> Result<f64, ServerError> {
    let started = Instant::now();
    fs::create_dir_all(state_dir)
        .map_err(|e| ServerError::new(format!("cannot create {}: {e}", state_dir.display())))?;
    // Free ports are found by binding port 0 and letting go, so another process may take one
    // before the server binds it: try again with new ports when that happens.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let ports = free_ports(script.ports)?;
        let mut cmd = script_command(script.file);
        cmd.arg("start")
            .arg(state_dir)
            .args(ports.iter().map(u16::to_string));
        let out = run(&mut cmd)?;
        if out.status.success() {
            break;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if attempt < 3 && stderr.contains("in use") {
            continue;
        }
        return Err(ServerError::failed(script.file, &out));
    }
    if let Some(data) = script.data_dir {
        let out = run(script_command("mkdata.sh").arg(state_dir.join(data)))?;
        if !out.status.success() {
            return Err(ServerError::failed("mkdata.sh", &out));
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Stops the server whose state is in `state_dir` (nothing happens when none runs there).
pub fn stop(script: &Script, state_dir: &Path) -> Result<(), ServerError> {
    let out = run(script_command(script.file).arg("stop").arg(state_dir))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ServerError::failed(script.file, &out))
    }
}

/// Why a test server could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    message: String,
}

impl ServerError {
    fn new(message: impl Into<String>) -> Self {
        ServerError {
            message: message.into(),
        }
    }

    fn failed(what: &str, out: &Output) -> Self {
        ServerError::new(format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}

impl From<String> for ServerError {
    fn from(message: String) -> Self {
        ServerError { message }
    }
}

/// The `KEY=VALUE` lines of a state directory's `env` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    file: PathBuf,
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Reads `state_dir/env`.
    pub fn read(state_dir: &Path) -> Result<Self, ServerError> {
        let file = state_dir.join("env");
        let text = fs::read_to_string(&file)
            .map_err(|e| ServerError::new(format!("cannot read {}: {e}", file.display())))?;
        let vars = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Ok(Env { file, vars })
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Result<&str, ServerError> {
        self.vars
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| ServerError::new(format!("{} has no {key}=", self.file.display())))
    }

    /// The value of `key` as a port number.
    pub fn port(&self, key: &str) -> Result<u16, ServerError> {
        let value = self.get(key)?;
        value.parse().map_err(|_| {
            ServerError::new(format!(
                "{}: {key}={value} is not a port",
                self.file.display()
            ))
        })
    }

    /// All variables, sorted by name.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

// ---- helpers ----

/// The running instance named by `script.env_var`, or a new one owned by this process.
fn shared<T>(
    script: &Script,
    describe: fn(&Path) -> Result<T, ServerError>,
) -> Result<T, ServerError> {
    if let Some(dir) = std::env::var_os(script.env_var).filter(|d| !d.is_empty()) {
        return describe(Path::new(&dir)).map_err(|e| {
            ServerError::new(format!("{}={}: {e}", script.env_var, dir.to_string_lossy()))
        });
    }
    let dir = fresh_temp_dir(script.name)?;
    spawn_watchdog(script, &dir)?;
    let secs = start(script, &dir)?;
    eprintln!(
        "inet-tests: started {} for pid {} in {secs:.2}s, state in {}",
        script.name,
        std::process::id(),
        dir.display()
    );
    describe(&dir)
}

/// Stops the server and removes `dir` once this process has exited. The watchdog polls this
/// process's `/proc` entry (start time included, so a reused pid does not fool it; a zombie counts
/// as gone, since PID 1 here never reaps) and lives in its own process group, so a Ctrl-C or a
/// test runner killing our group leaves it running to clean up.
fn spawn_watchdog(script: &Script, dir: &Path) -> Result<(), ServerError> {
    const WATCHDOG: &str = r#"
        pid=$1 script=$2 dir=$3
        started() { local s; read -r s < "/proc/$pid/stat" 2>/dev/null || return 1
          s=${s##*) }; set -- $s; [ "$1" != Z ] && echo "${20}"; }
        t0=$(started) || t0=gone
        while [ "$t0" != gone ] && [ "$(started)" = "$t0" ]; do sleep 0.5; done
        bash "$script" stop "$dir"
        rm -rf -- "$dir"
    "#;
    Command::new("bash")
        .args(["-c", WATCHDOG, "inet-test-watchdog"])
        .arg(std::process::id().to_string())
        .arg(script_path(script.file))
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
        .map_err(|e| ServerError::new(format!("cannot start the watchdog: {e}")))
}

fn fresh_temp_dir(name: &str) -> Result<PathBuf, ServerError> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for n in 0..100 {
        let dir = std::env::temp_dir().join(format!(
            "inet-test-{name}-{}-{nanos}-{n}",
            std::process::id()
        ));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(ServerError::new(format!(
                    "cannot create {}: {e}",
                    dir.display()
                )))
            }
        }
    }
    Err(ServerError::new(
        "cannot find a free temporary directory name",
    ))
}

/// `n` distinct ports that were free a moment ago (all listeners are held until every port is known).
fn free_ports(n: usize) -> Result<Vec<u16>, ServerError> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| ServerError::new(format!("cannot find a free port: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| ServerError::new(format!("cannot find a free port: {e}")))
}

fn script_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("servers")
        .join(file)
}

fn script_command(file: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(script_path(file)).stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Result<Output, ServerError> {
    cmd.output()
        .map_err(|e| ServerError::new(format!("cannot run {cmd:?}: {e}")))
}

fn slash(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}
