//! The one socket option inet sets that no safe wrapper offers: `SO_RCVLOWAT`, the receive
//! low-water mark (rustix 1.1, socket2 0.6 and nix 0.32 have no setter for it). This module
//! holds inet's only `unsafe` code: one `setsockopt` call, proven sound below.
//!
//! Why it is worth it: a stream read to the peer's close from a server that writes small pieces
//! (gophernicus under socat writes 8 KiB at a time) wakes its reader for every few pieces — about
//! 12,000 sleeps and wakeups per GiB, a quarter of the client's CPU in context switches. With the
//! mark at 512 KiB the kernel wakes the reader only once that much is there (or the peer closed):
//! about 2,200 per GiB (see `Conn::coalesce_reads` for how a slow stream is kept from waiting,
//! and `net/mark.rs` for the mark's level).
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Set the socket's receive low-water mark to `bytes` (at least 1; saturated at `i32::MAX`).
pub(super) fn set_receive_low_water(fd: BorrowedFd<'_>, bytes: usize) -> io::Result<()> {
    let value = libc::c_int::try_from(bytes.max(1)).unwrap_or(libc::c_int::MAX);
    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>())
        .unwrap_or(libc::socklen_t::MAX);
    // SAFETY: `fd` is a descriptor kept open for the whole call (a `BorrowedFd` borrows its
    // owner); the option value is a pointer to `value`, a live, aligned `c_int` on this stack
    // frame, and `len` is exactly its size. `setsockopt` only reads those `len` bytes during the
    // call and keeps no pointer to them. A wrong descriptor type or option makes the call fail
    // with an error code (returned below), never touch other memory.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&value as *const libc::c_int).cast(),
            len,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
