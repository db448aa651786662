//! The command-line samples in README.md are what the binary prints today.
//!
//! Convention (under "## Using the command line"): a ```` ```text ```` or
//! ```` ```console ```` block holding lines that start with `$ ` is a sample. Each
//! `$ geonorm …` line is a command; the lines after it, up to the next `$ ` line, are
//! what it prints (standard output, then standard error). A line that is exactly `…`
//! stands for lines left out. `$ echo $?` followed by a number is the exit code of the
//! command before. Blocks without `$ ` lines are synopses and are not run.
//!
//! The sending samples (`append`, `upload`, `maps`, `get`, `refresh-image`) run too, in
//! order, against a maphub-local this test starts: the README's own example of one, on
//! `http://127.0.0.1:8080` with the key `try-me`.

use std::path::{Path, PathBuf};
use std::process::Command;

use maphub_local::{Config, Server};

fn root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

/// Commands that talk to a MapHub server: each has at least one sample, run against
/// the maphub-local this test starts.
const NETWORK: [&str; 5] = ["append", "upload", "maps", "get", "refresh-image"];

/// The server the README's sending samples name: its maphub-local example's port.
const README_SERVER: &str = "http://127.0.0.1:8080";

/// The key of the README's maphub-local example, in `MAPHUB_API_KEY`.
const README_KEY: &str = "try-me";

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

/// `text` with each send id (12 hex digits, new for every send) in a `geonorm_send`
/// property written `<send id>`, as the README writes it.
fn mask_send_ids(text: &str) -> String {
    const KEY: &str = "\"geonorm_send\":\"";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        match after.get(..13) {
            Some(id) if id.ends_with(':') && id[..12].bytes().all(|b| b.is_ascii_hexdigit()) => {
                out.push_str("<send id>:");
                rest = &after[13..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
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
    // A send writes its journal beside the file: the sending samples run in a folder
    // of their own, with copies of the files they name, so the repository is never
    // written.
    let net = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        Config {
            api_key: README_KEY.into(),
            ..Config::default()
        },
        0,
    )
    .expect("maphub-local");

    let mut ran = 0;
    let mut sent = Vec::new();
    let mut failures = Vec::new();
    for s in &samples {
        let command = s.args.first().map(String::as_str).unwrap_or_default();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
        cmd.current_dir(dir.path())
            .env_remove("MAPHUB_API_KEY")
            .env("XDG_STATE_HOME", dir.path().join(".state"));
        if NETWORK.contains(&command) {
            let Some(at) = s
                .args
                .windows(2)
                .position(|w| w == ["--server", README_SERVER])
            else {
                failures.push(format!(
                    "README line {}: a sending sample names `--server {README_SERVER}`, the README's maphub-local",
                    s.line
                ));
                continue;
            };
            let mut args = s.args.clone();
            args[at + 1] = server.url();
            for a in args.iter().filter(|a| a.starts_with("testdata/")) {
                let to = net.path().join(a);
                std::fs::create_dir_all(to.parent().expect("parent")).expect("dir");
                std::fs::copy(root.join(a), to).expect("copy a file a sample sends");
            }
            cmd.args(args)
                .current_dir(net.path())
                .env("MAPHUB_API_KEY", README_KEY);
            sent.push(command);
        } else {
            cmd.args(&s.args);
        }
        let out = cmd.output().expect("run geonorm");
        // Only the directory the samples run in and maphub-local's port vary from run
        // to run; map ids do not (a new server numbers its maps from 1).
        let actual = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .replace(&temp, "")
        .replace(&server.url(), README_SERVER);
        // And each send's id, drawn anew for every send: the README writes `<send id>`.
        let actual = mask_send_ids(&actual);
        if actual.contains(README_KEY) {
            failures.push(format!("README line {}: the API key was printed", s.line));
        }
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
    assert!(ran >= 17, "only {ran} samples found: {samples:?}");
    for command in NETWORK {
        assert!(
            sent.contains(&command),
            "README has no `geonorm {command}` sample"
        );
    }
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
fn only_send_ids_are_masked() {
    assert_eq!(
        mask_send_ids(r#"{"geonorm_send":"e09f56438d1e:0"},{"geonorm_send":"8affe97c567f:12"}"#),
        r#"{"geonorm_send":"<send id>:0"},{"geonorm_send":"<send id>:12"}"#
    );
    for kept in [
        r#"{"geonorm_send":"e09f5643:0"}"#,
        r#"{"geonorm_send":"e09f56438d1x:0"}"#,
        r#"{"other":"e09f56438d1e:0"}"#,
        r#"{"geonorm_send":"e09f"#,
    ] {
        assert_eq!(mask_send_ids(kept), kept);
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
