//! One way of printing findings in every command (issue 25): for the same input,
//! `check`, `convert`, `fix`, `info` and `append --dry-run` print the same short lines
//! with `--format short`, the same snippets by default and the same JSON lines with
//! `--format jsonl`; `--color` and NO_COLOR act alike in each; `--quiet` leaves only
//! errors; standard input is `<stdin>`; the same situation exits with the same code.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A warning (4 numbers in a position) and an error (a string in a position), both
/// the reader's, so that every command says them: `fix` says what reading met and
/// `append` only warnings and errors.
const MIXED: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [8.0, 46.5, 2100, 7.5]}},
  {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[8.0, 46.5], ["8.1", 46.6]]}}
]}
"#;

/// The warning alone: a clean run for `--quiet`.
const WARNED: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [8.0, 46.5, 2100, 7.5]}}
]}
"#;

const SHORT: &str = "\
m.geojson:2:86: warning: a position has 4 numbers; only longitude, latitude and altitude are kept [geojson/extra-ordinates]
m.geojson:3:105: error: each element of a position must be a number; the feature is kept without geometry [geojson/bad-position]
";

/// Lines over 100 characters are cut around the column.
const SNIPPET: &str = r#"m.geojson:2:86: warning[geojson/extra-ordinates]: a position has 4 numbers; only longitude, latitude and altitude are kept
  |
2 | … {}, "geometry": {"type": "Point", "coordinates": [8.0, 46.5, 2100, 7.5]}},
  |                                                    ^
m.geojson:3:105: error[geojson/bad-position]: each element of a position must be a number; the feature is kept without geometry
  |
3 | …type": "LineString", "coordinates": [[8.0, 46.5], ["8.1", 46.6]]}}
  |                                                    ^
"#;

/// What `append` adds after the findings when it sends nothing.
const NOTHING_SENT: &str =
    "geonorm: m.geojson has errors; nothing sent (fix them, or send anyway with --force)\n";

/// The commands that print findings on standard error, as run on `file`.
fn on_stderr(file: &str) -> Vec<Vec<String>> {
    let own = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        own(&["convert", file, "-o", "out.geojson"]),
        own(&["convert", file, "--to", "kml"]),
        own(&["fix", file, "-o", "fixed.geojson"]),
        own(&["append", "--dry-run", "--map", "1", file]),
        own(&["upload", "--dry-run", "--visibility", "private", file]),
    ]
}

/// Runs geonorm in `dir`, piped (never a terminal), with `stdin` as standard input and
/// NO_COLOR as given.
fn run(dir: &Path, args: &[String], stdin: Option<&str>, no_color: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("MAPHUB_API_KEY")
        .env("XDG_STATE_HOME", dir.join(".state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let mut child = cmd.spawn().expect("run geonorm");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .expect("write standard input");
    }
    child.wait_with_output().expect("geonorm ends")
}

fn with(args: &[String], more: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend(more.iter().map(|a| a.to_string()));
    all
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in [("m.geojson", MIXED), ("w.geojson", WARNED)] {
        std::fs::write(dir.path().join(name), body).expect("write");
    }
    dir
}

/// What a command printed about its input, on standard error: `append`'s and
/// `upload`'s closing line taken off.
fn findings(args: &[String], out: &Output) -> String {
    let err = text(&out.stderr);
    if matches!(args[0].as_str(), "append" | "upload") {
        return err
            .strip_suffix(NOTHING_SENT)
            .map(str::to_string)
            .unwrap_or(err);
    }
    err
}

/// The text without its ANSI styles, as anstream strips them.
fn unstyled(s: &str) -> String {
    anstream::adapter::strip_str(s).to_string()
}

#[test]
fn every_command_prints_the_same_short_lines() {
    let dir = files();
    let d = dir.path();
    let check = run(
        d,
        &with(&[], &["check", "--format", "short", "m.geojson"]),
        None,
        None,
    );
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(text(&check.stdout), SHORT);
    for args in on_stderr("m.geojson") {
        let out = run(d, &with(&args, &["--format", "short"]), None, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(findings(&args, &out), SHORT, "{args:?}");
    }
    let info = run(
        d,
        &with(&[], &["info", "--format", "short", "m.geojson"]),
        None,
        None,
    );
    assert_eq!(text(&info.stderr), SHORT);
}

#[test]
fn every_command_prints_the_same_snippets_by_default() {
    let dir = files();
    let d = dir.path();
    let check = run(d, &with(&[], &["check", "m.geojson"]), None, None);
    assert_eq!(
        text(&check.stdout),
        format!("{SNIPPET}checked 1 file: 1 error, 1 warning, 0 infos\n")
    );
    for args in on_stderr("m.geojson") {
        let out = run(d, &args, None, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(findings(&args, &out), SNIPPET, "{args:?}");
    }
    let info = run(d, &with(&[], &["info", "m.geojson"]), None, None);
    assert_eq!(text(&info.stderr), SNIPPET);
}

#[test]
fn every_command_prints_the_same_json_lines() {
    let dir = files();
    let d = dir.path();
    let check = run(
        d,
        &with(&[], &["check", "--format", "jsonl", "m.geojson"]),
        None,
        None,
    );
    let lines = text(&check.stdout);
    assert_eq!(lines.lines().count(), 2, "{lines}");
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        assert_eq!(v["file"], "m.geojson");
    }
    for args in on_stderr("m.geojson") {
        // `convert --format json` is `jsonl` under its first name.
        let formats: &[&str] = if args[0] == "convert" || args[0] == "fix" {
            &["jsonl", "json"]
        } else {
            &["jsonl"]
        };
        for format in formats {
            let out = run(d, &with(&args, &["--format", format]), None, None);
            assert_eq!(findings(&args, &out), lines, "{args:?} {format}");
        }
    }
}

#[test]
fn colour_only_when_asked_in_every_command() {
    let dir = files();
    let d = dir.path();
    let mut runs: Vec<(Vec<String>, bool)> = on_stderr("m.geojson")
        .into_iter()
        .map(|a| (a, false))
        .collect();
    runs.push((with(&[], &["info", "m.geojson"]), false));
    runs.push((with(&[], &["check", "m.geojson"]), true));
    for (args, stdout) in runs {
        let said = |out: &Output| {
            if stdout {
                text(&out.stdout)
            } else {
                findings(&args, out)
            }
        };
        for format in ["human", "short"] {
            let args = with(&args, &["--format", format]);
            let always = run(d, &with(&args, &["--color", "always"]), None, None);
            let always = said(&always);
            assert!(
                always.contains("\x1b[1m\x1b[33mwarning"),
                "{args:?}: {always:?}"
            );
            assert!(always.contains("\x1b[1m\x1b[31merror"), "{args:?}");
            // NO_COLOR leaves `always` alone.
            let forced = run(d, &with(&args, &["--color", "always"]), None, Some("1"));
            assert_eq!(said(&forced), always, "{args:?}");
            let never = said(&run(d, &with(&args, &["--color", "never"]), None, None));
            // A pipe is `auto`'s no; NO_COLOR is, wherever it goes.
            let piped = said(&run(d, &args, None, None));
            let no_color = said(&run(d, &with(&args, &["--color", "auto"]), None, Some("1")));
            for plain in [&never, &piped, &no_color] {
                assert!(!plain.contains('\x1b'), "{args:?}: {plain:?}");
            }
            assert_eq!(unstyled(&always), never, "{args:?}");
            assert_eq!(piped, never, "{args:?}");
            assert_eq!(no_color, never, "{args:?}");
        }
        let wrong = run(d, &with(&args, &["--color", "sometimes"]), None, None);
        assert_eq!(wrong.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn quiet_prints_only_errors_in_every_command() {
    let dir = files();
    let d = dir.path();
    let error = SHORT.lines().nth(1).expect("the error line");
    let check = run(
        d,
        &with(&[], &["check", "-q", "--format", "short", "m.geojson"]),
        None,
        None,
    );
    assert_eq!(text(&check.stdout), format!("{error}\n"));
    let mut all = on_stderr("m.geojson");
    all.push(with(&[], &["info", "m.geojson"]));
    for args in &all {
        let out = run(
            d,
            &with(args, &["--quiet", "--format", "short"]),
            None,
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(findings(args, &out), format!("{error}\n"), "{args:?}");
    }
    // A run with warnings only is clean: nothing at all, and exit 0.
    for args in on_stderr("w.geojson")
        .into_iter()
        .chain([with(&[], &["info", "w.geojson"])])
    {
        for format in ["human", "short", "jsonl"] {
            if args[0] == "info" && format == "jsonl" {
                continue;
            }
            let out = run(d, &with(&args, &["-q", "--format", format]), None, None);
            assert_eq!(out.status.code(), Some(0), "{args:?} {format}");
            assert_eq!(text(&out.stderr), "", "{args:?} {format}");
            // Without --quiet, the warning is said.
            let loud = run(d, &with(&args, &["--format", format]), None, None);
            assert!(text(&loud.stderr).contains("extra-ordinates"), "{args:?}");
        }
    }
    let check = run(d, &with(&[], &["check", "-q", "w.geojson"]), None, None);
    assert_eq!(check.status.code(), Some(0));
    assert_eq!(text(&check.stdout), "");
}

#[test]
fn standard_input_is_stdin_in_every_command() {
    let dir = files();
    let d = dir.path();
    let expected = SHORT.replace("m.geojson:", "<stdin>:");
    let check = run(
        d,
        &with(&[], &["check", "--format", "short", "-"]),
        Some(MIXED),
        None,
    );
    assert_eq!(text(&check.stdout), expected);
    for args in on_stderr("-") {
        let out = run(d, &with(&args, &["--format", "short"]), Some(MIXED), None);
        let err = text(&out.stderr);
        assert!(err.starts_with(&expected), "{args:?}: {err}");
        assert!(!err.contains("-:"), "{args:?}: {err}");
        if matches!(args[0].as_str(), "append" | "upload") {
            assert!(err.ends_with(&NOTHING_SENT.replace("m.geojson", "<stdin>")));
        }
    }
}

#[test]
fn the_same_situation_exits_alike_in_every_command() {
    let dir = files();
    let d = dir.path();
    std::fs::write(d.join("syntax.geojson"), r#"{"type": "#).expect("write");
    let mut binary = vec![0u8; 64];
    binary.extend(b"not a map");
    std::fs::write(d.join("binary.geojson"), binary).expect("write");
    std::fs::write(d.join("notes.txt"), "no map here\n").expect("write");
    for (file, code) in [
        ("m.geojson", 1),
        ("notes.txt", 1),
        ("w.geojson", 0),
        ("syntax.geojson", 1),
        ("binary.geojson", 1),
        ("nosuch.geojson", 2),
    ] {
        let mut all = on_stderr(file);
        all.push(with(&[], &["check", file]));
        all.push(with(&[], &["info", file]));
        for args in all {
            let out = run(d, &args, None, None);
            assert_eq!(
                out.status.code(),
                Some(code),
                "{args:?}: {}",
                text(&out.stderr)
            );
        }
    }
}

/// Binary data is no map file, and every command says so with check's code, whatever
/// format its name says (fix and info once said `kml/root` of a binary `.kml`).
#[test]
fn binary_data_has_one_code_in_every_command() {
    let dir = files();
    let d = dir.path();
    let mut binary = vec![0u8; 64];
    binary.extend(b"not a map");
    for file in ["binary.kml", "binary.gpx", "binary.geojson"] {
        std::fs::write(d.join(file), &binary).expect("write");
        let mut all = on_stderr(file);
        all.push(with(&[], &["check", "--format", "short", file]));
        all.push(with(&[], &["info", "--format", "short", file]));
        for args in all {
            let out = run(d, &args, None, None);
            let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(said.contains("[maphub/file-type]"), "{args:?}: {said}");
            assert!(!said.contains("/root"), "{args:?}: {said}");
        }
    }
}

#[test]
fn help_lists_the_same_options_and_fix_has_no_fix() {
    let dir = files();
    let help = |cmd: &str| {
        let out = run(dir.path(), &with(&[], &[cmd, "--help"]), None, None);
        assert_eq!(out.status.code(), Some(0));
        text(&out.stdout)
    };
    let fix = help("fix");
    assert!(!fix.contains("--fix"), "{fix}");
    // `--profile` picks the rules whose findings `fix` replaces by what it fixed.
    assert!(!fix.contains("--profile"), "{fix}");
    for cmd in ["check", "convert", "fix", "info", "append", "upload"] {
        let h = help(cmd);
        for option in ["--format <FORMAT>", "--color <WHEN>", "-q, --quiet"] {
            assert!(h.contains(option), "{cmd} {option}: {h}");
        }
        assert!(h.contains("short:"), "{cmd}: {h}");
    }
    for cmd in ["maps", "get", "refresh-image"] {
        let h = help(cmd);
        assert!(
            !h.contains("--quiet") && !h.contains("--color"),
            "{cmd}: {h}"
        );
    }
}
