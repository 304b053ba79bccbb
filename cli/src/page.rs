//! The browser scenario as a reusable piece: fetch an HTML page in callback mode and, from inside
//! the status callback, start a request for every same-origin `src`/`href` it names as soon as
//! the page bytes naming it arrive (`inet::html::LinkScanner`). `inet get --page` and the
//! demo's page phase both drive it.
//!
//! The owner builds a session whose callback passes every notification to
//! [`PageFetch::on_notification`], calls [`PageFetch::start`], then [`PageFetch::collect`].
//! No lock is held while inet is called: a request started from the callback may complete on
//! the spot and call back in.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use inet::html::LinkScanner;
use inet::urls::{combine_url, crack_url};
use inet::{
    Completion, HandleKind, HandleRef, HttpRequest, Notification, RequestOptions, Started, Status,
};

/// One request of the page's, finished.
#[derive(Debug)]
pub struct Fetched {
    /// Its context: 1 for the page, then 2, 3… in the order the page names them.
    pub ctx: u64,
    /// Its URL.
    pub url: String,
    /// When it was started and when its body was whole.
    pub started: Instant,
    pub done: Instant,
    /// The body, or why it failed.
    pub body: inet::Result<Vec<u8>>,
}

#[derive(Debug)]
struct Fetch {
    req: HttpRequest,
    url: String,
    body: Vec<u8>,
    started: Instant,
}

#[derive(Debug)]
struct State {
    fetches: HashMap<u64, Fetch>,
    scanner: LinkScanner,
    next_ctx: u64,
    session: Option<HandleRef>,
}

/// A page and its resources being fetched (see the module docs).
#[derive(Debug)]
pub struct PageFetch {
    page_url: String,
    options: RequestOptions,
    state: Mutex<State>,
    done: Mutex<mpsc::Sender<Fetched>>,
    results: Mutex<Option<mpsc::Receiver<Fetched>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PageFetch {
    /// A fetch of `page_url`; every request gets `options` (with its own context).
    pub fn new(page_url: &str, options: RequestOptions) -> Arc<PageFetch> {
        let (tx, rx) = mpsc::channel();
        Arc::new(PageFetch {
            page_url: page_url.to_string(),
            options,
            state: Mutex::new(State {
                fetches: HashMap::new(),
                scanner: LinkScanner::new(),
                next_ctx: 2,
                session: None,
            }),
            done: Mutex::new(tx),
            results: Mutex::new(Some(rx)),
        })
    }

    /// Start the page (context 1) on `session`; returns at once.
    pub fn start(&self, session: &HandleRef) -> inet::Result<()> {
        lock(&self.state).session = Some(session.clone());
        self.request(session, 1, self.page_url.clone())
    }

    /// Hand every notification of the session here (from its status callback).
    pub fn on_notification(&self, n: &Notification) {
        if let (HandleKind::HttpRequest, Status::RequestComplete(r)) = (n.kind, &n.status) {
            self.on_complete(n.context.0, r);
        }
    }

    /// Wait until the page and everything it named are done (or `patience` passes without
    /// news); the results in context order.
    pub fn collect(&self, patience: Duration) -> Result<Vec<Fetched>, String> {
        let rx = lock(&self.results)
            .take()
            .ok_or_else(|| "the results were collected already".to_string())?;
        let mut out: Vec<Fetched> = Vec::new();
        // The page's own report comes after it has started every link it names, so once it is
        // in, the number of requests is final.
        loop {
            let page_done = out.iter().any(|f| f.ctx == 1);
            let started = (lock(&self.state).next_ctx - 1) as usize;
            if page_done && out.len() >= started {
                break;
            }
            match rx.recv_timeout(patience) {
                Ok(f) => out.push(f),
                Err(_) => return Err(format!("no news from the page's requests in {patience:?}")),
            }
        }
        out.sort_by_key(|f| f.ctx);
        Ok(out)
    }

    fn request(&self, session: &HandleRef, ctx: u64, url: String) -> inet::Result<()> {
        let mut options = self.options.clone();
        options.context = inet::Context(ctx);
        let req = inet::http::open(session, &url, options)?;
        lock(&self.state).fetches.insert(
            ctx,
            Fetch {
                req: req.clone(),
                url,
                body: Vec::new(),
                started: Instant::now(),
            },
        );
        req.start_send(None, None).map(|_pending| ())
    }

    /// REQUEST_COMPLETE of request `ctx`: read on until a read must wait or the body ends.
    fn on_complete(&self, ctx: u64, result: &inet::Result<Completion>) {
        let Some(req) = lock(&self.state).fetches.get(&ctx).map(|f| f.req.clone()) else {
            return;
        };
        let mut chunk = match result {
            Err(e) => return self.finish(ctx, Err(e.clone())),
            Ok(Completion::Data(b)) => Some(b.clone()),
            Ok(_) => None,
        };
        loop {
            if let Some(bytes) = chunk.take() {
                if bytes.is_empty() {
                    return self.finish(ctx, Ok(()));
                }
                let links = {
                    let mut st = lock(&self.state);
                    if let Some(f) = st.fetches.get_mut(&ctx) {
                        f.body.extend_from_slice(&bytes);
                    }
                    if ctx == 1 {
                        st.scanner.push(&bytes)
                    } else {
                        Vec::new()
                    }
                };
                for link in links {
                    self.follow(&link);
                }
            }
            chunk = match req.start_read(64 * 1024) {
                Ok(Started::Done(b)) => Some(b),
                Ok(Started::Pending(_)) => return,
                Err(e) => return self.finish(ctx, Err(e)),
            };
        }
    }

    /// Start a request for `link` when it is on the page's origin.
    fn follow(&self, link: &str) {
        let Ok(url) = combine_url(&self.page_url, link) else {
            return;
        };
        let same_origin = match (crack_url(&self.page_url), crack_url(&url)) {
            (Ok(a), Ok(b)) => (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port),
            _ => false,
        };
        if !same_origin {
            return;
        }
        let (ctx, session) = {
            let mut st = lock(&self.state);
            st.next_ctx += 1;
            (st.next_ctx - 1, st.session.clone())
        };
        let started = match &session {
            Some(s) => self.request(s, ctx, url.clone()),
            None => Err(inet::Error::new(inet::ErrorKind::Internal, "no session")),
        };
        if let Err(e) = started {
            let now = Instant::now();
            let _ = lock(&self.done).send(Fetched {
                ctx,
                url,
                started: now,
                done: now,
                body: Err(e),
            });
        }
    }

    fn finish(&self, ctx: u64, outcome: inet::Result<()>) {
        let done = Instant::now();
        let Some(f) = lock(&self.state).fetches.remove(&ctx) else {
            return;
        };
        f.req.close();
        let _ = lock(&self.done).send(Fetched {
            ctx,
            url: f.url,
            started: f.started,
            done,
            body: outcome.map(|()| f.body),
        });
    }
}
