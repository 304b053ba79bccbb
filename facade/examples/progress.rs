//! Progress of a large download: inet's PROGRESS notification (throttled to one every 50 ms
//! per transfer, plus the last) carries bytes done and the total when known.
//!
//! ```sh
//! cargo run -p inet --example progress -- http://127.0.0.1:8080/big.bin
//! ```

use std::io::Write;

use inet::{open_url_blocking, Direction, OpenUrlOptions, Session, Status};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: progress URL")?;
    let session = Session::builder()
        .status_callback(|n| {
            if let Status::Progress(p) = &n.status {
                if p.direction == Direction::Receive {
                    match p.total {
                        Some(t) if t > 0 => {
                            eprint!("\r{:5.1}% of {t} bytes", 100.0 * p.done as f64 / t as f64)
                        }
                        _ => eprint!("\r{} bytes", p.done),
                    }
                    let _ = std::io::stderr().flush();
                }
            }
        })
        .build()?;
    let stream = open_url_blocking(&session, &url, OpenUrlOptions::new())?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = stream.read_blocking(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    eprintln!();
    println!("{total} bytes");
    Ok(())
}
