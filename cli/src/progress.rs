//! Progress bars on stderr for `-o FILE` transfers and FTP uploads, driven by `Status::Progress` notifications.

use std::collections::HashMap;
use std::path::Path;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use inet::{Direction, Progress};

const KNOWN: &str = "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}";
const UNKNOWN: &str = "{msg:24!} {spinner} {bytes} {bytes_per_sec}";

/// One bar per transfer that writes to a file, keyed by the request's context. Empty (and silent)
/// when disabled. Shared between the status callback (updates) and the driver (finish).
#[derive(Debug, Default)]
pub struct Bars {
    bars: HashMap<u64, ProgressBar>,
    /// Downloads (`Receive`) or uploads (`Send`): progress the other way is ignored.
    direction: Option<Direction>,
    _multi: Option<MultiProgress>,
}

impl Bars {
    /// Bars for these (context, file) pairs, moved by progress in `direction`.
    pub fn new(files: &[(u64, &Path)], direction: Direction) -> Self {
        if files.is_empty() {
            return Bars::default();
        }
        let multi = MultiProgress::new();
        let bars = files
            .iter()
            .map(|(ctx, path)| {
                let bar = multi.add(ProgressBar::no_length());
                bar.set_style(style(UNKNOWN));
                bar.set_message(path.display().to_string());
                (*ctx, bar)
            })
            .collect();
        Bars {
            bars,
            direction: Some(direction),
            _multi: Some(multi),
        }
    }

    /// A transfer progressed.
    pub fn update(&self, ctx: u64, p: &Progress) {
        let Some(bar) = self.bars.get(&ctx) else {
            return;
        };
        if Some(p.direction) != self.direction {
            return;
        }
        if let Some(total) = p.total {
            if bar.length() != Some(total) {
                bar.set_style(style(KNOWN));
                bar.set_length(total);
            }
        }
        bar.set_position(p.done);
    }

    /// The transfer ended: leave the bar at its final state.
    pub fn finish(&self, ctx: u64, ok: bool) {
        if let Some(bar) = self.bars.get(&ctx) {
            if ok {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
