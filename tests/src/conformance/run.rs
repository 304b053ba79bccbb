//! Running scenarios: a session whose callback records, the pending operations counted as the
//! scenario starts them, and the verdict against the expected file and the universal rules.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use inet_core::{HandleId, HandleRef, Pending, Session, SessionBuilder, Started};
use parking_lot::Mutex;

use super::expect::Expected;
use super::rules;
use super::trace::{lines, Event, Tracer};

/// How long a scenario waits for any one thing.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// What a scenario works with: a session that records, and the count of operations it started
/// in callback mode that went pending.
pub struct Run {
    /// The session (its status callback records into [`Run::tracer`]).
    pub session: Session,
    /// What the callback saw.
    pub tracer: Tracer,
    pending: Mutex<HashMap<HandleId, usize>>,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("session", &self.session)
            .finish()
    }
}

/// A scenario's failure in its own steps (not a difference from the expectation).
pub type Step<T = ()> = Result<T, String>;

/// `Err` with the error's text, for `?` in scenarios.
pub fn fail<E: fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl Run {
    /// A run on a session built from `builder` (with the recording callback added).
    pub fn new(builder: SessionBuilder) -> Step<Run> {
        let tracer = Tracer::new();
        let session = builder
            .status_callback(tracer.callback())
            .build()
            .map_err(fail("building the session"))?;
        Ok(Run {
            session,
            tracer,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// A callback-mode call on `h` returned: count it when pending.
    pub fn started(&self, h: &HandleRef, r: inet_core::Result<Pending>) -> Step {
        let _pending = r.map_err(fail("starting"))?;
        *self.pending.lock().entry(h.id()).or_insert(0) += 1;
        Ok(())
    }

    /// A callback-mode call that may finish at once: its value, or None when it went pending.
    pub fn started_now<T>(
        &self,
        h: &HandleRef,
        r: inet_core::Result<Started<T>>,
    ) -> Step<Option<T>> {
        match r.map_err(fail("starting"))? {
            Started::Done(v) => Ok(Some(v)),
            Started::Pending(_) => {
                *self.pending.lock().entry(h.id()).or_insert(0) += 1;
                Ok(None)
            }
        }
    }

    /// Wait until every operation that went pending on `h` has its REQUEST_COMPLETE.
    pub fn wait(&self, h: &HandleRef) -> Step {
        let n = self.pending.lock().get(&h.id()).copied().unwrap_or(0);
        if self.tracer.wait_completions(h.id(), n, PATIENCE) {
            Ok(())
        } else {
            Err(format!(
                "no REQUEST_COMPLETE #{n} on handle {} in {PATIENCE:?}",
                h.id()
            ))
        }
    }

    /// Wait for HANDLE_CLOSING of `h`.
    pub fn wait_closed(&self, h: &HandleRef) -> Step {
        if self.tracer.wait_closed(h.id(), PATIENCE) {
            Ok(())
        } else {
            Err(format!("handle {} never sent HANDLE_CLOSING", h.id()))
        }
    }

    /// Close the session and wait for its HANDLE_CLOSING (after every handle under it).
    pub fn finish(self) -> Step<(Vec<Event>, HashMap<HandleId, usize>)> {
        let id = self.session.handle().id();
        self.session.close();
        if !self.tracer.wait_closed(id, PATIENCE) {
            return Err("the session never sent HANDLE_CLOSING".into());
        }
        // Anything after HANDLE_CLOSING would show up now.
        std::thread::sleep(Duration::from_millis(20));
        Ok((self.tracer.events(), self.pending.into_inner()))
    }
}

/// One scenario.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// Its name, and the name of its expected file.
    pub name: &'static str,
    /// `http`, `ftp`, `gopher`, `open_url`.
    pub protocol: &'static str,
    /// The session it runs on.
    pub session: fn() -> SessionBuilder,
    /// What it does.
    pub run: fn(&Run) -> Step,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .finish()
    }
}

/// How a scenario came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As expected.
    Pass,
    /// Different from the expectation (or a rule broken, or the scenario failed): the first
    /// difference.
    Fail(String),
    /// Different, and listed in the expected-failures file with this reason.
    ExpectedFail(String, String),
    /// Listed as an expected failure but passed: the list is out of date.
    UnexpectedPass(String),
}

impl Verdict {
    /// Whether the run as a whole should fail.
    pub fn is_unexpected(&self) -> bool {
        matches!(self, Verdict::Fail(_) | Verdict::UnexpectedPass(_))
    }
}

/// A scenario's outcome: its trace and verdict.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Which scenario.
    pub name: &'static str,
    /// Its protocol.
    pub protocol: &'static str,
    /// The trace lines.
    pub trace: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Where the expected files are: `conformance/` at the workspace root.
pub fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance")
}

/// `conformance/expected-failures.txt`: `NAME: reason` lines.
pub fn expected_failures() -> HashMap<String, String> {
    let text = std::fs::read_to_string(conformance_dir().join("expected-failures.txt"))
        .unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, r)| (n.trim().to_string(), r.trim().to_string()))
        .collect()
}

/// Run one scenario and judge it.
pub fn run_one(s: &Scenario, xfail: &HashMap<String, String>) -> Outcome {
    let mut trace = Vec::new();
    let result = (|| -> Step {
        let run = Run::new((s.session)())?;
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (s.run)(&run)))
            .unwrap_or_else(|_| Err("the scenario panicked".into()));
        let (events, pending) = run.finish()?;
        trace = lines(&events);
        ran.map_err(|e| format!("scenario step: {e}"))?;
        rules::check(&events, &pending)?;
        let path = conformance_dir()
            .join("expected")
            .join(format!("{}.txt", s.name));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Expected::parse(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .check(&trace)
    })();
    let verdict = match (result, xfail.get(s.name)) {
        (Ok(()), Some(reason)) => Verdict::UnexpectedPass(reason.clone()),
        (Ok(()), None) => Verdict::Pass,
        (Err(diff), Some(reason)) => Verdict::ExpectedFail(diff, reason.clone()),
        (Err(diff), None) => Verdict::Fail(diff),
    };
    Outcome {
        name: s.name,
        protocol: s.protocol,
        trace,
        verdict,
    }
}

/// The table: scenario, protocol, result, first difference.
pub fn table(outcomes: &[Outcome]) -> String {
    let w = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:<w$}  {:<8}  {:<15}  first difference\n",
        "scenario", "protocol", "result"
    );
    for o in outcomes {
        let (result, note) = match &o.verdict {
            Verdict::Pass => ("pass", String::new()),
            Verdict::Fail(d) => ("FAIL", d.clone()),
            Verdict::ExpectedFail(d, why) => ("expected fail", format!("{d} [{why}]")),
            Verdict::UnexpectedPass(why) => {
                ("UNEXPECTED PASS", format!("listed as failing: {why}"))
            }
        };
        out.push_str(&format!(
            "{:<w$}  {:<8}  {:<15}  {note}\n",
            o.name, o.protocol, result
        ));
    }
    let bad = outcomes
        .iter()
        .filter(|o| o.verdict.is_unexpected())
        .count();
    out.push_str(&format!(
        "{} scenarios: {} pass, {} expected failures, {bad} unexpected\n",
        outcomes.len(),
        outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Pass)
            .count(),
        outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::ExpectedFail(..)))
            .count(),
    ));
    out
}
