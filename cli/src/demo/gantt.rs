//! A text Gantt chart of requests, built from their status notifications.
//!
//! A request's row shows its phases, each starting at the notification that begins it:
//! `r` RESOLVING_NAME, `c` CONNECTING_TO_SERVER, `s` SENDING_REQUEST, `.` RECEIVING_RESPONSE
//! (waiting for the answer), `=` RESPONSE_RECEIVED (receiving), and `|` where the body was complete.
//! On loopback resolve, connect and send take well under a column; they get one column each so they
//! stay visible, and the phases after them start no earlier than the column that follows.

/// One request: when each notification came (ms from the start of its phase, WinINet code), and
/// when its body was complete.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub label: String,
    pub events: Vec<(f64, u32)>,
    pub done_ms: f64,
}

impl Timeline {
    /// How long the request took, from its first notification to its complete body.
    pub fn duration_ms(&self) -> f64 {
        let start = self.events.first().map_or(0.0, |e| e.0);
        self.done_ms - start
    }
}

/// The legend (75 columns).
pub const LEGEND: &str =
    "r resolve  c connect  s send  . wait for answer  = receive  | body complete";

/// Milliseconds per column that are pleasant to read.
const STEPS: [f64; 12] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0,
];

/// A time scale: how many ms a column stands for and how many columns the chart has.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub ms_per_col: f64,
    pub columns: usize,
}

impl Scale {
    /// The finest pleasant scale that shows `max_ms` within `columns` columns.
    pub fn fitting(max_ms: f64, columns: usize) -> Scale {
        let columns = columns.max(2);
        let ms_per_col = STEPS
            .iter()
            .copied()
            .find(|step| (max_ms / step).ceil() as usize + 1 < columns)
            .unwrap_or_else(|| (max_ms / (columns - 1) as f64).ceil().max(1.0));
        let used = (max_ms / ms_per_col).round() as usize + 1;
        Scale {
            ms_per_col,
            columns: used.min(columns),
        }
    }

    fn col(&self, ms: f64) -> usize {
        ((ms.max(0.0) / self.ms_per_col).round() as usize).min(self.columns - 1)
    }

    /// The time axis: labels, then a ruler with a `|` at every tick.
    pub fn axis(&self) -> (String, String) {
        let tick_ms = [50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0]
            .into_iter()
            .find(|t| t / self.ms_per_col >= 8.0)
            .unwrap_or(10_000.0);
        let every = (tick_ms / self.ms_per_col).round().max(1.0) as usize;
        let mut labels = String::new();
        let mut ruler = String::new();
        for col in 0..self.columns {
            let tick = col % every == 0;
            ruler.push(if tick { '|' } else { '-' });
            if tick && labels.len() <= col {
                labels.push_str(&" ".repeat(col - labels.len()));
                labels.push_str(&format!("{}", (col as f64 * self.ms_per_col).round()));
            }
        }
        labels.push_str(" ms");
        (labels, ruler)
    }

    /// The chart part of a row (exactly `columns` wide).
    pub fn row(&self, t: &Timeline) -> String {
        let mut line = vec![' '; self.columns];
        let mut cursor = 0;
        for (mark, from_ms, to_ms) in phases(t) {
            let from = self.col(from_ms).max(cursor);
            let to = match mark {
                'r' | 'c' | 's' => self.col(to_ms).max(from + 1),
                _ => self.col(to_ms).max(from),
            }
            .min(self.columns);
            for c in &mut line[from.min(to)..to] {
                *c = mark;
            }
            cursor = to;
        }
        let end = self.col(t.done_ms).max(cursor).min(self.columns - 1);
        line[end] = '|';
        line.into_iter().collect()
    }
}

/// The phases of a request as (mark, start ms, end ms), from its notifications. A redirect starts
/// a new cycle at its SENDING_REQUEST.
fn phases(t: &Timeline) -> Vec<(char, f64, f64)> {
    let mut out = Vec::new();
    let mut open: Option<(char, f64)> = None;
    let mut receiving = false;
    for &(ms, code) in &t.events {
        let next = match code {
            10 => Some('r'),
            20 => Some('c'),
            30 => {
                receiving = false;
                Some('s')
            }
            40 if !receiving => Some('.'),
            41 if !receiving => {
                receiving = true;
                Some('=')
            }
            // NAME_RESOLVED, CONNECTED_TO_SERVER, REQUEST_SENT: the phase ends.
            11 | 21 | 31 => None,
            _ => continue,
        };
        if let Some((mark, from)) = open.take() {
            out.push((mark, from, ms));
        }
        open = next.map(|mark| (mark, ms));
    }
    if let Some((mark, from)) = open {
        out.push((mark, from, t.done_ms));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(start: f64, wait: f64) -> Timeline {
        let events = [10, 11, 20, 21, 30, 31, 40]
            .iter()
            .enumerate()
            .map(|(i, &code)| (start + i as f64 * 0.1, code))
            .chain([(start + wait, 41)])
            .collect();
        Timeline {
            label: "x".into(),
            events,
            done_ms: start + wait + 0.5,
        }
    }

    #[test]
    fn a_row_shows_resolve_connect_send_then_waiting_until_the_answer() {
        let scale = Scale::fitting(800.0, 45);
        assert_eq!(scale.ms_per_col, 20.0);
        let row = scale.row(&request(0.0, 300.0));
        assert_eq!(row.trim_end(), "rcs............|");
    }

    #[test]
    fn a_later_request_starts_at_its_own_column() {
        let scale = Scale::fitting(800.0, 45);
        let row = scale.row(&request(300.0, 500.0));
        assert_eq!(row.find('r'), Some(15));
        assert_eq!(row.find('|'), Some(40));
    }

    #[test]
    fn the_axis_has_a_tick_every_200_ms_at_20_ms_per_column() {
        let scale = Scale::fitting(800.0, 45);
        let (labels, ruler) = scale.axis();
        assert!(labels.starts_with("0         200       400"), "{labels}");
        assert!(ruler.starts_with("|---------|"), "{ruler}");
        assert_eq!(ruler.len(), scale.columns);
    }

    #[test]
    fn a_long_run_gets_a_coarser_scale_that_fits() {
        let scale = Scale::fitting(5_000.0, 45);
        assert!(scale.columns <= 45);
        assert_eq!(scale.ms_per_col, 200.0);
    }
}
