//! The demo's second scenario, the seed's browser: a page names eight resources (images,
//! scripts, a sound…), each with its own latency and size. Fetched one at a time with blocking
//! calls, then in callback mode — every resource request started from inside the status
//! callback as soon as the page bytes that name it have arrived (`inet::html::LinkScanner`),
//! while the page is still coming.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use inet::html::LinkScanner;
use inet::{RequestOptions, Session};

use crate::page::PageFetch;

use super::gantt::Timeline;
use super::{DemoError, Log, PATIENCE};

/// A resource of the page: its path, how long the site waits before answering, its size.
#[derive(Debug)]
pub struct Resource {
    pub path: &'static str,
    pub latency: Duration,
    pub size: usize,
}

/// The page's resources, in the order the page names them.
pub static RESOURCES: [Resource; 8] = [
    res("/img/hero.jpg", 400, 2 << 20),
    res("/css/site.css", 50, 8 << 10),
    res("/js/app.js", 150, 300 << 10),
    res("/img/logo.png", 80, 1 << 10),
    res("/audio/chime.mp3", 250, 600 << 10),
    res("/img/map.png", 200, 900 << 10),
    res("/js/analytics.js", 100, 20 << 10),
    res("/img/footer.png", 60, 4 << 10),
];

const fn res(path: &'static str, latency_ms: u64, size: usize) -> Resource {
    Resource {
        path,
        latency: Duration::from_millis(latency_ms),
        size,
    }
}

/// The page is sent in this many parts, one every [`PAGE_STEP`]; part `i` names resources
/// `2i` and `2i + 1`.
const PAGE_PARTS: usize = 4;
const PAGE_STEP: Duration = Duration::from_millis(60);

/// The page's parts.
fn page_parts() -> Vec<String> {
    (0..PAGE_PARTS)
        .map(|i| {
            let mut part = String::new();
            if i == 0 {
                part.push_str("<!doctype html><html><head><title>inet demo page</title>\n");
            }
            for r in &RESOURCES[2 * i..2 * i + 2] {
                let tag = match r.path.rsplit('.').next() {
                    Some("css") => format!("<link rel=stylesheet href=\"{}\">", r.path),
                    Some("js") => format!("<script src=\"{}\"></script>", r.path),
                    Some("mp3") => format!("<audio src=\"{}\"></audio>", r.path),
                    _ => format!("<img src=\"{}\" alt=\"\">", r.path),
                };
                part.push_str(&tag);
                part.push('\n');
            }
            // Some text between the references, as a real page has.
            part.push_str(&format!(
                "<p>{}</p>\n",
                "Lorem ipsum dolor sit amet. ".repeat(40)
            ));
            if i == PAGE_PARTS - 1 {
                part.push_str("</body></html>\n");
            }
            part
        })
        .collect()
}

/// Serve the page and its resources on 127.0.0.1 (a free port); returns the port.
pub fn start_site() -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::Builder::new()
        .name("demo page site".into())
        .spawn(move || {
            for conn in listener.incoming().flatten() {
                let _ = thread::Builder::new().spawn(move || serve(conn));
            }
        })?;
    Ok(port)
}

/// Answer requests on one connection (keep-alive) until the client closes it.
fn serve(mut conn: TcpStream) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut pending = Vec::new();
    while let Some(head) = super::sites::next_head(&mut conn, &mut pending)? {
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        if path == "/" {
            let parts = page_parts();
            let len: usize = parts.iter().map(String::len).sum();
            conn.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len}\r\n\r\n"
                )
                .as_bytes(),
            )?;
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    thread::sleep(PAGE_STEP);
                }
                conn.write_all(part.as_bytes())?;
            }
        } else if let Some(r) = RESOURCES.iter().find(|r| r.path == path) {
            thread::sleep(r.latency);
            conn.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", r.size).as_bytes(),
            )?;
            conn.write_all(&vec![b'x'; r.size])?;
        } else {
            conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        }
    }
    Ok(())
}

/// One phase of the page scenario: the total, a timeline per request (page first), and the
/// bytes of each.
#[derive(Debug)]
pub struct PageRun {
    pub total: Duration,
    pub timelines: Vec<Timeline>,
    pub sizes: Vec<usize>,
}

fn session() -> Result<(Session, Log), DemoError> {
    let log = Log::default();
    let l = log.clone();
    let s = Session::builder()
        .max_connections_per_host(16)
        .status_callback(move |n| l.record(n))
        .build()?;
    Ok((s, log))
}

fn labels(paths: &[String]) -> Vec<String> {
    paths.iter().map(|p| format!("GET {p}")).collect()
}

/// Phase 1: the page, then each resource it names, one blocking call after the other.
pub fn sequential(base: &str) -> Result<PageRun, DemoError> {
    let (session, log) = session()?;
    let t0 = Instant::now();
    let page = inet::http::open(
        &session,
        &format!("{base}/"),
        RequestOptions::default().context(1),
    )?;
    page.send_blocking(None, None)?;
    let html = page.read_to_end_blocking()?;
    let mut done = vec![t0.elapsed()];
    let mut sizes = vec![html.len()];
    let mut paths = vec!["/".to_string()];
    for (i, link) in LinkScanner::new().push(&html).into_iter().enumerate() {
        let req = inet::http::open(
            &session,
            &format!("{base}{link}"),
            RequestOptions::default().context(i as u64 + 2),
        )?;
        req.send_blocking(None, None)?;
        sizes.push(req.read_to_end_blocking()?.len());
        done.push(t0.elapsed());
        paths.push(link);
    }
    let total = t0.elapsed();
    session.close();
    Ok(PageRun {
        total,
        timelines: log.timelines(t0, &done, &labels(&paths)),
        sizes,
    })
}

/// Phase 2: the page in callback mode; the callback scans each piece of it as it arrives and
/// starts a request for every resource it names, right there (`crate::page::PageFetch`).
pub fn callback_mode(base: &str) -> Result<PageRun, DemoError> {
    let log = Log::default();
    let fetch = PageFetch::new(&format!("{base}/"), RequestOptions::default());
    let session = {
        let (log, fetch) = (log.clone(), fetch.clone());
        Session::builder()
            .max_connections_per_host(16)
            .status_callback(move |n| {
                log.record(n);
                fetch.on_notification(n);
            })
            .build()?
    };
    let t0 = Instant::now();
    fetch.start(&session)?;
    let fetched = fetch
        .collect(PATIENCE)
        .map_err(|e| DemoError(format!("the page in callback mode: {e}")))?;
    let total = t0.elapsed();
    session.close();
    let mut sizes = Vec::new();
    for f in &fetched {
        sizes.push(f.body.as_ref().map_err(|e| DemoError(e.to_string()))?.len());
    }
    let ctxs: Vec<u64> = fetched.iter().map(|f| f.ctx).collect();
    let times: Vec<Duration> = fetched.iter().map(|f| f.done - t0).collect();
    let paths: Vec<String> = fetched
        .iter()
        .map(|f| f.url.strip_prefix(base).unwrap_or(&f.url).to_string())
        .collect();
    Ok(PageRun {
        total,
        timelines: log.timelines_of(t0, &ctxs, &times, &labels(&paths)),
        sizes,
    })
}
