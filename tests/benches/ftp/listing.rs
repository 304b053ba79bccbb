//! Parsing listings: `LIST` lines (Unix `ls -l`) with `parse_list_line` and `MLSD` lines with
//! `parse_mlsd_line`, in this process (no server: the parsers are sans-IO). The lines are made up
//! here, the same on every run: files, directories and symbolic links in about 7 : 2 : 1, sizes
//! from a few bytes to gigabytes, recent dates (`Mon DD HH:MM`) and old ones (`Mon DD  YYYY`),
//! names with spaces, dots and dashes, varied owners and link counts.

use std::hint::black_box;
use std::time::{Duration, Instant};

use inet_ftp::proto::{parse_list_line, parse_mlsd_line, Parsed};

use crate::Result;

/// The "now" every `LIST` line is read against (recent dates have no year).
const NOW: (i32, u8) = (2024, 6);

/// Which parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    List,
    Mlsd,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::List, Format::Mlsd];

    pub fn label(self) -> &'static str {
        match self {
            Format::List => "LIST (ls -l) lines, parse_list_line",
            Format::Mlsd => "MLSD lines, parse_mlsd_line",
        }
    }
}

/// `count` lines of `format`, one string each.
pub fn lines(format: Format, count: usize) -> Vec<String> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    (0..count).map(|i| line(format, i, &mut rng)).collect()
}

/// Parses every line once; the time taken. Fails unless every line is an entry.
pub fn parse_all(format: Format, lines: &[String]) -> Result<Duration> {
    let started = Instant::now();
    let mut entries = 0usize;
    let mut bytes = 0u64;
    for line in lines {
        let parsed = match format {
            Format::List => parse_list_line(black_box(line), NOW),
            Format::Mlsd => parse_mlsd_line(black_box(line)),
        };
        if let Parsed::Entry(e) = black_box(parsed) {
            entries += 1;
            bytes += e.size.unwrap_or(0);
        }
    }
    let elapsed = started.elapsed();
    black_box(bytes);
    if entries != lines.len() {
        return Err(format!(
            "{}: {} of {} lines were not read as entries",
            format.label(),
            lines.len() - entries,
            lines.len()
        )
        .into());
    }
    Ok(elapsed)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WORDS: [&str; 12] = [
    "report", "backup", "IMG", "release", "notes", "data set", "archive", "build", "log", "index",
    "photo", "draft",
];
const EXTENSIONS: [&str; 8] = [
    ".txt", ".tar.gz", ".pdf", ".jpg", ".iso", ".csv", "", ".log",
];
const OWNERS: [&str; 5] = ["ftp", "root", "www-data", "1000", "alice"];

/// The `i`-th line.
fn line(format: Format, i: usize, rng: &mut Rng) -> String {
    let kind = match rng.below(10) {
        0..=6 => 'f',
        7 | 8 => 'd',
        _ => 'l',
    };
    let word = WORDS[rng.below(WORDS.len() as u64) as usize];
    let name = match kind {
        'd' => format!("{word}-{i}"),
        _ => format!(
            "{word}-{i:05}{}",
            EXTENSIONS[rng.below(EXTENSIONS.len() as u64) as usize]
        ),
    };
    let size = match kind {
        'd' => 4096,
        'l' => name.len() as u64 + 3,
        _ => match rng.below(4) {
            0 => rng.below(1 << 10),
            1 => rng.below(1 << 20),
            2 => rng.below(1 << 30),
            _ => rng.below(1 << 34),
        },
    };
    let recent = rng.below(3) == 0;
    let (year, month) = if recent {
        let back = rng.below(6) as i32;
        let m = NOW.1 as i32 - back;
        if m >= 1 {
            (NOW.0, m as u8)
        } else {
            (NOW.0 - 1, (m + 12) as u8)
        }
    } else {
        (1995 + rng.below(28) as i32, 1 + rng.below(12) as u8)
    };
    let day = 1 + rng.below(28) as u8;
    let (hour, minute, second) = (rng.below(24), rng.below(60), rng.below(60));
    match format {
        Format::List => {
            let mode = match kind {
                'd' => "drwxr-xr-x",
                'l' => "lrwxrwxrwx",
                _ if rng.below(4) == 0 => "-rwxr-x---",
                _ => "-rw-r--r--",
            };
            let links = if kind == 'd' { 2 + rng.below(30) } else { 1 };
            let owner = OWNERS[rng.below(OWNERS.len() as u64) as usize];
            let group = OWNERS[rng.below(OWNERS.len() as u64) as usize];
            let when = if recent {
                format!("{hour:02}:{minute:02}")
            } else {
                format!(" {year}")
            };
            let target = if kind == 'l' {
                format!(" -> ../{word}/current")
            } else {
                String::new()
            };
            format!(
                "{mode} {links:>4} {owner:<8} {group:<8} {size:>12} {} {day:>2} {when:>5} {name}{target}",
                MONTHS[month as usize - 1]
            )
        }
        Format::Mlsd => {
            let (kind, perm, mode) = match kind {
                'd' => ("dir".to_owned(), "flcdmpe", "0755"),
                'l' => (format!("OS.unix=slink:../{word}/current"), "r", "0777"),
                _ => ("file".to_owned(), "adfrw", "0644"),
            };
            format!(
                "modify={year:04}{month:02}{day:02}{hour:02}{minute:02}{second:02};perm={perm};\
                 size={size};type={kind};unique=803U{i:x};UNIX.group=1000;UNIX.mode={mode};\
                 UNIX.owner=1000; {name}"
            )
        }
    }
}

/// xorshift64*: the same lines on every run.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}
