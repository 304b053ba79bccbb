//! `cargo xtask bench core`: notifications per second through the dispatcher, and bytes per idle
//! handle. Prints a table; goals: ≥ 1 M notifications/s on one core, < 1 KiB per idle handle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use inet_core::{Context, HandleKind, Session, Status};

fn main() {
    let rounds = 5;
    let mut rows = Vec::new();

    let one = median(rounds, notifications_per_sec_one_handle);
    rows.push((
        "notifications/s, 1 handle, 1 thread",
        one,
        1_000_000.0,
        true,
    ));
    let many = median(rounds, notifications_per_sec_two_threads);
    rows.push((
        "notifications/s, 2 handles, 2 threads",
        many,
        1_000_000.0,
        true,
    ));
    let reentrant = median(rounds, notifications_per_sec_reentrant);
    rows.push((
        "notifications/s, pushed from the callback",
        reentrant,
        1_000_000.0,
        true,
    ));
    let bytes = median(3, bytes_per_idle_handle);
    rows.push(("bytes per idle request handle", bytes, 1024.0, false));
    let churn = median(rounds, handles_created_and_closed_per_sec);
    rows.push(("handles created+closed/s", churn, 100_000.0, true));

    println!(
        "{:<44} {:>14} {:>12} {:>6}",
        "measure (median of rounds)", "value", "goal", "ok"
    );
    for (name, value, goal, higher_is_better) in rows {
        let ok = if higher_is_better {
            value >= goal
        } else {
            value < goal
        };
        let cmp = if higher_is_better { "≥" } else { "<" };
        println!(
            "{name:<44} {value:>14.0} {cmp:>3}{goal:>9.0} {:>6}",
            if ok { "yes" } else { "NO" }
        );
    }
}

fn median(rounds: usize, f: fn() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..rounds).map(|_| f()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn counting_session() -> (Session, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let session = Session::builder()
        .status_callback(move |_| {
            c.fetch_add(1, Ordering::Relaxed);
        })
        .build()
        .expect("session");
    (session, count)
}

fn notifications_per_sec_one_handle() -> f64 {
    const N: u64 = 2_000_000;
    let (session, count) = counting_session();
    let h = session
        .create_child(HandleKind::HttpRequest, Context(1))
        .expect("handle");
    let start = Instant::now();
    for i in 0..N {
        h.notify(Status::ResponseReceived(i));
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(count.load(Ordering::Relaxed) >= N);
    N as f64 / secs
}

fn notifications_per_sec_two_threads() -> f64 {
    const N: u64 = 1_000_000;
    let (session, count) = counting_session();
    let handles: Vec<_> = (0..2)
        .map(|i| {
            session
                .create_child(HandleKind::HttpRequest, Context(i))
                .expect("handle")
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for h in &handles {
            s.spawn(move || {
                for i in 0..N {
                    h.notify(Status::ResponseReceived(i));
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    assert!(count.load(Ordering::Relaxed) >= 2 * N);
    (2 * N) as f64 / secs
}

fn notifications_per_sec_reentrant() -> f64 {
    // Each notification's callback pushes the next one: the mailbox path, not the fast path.
    const N: u64 = 1_000_000;
    let session = Session::new().expect("session");
    let h = session
        .create_child(HandleKind::HttpRequest, Context(1))
        .expect("handle");
    let r = (*h).clone();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    h.set_status_callback(Some(Arc::new(move |n: &inet_core::Notification| {
        if let Status::ResponseReceived(i) = n.status {
            c.fetch_add(1, Ordering::Relaxed);
            if i < N {
                r.notify(Status::ResponseReceived(i + 1));
            }
        }
    })));
    let start = Instant::now();
    h.notify(Status::ResponseReceived(1));
    let secs = start.elapsed().as_secs_f64();
    h.set_status_callback(None);
    count.load(Ordering::Relaxed) as f64 / secs
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn bytes_per_idle_handle() -> f64 {
    const N: usize = 200_000;
    let session = Session::builder()
        .status_callback(|_| {})
        .build()
        .expect("session");
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .expect("conn");
    let before = rss_bytes();
    let handles: Vec<_> = (0..N)
        .map(|i| {
            conn.create_child(HandleKind::HttpRequest, Context(i as u64))
                .expect("handle")
        })
        .collect();
    let after = rss_bytes();
    // The Vec holding the handles is the caller's, not inet's.
    let vec_bytes = (N * std::mem::size_of::<inet_core::Handle>()) as u64;
    drop(handles);
    (after.saturating_sub(before).saturating_sub(vec_bytes)) as f64 / N as f64
}

fn handles_created_and_closed_per_sec() -> f64 {
    const N: u64 = 200_000;
    let (session, _count) = counting_session();
    let conn = session
        .create_child(HandleKind::ConnectHttp, Context(0))
        .expect("conn");
    let start = Instant::now();
    for i in 0..N {
        let h = conn
            .create_child(HandleKind::HttpRequest, Context(i))
            .expect("handle");
        drop(h);
    }
    N as f64 / start.elapsed().as_secs_f64()
}
