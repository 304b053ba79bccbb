//! `inet demo`: the seed's scenario. Two "coffee price" sites on 127.0.0.1 answer after 300 ms and
//! 500 ms. Fetch both prices one after the other with blocking calls, then at once in callback
//! mode, and show both timelines as a Gantt chart built from the status notifications.
//!
//! Each phase has a fresh session, so the second one resolves and connects anew (a fair
//! comparison). The sites have names (`downfall-coffee.test`, `fourth-coffee.test`) resolved by a
//! static table, so RESOLVING_NAME is real without asking DNS.

mod gantt;
mod page;
mod sites;

use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use inet::{
    Completion, HandleKind, HttpRequest, Notification, RequestOptions, Session, Started,
    StaticResolver, Status,
};

use crate::exit;
use gantt::{Scale, Timeline, LEGEND};
use sites::Site;

static SITES: [Site; 2] = [
    Site {
        host: "downfall-coffee.test",
        name: "Downfall Coffee & Tea",
        price: "3.10",
        latency: Duration::from_millis(300),
    },
    Site {
        host: "fourth-coffee.test",
        name: "Fourth Coffee",
        price: "2.85",
        latency: Duration::from_millis(500),
    },
];

/// How long the callback-mode phase may take before the demo gives up.
const PATIENCE: Duration = Duration::from_secs(20);

/// The chart fits in 80 columns: label, chart, duration.
const WIDTH: usize = 79;

/// Run the demo and print its report; 0, or 1 with `inet: demo: …` on stderr.
pub fn run() -> u8 {
    match demo() {
        Ok(report) => {
            print!("{report}");
            exit::OK
        }
        Err(e) => {
            eprintln!("inet: demo: {e}");
            exit::INET
        }
    }
}

fn demo() -> Result<String, DemoError> {
    let mut urls = Vec::new();
    for site in &SITES {
        let port = sites::start(site)
            .map_err(|e| DemoError(format!("starting the {} site: {e}", site.host)))?;
        urls.push(format!("http://{}:{port}/price", site.host));
    }
    let sequential = sequential(&urls)?;
    let concurrent = callback_mode(&urls)?;
    let prices = concurrent
        .bodies
        .iter()
        .map(|b| price(b))
        .collect::<Result<Vec<_>, _>>()?;
    for body in &sequential.bodies {
        price(body)?;
    }
    let mut out = report(&sequential, &concurrent, &prices, &urls);
    out.push_str(&browser()?);
    Ok(out)
}

/// One phase's outcome: how long it took, each request's timeline, and the bodies.
#[derive(Debug)]
struct Run {
    total: Duration,
    timelines: Vec<Timeline>,
    bodies: Vec<Vec<u8>>,
}

/// Phase 1: one blocking call after the other.
fn sequential(urls: &[String]) -> Result<Run, DemoError> {
    let log = Log::default();
    let session = {
        let log = log.clone();
        demo_session()
            .status_callback(move |n| log.record(n))
            .build()?
    };
    let t0 = Instant::now();
    let mut bodies = Vec::new();
    let mut done = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let req = inet::http::open(&session, url, RequestOptions::default().context(ctx(i)))?;
        req.send_blocking(None, None)?;
        bodies.push(req.read_to_end_blocking()?);
        done.push(t0.elapsed());
        req.close();
    }
    let total = t0.elapsed();
    session.close();
    Ok(Run {
        total,
        timelines: log.timelines(t0, &done, &site_labels()),
        bodies,
    })
}

/// A request of phase 2 and the body read so far.
#[derive(Debug)]
struct Fetch {
    req: HttpRequest,
    body: Vec<u8>,
}

type Fetches = Arc<Mutex<HashMap<u64, Fetch>>>;
type Finished = mpsc::Sender<(u64, Instant, inet::Result<Vec<u8>>)>;

/// Phase 2: start both sends at once in callback mode; the status callback reads each body when
/// its send completes and reports it over a channel.
fn callback_mode(urls: &[String]) -> Result<Run, DemoError> {
    let log = Log::default();
    let fetches = Fetches::default();
    let (tx, rx) = mpsc::channel();
    let session = {
        let (log, fetches) = (log.clone(), fetches.clone());
        demo_session()
            .status_callback(move |n| {
                log.record(n);
                if let (HandleKind::HttpRequest, Status::RequestComplete(result)) =
                    (n.kind, &n.status)
                {
                    on_complete(&fetches, n.context.0, result, &tx);
                }
            })
            .build()?
    };
    let t0 = Instant::now();
    for (i, url) in urls.iter().enumerate() {
        let req = inet::http::open(&session, url, RequestOptions::default().context(ctx(i)))?;
        let fetch = Fetch {
            req: req.clone(),
            body: Vec::new(),
        };
        lock(&fetches).insert(ctx(i), fetch);
        // Returns at once (ERROR_IO_PENDING); REQUEST_COMPLETE follows.
        let _pending = req.start_send(None, None)?;
    }
    let mut done = vec![Duration::ZERO; urls.len()];
    let mut bodies = vec![Vec::new(); urls.len()];
    for _ in urls {
        let (ctx, at, body) = rx
            .recv_timeout(PATIENCE)
            .map_err(|_| DemoError(format!("callback mode: no answer in {PATIENCE:?}")))?;
        let i = (ctx - 1) as usize;
        done[i] = at - t0;
        bodies[i] = body?;
    }
    let total = t0.elapsed();
    session.close();
    Ok(Run {
        total,
        timelines: log.timelines(t0, &done, &site_labels()),
        bodies,
    })
}

/// REQUEST_COMPLETE of request `ctx`: after the send, or after a pending read. Read on until a
/// read goes pending (its REQUEST_COMPLETE brings us back) or the body ends.
fn on_complete(
    fetches: &Fetches,
    ctx: u64,
    result: &inet::Result<Completion>,
    finished: &Finished,
) {
    let Some(req) = lock(fetches).get(&ctx).map(|f| f.req.clone()) else {
        return;
    };
    let mut chunk = match result {
        Err(e) => return finish(fetches, ctx, Err(e.clone()), finished),
        Ok(Completion::Data(bytes)) => Some(bytes.clone()),
        Ok(_) => None, // the send completed: the response head is here
    };
    loop {
        match chunk {
            Some(bytes) if bytes.is_empty() => return finish(fetches, ctx, Ok(()), finished),
            Some(bytes) => {
                if let Some(f) = lock(fetches).get_mut(&ctx) {
                    f.body.extend_from_slice(&bytes);
                }
            }
            None => {}
        }
        chunk = match req.start_read(64 * 1024) {
            Ok(Started::Done(bytes)) => Some(bytes),
            Ok(Started::Pending(_)) => return,
            Err(e) => return finish(fetches, ctx, Err(e), finished),
        };
    }
}

fn finish(fetches: &Fetches, ctx: u64, outcome: inet::Result<()>, finished: &Finished) {
    let now = Instant::now();
    let Some(fetch) = lock(fetches).remove(&ctx) else {
        return;
    };
    fetch.req.close();
    // The receiver waits until both requests are reported.
    let _ = finished.send((ctx, now, outcome.map(|()| fetch.body)));
}

/// A session that knows the two site names (and nothing else).
fn demo_session() -> inet::SessionBuilder {
    let loopback = [127, 0, 0, 1].into();
    let names = SITES
        .iter()
        .fold(StaticResolver::new(), |r, site| r.with(site.host, loopback));
    Session::builder().resolver(names)
}

fn site_labels() -> Vec<String> {
    SITES.iter().map(|s| s.host.to_string()).collect()
}

fn ctx(i: usize) -> u64 {
    i as u64 + 1
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The request notifications of a phase, with when they came.
#[derive(Debug, Clone, Default)]
struct Log(Arc<Mutex<Vec<(Instant, u64, u32)>>>);

impl Log {
    fn record(&self, n: &Notification) {
        if n.kind == HandleKind::HttpRequest {
            lock(&self.0).push((Instant::now(), n.context.0, n.status.code()));
        }
    }

    /// One timeline per request (context 1, 2, …), in ms from `t0`.
    fn timelines(&self, t0: Instant, done: &[Duration], labels: &[String]) -> Vec<Timeline> {
        let ctxs: Vec<u64> = (0..done.len()).map(ctx).collect();
        self.timelines_of(t0, &ctxs, done, labels)
    }

    /// One timeline per request of context `ctxs[i]`, labelled `ctx N label`.
    fn timelines_of(
        &self,
        t0: Instant,
        ctxs: &[u64],
        done: &[Duration],
        labels: &[String],
    ) -> Vec<Timeline> {
        let log = lock(&self.0);
        ctxs.iter()
            .zip(done)
            .zip(labels)
            .map(|((&c, done), label)| Timeline {
                label: format!("ctx {c} {label}"),
                events: log
                    .iter()
                    .filter(|(_, x, _)| *x == c)
                    .map(|(at, _, code)| (ms(at.saturating_duration_since(t0)), *code))
                    .collect(),
                done_ms: ms(*done),
            })
            .collect()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The site's name and price from its answer.
fn price(body: &[u8]) -> Result<(String, String), DemoError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| DemoError(format!("a site answered something else than JSON: {e}")))?;
    match (v["site"].as_str(), v["price"].as_str()) {
        (Some(site), Some(price)) => Ok((site.to_string(), price.to_string())),
        _ => Err(DemoError(format!("unexpected answer {v}"))),
    }
}

/// The whole report: both charts, the totals, the prices.
fn report(seq: &Run, conc: &Run, prices: &[(String, String)], urls: &[String]) -> String {
    let label_width = seq
        .timelines
        .iter()
        .chain(&conc.timelines)
        .map(|t| t.label.len())
        .max()
        .unwrap_or(0);
    let longest = ms(seq.total.max(conc.total));
    let scale = Scale::fitting(longest, WIDTH - label_width - 2 - 8);
    let latencies: Vec<String> = SITES
        .iter()
        .map(|s| s.latency.as_millis().to_string())
        .collect();
    let mut out = format!(
        "inet demo: two coffee sites on 127.0.0.1 answer after {} ms.\n\n",
        latencies.join(" ms and ")
    );
    chart(
        "1) one after the other, blocking calls (send_blocking, read_to_end_blocking)",
        &seq.timelines,
        scale,
        label_width,
        &mut out,
    );
    chart(
        "2) at once, callback mode (start_send, start_read on REQUEST_COMPLETE)",
        &conc.timelines,
        scale,
        label_width,
        &mut out,
    );
    out.push_str(&format!(
        "{LEGEND}\none column = {} ms; r, c and s take at least one column each\n\n",
        scale.ms_per_col
    ));
    out.push_str(&format!(
        "sequential: {} ms   (about the sum of the latencies, {} ms)\n",
        seq.total.as_millis(),
        SITES.iter().map(|s| s.latency.as_millis()).sum::<u128>()
    ));
    out.push_str(&format!(
        "async: {} ms        (about the larger latency, {} ms)\n\n",
        conc.total.as_millis(),
        SITES
            .iter()
            .map(|s| s.latency.as_millis())
            .max()
            .unwrap_or(0)
    ));
    let name_width = prices.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (i, ((name, price), url)) in prices.iter().zip(urls).enumerate() {
        out.push_str(&format!(
            "{name:<name_width$}  {price}  (ctx {}, {url})\n",
            ctx(i)
        ));
    }
    out
}

/// One Gantt chart: a title, the axis, a row per request.
fn chart(title: &str, timelines: &[Timeline], scale: Scale, label_width: usize, out: &mut String) {
    let (labels, ruler) = scale.axis();
    let pad = " ".repeat(label_width + 2);
    out.push_str(&format!("{title}\n{pad}{labels}\n{pad}{ruler}\n"));
    for t in timelines {
        out.push_str(&format!(
            "{:<label_width$}  {}{:>5.0} ms\n",
            t.label,
            scale.row(t),
            t.duration_ms()
        ));
    }
    out.push('\n');
}

/// The browser scenario: run both phases and report them as the coffee scenario is reported,
/// with the goal — async total within the page's own time plus the slowest resource, + 10 ms.
fn browser() -> Result<String, DemoError> {
    let port = page::start_site().map_err(|e| DemoError(format!("starting the page site: {e}")))?;
    let base = format!("http://127.0.0.1:{port}");
    let seq = page::sequential(&base)?;
    let conc = page::callback_mode(&base)?;
    if seq.sizes != conc.sizes || conc.sizes.len() != page::RESOURCES.len() + 1 {
        return Err(DemoError(format!(
            "the page scenario fetched different things: {:?} then {:?}",
            seq.sizes, conc.sizes
        )));
    }
    let label_width = seq
        .timelines
        .iter()
        .chain(&conc.timelines)
        .map(|t| t.label.len())
        .max()
        .unwrap_or(0);
    let scale = Scale::fitting(ms(seq.total.max(conc.total)), WIDTH - label_width - 2 - 8);
    let mut out = String::from(
        "\nThe browser: a page, arriving in parts 60 ms apart, names 8 resources\n(50-400 ms away, 1 KiB to 2 MiB each).\n\n",
    );
    chart(
        "3) the page, then each resource it names, one after the other (blocking)",
        &seq.timelines,
        scale,
        label_width,
        &mut out,
    );
    chart(
        "4) callback mode: resources started from the callback as the page names them",
        &conc.timelines,
        scale,
        label_width,
        &mut out,
    );
    let page_ms = conc.timelines.first().map_or(0.0, Timeline::duration_ms);
    let slowest = page::RESOURCES
        .iter()
        .map(|r| r.latency)
        .max()
        .unwrap_or_default();
    let goal = page_ms + ms(slowest) + 10.0;
    out.push_str(&format!(
        "sequential: {} ms\nasync: {} ms   (goal: page {:.0} + slowest {} + 10 = {:.0} ms: {})\n",
        seq.total.as_millis(),
        conc.total.as_millis(),
        page_ms,
        slowest.as_millis(),
        goal,
        if ms(conc.total) <= goal {
            "met"
        } else {
            "missed"
        }
    ));
    Ok(out)
}

/// Why the demo stopped.
#[derive(Debug)]
struct DemoError(String);

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<inet::Error> for DemoError {
    fn from(e: inet::Error) -> Self {
        DemoError(e.to_string())
    }
}
