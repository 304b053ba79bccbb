//! Interrupt a request that takes too long (the seed's reason for asynchronous mode): start it,
//! wait up to a deadline, and close its handle — which always cancels, and the callback hears
//! REQUEST_COMPLETE with ERROR_INTERNET_OPERATION_CANCELLED (12017), then HANDLE_CLOSING.
//!
//! ```sh
//! cargo run -p inet --example cancel -- http://slow.example/ 500
//! ```

use std::sync::mpsc;
use std::time::{Duration, Instant};

use inet::{start_open_url, OpenUrlOptions, Session, Status};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: cancel URL [DEADLINE_MS]")?;
    let deadline = Duration::from_millis(args.next().map_or(Ok(500), |s| s.parse())?);
    let (tx, rx) = mpsc::channel();
    let session = Session::builder()
        .status_callback(move |n| match &n.status {
            Status::RequestComplete(r) => {
                let _ = tx.send(r.as_ref().map(|_| ()).map_err(|e| e.code()));
            }
            Status::HandleClosing => println!("{} HANDLE_CLOSING", n.handle),
            _ => {}
        })
        .build()?;
    let started = Instant::now();
    let (handle, _pending) = start_open_url(&session, &url, OpenUrlOptions::new())?;
    match rx.recv_timeout(deadline) {
        Ok(Ok(())) => println!("answered in {:?}", started.elapsed()),
        Ok(Err(code)) => println!("failed with {code}"),
        Err(_) => {
            println!("no answer in {deadline:?}: closing the handle");
            handle.close();
            let outcome = rx.recv_timeout(Duration::from_secs(5))?;
            println!(
                "cancelled after {:?}: error {}",
                started.elapsed(),
                outcome.err().unwrap_or(0)
            );
        }
    }
    Ok(())
}
