//! Tiny loopback servers for the core's transport tests (std only).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// What the server does with each connection.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Read and never answer; note when the client goes away.
    Stall,
    /// Echo what it reads.
    Echo,
    /// Answer with `n` bytes, one every `gap`.
    Trickle { n: usize, gap: Duration },
    /// Answer "ok" to each read, then close after the first one.
    AnswerThenClose,
}

pub struct Server {
    pub addr: SocketAddr,
    pub accepted: Arc<Mutex<usize>>,
    /// When each connection saw the client's end (EOF or error).
    pub client_gone: Arc<Mutex<Vec<Instant>>>,
}

impl Server {
    pub fn start(mode: Mode) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let client_gone = Arc::new(Mutex::new(Vec::new()));
        let (acc, gone) = (accepted.clone(), client_gone.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                *acc.lock() += 1;
                let gone = gone.clone();
                thread::spawn(move || serve(stream, mode, gone));
            }
        });
        Server {
            addr,
            accepted,
            client_gone,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

fn serve(mut s: TcpStream, mode: Mode, gone: Arc<Mutex<Vec<Instant>>>) {
    let mut buf = [0u8; 4096];
    match mode {
        Mode::Stall | Mode::Echo => loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Mode::Echo = mode {
                        if s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }
        },
        Mode::Trickle { n, gap } => {
            let _ = s.read(&mut buf);
            for _ in 0..n {
                if s.write_all(b"x").is_err() {
                    break;
                }
                thread::sleep(gap);
            }
            while let Ok(k) = s.read(&mut buf) {
                if k == 0 {
                    break;
                }
            }
        }
        Mode::AnswerThenClose => {
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"ok");
            return;
        }
    }
    gone.lock().push(Instant::now());
}

/// A port on which nothing listens.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
