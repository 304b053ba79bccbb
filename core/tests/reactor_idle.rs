//! inet's reactor when nothing happens: its own thread (`inet-reactor`) must not wake while a
//! `block_on` waits in the reactor. Alone in its own test binary (process): another test's
//! threads would make the reactor busy.

#![cfg(all(target_os = "linux", not(inet_portable_reactor)))]

use std::time::{Duration, Instant};

use inet_core::{block_on, Timer};

/// Voluntary context switches of this process's thread named `name` (from `/proc`).
fn switches_of(name: &str) -> Option<u64> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
        if comm.trim_end() != name {
            continue;
        }
        let status = std::fs::read_to_string(dir.join("status")).ok()?;
        return status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok());
    }
    None
}

#[test]
fn the_reactor_thread_sleeps_while_a_block_on_waits_in_the_reactor() {
    // One `block_on` waiting 1.2 s in the reactor, as an idle callback-mode worker or a
    // blocking call waiting for a slow server does. Another thread counts inet-reactor's
    // wakeups from 0.2 s to 1 s, after the hand-over at the start (a few wakeups while the wait
    // changes hands). A watch that looked every 10 ms woke ~80 times in that window.
    let sampler = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(200));
        let first = switches_of("inet-reactor").expect("the inet-reactor thread");
        std::thread::sleep(Duration::from_millis(800));
        switches_of("inet-reactor").expect("the inet-reactor thread") - first
    });
    let t0 = Instant::now();
    block_on(Timer::after(Duration::from_millis(1200)));
    assert!(t0.elapsed() >= Duration::from_millis(1200));
    let woke = sampler.join().expect("sampler");
    assert!(
        woke <= 3,
        "inet-reactor woke {woke} times in 0.8 s while a block_on waited in the reactor"
    );
}
