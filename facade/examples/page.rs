//! The browser scenario (WinINet's asynchronous-mode documentation: "a browser downloads a page,
//! then the images, scripts and sounds it names — in async mode requested at once and taken as
//! they become available") in library code: fetch a page in callback mode, and from inside the
//! status callback start a request for every same-origin `src`/`href` it names as soon as the
//! bytes naming it arrive. Saves everything into a directory when one is given.
//!
//! ```sh
//! cargo run -p inet --example page -- http://127.0.0.1:8080/data/page/index.html ./page
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use inet::html::LinkScanner;
use inet::urls::{combine_url, crack_url};
use inet::{
    Completion, HandleKind, HandleRef, HttpRequest, RequestOptions, Session, Started, Status,
};

/// A request under way: its handle, URL, bytes so far, and when it started.
struct Fetch {
    req: HttpRequest,
    url: String,
    body: Vec<u8>,
    started: Duration,
}

#[derive(Default)]
struct Page {
    fetches: HashMap<u64, Fetch>,
    scanner: LinkScanner,
    page_url: String,
    next: u64,
    t0: Option<Instant>,
}

type Shared = Arc<Mutex<Page>>;
/// (context, URL, started, finished, body or error)
type Done = mpsc::Sender<(u64, String, Duration, Duration, inet::Result<Vec<u8>>)>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: page URL [OUT_DIR]")?;
    let out: Option<PathBuf> = args.next().map(PathBuf::from);
    let page = Shared::default();
    let (tx, rx) = mpsc::channel();
    let session = {
        let page = page.clone();
        Session::builder()
            .max_connections_per_host(16)
            .status_callback(move |n| {
                if let (HandleKind::HttpRequest, Status::RequestComplete(r)) = (n.kind, &n.status) {
                    on_complete(&page, n.context.0, r, &tx);
                }
            })
            .build()?
    };
    {
        let mut p = page.lock().unwrap();
        p.page_url = url.clone();
        p.next = 2;
        p.t0 = Some(Instant::now());
    }
    start(&page, &session, 1, url)?;
    let mut results = Vec::new();
    // Every request started reports once. The page's own report comes after every link in it
    // was started, so once it is in, the count of requests is final.
    let mut page_done = false;
    while !page_done || results.len() < page.lock().unwrap().next as usize - 1 {
        let r = rx.recv_timeout(Duration::from_secs(30))?;
        page_done |= r.0 == 1;
        results.push(r);
    }
    results.sort_by_key(|r| r.0);
    for (ctx, url, started, finished, body) in results {
        let body = body?;
        println!(
            "ctx {ctx:<2} {:>5} ms -> {:>5} ms  {:>8} bytes  {url}",
            started.as_millis(),
            finished.as_millis(),
            body.len()
        );
        if let Some(dir) = &out {
            let path = crack_url(&url)?.path;
            let name = if path.ends_with('/') {
                format!("{path}index.html")
            } else {
                path
            };
            let file = dir.join(name.trim_start_matches('/'));
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(file, body)?;
        }
    }
    Ok(())
}

/// Open `url` with context `ctx` and start it (returns at once; REQUEST_COMPLETE follows).
fn start(page: &Shared, session: &HandleRef, ctx: u64, url: String) -> inet::Result<()> {
    let req = inet::http::open(session, &url, RequestOptions::default().context(ctx))?;
    let started = page
        .lock()
        .unwrap()
        .t0
        .map_or(Duration::ZERO, |t| t.elapsed());
    page.lock().unwrap().fetches.insert(
        ctx,
        Fetch {
            req: req.clone(),
            url,
            body: Vec::new(),
            started,
        },
    );
    let _pending = req.start_send(None, None)?;
    Ok(())
}

/// REQUEST_COMPLETE for `ctx`: read until a read must wait; scan the page's bytes and start a
/// request for each new same-origin link, here in the callback.
fn on_complete(page: &Shared, ctx: u64, result: &inet::Result<Completion>, done: &Done) {
    let Some(req) = page
        .lock()
        .unwrap()
        .fetches
        .get(&ctx)
        .map(|f| f.req.clone())
    else {
        return;
    };
    let mut chunk = match result {
        Err(e) => return finish(page, ctx, Err(e.clone()), done),
        Ok(Completion::Data(b)) => Some(b.clone()),
        Ok(_) => None,
    };
    loop {
        if let Some(bytes) = chunk.take() {
            if bytes.is_empty() {
                return finish(page, ctx, Ok(()), done);
            }
            let links = {
                let mut p = page.lock().unwrap();
                if let Some(f) = p.fetches.get_mut(&ctx) {
                    f.body.extend_from_slice(&bytes);
                }
                if ctx == 1 {
                    p.scanner.push(&bytes)
                } else {
                    Vec::new()
                }
            };
            for link in links {
                let page_url = page.lock().unwrap().page_url.clone();
                let Ok(url) = combine_url(&page_url, &link) else {
                    continue;
                };
                if !same_origin(&page_url, &url) {
                    continue;
                }
                let next = {
                    let mut p = page.lock().unwrap();
                    p.next += 1;
                    p.next - 1
                };
                let session = req.handle().parent().and_then(|c| c.parent());
                let started = session.map(|s| start(page, &s, next, url.clone()));
                if !matches!(started, Some(Ok(()))) {
                    let e = inet::Error::new(
                        inet::ErrorKind::Internal,
                        format!("could not start {url}"),
                    );
                    let _ = done.send((next, url, Duration::ZERO, Duration::ZERO, Err(e)));
                }
            }
        }
        chunk = match req.start_read(64 * 1024) {
            Ok(Started::Done(b)) => Some(b),
            Ok(Started::Pending(_)) => return,
            Err(e) => return finish(page, ctx, Err(e), done),
        };
    }
}

fn same_origin(a: &str, b: &str) -> bool {
    match (crack_url(a), crack_url(b)) {
        (Ok(a), Ok(b)) => (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port),
        _ => false,
    }
}

fn finish(page: &Shared, ctx: u64, outcome: inet::Result<()>, done: &Done) {
    let mut p = page.lock().unwrap();
    let now = p.t0.map_or(Duration::ZERO, |t| t.elapsed());
    let Some(f) = p.fetches.remove(&ctx) else {
        return;
    };
    drop(p);
    f.req.close();
    let _ = done.send((ctx, f.url, f.started, now, outcome.map(|()| f.body)));
}
