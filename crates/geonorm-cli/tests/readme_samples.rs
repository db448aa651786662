//! The command-line samples in README.md are what the binary prints today.
//!
//! Convention (under "## Using the command line"): a ```` ```text ```` or
//! ```` ```console ```` block holding lines that start with `$ ` is a sample. Each
//! `$ geonorm …` line is a command; the lines after it, up to the next `$ ` line, are
//! what it prints (standard output, then standard error). A line that is exactly `…`
//! stands for lines left out. `$ echo $?` followed by a number is the exit code of the
//! command before. Blocks without `$ ` lines are synopses and are not run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

/// Commands that talk to a MapHub server: their samples cannot run here.
const NETWORK: [(&str, &str); 5] = [
    ("append", "sends to a MapHub server"),
    ("upload", "sends to a MapHub server"),
    ("maps", "reads from a MapHub server"),
    ("get", "reads from a MapHub server"),
    ("refresh-image", "asks a MapHub server"),
];

/// Folders of the repository the samples name, reachable from where they run.
const LINKED: [&str; 2] = ["testdata", "docs"];

/// Files a sample names that are not in testdata/: created in the directory the
/// samples run in, from these testdata files.
const FIXTURES: [(&str, &str); 1] = [("a.kml", "testdata/kml/togeojson/bad.kml")];

/// One `$ geonorm …` line and what the README shows for it.
#[derive(Debug)]
struct Sample {
    /// The README line, for messages.
    line: usize,
    args: Vec<String>,
    /// The shown output, line by line, `…` included.
    output: Vec<String>,
    exit: Option<i32>,
}

/// The text of the `## Using the command line` section.
fn cli_section(readme: &str) -> &str {
    let start = readme
        .find("\n## Using the command line\n")
        .expect("README has a `## Using the command line` section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// The samples of `section`, whose first line is README line `first_line`.
fn samples(section: &str, first_line: usize) -> Vec<Sample> {
    let mut out: Vec<Sample> = Vec::new();
    let mut in_block = false;
    // Whether the last sample is in the block being read: output lines belong to it.
    let mut open = false;
    for (i, line) in section.lines().enumerate() {
        let number = first_line + i;
        if !in_block {
            in_block = line == "```text" || line == "```console";
            continue;
        }
        if line.starts_with("```") {
            in_block = false;
            open = false;
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            if command == "echo $?" {
                let last = out.last_mut().expect("`$ echo $?` follows a command");
                last.exit = Some(-1);
                continue;
            }
            // The samples need no shell: words split at spaces, no quoting.
            assert!(
                !command.contains(['\'', '"', '\\', '|', '>', '<', '*']),
                "README line {number}: extend this test to run `{command}`"
            );
            let mut words = command.split(' ').map(str::to_string);
            assert_eq!(
                words.next().as_deref(),
                Some("geonorm"),
                "README line {number}"
            );
            out.push(Sample {
                line: number,
                args: words.collect(),
                output: Vec::new(),
                exit: None,
            });
            open = true;
        } else if let Some(last) = out.last_mut().filter(|_| open) {
            match last.exit {
                Some(-1) => {
                    last.exit = Some(line.parse().unwrap_or_else(|_| {
                        panic!("README line {number}: `{line}` is no exit code")
                    }))
                }
                _ => last.output.push(line.to_string()),
            }
        }
    }
    out
}

/// Whether `actual` is what `shown` shows: equal, except that each `…` line of
/// `shown` stands for any number of lines.
fn matches(shown: &[String], actual: &[&str]) -> bool {
    let mut parts = shown.split(|l| l == "…");
    let first = parts.next().unwrap_or_default();
    if !actual.starts_with_strs(first) {
        return false;
    }
    let mut at = first.len();
    let rest: Vec<&[String]> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return at == actual.len();
    };
    for part in middle {
        match (at..=actual.len().saturating_sub(part.len()))
            .find(|&i| actual[i..].starts_with_strs(part))
        {
            Some(i) => at = i + part.len(),
            None => return false,
        }
    }
    actual.len() >= at + last.len() && actual[actual.len() - last.len()..].starts_with_strs(last)
}

trait StartsWithStrs {
    fn starts_with_strs(&self, prefix: &[String]) -> bool;
}

impl StartsWithStrs for [&str] {
    fn starts_with_strs(&self, prefix: &[String]) -> bool {
        self.len() >= prefix.len() && self.iter().zip(prefix).all(|(a, b)| a == b)
    }
}

#[test]
#[cfg(unix)]
fn readme_command_line_samples_are_what_the_binary_prints() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let section = cli_section(&readme);
    let first_line = readme[..readme.find(section).expect("section")]
        .lines()
        .count()
        + 1;
    let samples = samples(section, first_line);

    // Run where outputs (`-o x.geojson`) do not land in the repository, with its
    // folders reachable by the relative paths the README shows.
    let dir = tempfile::tempdir().expect("tempdir");
    for linked in LINKED {
        std::os::unix::fs::symlink(root.join(linked), dir.path().join(linked))
            .expect("link a folder of the repository");
    }
    for (name, from) in FIXTURES {
        std::fs::copy(root.join(from), dir.path().join(name)).expect("fixture");
    }
    let temp = format!("{}/", dir.path().display());

    let mut ran = 0;
    let mut failures = Vec::new();
    for s in &samples {
        let command = s.args.first().map(String::as_str).unwrap_or_default();
        if let Some((_, why)) = NETWORK.iter().find(|(c, _)| *c == command) {
            eprintln!("README line {}: skipped `{command}`: {why}", s.line);
            continue;
        }
        let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
            .args(&s.args)
            .current_dir(dir.path())
            .output()
            .expect("run geonorm");
        // Only the directory the samples run in varies from run to run.
        let actual = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .replace(&temp, "");
        let lines: Vec<&str> = actual.lines().collect();
        if !matches(&s.output, &lines) {
            failures.push(format!(
                "README line {}: `geonorm {}` shows\n{}\nbut prints\n{actual}",
                s.line,
                s.args.join(" "),
                s.output.join("\n")
            ));
        }
        if let Some(exit) = s.exit {
            if out.status.code() != Some(exit) {
                failures.push(format!(
                    "README line {}: `geonorm {}` shows exit {exit} but exits {:?}",
                    s.line,
                    s.args.join(" "),
                    out.status.code()
                ));
            }
        }
        ran += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The README has this many samples that run; fewer means the parser lost some.
    assert!(ran >= 11, "only {ran} samples found: {samples:?}");
}

#[test]
fn each_readme_section_is_there_once() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut seen = std::collections::BTreeSet::new();
    let mut in_code = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            assert!(seen.insert(line), "README repeats the heading `{line}`");
        }
    }
}

#[test]
fn elided_lines_match_any_run_of_lines_and_nothing_else() {
    let shown = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    let actual = ["a", "b", "c", "d"];
    assert!(matches(&shown("a\nb\nc\nd"), &actual));
    assert!(!matches(&shown("a\nb\nc"), &actual));
    assert!(matches(&shown("a\n…"), &actual));
    assert!(matches(&shown("a\n…\nd"), &actual));
    assert!(matches(&shown("…\nc\n…"), &actual));
    assert!(matches(&shown("a\nb\n…\nc\nd"), &actual));
    assert!(!matches(&shown("a\n…\nb\nc\nd\n…\nd"), &actual));
    assert!(!matches(&shown("b\n…"), &actual));
    assert!(!matches(&shown("…\nc"), &actual));
    assert!(!matches(&shown("a\nX\n…"), &actual));
}
