//! `inet put`, `ls`, `mkdir`, `rmdir`, `rm`, `mv` over ftp:// and ftps:// URLs: one login and
//! one operation each, in callback mode (see the module above).

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use inet::ftp::{Existing, Found, FtpFind, FtpUrl, TransferOptions};
use inet::{Context, Direction, Error, ErrorKind, Started};

use super::{ftp_help, listing, parse_url, run_one, Client, Failure, FtpFlags, CTX};
use crate::exit;
use crate::gopher::gopher_help;
use crate::progress::{Meter, Show};

// ----- put ----------------------------------------------------------------------------------------

/// `inet put` arguments.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  inet put report.pdf ftp://ann:secret@example.com/inbox/     (uploads inbox/report.pdf)\n",
    "  inet put big.iso ftp://example.com/pub/big.iso --continue   (sends only what is missing)\n",
    "  inet put notes.txt https://example.com/dav/                 (HTTP PUT of dav/notes.txt;\n",
    "                                       a 4xx/5xx answer exits 22, as curl --fail does)\n",
    "\n",
    ftp_help!()
))]
pub struct PutArgs {
    /// The local file to upload.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Where it goes: a directory URL ending in `/` (the file's name is appended) or the full
    /// name on the server; ftp:// and ftps://, or http:// and https:// (a PUT).
    #[arg(value_name = "URL")]
    url: String,

    /// Resume an upload: ask the server's size (SIZE) and send only the rest (APPE).
    #[arg(long = "continue")]
    resume: bool,

    #[command(flatten)]
    flags: FtpFlags,
}

/// Run `inet put` (FtpPutFile in callback mode).
pub fn put(args: PutArgs, t0: Instant) -> u8 {
    if let Some(http) = http_scheme(&args.url) {
        if args.resume || args.flags.active || args.flags.ascii {
            eprintln!(
                "inet: put: --continue, --active and --ascii are for ftp:// URLs, not {http}://"
            );
            return exit::USAGE;
        }
        return crate::put_http::run(&args.file, &args.url, &args.flags.common(), t0);
    }
    let url = match parse_url("put", &args.url) {
        Ok(url) => url,
        Err(code) => return code,
    };
    let remote = if url.is_directory() {
        let Some(name) = args.file.file_name().and_then(|n| n.to_str()) else {
            eprintln!(
                "inet: put {url}: {} has no file name to append to the directory URL",
                args.file.display()
            );
            return exit::USAGE;
        };
        format!("{}{name}", url.path)
    } else {
        url.path.clone()
    };
    let common = args.flags.common();
    let show = Show::choose(common.quiet, common.trace.is_some());
    let meter = Meter::single(args.file.display().to_string(), Direction::Send, show);
    let existing = if args.resume {
        Existing::Resume
    } else {
        Existing::Replace
    };
    let options = TransferOptions::new()
        .transfer_type(common.transfer_type(&url))
        .existing(existing);
    run_one("put", &url, &common, t0, meter, |client| {
        let conn = client.conn();
        client.call(conn.start_put_file(&args.file, &remote, options, Context(CTX)))?;
        Ok(())
    })
}

/// `http` or `https` when `url` has that scheme (an HTTP PUT, see `crate::put_http`).
fn http_scheme(url: &str) -> Option<&'static str> {
    let (scheme, _) = url.trim().split_once("://")?;
    ["http", "https"]
        .into_iter()
        .find(|s| scheme.eq_ignore_ascii_case(s))
}

// ----- ls -----------------------------------------------------------------------------------------

/// `inet ls` arguments.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Output:\n",
    "  A table: kind (file, dir, link, other), size in bytes, modification time (the server's\n",
    "  local time for LIST, UTC for MLSD), name (`name -> target` for links). A line in no listing\n",
    "  format inet knows is shown whole as the name of an `other` entry.\n",
    "  --json: an array of objects {\"name\", \"size\", \"kind\", \"modified\" (ISO 8601 or null),\n",
    "  \"permissions\"}, plus \"target\" for links and \"raw\" (the whole line) for unparsed lines.\n",
    "\n",
    "Gopher output:\n",
    "  A gopher:// or gophers:// menu (type 1, or 7 for a search) is a table: type character,\n",
    "  display string, selector, host:port (`i` lines show their text only; a line in no menu\n",
    "  format shows `raw` and the whole line). --json: an array of objects {\"type\", \"kind\",\n",
    "  \"name\" (the display string), \"selector\", \"host\", \"port\", \"url\" (the item's URL, for\n",
    "  `inet get`; null for `i` and `3` lines)}, and {\"raw\": line} for lines in no menu format.\n",
    "\n",
    "Examples:\n",
    "  inet ls ftp://example.com/pub/\n",
    "  inet ls 'ftp://example.com/pub/*.iso' --json\n",
    "  inet ls gopher://127.0.0.1:7070/1/data\n",
    "  inet ls gopher://127.0.0.1:7070/7/search --query 'gopher rfc' --json\n",
    "\n",
    ftp_help!(),
    "\n\n",
    gopher_help!()
))]
pub struct LsArgs {
    /// The directory to list (or a pattern with `*` and `?` in its last name), or a Gopher menu.
    #[arg(value_name = "URL")]
    url: String,

    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,

    /// Gopher: the search words of a type 7 URL (instead of %09 in the URL).
    #[arg(long, value_name = "WORDS")]
    query: Option<String>,

    /// Gopher: list a menu that is only the server's error reply instead of failing.
    #[arg(long)]
    raw: bool,

    #[command(flatten)]
    flags: FtpFlags,
}

/// Run `inet ls` (FtpFindFirstFile, then InternetFindNextFile until NO_MORE_FILES); a gopher://
/// URL goes to `gopher::commands::ls`.
pub fn ls(args: LsArgs, t0: Instant) -> u8 {
    if crate::gopher::is_gopher(&args.url) {
        return ls_gopher(args, t0);
    }
    if args.query.is_some() || args.raw {
        eprintln!("inet: ls: --query and --raw are for gopher:// URLs");
        return exit::USAGE;
    }
    let url = match parse_url("ls", &args.url) {
        Ok(url) => url,
        Err(code) => return code,
    };
    let common = args.flags.common();
    run_one("ls", &url, &common, t0, Meter::default(), |client| {
        let items = list(client, &url)?;
        let text = if args.json {
            listing::json(&items) + "\n"
        } else {
            listing::table(&items)
        };
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(Failure::Write)
    })
}

/// `inet ls gopher://…`: the FTP-only flags are refused.
fn ls_gopher(args: LsArgs, t0: Instant) -> u8 {
    let f = args.flags;
    let ftp_only = [
        (f.user.is_some(), "--user"),
        (f.active, "--active"),
        (f.ascii, "--ascii"),
    ];
    if let Some((_, flag)) = ftp_only.iter().find(|(given, _)| *given) {
        eprintln!("inet: ls: {flag} is not for gopher:// URLs");
        return exit::USAGE;
    }
    let common = crate::gopher::Common {
        trace: f.trace,
        timeout: f.timeout,
        connect_timeout: f.connect_timeout,
        cacert: f.cacert,
        insecure: f.insecure,
        quiet: f.quiet,
        query: args.query,
        raw: args.raw,
        limits: f.limits,
    };
    crate::gopher::commands::ls(&args.url, args.json, &common, t0)
}

/// Every item of the listing; an empty directory is an empty list (WinINet's find-first fails
/// with NO_MORE_FILES then).
fn list(client: &Client, url: &FtpUrl) -> Result<Vec<Found>, Failure> {
    let pattern = (!url.path.is_empty()).then_some(url.path.as_str());
    let conn = client.conn();
    let find = match client.call(conn.start_find_first(pattern, Context(CTX))) {
        Ok(c) => c.value::<FtpFind>().cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                "listing: the completion holds no find handle",
            )
        })?,
        Err(e) if e.kind() == ErrorKind::NoMoreFiles => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut items = Vec::new();
    let outcome = loop {
        // The entries are all here: find-next is always done at once.
        match find.start_next() {
            Ok(Started::Done(found)) => items.push(found),
            Ok(Started::Pending(p)) => match client.call(Ok(p)) {
                Ok(c) => match c.value::<Found>() {
                    Some(found) => items.push(found.clone()),
                    None => break Ok(()),
                },
                Err(e) if e.kind() == ErrorKind::NoMoreFiles => break Ok(()),
                Err(e) => break Err(e.into()),
            },
            Err(e) if e.kind() == ErrorKind::NoMoreFiles => break Ok(()),
            Err(e) => break Err(e.into()),
        }
    };
    find.close();
    outcome.map(|()| items)
}

// ----- mkdir, rmdir, rm, mv -----------------------------------------------------------------------

/// `inet mkdir` / `rmdir` / `rm` arguments.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  inet mkdir ftp://ann:secret@example.com/inbox/new\n",
    "  inet rm ftp://ann:secret@example.com/inbox/old.txt\n",
    "  inet rmdir ftp://ann:secret@example.com/inbox/new/\n",
    "\n",
    ftp_help!()
))]
pub struct PathArgs {
    /// The directory or file on the server.
    #[arg(value_name = "URL")]
    url: String,

    #[command(flatten)]
    flags: FtpFlags,
}

/// What `inet mkdir`, `rmdir` and `rm` do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathOp {
    /// FtpCreateDirectory (MKD).
    Mkdir,
    /// FtpRemoveDirectory (RMD).
    Rmdir,
    /// FtpDeleteFile (DELE).
    Rm,
}

/// Run `inet mkdir`, `rmdir` or `rm`.
pub fn path_op(op: PathOp, args: PathArgs, t0: Instant) -> u8 {
    let command = match op {
        PathOp::Mkdir => "mkdir",
        PathOp::Rmdir => "rmdir",
        PathOp::Rm => "rm",
    };
    let url = match parse_url(command, &args.url) {
        Ok(url) => url,
        Err(code) => return code,
    };
    let Some(path) = target_path(&url) else {
        eprintln!("inet: {command} {url}: the URL names no directory or file");
        return exit::USAGE;
    };
    let common = args.flags.common();
    run_one(command, &url, &common, t0, Meter::default(), |client| {
        let conn = client.conn();
        let started = match op {
            PathOp::Mkdir => conn.start_create_directory(&path),
            PathOp::Rmdir => conn.start_remove_directory(&path),
            PathOp::Rm => conn.start_delete_file(&path),
        };
        client.call(started)?;
        Ok(())
    })
}

/// `inet mv` arguments.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "NEWNAME:\n",
    "  A name in the same directory as the URL's (`b.txt`, or `sub/b.txt` below it), or, starting\n",
    "  with `/`, a path from the server's root. It is not a URL and is not percent-decoded.\n",
    "\n",
    "Examples:\n",
    "  inet mv ftp://ann:secret@example.com/inbox/a.txt b.txt      (inbox/a.txt → inbox/b.txt)\n",
    "  inet mv ftp://ann:secret@example.com/inbox/a.txt /archive/a.txt\n",
    "\n",
    ftp_help!()
))]
pub struct MvArgs {
    /// The file or directory to rename.
    #[arg(value_name = "URL")]
    url: String,

    /// Its new name (see below).
    #[arg(value_name = "NEWNAME")]
    new_name: String,

    #[command(flatten)]
    flags: FtpFlags,
}

/// Run `inet mv` (FtpRenameFile: RNFR, RNTO).
pub fn mv(args: MvArgs, t0: Instant) -> u8 {
    let url = match parse_url("mv", &args.url) {
        Ok(url) => url,
        Err(code) => return code,
    };
    let Some(from) = target_path(&url) else {
        eprintln!("inet: mv {url}: the URL names no file or directory");
        return exit::USAGE;
    };
    if args.new_name.is_empty() {
        eprintln!("inet: mv {url}: NEWNAME is empty");
        return exit::USAGE;
    }
    let to = new_path(&from, &args.new_name);
    let common = args.flags.common();
    run_one("mv", &url, &common, t0, Meter::default(), |client| {
        client.call(client.conn().start_rename_file(&from, &to))?;
        Ok(())
    })
}

/// The URL's path without its trailing `/`, or `None` for the login directory itself.
fn target_path(url: &FtpUrl) -> Option<String> {
    let path = match url.path.trim_end_matches('/') {
        "" if url.path.starts_with('/') => "/",
        p => p,
    };
    (!path.is_empty()).then(|| path.to_string())
}

/// `new` in the directory of `from`, or `new` itself when it starts with `/`.
fn new_path(from: &str, new: &str) -> String {
    if new.starts_with('/') {
        return new.to_string();
    }
    match from.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{new}"),
        None => new.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> FtpUrl {
        FtpUrl::parse(s).unwrap()
    }

    #[test]
    fn target_paths_lose_their_trailing_slash() {
        assert_eq!(target_path(&url("ftp://h/dir/")).as_deref(), Some("dir"));
        assert_eq!(
            target_path(&url("ftp://h/a/b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert_eq!(
            target_path(&url("ftp://h/%2Fabs/")).as_deref(),
            Some("/abs")
        );
        assert_eq!(target_path(&url("ftp://h/")), None);
        assert_eq!(target_path(&url("ftp://h")), None);
    }

    #[test]
    fn new_names_stay_in_the_same_directory_unless_absolute() {
        assert_eq!(new_path("dir/a.txt", "b.txt"), "dir/b.txt");
        assert_eq!(new_path("a.txt", "b.txt"), "b.txt");
        assert_eq!(new_path("/abs/a.txt", "b.txt"), "/abs/b.txt");
        assert_eq!(new_path("dir/a.txt", "sub/b.txt"), "dir/sub/b.txt");
        assert_eq!(new_path("dir/a.txt", "/other/b.txt"), "/other/b.txt");
    }
}
