//! Directory entries from listing lines: `LIST` output (Unix `ls -l` and DOS/IIS styles) and
//! `MLSD`/`MLST` facts (RFC 3659).
//!
//! One line in, one [`Parsed`] out; a line nobody can read comes back whole as
//! [`Parsed::Raw`], never dropped and never a panic. It must not read the clock (the caller
//! passes the current year and month for `ls` dates without a year) and must not allocate per
//! line beyond the name and the optional strings it returns: a 100,000-line listing is meant to
//! parse at over a million lines a second.

use std::fmt;

/// A calendar date and time of day, as a listing gives it (no time zone: `LIST` dates are the
/// server's local time, `MLSD` dates are UTC).
///
/// Built only through [`Timestamp::new`], which checks that the date exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// The year, e.g. 2024.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to the length of the month.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 60 (60 for a leap second).
    pub second: u8,
}

impl Timestamp {
    /// A timestamp, or `None` when the date or time does not exist (February 30th, 24:00).
    ///
    /// ```
    /// use inet_ftp::proto::Timestamp;
    ///
    /// assert!(Timestamp::new(2024, 2, 29, 23, 59, 0).is_some());
    /// assert!(Timestamp::new(2023, 2, 29, 0, 0, 0).is_none());
    /// ```
    pub fn new(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > days || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        Some(Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }
}

impl fmt::Display for Timestamp {
    /// ISO 8601 without a zone: `2024-01-15 15:04:05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// What a directory entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, with its target when the listing shows it (`ls`'s `a -> b`,
    /// `MLSD`'s `OS.unix=slink:b`).
    Link {
        /// Where the link points, as the server wrote it.
        target: Option<String>,
    },
    /// A device, pipe, socket or a type the listing does not name.
    Other,
}

/// One directory entry (WinINet: `WIN32_FIND_DATA` from `FtpFindFirstFile`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Entry {
    /// The name as listed (for a link, without ` -> target`).
    pub name: String,
    /// File, directory, link or other.
    pub kind: EntryKind,
    /// The size in bytes, when the listing gives one (not for devices or DOS directories).
    pub size: Option<u64>,
    /// The last modification time, when the listing gives one.
    pub modified: Option<Timestamp>,
    /// The permissions as listed: `ls`'s mode field (`-rw-r--r--`), or `MLSD`'s `unix.mode`
    /// (`0644`), else its `perm` fact (`adfrw`).
    pub permissions: Option<String>,
}

/// What one listing line holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parsed {
    /// A directory entry.
    Entry(Entry),
    /// A line that describes no entry to report: blank, `total 123`, the `.` and `..` entries,
    /// `MLSD`'s `cdir`/`pdir`.
    Skip,
    /// A line in no format we know, kept whole (without its line end) so nothing is lost.
    Raw(String),
}

/// Reads one line of `LIST` output: Unix `ls -l` style or DOS/IIS style.
///
/// `now_year_month` is the current year and month at the server (or the client, as a best
/// guess). `ls` shows `Mon DD HH:MM` for recent files without a year: the year is this year, or
/// last year when that month is still in the future.
///
/// ```
/// use inet_ftp::proto::{parse_list_line, EntryKind, Parsed};
///
/// let line = "-rw-r--r--    1 1000     1000         1234 Jan 15 15:04 notes.txt";
/// let Parsed::Entry(entry) = parse_list_line(line, (2024, 3)) else { panic!() };
/// assert_eq!(entry.name, "notes.txt");
/// assert_eq!(entry.kind, EntryKind::File);
/// assert_eq!(entry.size, Some(1234));
/// assert_eq!(entry.modified.unwrap().to_string(), "2024-01-15 15:04:00");
///
/// let line = "01-15-24  03:04PM       <DIR>          Program Files";
/// let Parsed::Entry(entry) = parse_list_line(line, (2024, 3)) else { panic!() };
/// assert_eq!((entry.name.as_str(), entry.kind), ("Program Files", EntryKind::Dir));
///
/// assert_eq!(parse_list_line("total 12", (2024, 3)), Parsed::Skip);
/// assert_eq!(parse_list_line("what?", (2024, 3)), Parsed::Raw("what?".into()));
/// ```
pub fn parse_list_line(line: &str, now_year_month: (i32, u8)) -> Parsed {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() || is_total_line(line) {
        return Parsed::Skip;
    }
    let parsed = if line.as_bytes()[0].is_ascii_digit() {
        parse_dos(line)
    } else {
        parse_unix(line, now_year_month)
    };
    match parsed {
        Some(entry) if entry.name == "." || entry.name == ".." => Parsed::Skip,
        Some(entry) => Parsed::Entry(entry),
        None => Parsed::Raw(line.to_owned()),
    }
}

/// Reads one line of `MLSD` output (or of an `MLST` reply, after taking off its leading space):
/// `fact=value;fact=value; name`.
///
/// Fact names and the `type` values are case-insensitive; unknown facts are ignored, and so is
/// a fact whose value does not parse (a `size=abc` gives no size, not a lost entry).
///
/// ```
/// use inet_ftp::proto::{parse_mlsd_line, EntryKind, Parsed};
///
/// let line = "type=file;size=123;modify=20240115150405.123;perm=r; my notes.txt";
/// let Parsed::Entry(entry) = parse_mlsd_line(line) else { panic!() };
/// assert_eq!(entry.name, "my notes.txt");
/// assert_eq!(entry.size, Some(123));
/// assert_eq!(entry.modified.unwrap().to_string(), "2024-01-15 15:04:05");
///
/// assert_eq!(parse_mlsd_line("type=cdir;modify=20240115150405; /pub"), Parsed::Skip);
/// ```
pub fn parse_mlsd_line(line: &str) -> Parsed {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Parsed::Skip;
    }
    // The facts end at the first space; the name is everything after it, spaces and
    // semicolons included (RFC 3659 §7.2).
    let Some((facts, name)) = line.split_once(' ') else {
        return Parsed::Raw(line.to_owned());
    };
    if name.is_empty() {
        return Parsed::Raw(line.to_owned());
    }
    let mut kind = EntryKind::Other;
    let mut size = None;
    let mut modified = None;
    let mut perm = None;
    let mut mode = None;
    for fact in facts.split(';') {
        let Some((key, value)) = fact.split_once('=') else {
            continue;
        };
        if key.eq_ignore_ascii_case("type") {
            match mlsd_type(value) {
                Some(found) => kind = found,
                None => return Parsed::Skip,
            }
        } else if key.eq_ignore_ascii_case("size") {
            size = value.parse::<u64>().ok();
        } else if key.eq_ignore_ascii_case("modify") {
            modified = parse_mlsd_time(value);
        } else if key.eq_ignore_ascii_case("perm") {
            perm = Some(value);
        } else if key.eq_ignore_ascii_case("unix.mode") {
            mode = Some(value);
        }
    }
    if name == "." || name == ".." {
        return Parsed::Skip;
    }
    Parsed::Entry(Entry {
        name: name.to_owned(),
        kind,
        size,
        modified,
        permissions: mode.or(perm).map(str::to_owned),
    })
}

/// The kind named by an `MLSD` `type` fact; `None` for `cdir`/`pdir`, which are skipped.
fn mlsd_type(value: &str) -> Option<EntryKind> {
    if value.eq_ignore_ascii_case("file") {
        return Some(EntryKind::File);
    }
    if value.eq_ignore_ascii_case("dir") {
        return Some(EntryKind::Dir);
    }
    if value.eq_ignore_ascii_case("cdir") || value.eq_ignore_ascii_case("pdir") {
        return None;
    }
    // `OS.unix=symlink` (proftpd), `OS.unix=slink:/target` (others).
    let os_prefix = "os.unix=";
    if value.len() > os_prefix.len()
        && value.is_char_boundary(os_prefix.len())
        && value[..os_prefix.len()].eq_ignore_ascii_case(os_prefix)
    {
        let unix = &value[os_prefix.len()..];
        let (what, target) = match unix.split_once(':') {
            Some((what, target)) => (what, Some(target)),
            None => (unix, None),
        };
        if what.eq_ignore_ascii_case("symlink") || what.eq_ignore_ascii_case("slink") {
            return Some(EntryKind::Link {
                target: target.filter(|t| !t.is_empty()).map(str::to_owned),
            });
        }
    }
    Some(EntryKind::Other)
}

/// `YYYYMMDDHHMMSS` with optional fractional seconds (`.sss`), UTC (RFC 3659 §2.3).
fn parse_mlsd_time(value: &str) -> Option<Timestamp> {
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let b = whole.as_bytes();
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let year = i32::from(two(0)) * 100 + i32::from(two(2));
    Timestamp::new(year, two(4), two(6), two(8), two(10), two(12))
}

/// `total 123` (and `total: 123` from some servers), which `ls -l` prints first.
fn is_total_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > 5
        && bytes[..5].eq_ignore_ascii_case(b"total")
        && bytes[5..]
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b':' | b'\t'))
}

/// The next field separated by spaces or tabs, and the text after it; `None` at the end.
fn field(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start_matches([' ', '\t']);
    if text.is_empty() {
        return None;
    }
    let end = text.find([' ', '\t']).unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// The most fields `ls` puts before the date (mode, links, owner, group, size, and the two of
/// a device's numbers, with room for an odd server); past this, the line is not `ls -l`.
const MAX_FIELDS_BEFORE_DATE: usize = 8;

/// `ls -l`: mode, links, owner, group, size, `Mon DD HH:MM|YYYY`, name.
///
/// The date is found by its shape rather than by position, so missing or extra columns (no
/// group, an ACL marker, owner names that are numbers) still parse; the field just before it
/// is the size.
fn parse_unix(line: &str, now_year_month: (i32, u8)) -> Option<Entry> {
    let (mode, mut rest) = field(line)?;
    if !is_unix_mode(mode) {
        return None;
    }
    let type_char = mode.as_bytes()[0];
    let mut previous: Option<&str> = None;
    for _ in 0..MAX_FIELDS_BEFORE_DATE {
        let (token, after) = field(rest)?;
        if let (Some(month), Some(before)) = (month_number(token), previous) {
            if let Some((modified, name)) = date_and_name(month, after, now_year_month) {
                if let Some(size) = unix_size(before, type_char) {
                    return Some(unix_entry(mode, type_char, size, modified, name));
                }
            }
        }
        previous = Some(token);
        rest = after;
    }
    None
}

fn unix_entry(
    mode: &str,
    type_char: u8,
    size: Option<u64>,
    modified: Timestamp,
    name: &str,
) -> Entry {
    let (name, kind) = match type_char {
        b'd' => (name, EntryKind::Dir),
        b'-' => (name, EntryKind::File),
        b'l' => match name.split_once(" -> ") {
            Some((name, target)) => (
                name,
                EntryKind::Link {
                    target: Some(target.to_owned()),
                },
            ),
            None => (name, EntryKind::Link { target: None }),
        },
        _ => (name, EntryKind::Other),
    };
    Entry {
        name: name.to_owned(),
        kind,
        size,
        modified: Some(modified),
        permissions: Some(mode.to_owned()),
    }
}

/// Whether `field` looks like an `ls` mode: a type letter, nine permission letters, and maybe
/// an ACL or attribute marker (`+`, `@`, `.`).
fn is_unix_mode(field: &str) -> bool {
    let bytes = field.as_bytes();
    bytes.len() >= 10
        && b"-dlcbpsDn".contains(&bytes[0])
        && bytes[1..10].iter().all(|b| b"rwxsStTlL-".contains(b))
}

/// The size from the field before the date: `Some(None)` for a device (whose field is its
/// minor number, `4, 64`), `None` when the field is not a size at all.
fn unix_size(field: &str, type_char: u8) -> Option<Option<u64>> {
    if matches!(type_char, b'c' | b'b') {
        let is_device_number =
            !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit() || b == b',');
        return is_device_number.then_some(None);
    }
    field.parse::<u64>().ok().map(Some)
}

/// `DD HH:MM name` or `DD YYYY name` after a month: the timestamp and the name.
fn date_and_name(
    month: u8,
    text: &str,
    (now_year, now_month): (i32, u8),
) -> Option<(Timestamp, &str)> {
    let (day, rest) = field(text)?;
    let day = small_number(day)?;
    let (year_or_time, rest) = field(rest)?;
    let modified = match year_or_time.split_once(':') {
        Some((hour, minute)) => {
            let year = if month > now_month {
                now_year.saturating_sub(1)
            } else {
                now_year
            };
            Timestamp::new(
                year,
                month,
                u8::try_from(day).ok()?,
                small_number(hour)?.try_into().ok()?,
                small_number(minute)?.try_into().ok()?,
                0,
            )?
        }
        None if year_or_time.len() == 4 => {
            let year = i32::from(small_number(year_or_time)?);
            Timestamp::new(year, month, u8::try_from(day).ok()?, 0, 0, 0)?
        }
        None => return None,
    };
    // `ls` puts one space before the name; odd servers put more, so all are taken off (a
    // name that really starts with spaces is rarer than a server that pads).
    let name = rest.trim_start_matches([' ', '\t']);
    if name.is_empty() {
        return None;
    }
    Some((modified, name))
}

/// `Jan`…`Dec`, any case, as 1…12.
fn month_number(token: &str) -> Option<u8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let bytes = token.as_bytes();
    if bytes.len() != 3 {
        return None;
    }
    let position = MONTHS
        .iter()
        .position(|m| bytes.eq_ignore_ascii_case(&m[..]))?;
    u8::try_from(position + 1).ok()
}

/// One to four decimal digits as a number.
fn small_number(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// DOS/IIS: `MM-DD-YY  HH:MMAM  <DIR>|size  name`, with 2- or 4-digit years, `AM`/`PM` or a
/// 24-hour clock, and sizes that may carry thousands separators.
fn parse_dos(line: &str) -> Option<Entry> {
    let (date, rest) = field(line)?;
    let (time, mut rest) = field(rest)?;
    let mut meridiem = None;
    let mut clock = time;
    for suffix in ["AM", "PM"] {
        if time.len() > 2
            && time.is_char_boundary(time.len() - 2)
            && time[time.len() - 2..].eq_ignore_ascii_case(suffix)
        {
            clock = &time[..time.len() - 2];
            meridiem = Some(suffix);
        }
    }
    if meridiem.is_none() {
        // `03:04 PM`, with a space.
        if let Some((next, after)) = field(rest) {
            if next.eq_ignore_ascii_case("AM") || next.eq_ignore_ascii_case("PM") {
                meridiem = Some(if next.eq_ignore_ascii_case("AM") {
                    "AM"
                } else {
                    "PM"
                });
                rest = after;
            }
        }
    }
    let (size_field, rest) = field(rest)?;
    let name = rest.trim_start_matches([' ', '\t']);
    if name.is_empty() {
        return None;
    }
    let modified = dos_timestamp(date, clock, meridiem)?;
    let (kind, size) = if size_field.eq_ignore_ascii_case("<DIR>") {
        (EntryKind::Dir, None)
    } else {
        (EntryKind::File, Some(dos_size(size_field)?))
    };
    Some(Entry {
        name: name.to_owned(),
        kind,
        size,
        modified: Some(modified),
        permissions: None,
    })
}

fn dos_timestamp(date: &str, clock: &str, meridiem: Option<&str>) -> Option<Timestamp> {
    let mut parts = date.split(['-', '/']);
    let month = small_number(parts.next()?)?;
    let day = small_number(parts.next()?)?;
    let year_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = i32::from(small_number(year_text)?);
    let year = match year_text.len() {
        // The usual pivot for two-digit years: 70 to 99 are 1900s, 00 to 69 are 2000s.
        2 if year >= 70 => 1900 + year,
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    let (hour, minute) = clock.split_once(':')?;
    let mut hour = small_number(hour)?;
    let minute = small_number(minute)?;
    match meridiem {
        Some(suffix) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour %= 12;
            if suffix == "PM" {
                hour += 12;
            }
        }
        None if hour > 23 => return None,
        None => {}
    }
    Timestamp::new(
        year,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        0,
    )
}

/// A DOS size: digits, maybe with `,` or `.` thousands separators.
fn dos_size(text: &str) -> Option<u64> {
    let mut size: u64 = 0;
    let mut digits = 0;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                size = size.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                digits += 1;
            }
            b',' | b'.' if digits > 0 => {}
            _ => return None,
        }
    }
    (digits > 0).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: (i32, u8) = (2024, 6);

    fn entry(line: &str) -> Entry {
        match parse_list_line(line, NOW) {
            Parsed::Entry(entry) => entry,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn mlsd(line: &str) -> Entry {
        match parse_mlsd_line(line) {
            Parsed::Entry(entry) => entry,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn ts(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Timestamp> {
        Timestamp::new(year, month, day, hour, minute, second)
    }

    #[test]
    fn vsftpd_file_with_a_recent_date() {
        let e = entry("-rw-r--r--    1 1000     1000         1234 Jan 15 15:04 notes.txt");
        assert_eq!(e.name, "notes.txt");
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, Some(1234));
        assert_eq!(e.modified, ts(2024, 1, 15, 15, 4, 0));
        assert_eq!(e.permissions.as_deref(), Some("-rw-r--r--"));
    }

    #[test]
    fn a_recent_date_in_a_later_month_is_last_year() {
        let e = entry("-rw-r--r--    1 ftp      ftp             0 Dec 24 23:59 gift");
        assert_eq!(e.modified, ts(2023, 12, 24, 23, 59, 0));
    }

    #[test]
    fn proftpd_directory_with_an_old_date() {
        let e = entry("drwxr-xr-x   2 ftp      ftp          4096 Mar  3  2019 pub");
        assert_eq!(e.kind, EntryKind::Dir);
        assert_eq!(e.modified, ts(2019, 3, 3, 0, 0, 0));
    }

    #[test]
    fn symlinks_give_name_and_target() {
        let e = entry("lrwxrwxrwx   1 root     root            7 Jan  1  2020 bin -> usr/bin");
        assert_eq!(e.name, "bin");
        assert_eq!(
            e.kind,
            EntryKind::Link {
                target: Some("usr/bin".into())
            }
        );
    }

    #[test]
    fn device_files_have_no_size() {
        let e = entry("crw-r--r-- 1 root root 4, 64 Jan 1 2020 tty0");
        assert_eq!(e.name, "tty0");
        assert_eq!(e.kind, EntryKind::Other);
        assert_eq!(e.size, None);
        let e = entry("brw-rw----  1 root disk 8,0 Jan 1 2020 sda");
        assert_eq!((e.name.as_str(), e.size), ("sda", None));
    }

    #[test]
    fn names_with_spaces_and_odd_spacing_are_kept() {
        let e = entry("-rw-r--r--  1  owner  group   12   Feb   2   2021   my  file .txt");
        assert_eq!(e.name, "my  file .txt");
        assert_eq!(e.size, Some(12));
    }

    #[test]
    fn pure_ftpd_and_missing_group_columns_parse() {
        // pure-ftpd: owner and group may be numbers or names.
        let e = entry("-rw-r--r--    1 1001       users          5 Jun  2 10:00 a.txt");
        assert_eq!(e.size, Some(5));
        // Some servers leave out the group (and even the link count).
        let e = entry("-rw-r--r-- 1 ftp 5 Jun 2 10:00 b.txt");
        assert_eq!((e.name.as_str(), e.size), ("b.txt", Some(5)));
        let e = entry("-rw-r--r-- ftp 5 Jun 2 10:00 c.txt");
        assert_eq!((e.name.as_str(), e.size), ("c.txt", Some(5)));
    }

    #[test]
    fn acl_markers_after_the_mode_are_accepted() {
        let e = entry("drwxr-xr-x+  3 root root 4096 May 30 12:00 shared");
        assert_eq!(e.kind, EntryKind::Dir);
        assert_eq!(e.permissions.as_deref(), Some("drwxr-xr-x+"));
    }

    #[test]
    fn a_name_that_looks_like_a_date_is_still_the_name() {
        let e = entry("-rw-r--r-- 1 u g 1 Jan 1 2020 Jan 2 2021");
        assert_eq!(e.name, "Jan 2 2021");
    }

    #[test]
    fn total_blank_dot_and_dotdot_are_skipped() {
        assert_eq!(parse_list_line("total 123", NOW), Parsed::Skip);
        assert_eq!(parse_list_line("", NOW), Parsed::Skip);
        assert_eq!(parse_list_line("  \r\n", NOW), Parsed::Skip);
        let dot = "drwxr-xr-x   2 ftp ftp 4096 Mar  3  2019 .";
        assert_eq!(parse_list_line(dot, NOW), Parsed::Skip);
        let dotdot = "drwxr-xr-x   2 ftp ftp 4096 Mar  3  2019 ..";
        assert_eq!(parse_list_line(dotdot, NOW), Parsed::Skip);
    }

    #[test]
    fn iis_directory_and_file_lines_parse() {
        let e = entry("01-15-24  03:04PM       <DIR>          Program Files");
        assert_eq!(e.name, "Program Files");
        assert_eq!(e.kind, EntryKind::Dir);
        assert_eq!(e.size, None);
        assert_eq!(e.modified, ts(2024, 1, 15, 15, 4, 0));
        let e = entry("01-15-24  03:04PM             1234 name.txt");
        assert_eq!((e.kind, e.size), (EntryKind::File, Some(1234)));
    }

    #[test]
    fn iis_four_digit_years_midnight_noon_and_old_two_digit_years() {
        let e = entry("12-31-2023  12:00AM                0 midnight.log");
        assert_eq!(e.modified, ts(2023, 12, 31, 0, 0, 0));
        let e = entry("07-04-99  12:30PM       <DIR>          old");
        assert_eq!(e.modified, ts(1999, 7, 4, 12, 30, 0));
        let e = entry("07-04-2024  17:30       1,234,567 big.iso");
        assert_eq!(e.size, Some(1_234_567));
        assert_eq!(e.modified, ts(2024, 7, 4, 17, 30, 0));
    }

    #[test]
    fn unreadable_lines_come_back_raw() {
        for line in [
            "garbage",
            "drwxr-xr-x",
            "-rw-r--r-- 1 u g 12 Foo 15 15:04 x",
            "-rw-r--r-- 1 u g 12 Jan 32 15:04 x",
            "-rw-r--r-- 1 u g 12 Jan 15 15:04",
            "13-45-24  03:04PM  <DIR> x",
            "01-15-24  13:04PM  1 x",
            "01-15-24",
            "drwxr-xr-x 1 2 3 4 5 6 7 8 9 10 Jan 1 2020 far",
        ] {
            assert_eq!(
                parse_list_line(line, NOW),
                Parsed::Raw(line.into()),
                "{line}"
            );
        }
    }

    #[test]
    fn mlsd_file_dir_and_case_insensitive_facts() {
        let e = mlsd("Type=File;Size=123;Modify=20240115150405;Perm=r; notes.txt");
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, Some(123));
        assert_eq!(e.modified, ts(2024, 1, 15, 15, 4, 5));
        assert_eq!(e.permissions.as_deref(), Some("r"));
        let e = mlsd("type=dir;modify=20231231235959;perm=flcdmpe; sub dir");
        assert_eq!((e.name.as_str(), e.kind), ("sub dir", EntryKind::Dir));
    }

    #[test]
    fn mlsd_unix_mode_wins_over_perm() {
        let e = mlsd("type=file;size=0;perm=adfrw;UNIX.mode=0644;UNIX.owner=ann; a;b c");
        assert_eq!(e.permissions.as_deref(), Some("0644"));
        assert_eq!(e.name, "a;b c");
    }

    #[test]
    fn mlsd_symlinks_with_and_without_targets() {
        let e = mlsd("type=OS.unix=symlink;size=7;modify=20240101000000; bin");
        assert_eq!(e.kind, EntryKind::Link { target: None });
        let e = mlsd("type=OS.unix=slink:/usr/bin;modify=20240101000000; bin");
        assert_eq!(
            e.kind,
            EntryKind::Link {
                target: Some("/usr/bin".into())
            }
        );
        let e = mlsd("type=OS.unix=chr-4/64; tty0");
        assert_eq!(e.kind, EntryKind::Other);
    }

    #[test]
    fn mlsd_fractional_seconds_are_accepted() {
        let e = mlsd("type=file;modify=20240115150405.987;size=1; f");
        assert_eq!(e.modified, ts(2024, 1, 15, 15, 4, 5));
    }

    #[test]
    fn mlsd_cdir_pdir_dot_and_blank_are_skipped() {
        assert_eq!(parse_mlsd_line("type=cdir;perm=el; /pub"), Parsed::Skip);
        assert_eq!(parse_mlsd_line("type=pdir;perm=el; .."), Parsed::Skip);
        assert_eq!(parse_mlsd_line("type=dir; ."), Parsed::Skip);
        assert_eq!(parse_mlsd_line("\r\n"), Parsed::Skip);
    }

    #[test]
    fn mlsd_bad_values_are_ignored_and_bad_lines_are_raw() {
        let e = mlsd("type=file;size=big;modify=2024; f");
        assert_eq!((e.size, e.modified), (None, None));
        assert_eq!(parse_mlsd_line("nospace"), Parsed::Raw("nospace".into()));
        assert_eq!(
            parse_mlsd_line("type=file; "),
            Parsed::Raw("type=file; ".into())
        );
    }

    #[test]
    fn mlsd_without_facts_is_an_entry_of_unknown_kind() {
        let e = mlsd(" bare");
        assert_eq!((e.name.as_str(), e.kind), ("bare", EntryKind::Other));
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(Timestamp::new(2024, 13, 1, 0, 0, 0).is_none());
        assert!(Timestamp::new(2024, 4, 31, 0, 0, 0).is_none());
        assert!(Timestamp::new(1900, 2, 29, 0, 0, 0).is_none());
        assert!(Timestamp::new(2000, 2, 29, 0, 0, 0).is_some());
    }
}
