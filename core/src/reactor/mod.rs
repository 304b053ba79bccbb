//! Where inet's sockets and timers wait: its own reactor.
//!
//! Every socket inet opens is an [`Async`] (registered with the reactor), every timeout a
//! [`Timer`], and [`block_on`] runs a future on the calling thread, waiting in the reactor itself
//! while the future waits — so a callback-mode worker or a blocking call takes its wakeups with no
//! thread hop.
//!
//! On Linux (`epoll.rs`) the reactor is inet's own, because the general-purpose one (async-io over
//! `polling`, in oneshot mode) paid per wait: an `epoll_ctl` to re-arm each socket, a
//! `timerfd_settime` and its re-arm, and an eventfd read and re-arm — as many system calls as the
//! request itself on a keep-alive connection (issue 6's strace). Here a socket is armed (one
//! `epoll_ctl`) only when a task must wait on it; timers are a sorted map whose earliest entry is
//! the wait's timeout; and a
//! wakeup from another thread writes the eventfd only when a thread is really asleep in
//! `epoll_wait`. Elsewhere (`portable.rs`) the same API is a thin layer over async-io, which can
//! also be chosen on Linux with `RUSTFLAGS="--cfg inet_portable_reactor"` to compare the two.
//!
//! Futures run on other executors (smol, tokio) wait in the same reactor: a thread of its own
//! (`inet-reactor`) waits in it whenever no [`block_on`] does, and wakes their tasks.

#[cfg(all(target_os = "linux", not(inet_portable_reactor)))]
mod epoll;
#[cfg(all(target_os = "linux", not(inet_portable_reactor)))]
pub(crate) use epoll::block_on_background;
#[cfg(all(target_os = "linux", not(inet_portable_reactor)))]
pub use epoll::{block_on, Async, Timer};

#[cfg(any(not(target_os = "linux"), inet_portable_reactor))]
mod portable;
#[cfg(any(not(target_os = "linux"), inet_portable_reactor))]
pub(crate) use portable::block_on as block_on_background;
#[cfg(any(not(target_os = "linux"), inet_portable_reactor))]
pub use portable::{block_on, Async, Timer};
