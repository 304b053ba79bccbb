//! What every scenario must keep, whatever its expected file says.

use std::collections::HashMap;

use inet_core::HandleId;

use super::trace::{labels, Event};

/// Check the universal rules over a finished scenario's events: each handle's first
/// notification is HANDLE_CREATED, its last HANDLE_CLOSING, exactly once, nothing after it; and
/// it got exactly as many REQUEST_COMPLETEs as operations went pending on it (`pending`).
pub fn check(events: &[Event], pending: &HashMap<HandleId, usize>) -> Result<(), String> {
    let names = labels(events);
    let mut by_handle: Vec<(HandleId, Vec<&Event>)> = Vec::new();
    for e in events {
        match by_handle.iter_mut().find(|(h, _)| *h == e.handle) {
            Some((_, v)) => v.push(e),
            None => by_handle.push((e.handle, vec![e])),
        }
    }
    for (h, evs) in &by_handle {
        let label = &names[h];
        if evs.first().map(|e| e.name) != Some("HANDLE_CREATED") {
            return Err(format!(
                "{label}: the first notification is {}, not HANDLE_CREATED",
                evs[0].name
            ));
        }
        let closings = evs.iter().filter(|e| e.name == "HANDLE_CLOSING").count();
        if closings != 1 {
            return Err(format!("{label}: HANDLE_CLOSING came {closings} times"));
        }
        if evs.last().map(|e| e.name) != Some("HANDLE_CLOSING") {
            return Err(format!(
                "{label}: {} after HANDLE_CLOSING",
                evs.last().map_or("?", |e| e.name)
            ));
        }
        let completes = evs.iter().filter(|e| e.name == "REQUEST_COMPLETE").count();
        let want = pending.get(h).copied().unwrap_or(0);
        if completes != want {
            return Err(format!(
                "{label}: {completes} REQUEST_COMPLETE for {want} pending operations"
            ));
        }
    }
    Ok(())
}
