//! Directory listings (WinINet: FtpFindFirstFile, InternetFindNextFile): a find handle holding
//! the entries of one listing, read whole when it opens.
//!
//! `MLSD` when the server offers it (exact sizes and UTC times), else `LIST` parsed as Unix
//! `ls -l` or DOS/IIS lines; a line in neither format is kept, as [`Found::Unparsed`]. A pattern
//! with `*` or `?` lists its directory and keeps the names that match (servers disagree on
//! globbing, and `MLSD` has none).

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use inet_core::{
    Completion, Context, Error, ErrorKind, Handle, HandleKind, Pending, Reader, Result, Started,
    Value,
};
use parking_lot::Mutex;

use crate::connection::FtpConnection;
use crate::data;
use crate::errors;
use crate::proto::dialog::expect;
use crate::proto::{
    parse_list_line, parse_mlsd_line, Command, Entry, Parsed, ReplyClass, TransferType,
};

/// A listing larger than this fails with NOT_ENOUGH_MEMORY (8) instead of filling memory.
const MAX_LISTING: usize = 256 * 1024 * 1024;

/// One item of a listing (WinINet: `WIN32_FIND_DATA`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    /// A parsed entry: name, kind, size, time, permissions.
    Entry(Entry),
    /// A line in no listing format inet reads, whole: returned, not dropped.
    Unparsed(String),
}

impl Found {
    /// The entry, when the line was parsed.
    pub fn entry(&self) -> Option<&Entry> {
        match self {
            Found::Entry(e) => Some(e),
            Found::Unparsed(_) => None,
        }
    }

    /// The entry's name, or the whole unparsed line.
    pub fn name(&self) -> &str {
        match self {
            Found::Entry(e) => &e.name,
            Found::Unparsed(line) => line,
        }
    }
}

impl From<Found> for Completion {
    fn from(f: Found) -> Self {
        Completion::Value(Value::new(f))
    }
}

/// A find handle (WinINet: the handle FtpFindFirstFile returns). While it is open, its
/// connection runs no other operation (FTP_TRANSFER_IN_PROGRESS, as in WinINet); close it when
/// done.
#[derive(Clone)]
pub struct FtpFind {
    handle: Handle,
    entries: Arc<Mutex<VecDeque<Found>>>,
}

impl fmt::Debug for FtpFind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FtpFind")
            .field("handle", &self.handle)
            .field("left", &self.entries.lock().len())
            .finish()
    }
}

impl From<FtpFind> for Completion {
    fn from(f: FtpFind) -> Self {
        Completion::Value(Value::new(f))
    }
}

impl FtpFind {
    /// The find handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Close it (WinINet: InternetCloseHandle); the connection is free again.
    pub fn close(&self) {
        self.handle.close();
    }

    /// WinINet: InternetFindNextFile. The next item; NO_MORE_FILES (18) after the last.
    pub async fn next(&self) -> Result<Found> {
        self.handle.run(self.next_op()).await
    }

    /// [`next`](Self::next) in callback mode: the entries are all here, so it is always done
    /// at once (`Started::Done`) — no REQUEST_COMPLETE follows.
    pub fn start_next(&self) -> Result<Started<Found>> {
        self.handle.start_now(self.next_op())
    }

    /// [`next`](Self::next), blocking.
    pub fn next_blocking(&self) -> Result<Found> {
        self.handle.block(self.next_op())
    }

    /// Every item left, without going through the handle's operations.
    pub fn remaining(&self) -> Vec<Found> {
        self.entries.lock().drain(..).collect()
    }

    fn next_op(&self) -> impl Future<Output = Result<Found>> + Send + 'static {
        let entries = self.entries.clone();
        async move {
            entries.lock().pop_front().ok_or_else(|| {
                Error::new(
                    ErrorKind::NoMoreFiles,
                    "finding the next file: no more files",
                )
            })
        }
    }
}

impl FtpConnection {
    /// WinINet: FtpFindFirstFile. List the current directory, a directory, or the names a
    /// pattern (`*`, `?`) matches, into a find handle; read its items with
    /// [`FtpFind::next`]. An empty result fails with NO_MORE_FILES (18) and opens no handle, as
    /// WinINet does. The handle's notifications carry `context`.
    pub async fn find_first(&self, pattern: Option<&str>, context: Context) -> Result<FtpFind> {
        let op = self.find_op(pattern, context);
        self.handle.run(op).await
    }

    /// [`find_first`](Self::find_first) in callback mode: REQUEST_COMPLETE carries the
    /// [`FtpFind`] as `Completion::Value` (`completion.value::<FtpFind>()`; keep a clone).
    pub fn start_find_first(&self, pattern: Option<&str>, context: Context) -> Result<Pending> {
        self.shared.refuse_during_transfer()?;
        self.handle.start(self.find_op(pattern, context))
    }

    /// [`find_first`](Self::find_first), blocking.
    pub fn find_first_blocking(&self, pattern: Option<&str>, context: Context) -> Result<FtpFind> {
        self.handle.block(self.find_op(pattern, context))
    }

    fn find_op(
        &self,
        pattern: Option<&str>,
        context: Context,
    ) -> impl Future<Output = Result<FtpFind>> + Send + 'static {
        let (s, h) = self.parts();
        let (dir, glob) = split_pattern(pattern);
        #[cfg(feature = "tracing")]
        let traced = pattern.unwrap_or_default().to_string();
        async move {
            let what = match (&dir, &glob) {
                (Some(d), _) => format!("listing {d:?}"),
                (None, _) => "listing the current directory".to_string(),
            };
            let mut ctl = s.lease(&h, &what).await?;
            let mut mlsd = ctl.features.mlst;
            let list = |dir: &Option<String>, mlsd: bool| {
                if mlsd {
                    Command::Mlsd(dir.clone())
                } else {
                    Command::List(dir.clone())
                }
            };
            let mut cmd = list(&dir, mlsd);
            let mut opened = data::open(
                &mut ctl,
                &h,
                &s.options,
                cmd.clone(),
                TransferType::Ascii,
                None,
                &what,
            )
            .await;
            // MLSD lists directories only; WinINet's FtpFindFirstFile also finds one file by
            // name, which LIST does.
            let refused = |e: &Error| crate::server_reply(e).is_some_and(|r| r.is_permanent());
            if mlsd && dir.is_some() && opened.as_ref().is_err_and(refused) {
                mlsd = false;
                cmd = list(&dir, mlsd);
                opened = data::open(
                    &mut ctl,
                    &h,
                    &s.options,
                    cmd.clone(),
                    TransferType::Ascii,
                    None,
                    &what,
                )
                .await;
            }
            let opened = opened?;
            let mut reader = Reader::dedicated(
                opened.data,
                Box::<inet_core::UntilClose>::default(),
                None,
                None,
            );
            let mut text = Vec::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut budget = data::Budget::default();
            loop {
                budget.spend().await;
                let n = reader.read(&h, &mut buf).await?;
                if n == 0 {
                    break;
                }
                if text.len() + n > MAX_LISTING {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!("{what}: the listing is larger than {MAX_LISTING} bytes"),
                    ));
                }
                text.extend_from_slice(&buf[..n]);
            }
            if opened.final_owed {
                let reply = ctl.final_reply(&h).await?;
                expect(&cmd, &reply, ReplyClass::Completion)
                    .map_err(|e| errors::dialog(&what, e))?;
            }
            let now = year_month_now();
            let mut items = VecDeque::new();
            for line in text.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let line = crate::proto::bytes_to_text(line);
                let parsed = if mlsd {
                    parse_mlsd_line(&line)
                } else {
                    parse_list_line(&line, now)
                };
                let found = match parsed {
                    Parsed::Entry(e) => Found::Entry(e),
                    Parsed::Raw(raw) => Found::Unparsed(raw),
                    Parsed::Skip => continue,
                };
                if glob.as_deref().is_none_or(|g| glob_match(g, found.name())) {
                    items.push_back(found);
                }
            }
            if items.is_empty() {
                return Err(Error::new(
                    ErrorKind::NoMoreFiles,
                    format!("{what}: no files"),
                ));
            }
            drop(ctl);
            let handle = h.create_child(HandleKind::FtpFind, context)?;
            #[cfg(feature = "tracing")]
            handle.trace_url(|| s.trace_url(&traced));
            s.begin_transfer(handle.id());
            let (s2, id) = (s.clone(), handle.id());
            handle.on_close(move || s2.end_transfer(id));
            Ok(FtpFind {
                handle,
                entries: Arc::new(Mutex::new(items)),
            })
        }
    }
}

/// A pattern's directory to list and the glob its names must match (when it has `*` or `?`).
fn split_pattern(pattern: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(p) = pattern.map(str::trim).filter(|p| !p.is_empty()) else {
        return (None, None);
    };
    if !p.contains(['*', '?']) {
        return (Some(p.to_string()), None);
    }
    match p.rsplit_once('/') {
        Some((dir, glob)) => {
            let dir = if dir.is_empty() { "/" } else { dir };
            (Some(dir.to_string()), Some(glob.to_string()))
        }
        None => (None, Some(p.to_string())),
    }
}

/// `*` (any run) and `?` (any one character) against a name; everything else literal.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// This year and month (UTC), for `ls` dates without a year.
fn year_month_now() -> (i32, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_match("*.txt", "notes.txt"));
        assert!(!glob_match("*.txt", "notes.txt.bak"));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("?", ""));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
    }

    #[test]
    fn patterns_split_into_directory_and_glob() {
        assert_eq!(split_pattern(None), (None, None));
        assert_eq!(split_pattern(Some("dir")), (Some("dir".into()), None));
        assert_eq!(
            split_pattern(Some("data/*.bin")),
            (Some("data".into()), Some("*.bin".into()))
        );
        assert_eq!(split_pattern(Some("*.bin")), (None, Some("*.bin".into())));
        assert_eq!(
            split_pattern(Some("/*")),
            (Some("/".into()), Some("*".into()))
        );
    }

    #[test]
    fn the_current_year_is_plausible() {
        let (y, m) = year_month_now();
        assert!((2024..2200).contains(&y));
        assert!((1..=12).contains(&m));
    }
}
