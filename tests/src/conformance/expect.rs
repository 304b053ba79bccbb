//! Expected sequences: `conformance/expected/NAME.txt`, one line per notification of the
//! handles it names, `LABEL STATUS[ RESULT][ QUANTIFIER]`:
//!
//! ```text
//! # HttpSendRequest on a fresh connection (WinINet docs; wine http.c test_http_connection)
//! req1 HANDLE_CREATED
//! req1 RESOLVING_NAME ?
//! req1 CONNECTING_TO_SERVER
//! req1 RECEIVING_RESPONSE *
//! req1 REQUEST_COMPLETE ok
//! ```
//!
//! `?` zero or one, `*` zero or more, `+` one or more; lines between `LABEL (` and
//! `LABEL ) QUANTIFIER` form a group that repeats as a whole. Each handle's own notifications are
//! compared with the lines for its label, in order (different handles' notifications
//! interleave as threads run, which the model allows); a label the file does not name is not
//! compared. `#` starts a comment.

use std::collections::BTreeMap;

/// How many times an expected line (or group) may occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    /// Exactly once.
    One,
    /// `?`
    Optional,
    /// `*`
    Any,
    /// `+`
    Some,
}

/// One expected line, or a group of them between `(` and `) QUANTIFIER` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `SENDING_REQUEST`, `REQUEST_COMPLETE ok`…, and how often.
    Line(String, Times),
    /// A run of steps, and how often it repeats.
    Group(Vec<Step>, Times),
}

/// A parsed expectation: the steps of each label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// Label → its steps.
    pub handles: BTreeMap<String, Vec<Step>>,
}

fn quantifier(word: Option<&&str>) -> Times {
    match word {
        Some(&"?") => Times::Optional,
        Some(&"*") => Times::Any,
        Some(&"+") => Times::Some,
        _ => Times::One,
    }
}

impl Expected {
    /// Parse an expected-sequence file. A group is `LABEL (` … `LABEL ) QUANTIFIER`.
    pub fn parse(text: &str) -> Result<Expected, String> {
        let mut e = Expected::default();
        // Per label, the stack of open groups.
        let mut open: BTreeMap<String, Vec<Vec<Step>>> = BTreeMap::new();
        for (no, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut words: Vec<&str> = line.split_whitespace().collect();
            if words.len() < 2 {
                return Err(format!("line {}: `LABEL STATUS` expected: {raw:?}", no + 1));
            }
            let label = words.remove(0).to_string();
            let stack = open.entry(label.clone()).or_default();
            if words == ["("] {
                stack.push(Vec::new());
                continue;
            }
            if words[0] == ")" {
                let Some(steps) = stack.pop() else {
                    return Err(format!("line {}: `)` without `(`", no + 1));
                };
                let step = Step::Group(steps, quantifier(words.get(1)));
                match stack.last_mut() {
                    Some(outer) => outer.push(step),
                    None => e.handles.entry(label).or_default().push(step),
                }
                continue;
            }
            let times = quantifier(words.last());
            if times != Times::One {
                words.pop();
            }
            let step = Step::Line(words.join(" "), times);
            match stack.last_mut() {
                Some(group) => group.push(step),
                None => e.handles.entry(label).or_default().push(step),
            }
        }
        if let Some((label, _)) = open.iter().find(|(_, s)| !s.is_empty()) {
            return Err(format!("{label}: a `(` is never closed"));
        }
        if e.handles.is_empty() {
            return Err("no expected lines".into());
        }
        Ok(e)
    }

    /// Compare with a trace's lines; `Err` gives the first difference.
    pub fn check(&self, trace: &[String]) -> Result<(), String> {
        for (label, steps) in &self.handles {
            let seen: Vec<&str> = trace
                .iter()
                .filter_map(|l| l.strip_prefix(label.as_str())?.strip_prefix(' '))
                .collect();
            let mut best = 0;
            let ends = ends(steps, &seen, 0, &mut best);
            if !ends.contains(&seen.len()) {
                let got = seen.get(best).copied().unwrap_or("(nothing more)");
                let before = if best == 0 { "(start)" } else { seen[best - 1] };
                return Err(format!(
                    "{label}: notification {} `{got}` (after `{before}`) is not what the expectation allows there",
                    best + 1
                ));
            }
        }
        Ok(())
    }
}

/// Every position in `seen` that matching `steps` from `at` can end at; `best` is the furthest
/// position any line matched up to (for the message).
fn ends(steps: &[Step], seen: &[&str], at: usize, best: &mut usize) -> Vec<usize> {
    let mut here = vec![at];
    for step in steps {
        let mut next = Vec::new();
        for &p in &here {
            for q in step_ends(step, seen, p, best) {
                if !next.contains(&q) {
                    next.push(q);
                }
            }
        }
        if next.is_empty() {
            return next;
        }
        here = next;
    }
    here
}

fn step_ends(step: &Step, seen: &[&str], at: usize, best: &mut usize) -> Vec<usize> {
    let once = |p: usize, best: &mut usize| -> Vec<usize> {
        match step {
            Step::Line(text, _) => {
                if seen.get(p) == Some(&text.as_str()) {
                    *best = (*best).max(p + 1);
                    vec![p + 1]
                } else {
                    Vec::new()
                }
            }
            Step::Group(inner, _) => ends(inner, seen, p, best),
        }
    };
    let times = match step {
        Step::Line(_, t) | Step::Group(_, t) => *t,
    };
    let (min_one, repeat) = match times {
        Times::One => (true, false),
        Times::Optional => (false, false),
        Times::Any => (false, true),
        Times::Some => (true, true),
    };
    let mut out: Vec<usize> = if min_one { Vec::new() } else { vec![at] };
    let mut frontier = vec![at];
    loop {
        let mut next = Vec::new();
        for p in frontier {
            for q in once(p, best) {
                // A repeat that consumes nothing would loop for ever.
                if q > p && !out.contains(&q) {
                    out.push(q);
                    next.push(q);
                }
            }
        }
        if !repeat || next.is_empty() {
            return out;
        }
        frontier = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp(text: &str) -> Expected {
        Expected::parse(text).unwrap()
    }

    #[test]
    fn quantifiers_match_as_in_a_regular_expression() {
        let e = exp("r A\nr B ?\nr C *\nr D +\nr E");
        assert!(e.check(&["r A".into(), "r D".into(), "r E".into()]).is_ok());
        assert!(e
            .check(&[
                "r A".into(),
                "r B".into(),
                "r C".into(),
                "r C".into(),
                "r D".into(),
                "r D".into(),
                "r E".into()
            ])
            .is_ok());
        assert!(e.check(&["r A".into(), "r E".into()]).is_err());
        assert!(e
            .check(&["r A".into(), "r D".into(), "r E".into(), "r E".into()])
            .is_err());
    }

    #[test]
    fn handles_are_compared_apart_and_unnamed_ones_ignored() {
        let e = exp("a X\nb Y\nb Z");
        assert!(e
            .check(&["b Y".into(), "a X".into(), "c Q".into(), "b Z".into()])
            .is_ok());
        let err = e.check(&["a X".into(), "b Z".into()]).unwrap_err();
        assert!(err.starts_with("b: notification 1 `Z`"), "{err}");
    }

    #[test]
    fn groups_repeat_as_a_whole() {
        let e = exp("c A\nc (\nc S\nc R\nc ) +\nc Z");
        let ok: Vec<String> = ["c A", "c S", "c R", "c S", "c R", "c Z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(e.check(&ok).is_ok());
        let bad: Vec<String> = ["c A", "c S", "c S", "c R", "c Z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(e.check(&bad).is_err());
        assert!(Expected::parse("c (\nc A").is_err());
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(Expected::parse("# nothing").is_err());
        assert!(Expected::parse("lonely").is_err());
    }
}
