//! Callback mode, WinINet's asynchronous model: every call returns at once, a status callback
//! hears every step (resolving, connecting, sending, receiving…) with the handle's context, and
//! REQUEST_COMPLETE says when an operation is done. Here: several URLs, each with its own
//! context; each body is read from inside the callback as it becomes readable.
//!
//! ```sh
//! cargo run -p inet --example callback -- http://127.0.0.1:8080/a http://127.0.0.1:8080/b
//! ```

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};

use inet::{
    start_open_url, Completion, Context, OpenUrlOptions, Session, Started, Status, UrlStream,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        return Err("usage: callback URL...".into());
    }
    // Context → (the stream once opened, bytes read so far).
    let streams: Table = Default::default();
    let (done, finished) = mpsc::channel::<(u64, inet::Result<u64>)>();
    let table = streams.clone();
    let session = Session::builder()
        .status_callback(move |n| {
            let ctx = n.context.0;
            match &n.status {
                Status::RequestComplete(Ok(c @ Completion::Value(_))) => {
                    // The URL is open: start reading it.
                    if let Some(stream) = c.value::<UrlStream>() {
                        table.lock().unwrap().insert(ctx, (Some(stream.clone()), 0));
                        read_more(&table, ctx, &done);
                    }
                }
                Status::RequestComplete(Ok(Completion::Data(bytes))) => {
                    // A read that had to wait is done: count it, read on.
                    if let Some(entry) = table.lock().unwrap().get_mut(&ctx) {
                        entry.1 += bytes.len() as u64;
                    }
                    if bytes.is_empty() {
                        finish(&table, ctx, &done);
                    } else {
                        read_more(&table, ctx, &done);
                    }
                }
                Status::RequestComplete(Err(e)) => {
                    let _ = done.send((ctx, Err(e.clone())));
                }
                Status::Progress(_) => {}
                other => println!("[{ctx}] {} {other}", n.handle),
            }
        })
        .build()?;
    let mut handles = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let ctx = Context(i as u64 + 1);
        let (handle, _pending) = start_open_url(&session, url, OpenUrlOptions::new().context(ctx))?;
        handles.push(handle);
    }
    for _ in &urls {
        let (ctx, result) = finished.recv()?;
        match result {
            Ok(n) => println!("[{ctx}] {}: {n} bytes", urls[ctx as usize - 1]),
            Err(e) => println!("[{ctx}] {}: {e}", urls[ctx as usize - 1]),
        }
    }
    Ok(())
}

type Table = Arc<Mutex<HashMap<u64, (Option<UrlStream>, u64)>>>;

/// Read until a read has to wait (its REQUEST_COMPLETE comes later) or the end.
fn read_more(table: &Table, ctx: u64, done: &mpsc::Sender<(u64, inet::Result<u64>)>) {
    let Some(stream) = table.lock().unwrap().get(&ctx).and_then(|e| e.0.clone()) else {
        return;
    };
    loop {
        match stream.start_read(64 * 1024) {
            Ok(Started::Done(bytes)) if bytes.is_empty() => return finish(table, ctx, done),
            Ok(Started::Done(bytes)) => {
                if let Some(entry) = table.lock().unwrap().get_mut(&ctx) {
                    entry.1 += bytes.len() as u64;
                }
            }
            Ok(Started::Pending(_)) => return,
            Err(e) => {
                let _ = done.send((ctx, Err(e)));
                return;
            }
        }
    }
}

fn finish(table: &Table, ctx: u64, done: &mpsc::Sender<(u64, inet::Result<u64>)>) {
    if let Some((_, n)) = table.lock().unwrap().remove(&ctx) {
        let _ = done.send((ctx, Ok(n)));
    }
}
