//! The benches' big files: incompressible bytes, the same on every run, written once (a file of
//! the right size is kept). Shared by `http.rs` and `ftp.rs`, which include it with `#[path]`.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::process::Result;

/// Makes `file` `bytes` long, pseudo-random, unless it is already that long; a file already
/// there is read through once, so the first timed run does not wait for the disk. `what` names
/// the bench in the message about writing it.
pub fn ensure_file(what: &str, file: &Path, bytes: u64) -> Result<()> {
    if fs::metadata(file).map(|m| m.len()).ok() == Some(bytes) {
        io::copy(&mut File::open(file)?, &mut io::sink())?;
    } else {
        eprintln!("{what}: writing {} ({bytes} bytes)", file.display());
        write_pseudo_random(file, bytes)?;
    }
    Ok(())
}

/// Incompressible bytes (xorshift64*), the same on every run; written beside and renamed, so a
/// file of the final name is always whole.
fn write_pseudo_random(file: &Path, bytes: u64) -> Result<()> {
    fs::create_dir_all(file.parent().ok_or("no parent directory")?)?;
    let partial = PathBuf::from(format!("{}.partial", file.display()));
    let mut out = File::create(&partial)?;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    drop(out);
    fs::rename(&partial, file)?;
    Ok(())
}
