//! The files the benchmark downloads, under `docroot/bench/` (beside the harness's `data/`, whose
//! `SHA256SUMS` they stay out of). Written once; a file of the right size is kept.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use inet_tests::servers::Nginx;

use crate::Result;

/// A file nginx serves, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchFile {
    /// The path after the host, e.g. `/bench/1k.bin`.
    pub path: String,
    pub bytes: u64,
}

/// `bench/NAME` in `nginx`'s docroot, `bytes` long, made if missing. A file already there is
/// read through once, so the first timed run does not wait for the disk.
pub fn ensure(nginx: &Nginx, name: &str, bytes: u64) -> Result<BenchFile> {
    let file = nginx.docroot.join("bench").join(name);
    if fs::metadata(&file).map(|m| m.len()).ok() == Some(bytes) {
        io::copy(&mut File::open(&file)?, &mut io::sink())?;
    } else {
        eprintln!("http bench: writing {} ({bytes} bytes)", file.display());
        write_pseudo_random(&file, bytes)?;
    }
    Ok(BenchFile {
        path: format!("/bench/{name}"),
        bytes,
    })
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
