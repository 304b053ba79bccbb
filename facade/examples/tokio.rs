//! The future form on tokio: inet's futures run on any executor (its I/O is driven by
//! async-io's own reactor), so `tokio::spawn` them like any other.
//!
//! ```sh
//! cargo run -p inet --example tokio -- http://127.0.0.1:8080/a ftp://127.0.0.1:2121/b
//! ```

use inet::{open_url, OpenUrlOptions, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        return Err("usage: tokio URL...".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()?;
    runtime.block_on(async {
        let session = std::sync::Arc::new(Session::new()?);
        let tasks: Vec<_> = urls
            .into_iter()
            .map(|url| {
                let session = session.clone();
                tokio::spawn(async move {
                    let stream = open_url(&session, &url, OpenUrlOptions::new()).await?;
                    let n = stream.read_to_end(64 << 20).await?.len();
                    Ok::<_, inet::Error>((url, n))
                })
            })
            .collect();
        for task in tasks {
            let (url, n) = task.await??;
            println!("{url}: {n} bytes");
        }
        Ok(())
    })
}
