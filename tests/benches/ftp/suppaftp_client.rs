//! The suppaftp column: suppaftp's sync API (`FtpStream`, passive mode, `TYPE I`) on the calling
//! thread. Downloads are `retr_as_stream` read in 256 KiB reads, the bytes discarded; the upload
//! is `put_with_stream` written in 256 KiB blocks read from the local file (its `put_file` would
//! copy through `std::io::copy`'s 8 KiB buffer); each ends with its `finalize_*` (the `226`).

use std::fs::File;
use std::io::{Read, Write};
use std::time::Instant;

use suppaftp::types::FileType;
use suppaftp::FtpStream;

use crate::job::{same_length, Job, Server, Timing};
use crate::Result;

/// Bytes per read and write.
const BLOCK: usize = 256 * 1024;

/// Runs `job` in this process; timed from the login on.
pub fn run(server: &Server, job: &Job) -> Result<Timing> {
    let started = Instant::now();
    let mut ftp = FtpStream::connect(("127.0.0.1", server.port))?;
    ftp.login(server.user.as_str(), server.password.as_str())?;
    let logged_in = Instant::now();
    ftp.transfer_type(FileType::Binary)?;
    let mut buf = vec![0u8; BLOCK];
    match job {
        Job::Retr { path, bytes } => same_length(retr(&mut ftp, path, &mut buf)?, *bytes)?,
        Job::Stor {
            local,
            remote,
            bytes,
        } => {
            let mut file = File::open(local)?;
            let mut data = ftp.put_with_stream(remote)?;
            let mut sent = 0u64;
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                data.write_all(&buf[..n])?;
                sent += n as u64;
            }
            ftp.finalize_put_stream(data)?;
            same_length(sent, *bytes)?;
        }
        Job::Many { dir, count, bytes } => {
            for i in 0..*count {
                let got = retr(&mut ftp, &Job::small_file(dir, i), &mut buf)?;
                same_length(got, *bytes)?;
            }
        }
    }
    let done = Instant::now();
    ftp.quit()?;
    Ok(Timing {
        setup: logged_in - started,
        transfer: done - logged_in,
        reads: None,
    })
}

/// `RETR path` read to its end into `buf`, the `226` checked; the byte count.
fn retr(ftp: &mut FtpStream, path: &str, buf: &mut [u8]) -> Result<u64> {
    let mut data = ftp.retr_as_stream(path)?;
    let mut got = 0u64;
    loop {
        match data.read(buf)? {
            0 => break,
            n => got += n as u64,
        }
    }
    ftp.finalize_retr_stream(data)?;
    Ok(got)
}
