//! Ctrl-C (SIGINT): every transfer is cancelled by closing its session — WinINet's way to
//! interrupt a request, closing its handle — and the process exits 130 (128 + SIGINT), as shells
//! expect. Files written so far stay where they are, so `inet get --continue` (FTP) can finish
//! them.
//!
//! The sessions of this process are registered here as they are built; the handler closes them
//! all, waits briefly for their transfers to let go, and exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use inet::HandleRef;

/// The exit status after Ctrl-C.
pub const EXIT: u8 = 130;

/// How long the handler lets closing sessions cancel their transfers before exiting.
const GRACE: Duration = Duration::from_millis(50);

static SESSIONS: Mutex<Vec<HandleRef>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Install the handler (once, at start).
pub fn install() {
    // Without a handler, SIGINT still ends the process; failing to install one is not fatal.
    let _ = ctrlc::set_handler(|| {
        // First the flag: the main thread, seeing its transfers cancelled, exits with EXIT too.
        INTERRUPTED.store(true, Ordering::SeqCst);
        eprintln!("inet: interrupted: every transfer was cancelled (partial files are kept)");
        let sessions: Vec<HandleRef> = SESSIONS.lock().map(|s| s.clone()).unwrap_or_default();
        for s in &sessions {
            s.close();
        }
        std::thread::sleep(GRACE);
        std::process::exit(i32::from(EXIT));
    });
}

/// Let Ctrl-C close `session`.
pub fn watch(session: &HandleRef) {
    if let Ok(mut s) = SESSIONS.lock() {
        s.push(session.clone());
    }
}

/// Whether Ctrl-C was pressed (the exit status is then [`EXIT`], whatever the command found).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
