//! The future form on smol: several URLs at once, each a plain `async` call.
//!
//! ```sh
//! cargo run -p inet --example smol -- http://127.0.0.1:8080/a http://127.0.0.1:8080/b
//! ```

use inet::{open_url, OpenUrlOptions, Session};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let urls: Vec<String> = std::env::args().skip(1).collect();
    if urls.is_empty() {
        return Err("usage: smol URL...".into());
    }
    let session = Session::new()?;
    smol::block_on(async {
        let fetches = urls.iter().map(|url| {
            let session = &session;
            async move {
                let stream = open_url(session, url, OpenUrlOptions::new()).await?;
                let body = stream.read_to_end(64 << 20).await?;
                Ok::<_, inet::Error>((url, body.len()))
            }
        });
        for result in join_all(fetches).await {
            let (url, n) = result?;
            println!("{url}: {n} bytes");
        }
        Ok(())
    })
}

/// Poll every future until all are done (a tiny `join_all`, to keep the example's dependencies
/// to smol).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let tasks: Vec<_> = futures.into_iter().map(|f| Box::pin(f)).collect();
    let mut out: Vec<Option<F::Output>> = tasks.iter().map(|_| None).collect();
    let mut tasks: Vec<Option<_>> = tasks.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, task) in out.iter_mut().zip(tasks.iter_mut()) {
            if let Some(t) = task {
                match t.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *slot = Some(v);
                        *task = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
