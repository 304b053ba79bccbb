//! Mirror an FTP directory tree into a local directory: FtpFindFirstFile / InternetFindNextFile
//! to walk it, FtpGetFile for each file, on one logged-in connection.
//!
//! ```sh
//! cargo run -p inet --example ftp_mirror -- ftp://user:pw@127.0.0.1:2121/pub/ ./mirror
//! ```

use std::path::{Path, PathBuf};

use inet::ftp::{EntryKind, Found, FtpConnection, FtpOptions, FtpUrl, TransferOptions};
use inet::{Context, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (url, dest) = match (args.next(), args.next()) {
        (Some(u), Some(d)) => (u, PathBuf::from(d)),
        _ => return Err("usage: ftp_mirror ftp://host/dir/ LOCAL_DIR".into()),
    };
    let target = FtpUrl::parse(&url)?;
    let mut options = FtpOptions::new();
    if let Some(user) = &target.user {
        options = options.credentials(user, target.password.as_deref().unwrap_or(""));
    }
    let session = Session::new()?;
    let ftp = FtpConnection::connect_blocking(&session, &target.host, target.port, options)?;
    let (files, bytes) = mirror(&ftp, &target.path, &dest)?;
    println!("{files} files, {bytes} bytes into {}", dest.display());
    Ok(())
}

/// Copy `remote` (a directory) into `local`, recursively; returns files and bytes copied.
fn mirror(ftp: &FtpConnection, remote: &str, local: &Path) -> inet::Result<(u64, u64)> {
    std::fs::create_dir_all(local).map_err(|e| {
        inet::Error::new(inet::ErrorKind::WriteFault, local.display().to_string()).with_source(e)
    })?;
    // The listing is read whole, and the find handle closed, before any transfer: one transfer
    // at a time per FTP connection.
    let listing = match ftp.find_first_blocking(Some(remote), Context(0)) {
        Ok(find) => {
            let items = find.remaining();
            find.close();
            items
        }
        Err(e) if e.kind() == inet::ErrorKind::NoMoreFiles => Vec::new(),
        Err(e) => return Err(e),
    };
    let (mut files, mut bytes) = (0, 0);
    for item in listing {
        let Found::Entry(entry) = item else { continue };
        let name = entry
            .name
            .rsplit('/')
            .next()
            .unwrap_or(&entry.name)
            .to_string();
        let from = format!("{}/{name}", remote.trim_end_matches('/'));
        match entry.kind {
            EntryKind::Dir => {
                let (f, b) = mirror(ftp, &from, &local.join(&name))?;
                files += f;
                bytes += b;
            }
            EntryKind::File => {
                bytes += ftp.get_file_blocking(
                    &from,
                    local.join(&name),
                    TransferOptions::new(),
                    Context(0),
                )?;
                files += 1;
            }
            _ => {}
        }
    }
    Ok((files, bytes))
}
