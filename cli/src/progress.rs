//! Progress on stderr for transfers to files (`-o FILE`, `-O`) and FTP uploads, driven by
//! `Status::Progress` notifications.
//!
//! On a terminal: a bar per transfer with its rate and ETA, plus a total bar under them when
//! there is more than one (indicatif). Otherwise plain lines: one per transfer at most every
//! second while it runs, one when it ends, and a total line after several. `--quiet` and
//! `--trace` show none of it (the trace has the progress itself).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressStyle};
use inet::{Direction, Progress};

const KNOWN: &str = "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}";
const UNKNOWN: &str = "{msg:24!} {spinner} {bytes} {bytes_per_sec}";
const TOTAL: &str = "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}";

/// The width of a bar's name (`{msg:24!}`): a longer one keeps its end, where the file name is.
const NAME_WIDTH: usize = 24;

/// How often a running transfer gets a plain line.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// indicatif bars (stderr is a terminal).
    Bars,
    /// Plain lines (stderr is not a terminal).
    Lines,
    /// Nothing (`--quiet`, `--trace`).
    Off,
}

impl Show {
    /// Bars on a terminal, lines elsewhere, nothing under `--quiet` or `--trace`.
    pub fn choose(quiet: bool, tracing: bool) -> Show {
        if quiet || tracing {
            Show::Off
        } else if std::io::stderr().is_terminal() {
            Show::Bars
        } else {
            Show::Lines
        }
    }
}

/// One transfer's state.
#[derive(Debug)]
struct Item {
    name: String,
    bar: Option<ProgressBar>,
    done: u64,
    total: Option<u64>,
    started: Option<Instant>,
    last_line: Option<Instant>,
    ended: bool,
}

#[derive(Debug, Default)]
struct State {
    items: HashMap<u64, Item>,
    total_bar: Option<ProgressBar>,
    started: Option<Instant>,
}

/// The progress of a set of transfers, keyed by their contexts. Empty (and silent) when off.
/// Shared between the status callback (updates) and the driver (finish).
#[derive(Debug, Default)]
pub struct Bars {
    state: Mutex<State>,
    /// Downloads (`Receive`) or uploads (`Send`): progress the other way is ignored.
    direction: Option<Direction>,
    show: Option<Show>,
    _multi: Option<MultiProgress>,
}

impl Bars {
    /// Progress for these (context, name: the file, or the URL) pairs, moved by progress in `direction`, shown as
    /// `show` says.
    pub fn new(files: &[(u64, String)], direction: Direction, show: Show) -> Self {
        if files.is_empty() || show == Show::Off {
            return Bars::default();
        }
        let multi = (show == Show::Bars).then(MultiProgress::new);
        let items = files
            .iter()
            .map(|(ctx, name)| {
                let name = name.clone();
                let bar = multi.as_ref().map(|m| {
                    let bar = m.add(ProgressBar::no_length());
                    bar.set_style(style(UNKNOWN));
                    bar.set_message(tail(&name, NAME_WIDTH));
                    bar
                });
                let item = Item {
                    name,
                    bar,
                    done: 0,
                    total: None,
                    started: None,
                    last_line: None,
                    ended: false,
                };
                (*ctx, item)
            })
            .collect();
        let total_bar = match &multi {
            Some(m) if files.len() > 1 => {
                let bar = m.add(ProgressBar::new(0));
                bar.set_style(style(TOTAL));
                bar.set_message(format!("total ({} files)", files.len()));
                Some(bar)
            }
            _ => None,
        };
        Bars {
            state: Mutex::new(State {
                items,
                total_bar,
                started: Some(Instant::now()),
            }),
            direction: Some(direction),
            show: Some(show),
            _multi: multi,
        }
    }

    /// A transfer started (queued ones wait for their turn): its time and rate count from now.
    pub fn start(&self, ctx: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(item) = state.items.get_mut(&ctx) {
            item.started = Some(Instant::now());
            if let Some(bar) = &item.bar {
                bar.reset();
            }
        }
    }

    /// A transfer progressed.
    pub fn update(&self, ctx: u64, p: &Progress) {
        if self.direction != Some(p.direction) {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let State {
            items, total_bar, ..
        } = &mut *state;
        let Some(item) = items.get_mut(&ctx) else {
            return;
        };
        // Notifications are delivered on other threads: one can come after the driver ended the
        // transfer, and must not move its bar or print a line after its last.
        if item.ended {
            return;
        }
        let now = Instant::now();
        item.started.get_or_insert(now);
        item.done = p.done;
        if p.total.is_some() {
            item.total = p.total;
        }
        if let Some(bar) = &item.bar {
            if let Some(total) = p.total {
                if bar.length() != Some(total) {
                    bar.set_style(style(KNOWN));
                    bar.set_length(total);
                }
            }
            bar.set_position(p.done);
        }
        if self.show == Some(Show::Lines)
            && item
                .last_line
                .is_none_or(|at| now.duration_since(at) >= LINE_EVERY)
            // The first line a second in, not at once: a short transfer gets only its end.
            && item
                .started
                .is_some_and(|at| now.duration_since(at) >= LINE_EVERY)
        {
            item.last_line = Some(now);
            line(&format!(
                "{}: {}{} {}",
                item.name,
                HumanBytes(item.done),
                item.total
                    .map(|t| format!(" of {}", HumanBytes(t)))
                    .unwrap_or_default(),
                rate(item.done, item.started, now)
            ));
        }
        if let Some(bar) = total_bar {
            let (done, total) = sums(items);
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// The transfer ended: leave its bar at its final state, or print its last line.
    pub fn finish(&self, ctx: u64, ok: bool) {
        self.finish_at(ctx, ok, None);
    }

    /// Like [`Bars::finish`], with the byte count the caller moved itself: a driver that read
    /// some of the body at once (no notification in between) knows the count before the last
    /// progress notification, delivered on another thread, has told it to the bars.
    pub fn finish_at(&self, ctx: u64, ok: bool, done: Option<u64>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let State {
            items,
            total_bar,
            started,
        } = &mut *state;
        let Some(item) = items.get_mut(&ctx) else {
            return;
        };
        if item.ended {
            return;
        }
        item.ended = true;
        if let Some(done) = done {
            item.done = done;
            if let Some(bar) = &item.bar {
                bar.set_position(done);
            }
        }
        if let Some(bar) = &item.bar {
            if ok {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
        if self.show == Some(Show::Lines) {
            let now = Instant::now();
            let what = if ok { "done" } else { "failed after" };
            line(&format!(
                "{}: {what} {} {}",
                item.name,
                HumanBytes(item.done),
                rate(item.done, item.started, now)
            ));
        }
        if items.values().all(|i| i.ended) {
            let (done, total) = sums(items);
            if let Some(bar) = total_bar.take() {
                bar.set_length(total.max(done));
                bar.set_position(done);
                bar.finish();
            } else if self.show == Some(Show::Lines) && items.len() > 1 {
                line(&format!(
                    "total: {} files, {} {}",
                    items.len(),
                    HumanBytes(done),
                    rate(done, *started, Instant::now())
                ));
            }
        }
    }
}

/// One transfer's share of a [`Bars`]: the progress of a session that runs one transfer (FTP's
/// and Gopher's commands), whatever context its handles carry.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    bars: Arc<Bars>,
    key: u64,
}

impl Meter {
    /// The transfer `key` of `bars`.
    pub fn new(bars: Arc<Bars>, key: u64) -> Self {
        Meter { bars, key }
    }

    /// A meter alone: one transfer named `name`, shown as `show` says.
    pub fn single(name: String, direction: Direction, show: Show) -> Self {
        Meter::new(Arc::new(Bars::new(&[(1, name)], direction, show)), 1)
    }

    /// The transfer started.
    pub fn start(&self) {
        self.bars.start(self.key);
    }

    /// The transfer progressed.
    pub fn update(&self, p: &Progress) {
        self.bars.update(self.key, p);
    }

    /// The transfer ended.
    pub fn finish(&self, ok: bool) {
        self.bars.finish(self.key, ok);
    }
}

/// Bytes done and expected over every transfer (one of unknown size counts what it has).
fn sums(items: &HashMap<u64, Item>) -> (u64, u64) {
    items.values().fold((0u64, 0u64), |(done, total), i| {
        (
            done.saturating_add(i.done),
            total.saturating_add(i.total.unwrap_or(i.done).max(i.done)),
        )
    })
}

/// `in 1.23 s (4.5 MiB/s)`.
fn rate(done: u64, started: Option<Instant>, now: Instant) -> String {
    let secs = started.map_or(0.0, |s| now.duration_since(s).as_secs_f64());
    if secs <= 0.0 {
        return "in 0.00 s".to_string();
    }
    let per_sec = (done as f64 / secs) as u64;
    format!("in {secs:.2} s ({}/s)", HumanBytes(per_sec))
}

/// `name`, or `…` and its last `width - 1` characters when it is longer.
fn tail(name: &str, width: usize) -> String {
    let count = name.chars().count();
    if count <= width {
        return name.to_string();
    }
    let rest: String = name.chars().skip(count + 1 - width).collect();
    format!("…{rest}")
}

/// One plain progress line on stderr (a failed write is ignored: there is nowhere to report it).
fn line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn style(template: &str) -> ProgressStyle {
    // NAME_WIDTH in the templates.
    debug_assert!(template.starts_with("{msg:24!}"));
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done_of(bars: &Bars, ctx: u64) -> u64 {
        bars.state.lock().map(|s| s.items[&ctx].done).unwrap_or(0)
    }

    #[test]
    fn the_driver_s_count_ends_a_transfer_and_late_progress_is_ignored() {
        let bars = Bars::new(&[(1, "f".into())], Direction::Receive, Show::Lines);
        let progress = |done| Progress {
            direction: Direction::Receive,
            done,
            total: Some(1000),
        };
        bars.update(1, &progress(400));
        // The driver wrote all 1000 bytes; the notifications had told 400 so far.
        bars.finish_at(1, true, Some(1000));
        assert_eq!(done_of(&bars, 1), 1000);
        // The last notification, delivered on another thread after the end, changes nothing.
        bars.update(1, &progress(700));
        assert_eq!(done_of(&bars, 1), 1000);
    }

    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(tail("a.txt", 8), "a.txt");
        assert_eq!(tail("/tmp/dir/a.txt", 8), "…r/a.txt");
        assert_eq!(tail("/tmp/dir/a.txt", 8).chars().count(), 8);
    }
}
