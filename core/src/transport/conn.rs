//! A connection with the session's limits applied to every read and write.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};

use crate::error::{Error, ErrorKind, Result};
use crate::options::{LowSpeed, Options};
use crate::transport::Stream;

/// A connected stream plus what inet needs to use it well: its peer, a label for error messages
/// ("host:port"), the send/receive timeouts and the low-speed limit, and whether it came from the
/// pool.
pub struct Conn {
    stream: Stream,
    peer: SocketAddr,
    label: String,
    send_timeout: Option<Duration>,
    receive_timeout: Option<Duration>,
    low_speed: Option<LowSpeed>,
    window: SpeedWindow,
    timer: Timer,
    reused: bool,
    written: u64,
    buffer: Vec<u8>,
    pub(crate) idle_since: Instant,
}

/// Bytes received since `start`, for the low-speed limit.
#[derive(Clone, Copy)]
struct SpeedWindow {
    start: Instant,
    bytes: u64,
}

enum Raced<T> {
    Done(T),
    TimerFired,
}

impl Conn {
    /// Wrap `stream`, connected to `peer`, applying `options`' timeouts.
    pub fn new(
        stream: Stream,
        peer: SocketAddr,
        label: impl Into<String>,
        options: &Options,
    ) -> Self {
        let now = Instant::now();
        Conn {
            stream,
            peer,
            label: label.into(),
            send_timeout: options.send_timeout,
            receive_timeout: options.receive_timeout,
            low_speed: options.low_speed,
            window: SpeedWindow {
                start: now,
                bytes: 0,
            },
            timer: Timer::never(),
            reused: false,
            written: 0,
            buffer: Vec::new(),
            idle_since: now,
        }
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// "host:port", as used in error messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The connection's read buffer, at least `min_len` long (contents unspecified). It travels
    /// with the connection, through the pool too, so a request on a reused connection neither
    /// allocates nor zeroes one. Give it back with [`keep_buffer`](Self::keep_buffer).
    pub fn take_buffer(&mut self, min_len: usize) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.buffer);
        if buf.len() < min_len {
            buf.resize(min_len, 0);
        }
        buf
    }

    /// Keep `buf` for the next [`take_buffer`](Self::take_buffer); a bulk-sized one (over
    /// 64 KiB) is dropped rather than held by an idle connection.
    pub fn keep_buffer(&mut self, buf: Vec<u8>) {
        if buf.len() <= 64 * 1024 {
            self.buffer = buf;
        }
    }

    /// Bytes written on this connection so far (all requests).
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// True when this connection came from the pool (it served an earlier request).
    pub fn is_reused(&self) -> bool {
        self.reused
    }

    pub(crate) fn mark_reused(&mut self) {
        self.reused = true;
        self.restart_speed_window();
    }

    /// The stream.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Replace the stream by what `f` makes of it (a TLS handshake over it), keeping the settings.
    pub(crate) async fn upgrade<F, Fut>(self, f: F) -> Result<Conn>
    where
        F: FnOnce(Stream) -> Fut,
        Fut: std::future::Future<Output = Result<Stream>>,
    {
        let Conn {
            stream,
            peer,
            label,
            send_timeout,
            receive_timeout,
            low_speed,
            window,
            timer,
            reused,
            written,
            buffer,
            idle_since,
        } = self;
        let stream = f(stream).await?;
        Ok(Conn {
            stream,
            peer,
            label,
            send_timeout,
            receive_timeout,
            low_speed,
            window,
            timer,
            reused,
            written,
            buffer,
            idle_since,
        })
    }

    /// Override the receive timeout for this connection.
    pub fn set_receive_timeout(&mut self, t: Option<Duration>) {
        self.receive_timeout = t;
    }

    /// Start a new low-speed measurement window (call when a transfer starts).
    pub fn restart_speed_window(&mut self) {
        self.window = SpeedWindow {
            start: Instant::now(),
            bytes: 0,
        };
    }

    /// Read into `buf`; `Ok(0)` is the end of the stream. Fails with `ERROR_INTERNET_TIMEOUT` when
    /// nothing arrives within the receive timeout or the low-speed limit is crossed.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        // Bytes already waiting in the socket need no timer: on bulk transfers that is most reads,
        // and arming a timer costs a trip through the reactor.
        if let Some(ready) = futures_lite::future::poll_once(self.stream.read(buf)).await {
            return self.account(ready);
        }
        loop {
            let now = Instant::now();
            let read_deadline = self.receive_timeout.map(|t| now + t);
            let window_end = self.low_speed.map(|ls| self.window.start + ls.window);
            let deadline = match (read_deadline, window_end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let Conn { stream, timer, .. } = self;
            let outcome = match deadline {
                None => Raced::Done(stream.read(buf).await),
                Some(d) => {
                    timer.set_at(d);
                    async { Raced::Done(stream.read(buf).await) }
                        .or(async {
                            timer.await;
                            Raced::TimerFired
                        })
                        .await
                }
            };
            match outcome {
                Raced::Done(ready) => return self.account(ready),
                Raced::TimerFired => {
                    let now = Instant::now();
                    if read_deadline.is_some_and(|d| now >= d) {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            format!(
                                "receiving from {}: nothing arrived in {:?}",
                                self.label,
                                self.receive_timeout.unwrap_or_default()
                            ),
                        ));
                    }
                    self.check_speed(now)?;
                }
            }
        }
    }

    /// Wait, within the receive timeout, until the socket has something to read (or has closed),
    /// without reading. Right after a request is sent its answer cannot be there yet: waiting
    /// first saves the read that would find nothing. A TLS stream that already holds decrypted
    /// bytes returns at once.
    pub async fn wait_readable(&mut self) -> Result<()> {
        let Conn {
            stream,
            timer,
            receive_timeout,
            label,
            ..
        } = self;
        let tcp = match stream {
            Stream::Tcp(tcp) => &*tcp,
            Stream::Tls(tls) if tls.buffered() == 0 => tls.get_ref(),
            Stream::Tls(_) => return Ok(()),
        };
        let outcome = match receive_timeout {
            None => Raced::Done(tcp.readable().await),
            Some(t) => {
                timer.set_after(*t);
                async { Raced::Done(tcp.readable().await) }
                    .or(async {
                        (&mut *timer).await;
                        Raced::TimerFired
                    })
                    .await
            }
        };
        match outcome {
            Raced::Done(r) => r.map_err(|e| Error::io(e, format!("receiving from {label}"))),
            Raced::TimerFired => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "receiving from {label}: nothing arrived in {:?}",
                    receive_timeout.unwrap_or_default()
                ),
            )),
        }
    }

    /// Count a finished read against the low-speed window.
    fn account(&mut self, ready: std::io::Result<usize>) -> Result<usize> {
        match ready {
            Ok(n) => {
                self.window.bytes += n as u64;
                if self.low_speed.is_some() {
                    self.check_speed(Instant::now())?;
                }
                Ok(n)
            }
            Err(e) => Err(Error::io(e, format!("receiving from {}", self.label))),
        }
    }

    /// At the end of a low-speed window: fail if the window was too slow, else start a new one.
    fn check_speed(&mut self, now: Instant) -> Result<()> {
        let Some(ls) = self.low_speed else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(self.window.start);
        if elapsed < ls.window {
            return Ok(());
        }
        let needed = (ls.bytes_per_sec as f64 * elapsed.as_secs_f64()) as u64;
        if self.window.bytes < needed {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "receiving from {}: {} bytes in {:.1} s, below the low-speed limit of {} B/s",
                    self.label,
                    self.window.bytes,
                    elapsed.as_secs_f64(),
                    ls.bytes_per_sec
                ),
            ));
        }
        self.window = SpeedWindow {
            start: now,
            bytes: 0,
        };
        Ok(())
    }

    /// Write all of `data` (and flush), each write bounded by the send timeout.
    pub async fn write_all(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let Conn {
                stream,
                timer,
                send_timeout,
                label,
                ..
            } = self;
            let n = send_bounded(timer, *send_timeout, label, stream.write(data)).await?;
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::ConnectionAborted,
                    format!("sending to {}: the connection is closed", self.label),
                ));
            }
            self.written += n as u64;
            data = &data[n..];
        }
        let Conn {
            stream,
            timer,
            send_timeout,
            label,
            ..
        } = self;
        send_bounded(timer, *send_timeout, label, stream.flush()).await
    }
}

/// Run one write-side I/O step, failing with a timeout if it makes no progress in `limit`.
async fn send_bounded<T>(
    timer: &mut Timer,
    limit: Option<Duration>,
    label: &str,
    io: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T> {
    let outcome = match limit {
        None => Raced::Done(io.await),
        Some(t) => {
            timer.set_after(t);
            async { Raced::Done(io.await) }
                .or(async {
                    timer.await;
                    Raced::TimerFired
                })
                .await
        }
    };
    match outcome {
        Raced::Done(Ok(v)) => Ok(v),
        Raced::Done(Err(e)) => Err(Error::io(e, format!("sending to {label}"))),
        Raced::TimerFired => Err(Error::new(
            ErrorKind::Timeout,
            format!(
                "sending to {label}: no progress in {:?}",
                limit.unwrap_or_default()
            ),
        )),
    }
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("label", &self.label)
            .field("peer", &self.peer)
            .field("tls", &self.stream.is_tls())
            .field("reused", &self.reused)
            .finish()
    }
}
