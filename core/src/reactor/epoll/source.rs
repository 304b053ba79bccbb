//! A socket registered with the reactor: [`Async`], and the readiness it keeps per direction.
//!
//! Registration is oneshot, armed only when a task is about to wait: the kernel reports the
//! socket once, then stays quiet until the next wait arms it again (one `epoll_ctl`, which also
//! reports at once what is ready already). So a socket read in a loop that never has to wait —
//! a bulk download whose data keeps coming — wakes no thread sleeping in the reactor, as an
//! edge-triggered registration would for every arriving packet.
//!
//! Readiness is remembered: a flag per direction, set by the reactor's event and cleared only
//! when an operation tried the socket and it would block ([`Async::try_read_with`] /
//! [`Async::try_write_with`]; every read and write of inet's sockets goes through them). An
//! event bumps a tick as it sets the flag, and the clearing is a compare-and-swap on the tick
//! seen before the operation: an event that came while the operation ran keeps the flag set.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use futures_lite::{AsyncRead, AsyncWrite};
use parking_lot::Mutex;
use rustix::event::epoll;
use rustix::net as rn;

use super::Reactor;

pub(super) const READ: usize = 0;
pub(super) const WRITE: usize = 1;

/// The reactor's record of a registered socket.
pub(super) struct Source {
    pub(super) key: usize,
    /// Per direction: `tick << 1 | ready`.
    ready: [AtomicU64; 2],
    /// A receive low-water mark above 1 byte is set (see [`Async::set_receive_low_water`]).
    low_water: AtomicBool,
    waiting: Mutex<Waiting>,
}

/// The tasks waiting, and what the kernel is armed to report.
struct Waiting {
    wakers: [Option<Waker>; 2],
    /// Interest armed since the last event (a oneshot event disarms everything).
    armed: epoll::EventFlags,
}

const INTEREST: [epoll::EventFlags; 2] = [
    epoll::EventFlags::IN.union(epoll::EventFlags::RDHUP),
    epoll::EventFlags::OUT,
];

impl Source {
    pub(super) fn new(key: usize) -> Self {
        Source {
            key,
            // "Maybe ready": the first operation tries the socket.
            ready: [AtomicU64::new(1), AtomicU64::new(1)],
            low_water: AtomicBool::new(false),
            waiting: Mutex::new(Waiting {
                wakers: [None, None],
                armed: epoll::EventFlags::empty(),
            }),
        }
    }

    /// An event: set the flag with a new tick, take the waiting task's waker. The event disarmed
    /// the socket: a task waiting the other way is woken too, to arm it again.
    pub(super) fn mark(&self, dir: usize, wakers: &mut Vec<Waker>) {
        self.assume_ready(dir);
        let mut waiting = self.waiting.lock();
        waiting.armed = epoll::EventFlags::empty();
        for w in waiting.wakers.iter_mut() {
            if let Some(w) = w.take() {
                wakers.push(w);
            }
        }
    }

    /// Take the socket as maybe ready without an event, so that the next operation tries it
    /// (as [`mark`](Self::mark) does, waking nobody: the caller polls again itself).
    fn assume_ready(&self, dir: usize) {
        let _ = self.ready[dir].fetch_update(Ordering::AcqRel, Ordering::Acquire, |v| {
            Some((((v >> 1) + 1) << 1) | 1)
        });
    }

    fn is_ready(&self, dir: usize) -> bool {
        self.ready[dir].load(Ordering::Acquire) & 1 == 1
    }

    /// Ready now, or `cx` registered to be woken by the next event (arming the socket for it).
    fn poll_ready(
        &self,
        reactor: &Reactor,
        dir: usize,
        cx: &mut Context<'_>,
        fd: BorrowedFd<'_>,
    ) -> Poll<io::Result<()>> {
        if self.is_ready(dir) {
            return Poll::Ready(Ok(()));
        }
        let mut waiting = self.waiting.lock();
        match &waiting.wakers[dir] {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => waiting.wakers[dir] = Some(cx.waker().clone()),
        }
        // An event between the check above and the lock: look again.
        if self.is_ready(dir) {
            return Poll::Ready(Ok(()));
        }
        if !waiting.armed.contains(INTEREST[dir]) {
            let mut interest = epoll::EventFlags::empty();
            for (d, w) in waiting.wakers.iter().enumerate() {
                if w.is_some() {
                    interest |= INTEREST[d];
                }
            }
            reactor.arm(fd, self.key, interest)?;
            waiting.armed = interest;
        }
        Poll::Pending
    }

    /// Run one non-blocking operation; clear the flag if it would block (unless an event came
    /// meanwhile).
    fn try_io<R>(&self, dir: usize, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        self.try_io_until(dir, op, |_| false)
    }

    /// [`try_io`](Self::try_io), also clearing the flag when `drained` says a result that is
    /// not `WouldBlock` took all there was.
    fn try_io_until<R>(
        &self,
        dir: usize,
        op: impl FnOnce() -> io::Result<R>,
        drained: impl FnOnce(&R) -> bool,
    ) -> io::Result<R> {
        let seen = self.ready[dir].load(Ordering::Acquire);
        let r = op();
        let empty = match &r {
            Ok(v) => drained(v),
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        };
        if empty && seen & 1 == 1 {
            let _ = self.ready[dir].compare_exchange(
                seen,
                seen & !1,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
        r
    }
}

/// A non-blocking socket registered with inet's reactor (in the manner of async-io's `Async`).
pub struct Async<T: AsFd> {
    reactor: &'static Reactor,
    source: Arc<Source>,
    io: T,
    /// inet made this descriptor (connect, bind, accept) and never duplicates it: closing it
    /// takes it out of the epoll set, so dropping needs no `EPOLL_CTL_DEL` (a system call per
    /// connection: an FTP data connection per file). A descriptor given to [`Async::new`] may
    /// have duplicates elsewhere, which would keep it in the set: that one is deleted.
    sole_owner: bool,
}

impl<T: AsFd> Async<T> {
    /// Make `io` non-blocking and register it.
    pub fn new(io: T) -> io::Result<Async<T>> {
        rustix::io::ioctl_fionbio(&io, true)?;
        Self::new_nonblocking(io, false)
    }

    /// A descriptor of inet's own making, already non-blocking (see `sole_owner`).
    fn new_own(io: T) -> io::Result<Async<T>> {
        rustix::io::ioctl_fionbio(&io, true)?;
        Self::new_nonblocking(io, true)
    }

    fn new_nonblocking(io: T, sole_owner: bool) -> io::Result<Async<T>> {
        let reactor = Reactor::get()?;
        let source = reactor.register(io.as_fd())?;
        Ok(Async {
            reactor,
            source,
            io,
            sole_owner,
        })
    }

    /// The socket.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Ready to read (or closed), or `cx` woken when it is. Ready stays so until a
    /// [`try_read_with`](Self::try_read_with) finds nothing.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source
            .poll_ready(self.reactor, READ, cx, self.io.as_fd())
    }

    /// As [`poll_readable`](Self::poll_readable), for writing.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source
            .poll_ready(self.reactor, WRITE, cx, self.io.as_fd())
    }

    /// Start watching an idle socket: forget what reads left of its readiness and arm it to
    /// report the next byte or the close, with nobody to wake. [`maybe_readable`] then tells,
    /// without a system call, whether anything came since — and a later wait finds the socket
    /// armed already. (A pooled connection: armed when put back, looked at when taken out.)
    ///
    /// [`maybe_readable`]: Self::maybe_readable
    pub fn watch_readable(&self) -> io::Result<()> {
        let source = &self.source;
        let mut waiting = source.waiting.lock();
        source.ready[READ].fetch_and(!1, Ordering::AcqRel);
        let interest = waiting.armed | INTEREST[READ];
        if let Err(e) = self.reactor.arm(self.io.as_fd(), source.key, interest) {
            // Not watched: back to "maybe", so that nobody trusts a silence nobody listened to.
            source.ready[READ].fetch_or(1, Ordering::AcqRel);
            return Err(e);
        }
        waiting.armed = interest;
        Ok(())
    }

    /// Whether a read might find something (or the end): false only when the socket reported
    /// nothing since a read found it empty or [`watch_readable`](Self::watch_readable) armed it.
    pub fn maybe_readable(&self) -> bool {
        self.source.is_ready(READ)
    }

    /// Set the socket's receive low-water mark: readiness to read is reported (and a waiting
    /// task woken) only once `bytes` have arrived, or the peer closed, or the connection failed.
    /// A read still returns whatever is there. `bytes` is at least 1 (the default).
    pub fn set_receive_low_water(&self, bytes: usize) -> io::Result<()> {
        super::low_water::set_receive_low_water(self.io.as_fd(), bytes)?;
        self.source.low_water.store(bytes > 1, Ordering::Relaxed);
        Ok(())
    }

    /// Take the socket as maybe readable without an event from the reactor: the next read tries
    /// it, and a read that finds nothing waits for the reactor again. (A wait given a time limit
    /// of its own, over a low-water mark not yet reached, ends this way.)
    pub fn assume_readable(&self) {
        self.source.assume_ready(READ);
    }

    /// Wait until [`poll_readable`](Self::poll_readable) is ready.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Wait until [`poll_writable`](Self::poll_writable) is ready.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// One non-blocking read-side operation on the socket (read, peek, accept), without waiting.
    pub fn try_read_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.try_io(READ, || op(&self.io))
    }

    /// One non-blocking write-side operation on the socket, without waiting.
    pub fn try_write_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.try_io(WRITE, || op(&self.io))
    }

    /// Poll a read-side operation until it does not block. The operation is tried only while the
    /// socket may be ready: once one found nothing, the next poll waits for the reactor's event
    /// instead of trying again (a future polled anew after `Pending` — a read raced with a
    /// timer, say — would otherwise make a system call that finds nothing, every time).
    /// `drained` says of a result that it took all there was: it counts as finding nothing
    /// for the next poll.
    fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            ready!(self.poll_readable(cx))?;
            match self.source.try_io_until(READ, || op(&self.io), &drained) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    /// Poll a write-side operation until it does not block (tried only while the socket may be
    /// ready, as [`poll_read_with`](Self::poll_read_with)).
    fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            ready!(self.poll_writable(cx))?;
            match self.try_write_with(&mut op) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        let fd = (!self.sole_owner).then(|| self.io.as_fd());
        self.reactor.deregister(&self.source, fd);
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Async").field(&self.io).finish()
    }
}

impl Async<TcpStream> {
    /// Connect to `addr` without blocking the thread.
    pub async fn connect(addr: SocketAddr) -> io::Result<Async<TcpStream>> {
        let family = match addr {
            SocketAddr::V4(_) => rn::AddressFamily::INET,
            SocketAddr::V6(_) => rn::AddressFamily::INET6,
        };
        let socket = rn::socket_with(
            family,
            rn::SocketType::STREAM,
            rn::SocketFlags::CLOEXEC | rn::SocketFlags::NONBLOCK,
            Some(rn::ipproto::TCP),
        )?;
        match rn::connect(&socket, &addr) {
            Ok(()) | Err(rustix::io::Errno::INPROGRESS) => {}
            Err(e) => return Err(e.into()),
        }
        let stream = Async::new_nonblocking(TcpStream::from(socket), true)?;
        // Writable once the handshake is over, either way; the socket's error says which.
        loop {
            stream.writable().await?;
            if let Some(e) = stream.io.take_error()? {
                return Err(e);
            }
            // Spurious readiness (the registration's "maybe ready"): connected only when the
            // peer is known.
            match stream.io.peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    // Wait for the real event: clear the flag as a write that would block does.
                    let _ = stream.try_write_with(|_| -> io::Result<()> {
                        Err(io::ErrorKind::WouldBlock.into())
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Async<TcpListener> {
    /// Listen on `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<Async<TcpListener>> {
        Async::new_own(TcpListener::bind(addr)?)
    }

    /// Wait for a connection.
    pub async fn accept(&self) -> io::Result<(Async<TcpStream>, SocketAddr)> {
        let (stream, peer) =
            poll_fn(|cx| self.poll_read_with(cx, |l| l.accept(), |_| false)).await?;
        Ok((Async::new_own(stream)?, peer))
    }
}

impl AsyncRead for Async<TcpStream> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // Under a low-water mark, a read that got less than it asked for took all there was:
        // the next one waits for the kernel's report (made once the mark is reached) rather
        // than trying again at once and taking the next few bytes — else the mark would batch
        // the waits but not the reads.
        let low_water = self.source.low_water.load(Ordering::Relaxed);
        let asked = buf.len();
        let drained = |n: &usize| low_water && *n > 0 && *n < asked;
        self.poll_read_with(cx, |mut s| s.read(buf), drained)
    }
}

impl AsyncWrite for Async<TcpStream> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut s| s.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.shutdown(Shutdown::Write))
    }
}
