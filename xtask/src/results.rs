//! `bench/RESULTS.md`: what `cargo xtask bench` (all suites) printed, as one markdown document
//! with a description of the machine it ran on.
//!
//! Each bench prints its own report to stdout: a title line, progress lines, then its tables
//! (markdown, `| … |` lines) with their captions and notes. A section keeps the title line and
//! everything from the paragraph before the first table on (progress lines before it are left
//! out); text lines keep their line breaks. A bench that prints no markdown table (the core
//! dispatch bench's fixed-width table) is kept whole in a code block.

use std::process::Command;

/// One bench's output.
#[derive(Debug)]
pub struct Section {
    pub suite: &'static str,
    pub command: String,
    pub ok: bool,
    pub output: Vec<String>,
}

/// The whole document.
pub fn document(sections: &[Section], quick: bool) -> String {
    let mut out = String::from("# Benchmark results\n\n");
    out += "Written by `cargo xtask bench`";
    if quick {
        out += " --quick: a development run (small sizes, few rounds), goals not judged; \
                not the project's numbers";
    }
    out += ". Every bench runs against the loopback test servers on the same machine, which \
            shares its cores with them.\n\n";
    out += "## Machine\n\n";
    for (what, value) in machine() {
        out += &format!("- {what}: {value}\n");
    }
    for s in sections {
        out += &format!("\n## {}\n\n`{}`", s.suite, s.command);
        if !s.ok {
            out += " — **FAILED** (its output so far is below)";
        }
        out += "\n\n";
        out += &report(&s.output);
    }
    out
}

/// The part of a bench's output the document keeps, as markdown.
pub fn report(lines: &[String]) -> String {
    let is_table = |l: &String| l.trim_start().starts_with('|');
    let Some(first_table) = lines.iter().position(is_table) else {
        if lines.is_empty() {
            return "(no output)\n".to_owned();
        }
        return format!("```\n{}\n```\n", lines.join("\n"));
    };
    // The paragraph before the first table (its caption, maybe after a blank line): back to the
    // blank line before that.
    let blank = |l: &String| l.trim().is_empty();
    let caption_end = lines[..first_table]
        .iter()
        .rposition(|l| !blank(l))
        .map_or(0, |i| i + 1);
    let start = lines[..caption_end]
        .iter()
        .rposition(blank)
        .map_or(0, |i| i + 1);
    let mut kept: Vec<&String> = Vec::new();
    if start > 0 {
        if let Some(title) = lines.first().filter(|l| !l.trim().is_empty()) {
            kept.push(title);
        }
    }
    kept.extend(&lines[start..]);
    let mut out = String::new();
    let mut previous_table = false;
    for line in kept {
        let table = is_table(line);
        if table != previous_table && !line.trim().is_empty() && !out.is_empty() {
            // A table needs a blank line before it, and text after one too.
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
        }
        if table || line.trim().is_empty() {
            out += line.trim_end();
        } else {
            // A hard line break, so a list of runs stays one per line.
            out += &format!("{}  ", line.trim_end());
        }
        out.push('\n');
        previous_table = table;
    }
    out
}

/// CPU model, cores, memory, kernel, rustc, curl and the date.
fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_owned(), |(_, v)| v.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or("unknown".to_owned(), |kib| {
            format!("{:.1} GiB", kib as f64 / (1 << 20) as f64)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_owned(), |s| format!("Linux {}", s.trim()));
    vec![
        ("CPU", cpu),
        ("cores available", cores.to_string()),
        ("memory", memory),
        ("kernel", kernel),
        ("rustc", first_line("rustc", &["-V"])),
        ("curl", first_line("curl", &["--version"])),
        ("date", first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])),
    ]
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| format!("({program} not found)"))
}

#[cfg(test)]
mod tests {
    use super::{document, report, Section};

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn progress_before_the_tables_is_left_out_and_the_title_kept() {
        let out = lines(
            "http bench: nginx\n  [get] round 1/1 inet 10 MB/s\n\nmedians of 1 round.\n\n\
             | tool | MB/s |\n|---|---|\n| inet | 10 |\nall runs:\n  [get] inet 10\nbench time: 3 s",
        );
        let md = report(&out);
        assert!(md.starts_with("http bench: nginx  \n"), "{md}");
        assert!(!md.contains("round 1/1"), "{md}");
        assert!(
            md.contains("medians of 1 round.  \n\n| tool | MB/s |\n"),
            "{md}"
        );
        assert!(md.contains("| inet | 10 |\n\nall runs:  \n"), "{md}");
        assert!(md.ends_with("bench time: 3 s  \n"), "{md}");
    }

    #[test]
    fn output_without_a_markdown_table_is_kept_whole_in_a_code_block() {
        let md = report(&lines("measure   value\nnotifications/s  2000000"));
        assert_eq!(md, "```\nmeasure   value\nnotifications/s  2000000\n```\n");
    }

    #[test]
    fn the_document_describes_the_machine_and_marks_failed_benches() {
        let doc = document(
            &[Section {
                suite: "ftp",
                command: "cargo bench -p inet-tests --bench ftp".into(),
                ok: false,
                output: vec![],
            }],
            true,
        );
        for want in [
            "## Machine",
            "- CPU: ",
            "- kernel: ",
            "- rustc: ",
            "- curl: ",
            "- date: ",
        ] {
            assert!(doc.contains(want), "{want} in {doc}");
        }
        assert!(doc.contains("## ftp\n\n`cargo bench -p inet-tests --bench ftp` — **FAILED**"));
        assert!(doc.contains("development run"));
    }
}
