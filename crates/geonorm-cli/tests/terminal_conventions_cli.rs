//! `geonorm check`'s terminal conventions (issue 25): colour on a terminal only
//! (`--color`, NO_COLOR), `--quiet`, `--format short` and `jsonl`; help texts that list
//! only the options a command uses.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BAD: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,200]},"properties":{}}]}"#;
/// A warning (extra ordinates) and an info (a repeated position).
const WARNED: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2,3,4],[1,2,3,4],[3,4]]},"properties":{}}]}"#;
const GOOD: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}]}"#;

/// Runs geonorm in `dir` with its output piped (never a terminal), NO_COLOR as given.
fn geonorm(dir: &Path, args: &[&str], no_color: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    cmd.output().expect("run geonorm")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [
        ("bad.geojson", BAD),
        ("warned.geojson", WARNED),
        ("good.geojson", GOOD),
    ] {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    dir
}

/// The text without its ANSI styles, as anstream strips them.
fn unstyled(s: &str) -> String {
    anstream::adapter::strip_str(s).to_string()
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = files();
    let d = dir.path();
    // Piped: none by default.
    let plain = geonorm(d, &["check", "bad.geojson"], None);
    assert_eq!(plain.status.code(), Some(1));
    let plain = text(&plain.stdout);
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(
        plain.contains("error[geometry/lat-out-of-range]"),
        "{plain}"
    );
    for format in ["human", "short"] {
        let always = geonorm(
            d,
            &[
                "check",
                "--color",
                "always",
                "--format",
                format,
                "bad.geojson",
            ],
            None,
        );
        assert_eq!(always.status.code(), Some(1));
        let always = text(&always.stdout);
        assert!(
            always.contains("\x1b[1m\x1b[31merror"),
            "{format}: {always:?}"
        );
        let never = geonorm(
            d,
            &[
                "check",
                "--color",
                "never",
                "--format",
                format,
                "bad.geojson",
            ],
            None,
        );
        let never = text(&never.stdout);
        assert!(!never.contains('\x1b'), "{never}");
        // The same text, styled or not.
        assert_eq!(unstyled(&always), never);
    }
    // NO_COLOR turns `auto` off (a pipe is off already; `never` is its equal) and
    // leaves `--color always` alone.
    let no_color = geonorm(d, &["check", "--color", "auto", "bad.geojson"], Some("1"));
    assert!(!text(&no_color.stdout).contains('\x1b'));
    let forced = geonorm(d, &["check", "--color", "always", "bad.geojson"], Some("1"));
    assert!(text(&forced.stdout).contains('\x1b'));
    let wrong = geonorm(d, &["check", "--color", "sometimes", "bad.geojson"], None);
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn quiet_says_only_errors() {
    let dir = files();
    let d = dir.path();
    for format in ["human", "short", "json", "jsonl", "sarif"] {
        let clean = geonorm(
            d,
            &[
                "check",
                "--quiet",
                "--format",
                format,
                "good.geojson",
                "warned.geojson",
            ],
            None,
        );
        assert_eq!(clean.status.code(), Some(0), "{format}");
        assert_eq!(text(&clean.stdout), "", "{format}");
        assert_eq!(text(&clean.stderr), "", "{format}");
    }
    // Warnings fail with --deny warnings; --quiet does not change the exit code.
    let denied = geonorm(
        d,
        &["check", "-q", "--deny", "warnings", "warned.geojson"],
        None,
    );
    assert_eq!(denied.status.code(), Some(1));
    let out = geonorm(
        d,
        &[
            "check",
            "-q",
            "--format",
            "short",
            "bad.geojson",
            "warned.geojson",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("bad.geojson:1:100: error: latitude 200"),
        "{stdout}"
    );
    assert!(!stdout.contains("warned.geojson"), "{stdout}");
    assert!(!stdout.contains("checked"), "{stdout}");
    let missing = geonorm(d, &["check", "-q", "good.geojson", "nosuch.kml"], None);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot open nosuch.kml"));
    assert_eq!(text(&missing.stdout), "");
}

#[test]
fn short_is_one_line_per_finding() {
    let dir = files();
    let out = geonorm(
        dir.path(),
        &[
            "check",
            "--format",
            "short",
            "bad.geojson",
            "warned.geojson",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let findings: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("    help: "))
        .collect();
    assert!(!findings.is_empty());
    for line in &findings {
        // file:line:col: severity: message [code]
        let (place, rest) = line.split_once(": ").expect("place");
        assert_eq!(place.split(':').count(), 3, "{line}");
        assert!(
            ["error: ", "warning: ", "info: "]
                .iter()
                .any(|s| rest.starts_with(s)),
            "{line}"
        );
        assert!(rest.ends_with(']') && rest.contains(" ["), "{line}");
    }
    assert!(
        findings.contains(&"bad.geojson:1:100: error: latitude 200 is outside -90 to 90 [geometry/lat-out-of-range]"),
        "{stdout}"
    );
}

#[test]
fn jsonl_is_a_finding_per_line_with_the_fields_of_json() {
    let dir = files();
    let d = dir.path();
    let files = ["bad.geojson", "warned.geojson", "good.geojson"];
    let mut args = vec!["check", "--format", "jsonl"];
    args.extend(files);
    let lines = geonorm(d, &args, None);
    assert_eq!(lines.status.code(), Some(1));
    let mut args = vec!["check", "--format", "json"];
    args.extend(files);
    let whole = geonorm(d, &args, None);
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).expect("json");
    let mut expected = Vec::new();
    for f in whole["files"].as_array().expect("files") {
        for diag in f["diagnostics"].as_array().expect("diagnostics") {
            let mut diag = diag.clone();
            diag["file"] = f["path"].clone();
            expected.push(diag);
        }
    }
    let got: Vec<serde_json::Value> = text(&lines.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(expected.len() >= 2);
    assert_eq!(got, expected);
}

fn help(args: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = geonorm(dir.path(), args, None);
    assert_eq!(out.status.code(), Some(0));
    text(&out.stdout)
}

#[test]
fn help_lists_only_options_that_do_something() {
    let fix = help(&["fix", "--help"]);
    assert!(
        !fix.lines().any(|l| l.trim_start().starts_with("--fix")),
        "{fix}"
    );
    assert!(help(&["convert", "--help"]).contains("--fix"));
    for cmd in ["maps", "get", "refresh-image"] {
        let h = help(&[cmd, "--help"]);
        assert!(!h.contains("--threads") && !h.contains("-j,"), "{cmd}: {h}");
    }
    for cmd in ["convert", "fix", "info", "check", "append", "upload"] {
        assert!(help(&[cmd, "--help"]).contains("-j, --threads"), "{cmd}");
    }
    let check = help(&["check", "--help"]);
    for option in [
        "--color <WHEN>",
        "--quiet",
        "--hidden",
        "--no-ignore",
        "--stdin-name",
    ] {
        assert!(check.contains(option), "{option}: {check}");
    }
}

#[test]
fn threads_before_the_command_still_work() {
    let dir = files();
    let out = geonorm(dir.path(), &["-j", "1", "check", "good.geojson"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = geonorm(dir.path(), &["check", "-j", "1", "good.geojson"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
