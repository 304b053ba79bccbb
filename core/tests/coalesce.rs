//! Coalesced reads (`Conn::coalesce_reads`): a stream read to the peer's close, or a long one
//! of known length (`Conn::coalesce_reads_of`, a response body on a kept-alive connection), has
//! the kernel hold back its readiness until 128 KiB are there (the receive low-water mark;
//! 512 KiB while the server is the limit), and a wait for that lasts at most 10 ms. Each test is a way this
//! could go wrong: the mark not set (no batching), bytes below it never delivered while the peer
//! stays, the close or the receive timeout no longer seen, bytes lost as the mark moves. Linux
//! only: elsewhere the mark is not set and reads go on as before.
#![cfg(all(target_os = "linux", not(inet_portable_reactor)))]

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use inet_core::reactor::Async;
use inet_core::transport::{Conn, Stream};
use inet_core::{block_on, CloseAtEnd, ErrorKind, Framed, Framing, Options, Reader, UntilClose};
use rustix::event::{poll, PollFd, PollFlags, Timespec};

/// A connected pair: (inet's end through the reactor, a second descriptor of that same socket
/// for looking at it with `poll`, the peer as a plain blocking socket).
fn pair() -> (Async<TcpStream>, TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let ours = TcpStream::connect(addr).expect("connect");
    let (theirs, _) = listener.accept().expect("accept");
    let look = ours.try_clone().expect("dup");
    (Async::new(ours).expect("register"), look, theirs)
}

/// Whether `poll` reports the socket readable within `ms` milliseconds.
fn readable_within(socket: &TcpStream, ms: u64) -> bool {
    let mut fds = [PollFd::new(socket, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: i64::try_from(ms / 1000).expect("small"),
        tv_nsec: i64::try_from(ms % 1000 * 1_000_000).expect("small"),
    };
    let n = poll(&mut fds, Some(&timeout)).expect("poll");
    n == 1 && fds[0].revents().contains(PollFlags::IN)
}

fn conn_over(tcp: Async<TcpStream>, receive_timeout: Duration) -> Conn {
    let peer = tcp.get_ref().peer_addr().expect("peer");
    let mut options = Options::default();
    options.receive_timeout = Some(receive_timeout);
    Conn::new(Stream::Tcp(tcp), peer, "test peer", &options)
}

#[test]
fn a_receive_low_water_mark_holds_readiness_back_until_it_is_reached() {
    let (ours, look, mut theirs) = pair();
    ours.set_receive_low_water(64 * 1024).expect("set the mark");
    theirs.write_all(&[1u8; 1024]).expect("write");
    assert!(
        !readable_within(&look, 100),
        "1 KiB under a 64 KiB mark was reported readable: the mark is not set"
    );
    theirs.write_all(&[2u8; 64 * 1024]).expect("write");
    assert!(readable_within(&look, 5_000), "65 KiB over a 64 KiB mark");
}

#[test]
fn a_receive_low_water_mark_still_reports_the_peers_close() {
    let (ours, look, mut theirs) = pair();
    ours.set_receive_low_water(64 * 1024).expect("set the mark");
    theirs.write_all(b"short").expect("write");
    theirs
        .shutdown(std::net::Shutdown::Write)
        .expect("shutdown");
    assert!(readable_within(&look, 5_000), "the close under the mark");
}

#[test]
fn a_reader_of_a_stream_that_runs_to_the_close_sets_the_mark() {
    let (ours, look, mut theirs) = pair();
    let conn = conn_over(ours, Duration::from_secs(30));
    let _reader = Reader::dedicated(conn, Box::<UntilClose>::default(), None, None);
    theirs.write_all(&[1u8; 1024]).expect("write");
    assert!(
        !readable_within(&look, 100),
        "an until-close reader's socket reported 1 KiB: reads are not coalesced"
    );
}

/// A peer that writes 100 bytes after `delay`, then keeps the connection open until told the
/// client has them (or 10 s passed: then it closes, and the test fails).
struct LingeringPeer {
    closed: Arc<AtomicBool>,
    got: mpsc::Sender<()>,
    thread: thread::JoinHandle<()>,
}

impl LingeringPeer {
    fn start(mut theirs: TcpStream, delay: Duration) -> LingeringPeer {
        let closed = Arc::new(AtomicBool::new(false));
        let (got, got_rx) = mpsc::channel::<()>();
        let thread = {
            let closed = closed.clone();
            thread::spawn(move || {
                thread::sleep(delay);
                theirs.write_all(&[7u8; 100]).expect("write");
                let _ = got_rx.recv_timeout(Duration::from_secs(10));
                closed.store(true, Ordering::SeqCst);
                drop(theirs);
            })
        };
        LingeringPeer {
            closed,
            got,
            thread,
        }
    }

    /// The client read `n` bytes: they must be the 100, come while the peer stayed. Then the
    /// peer closes.
    fn client_got(self, n: usize) {
        assert_eq!(n, 100);
        assert!(
            !self.closed.load(Ordering::SeqCst),
            "the bytes came only with the close: a wait under the mark never ended"
        );
        self.got.send(()).expect("peer waits");
        self.thread.join().expect("peer");
    }
}

#[test]
fn coalesced_reads_deliver_bytes_under_the_mark_while_the_peer_keeps_the_connection_open() {
    let (ours, _look, theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads();
    let peer = LingeringPeer::start(theirs, Duration::ZERO);
    let mut buf = vec![0u8; 64 * 1024];
    // The future form's read: it waits itself.
    let n = block_on(conn.read(&mut buf)).expect("read");
    peer.client_got(n);
    let n = block_on(conn.read(&mut buf)).expect("read the end");
    assert_eq!(n, 0, "then the end of the stream");
}

#[test]
fn the_one_poll_read_and_its_wait_deliver_bytes_under_the_mark_too() {
    let (ours, _look, theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads();
    // After the client's first try found nothing, so that it has to wait.
    let peer = LingeringPeer::start(theirs, Duration::from_millis(50));
    let mut buf = vec![0u8; 64 * 1024];
    // The poll form callback mode uses: one try, then a wait of its own.
    let n = block_on(async {
        loop {
            let polled =
                std::future::poll_fn(|cx| std::task::Poll::Ready(conn.poll_read(cx, &mut buf)))
                    .await;
            match polled {
                std::task::Poll::Ready(n) => break n,
                std::task::Poll::Pending => conn.wait_socket_readable().await?,
            }
        }
    })
    .expect("read");
    peer.client_got(n);
}

#[test]
fn a_coalesced_read_dropped_while_it_waits_leaves_the_connection_readable() {
    let (ours, _look, theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads();
    let mut buf = vec![0u8; 64 * 1024];
    // Nothing has come: the read waits under the mark, and is given up on (a `select!` with a
    // tick, a timeout wrapper).
    let first = block_on(futures_lite::future::poll_once(conn.read(&mut buf)));
    assert!(
        first.is_none(),
        "a read with nothing sent finished: {first:?}"
    );
    let peer = LingeringPeer::start(theirs, Duration::ZERO);
    let n = block_on(conn.read(&mut buf)).expect("read after the dropped one");
    peer.client_got(n);
}

#[test]
fn the_receive_timeout_still_ends_a_coalesced_read_of_a_stalled_stream() {
    let (ours, _look, mut theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_millis(300));
    conn.coalesce_reads();
    theirs.write_all(&[7u8; 100]).expect("write");
    let mut buf = vec![0u8; 64 * 1024];
    let n = block_on(conn.read(&mut buf)).expect("the 100 bytes");
    assert_eq!(n, 100);
    // Nothing more comes, and the peer stays: the receive timeout must end the wait.
    let err = block_on(conn.read(&mut buf)).expect_err("stalled");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    drop(theirs);
}

#[test]
fn a_coalesced_stream_read_to_its_close_loses_no_byte() {
    let (ours, _look, mut theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads();
    // Small writes with pauses, as a slow server makes them: some waits end at the mark, some
    // at the 10 ms limit with the mark lowered, some with the mark raised again.
    let total: usize = 3 * 1024 * 1024 + 17;
    let peer = thread::spawn(move || {
        let mut sent = 0usize;
        let mut i = 0u32;
        while sent < total {
            let n = (8 * 1024).min(total - sent);
            let piece: Vec<u8> = (sent..sent + n).map(|b| (b % 251) as u8).collect();
            theirs.write_all(&piece).expect("write");
            sent += n;
            i += 1;
            if i % 64 == 0 {
                thread::sleep(Duration::from_millis(25));
            }
        }
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0usize;
    loop {
        let n = block_on(conn.read(&mut buf)).expect("read");
        if n == 0 {
            break;
        }
        for (k, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, ((got + k) % 251) as u8, "byte {}", got + k);
        }
        got += n;
    }
    peer.join().expect("peer");
    assert_eq!(got, total);
}

#[test]
fn setting_the_mark_on_a_socket_saturates_a_huge_value() {
    let (ours, look, mut theirs) = pair();
    ours.set_receive_low_water(usize::MAX)
        .expect("a huge mark is saturated, not refused");
    theirs.write_all(&[1u8; 1024]).expect("write");
    assert!(!readable_within(&look, 50));
}

#[test]
fn a_coalescing_connection_keeps_a_window_larger_than_its_mark() {
    // The kernel would otherwise clamp the window to the mark (the server stalling at every
    // wakeup): the reader asks for a 2 MiB window first, a buffer of about twice that.
    let rmem_max: usize = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_rmem")
        .expect("tcp_rmem")
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .expect("its maximum");
    let (ours, look, _theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads();
    let rcvbuf = rustix::net::sockopt::socket_recv_buffer_size(&look).expect("SO_RCVBUF");
    let expected = (2 * 1024 * 1024).min(rmem_max / 2);
    assert!(
        rcvbuf >= expected,
        "receive buffer {rcvbuf} B, expected at least {expected} B (tcp_rmem max {rmem_max})"
    );
}

/// The framing of a body of known length (as HTTP's `Content-Length`): verbatim to its end, after
/// which the connection goes on.
struct Length(u64);

impl Framing for Length {
    fn frame(&mut self, wire: &[u8]) -> inet_core::Result<Framed> {
        let n = wire
            .len()
            .min(usize::try_from(self.0).unwrap_or(usize::MAX));
        self.0 -= n as u64;
        Ok(Framed {
            consumed: n,
            payload: 0..n,
        })
    }

    fn verbatim(&self) -> Option<u64> {
        Some(self.0)
    }

    fn end_of_stream(&mut self) -> inet_core::Result<()> {
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.0 == 0
    }
}

/// Read from `conn` until `total` bytes came, as the peer sends them from its own thread.
fn read_exactly(conn: &mut Conn, mut theirs: TcpStream, total: usize) -> TcpStream {
    let peer = thread::spawn(move || {
        theirs.write_all(&vec![3u8; total]).expect("write");
        theirs
    });
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0;
    while got < total {
        let n = block_on(conn.read(&mut buf[..(total - got).min(256 * 1024)])).expect("read");
        assert_ne!(n, 0, "the peer closed after {got} bytes");
        got += n;
    }
    peer.join().expect("peer")
}

#[test]
fn a_stream_of_known_length_coalesces_then_reports_every_byte_once_its_end_is_near() {
    let (ours, look, mut theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    let total = 2 * 1024 * 1024;
    conn.coalesce_reads_of(total);
    theirs.write_all(&[1u8; 1024]).expect("write");
    assert!(
        !readable_within(&look, 100),
        "1 KiB of a 2 MiB stream reported readable: its reads are not coalesced"
    );
    // 200 KiB from the end: a 128 KiB mark might never be reached by what is left once the TLS
    // layer has taken its share, and the peer will not close.
    let mut theirs = read_exactly(&mut conn, theirs, 2 * 1024 * 1024 - 200 * 1024);
    theirs.write_all(&[2u8; 1024]).expect("write");
    assert!(
        readable_within(&look, 5_000),
        "1 KiB near the end of a known-length stream was held back by the mark"
    );
}

#[test]
fn a_stream_of_known_length_too_short_to_gain_is_not_coalesced() {
    let (ours, look, mut theirs) = pair();
    let mut conn = conn_over(ours, Duration::from_secs(30));
    conn.coalesce_reads_of(256 * 1024);
    theirs.write_all(&[1u8; 1024]).expect("write");
    assert!(
        readable_within(&look, 5_000),
        "1 KiB of a 256 KiB stream was held back: a mark was set for a stream within twice it"
    );
}

#[test]
fn a_reader_of_a_long_body_of_known_length_sets_the_mark_and_a_short_one_does_not() {
    for (length, coalesced) in [(4u64 << 20, true), (512 << 10, false)] {
        let (ours, look, mut theirs) = pair();
        let conn = conn_over(ours, Duration::from_secs(30));
        let _reader = Reader::new(
            conn,
            Vec::new(),
            0..0,
            Box::new(Length(length)),
            None,
            Some(length),
            Box::new(CloseAtEnd),
        );
        theirs.write_all(&[1u8; 1024]).expect("write");
        let held_back = !readable_within(&look, if coalesced { 100 } else { 5_000 });
        assert_eq!(
            held_back, coalesced,
            "a reader of a {length}-byte body: 1 KiB held back by a mark"
        );
    }
}
