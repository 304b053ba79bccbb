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
    // Start the reactor (and its thread), then let it settle.
    block_on(Timer::after(Duration::from_millis(20)));
    let before = switches_of("inet-reactor").expect("the inet-reactor thread");
    // One `block_on` waiting 500 ms in the reactor, as an idle callback-mode worker or a
    // blocking call waiting for a slow server does. A watch that looked every 10 ms woke ~50
    // times here.
    let t0 = Instant::now();
    block_on(Timer::after(Duration::from_millis(500)));
    assert!(t0.elapsed() >= Duration::from_millis(500));
    let woke = switches_of("inet-reactor").expect("the inet-reactor thread") - before;
    assert!(
        woke <= 4,
        "inet-reactor woke {woke} times while a block_on waited 500 ms in the reactor"
    );
}
