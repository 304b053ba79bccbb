//! The inet column: `inet_ftp` futures driven by `inet_core::block_on` (inet's reactor runs on the
//! calling thread while it waits). Downloads are `open_file` (FtpOpenFile) and 256 KiB `read`s,
//! the bytes discarded; the upload is `put_file` (FtpPutFile) from the local file.

use std::time::Instant;

use inet_core::{Context, Session};
use inet_ftp::{Access, FtpConnection, TransferOptions};

use crate::job::{same_length, Job, Server, Timing};
use crate::Result;

/// Bytes asked for by each read (as `put_file` and `get_file` move them).
const READ_BUFFER: usize = 256 * 1024;

/// Runs `job` in this process on a new session; the transfer is timed from the login on.
pub fn run(server: &Server, job: &Job) -> Result<Timing> {
    let started = Instant::now();
    let session = Session::builder().build()?;
    inet_core::block_on(async {
        let conn =
            FtpConnection::connect(&session, "127.0.0.1", server.port, server.options()).await?;
        let logged_in = Instant::now();
        let mut buf = vec![0u8; READ_BUFFER];
        match job {
            Job::Retr { path, bytes } => same_length(retr(&conn, path, &mut buf).await?, *bytes)?,
            Job::Stor {
                local,
                remote,
                bytes,
            } => {
                let sent = conn
                    .put_file(local, remote, TransferOptions::new(), Context(0))
                    .await?;
                same_length(sent, *bytes)?;
            }
            Job::Many { dir, count, bytes } => {
                for i in 0..*count {
                    let got = retr(&conn, &Job::small_file(dir, i), &mut buf).await?;
                    same_length(got, *bytes)?;
                }
            }
        }
        let done = Instant::now();
        conn.close();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Timing {
            setup: logged_in - started,
            transfer: done - logged_in,
            reads: None,
        })
    })
}

/// `RETR path` read to its end into `buf` again and again, the `226` checked; the byte count.
async fn retr(conn: &FtpConnection, path: &str, buf: &mut [u8]) -> Result<u64> {
    let file = conn
        .open_file(path, Access::Read, TransferOptions::new(), Context(0))
        .await?;
    let mut got = 0u64;
    loop {
        match file.read(buf).await? {
            0 => break,
            n => got += n as u64,
        }
    }
    file.finish().await?;
    file.close();
    Ok(got)
}
