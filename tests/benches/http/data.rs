//! The files the benchmark downloads, under `docroot/bench/` (beside the harness's `data/`, whose
//! `SHA256SUMS` they stay out of). Written once; a file of the right size is kept.

use inet_tests::servers::Nginx;

use crate::common_data::ensure_file;
use crate::Result;

/// A file nginx serves, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchFile {
    /// The path after the host, e.g. `/bench/1k.bin`.
    pub path: String,
    pub bytes: u64,
}

/// `bench/NAME` in `nginx`'s docroot, `bytes` long, made if missing (see [`ensure_file`]).
pub fn ensure(nginx: &Nginx, name: &str, bytes: u64) -> Result<BenchFile> {
    ensure_file("http bench", &nginx.docroot.join("bench").join(name), bytes)?;
    Ok(BenchFile {
        path: format!("/bench/{name}"),
        bytes,
    })
}
