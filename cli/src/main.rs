//! `inet`: the command-line client of the inet library.
//!
//! - `inet get URL…`: fetch URLs at once in WinINet's callback mode, with an optional trace of
//!   every status notification (`--trace json|text`); ftp:// and ftps:// URLs too.
//! - `inet cat URL…`: any scheme's body to stdout, in URL order, through the facade's
//!   `start_open_url`, `--parallel N` at a time.
//! - `inet put`, `ls`, `mkdir`, `rmdir`, `rm`, `mv`: FTP (`ftp/`), in callback mode as well.
//! - `inet get gopher://…` and `inet ls gopher://…`: Gopher (`gopher/`), in callback mode too.
//! - `inet demo`: two slow in-process "coffee price" sites, fetched one after the other with
//!   blocking calls and then at once in callback mode, with a Gantt chart of both timelines.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use ftp::commands::PathOp;

mod calls;
mod cat;
mod demo;
mod flags;
mod ftp;
mod get;
mod gopher;
mod handoff;
mod info;
mod interrupt;
mod netrc;
mod output;
mod page;
mod progress;
mod put_http;
mod serial;
mod trace;
mod turns;

/// Exit statuses (documented in `inet --help` and each command's `--help`).
mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// An inet error (the message names its WinINet code), or the demo failed.
    pub const INET: u8 = 1;
    /// Bad command line (clap uses 2 too).
    pub const USAGE: u8 = 2;
    /// `--fail` and an HTTP status >= 400 (curl -f's 22).
    pub const HTTP: u8 = 22;
    /// The body could not be written (curl's 23).
    pub const WRITE: u8 = 23;
}

const TOP_HELP: &str = "Examples:
  inet get https://example.com/a.iso -o a.iso      (HTTP/HTTPS, FTP/FTPS, Gopher)
  inet cat http://h/a ftp://h/b gopher://h/0/c      (any scheme, to stdout, in order)
  inet ls ftp://example.com/pub/ --json
  inet demo

Credentials: --user USER:PASSWORD, else the URL's user-info, else a ~/.netrc entry for the host
($NETRC names another file), for HTTP basic auth and FTP logins.

Exit status (every command; `inet COMMAND --help` says which apply):
  0   success
  1   an inet error; stderr has one line naming the URL, what failed and the WinINet error
      name and code, e.g. `inet: get <URL>: ... (ERROR_INTERNET_CANNOT_CONNECT 12029)`
  2   bad command line
  22  --fail and an HTTP status >= 400
  23  the output could not be written (-o FILE, stdout)
  130 interrupted (Ctrl-C): every transfer cancelled, files written so far kept";

/// inet: WinINet's asynchronous model, done right — from the command line.
#[derive(Debug, Parser)]
#[command(name = "inet", version, propagate_version = true, after_help = TOP_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Fetch URLs (http and https; or ftp and ftps; or gopher and gophers), --parallel N at a
    /// time, to files or stdout.
    // Boxed: parsed once per run, and the other variants are small.
    Get(Box<get::GetArgs>),
    /// Write the bodies of URLs of any scheme (http, https, ftp, ftps, gopher, gophers) to
    /// stdout, in URL order, --parallel N at a time.
    Cat(Box<cat::CatArgs>),
    /// Upload a file: to an FTP server (STOR) or with an HTTP PUT (…/dir/ appends the file's
    /// name).
    Put(Box<ftp::commands::PutArgs>),
    /// List an FTP directory or a Gopher menu: a table, or JSON with --json.
    Ls(Box<ftp::commands::LsArgs>),
    /// Create a directory on an FTP server.
    Mkdir(Box<ftp::commands::PathArgs>),
    /// Remove an (empty) directory on an FTP server.
    Rmdir(Box<ftp::commands::PathArgs>),
    /// Delete a file on an FTP server.
    Rm(Box<ftp::commands::PathArgs>),
    /// Rename a file or directory on an FTP server.
    Mv(Box<ftp::commands::MvArgs>),
    /// What a URL names, without its body: status, headers, size, type, modified.
    Info(Box<info::InfoArgs>),
    /// Two slow coffee sites and a browser page on 127.0.0.1: sequential blocking calls vs
    /// callback mode, as a chart.
    #[command(after_help = "Examples:
  inet demo            (no network: the servers run in-process on 127.0.0.1)

Exit status:
  0   the demo ran
  1   it failed (a server could not start, a request failed)
  130 interrupted (Ctrl-C)")]
    Demo,
}

fn main() -> ExitCode {
    let t0 = Instant::now();
    let cli = Cli::parse();
    interrupt::install();
    let code = match cli.command {
        Command::Get(args) => get::run(*args, t0),
        Command::Cat(args) => cat::run(*args, t0),
        Command::Put(args) => ftp::commands::put(*args, t0),
        Command::Ls(args) => ftp::commands::ls(*args, t0),
        Command::Mkdir(args) => ftp::commands::path_op(PathOp::Mkdir, *args, t0),
        Command::Rmdir(args) => ftp::commands::path_op(PathOp::Rmdir, *args, t0),
        Command::Rm(args) => ftp::commands::path_op(PathOp::Rm, *args, t0),
        Command::Mv(args) => ftp::commands::mv(*args, t0),
        Command::Info(args) => info::run(*args),
        Command::Demo => demo::run(),
    };
    if interrupt::interrupted() {
        return ExitCode::from(interrupt::EXIT);
    }
    ExitCode::from(code)
}
