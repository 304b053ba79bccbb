//! The FTP issue's benchmark goal, as a test to run by hand in release mode:
//! `cargo test -p inet-ftp --release --test listing_speed -- --ignored --nocapture`.
//!
//! Ignored by default: a debug build is an order of magnitude slower and a shared CI machine
//! makes any timing flaky.

use std::time::Instant;

use inet_ftp::proto::{parse_list_line, parse_mlsd_line, Parsed};

const LINES: usize = 100_000;

fn rate(label: &str, lines: &[String], parse: impl Fn(&str) -> Parsed) -> f64 {
    let started = Instant::now();
    let mut entries = 0;
    for line in lines {
        if let Parsed::Entry(_) = parse(line) {
            entries += 1;
        }
    }
    let rate = lines.len() as f64 / started.elapsed().as_secs_f64();
    assert_eq!(entries, lines.len());
    println!("{label}: {LINES} lines, {:.2} M lines/s", rate / 1e6);
    rate
}

#[test]
#[ignore = "timing; run in release by hand"]
fn a_100_000_line_listing_parses_at_over_a_million_lines_a_second() {
    let unix: Vec<String> = (0..LINES)
        .map(|i| match i % 4 {
            0 => format!(
                "-rw-r--r--    1 ftp      ftp      {i:>10} Jan 15 15:04 file number {i}.txt"
            ),
            1 => format!("drwxr-xr-x    2 ftp      ftp          4096 Mar  3  2019 dir{i}"),
            2 => {
                format!("lrwxrwxrwx    1 root     root            7 Jan  1  2020 link{i} -> target")
            }
            _ => format!("01-15-24  03:04PM             {i} dos{i}.txt"),
        })
        .collect();
    let mlsd: Vec<String> = (0..LINES)
        .map(|i| {
            format!(
                "type=file;size={i};modify=20240115150405;perm=adfrw;unix.mode=0644; file {i}.txt"
            )
        })
        .collect();
    let list_rate = rate("LIST", &unix, |line| parse_list_line(line, (2024, 6)));
    let mlsd_rate = rate("MLSD", &mlsd, parse_mlsd_line);
    assert!(list_rate >= 1e6, "LIST: {list_rate:.0} lines/s");
    assert!(mlsd_rate >= 1e6, "MLSD: {mlsd_rate:.0} lines/s");
}
