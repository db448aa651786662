//! What CI and shells get from geonorm (issue 25): `geonorm completions SHELL` and
//! `geonorm man` generated from the clap definitions, the pre-commit hook definition
//! (`.pre-commit-hooks.yaml`), the CI recipes of docs/ci.md (kept as files in
//! docs/ci/), `check --format gitlab` (GitLab Code Quality), and messages whose counts
//! agree with their nouns.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use serde_norway::Value as Yaml;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn geonorm_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run geonorm")
}

fn geonorm(args: &[&str]) -> Output {
    geonorm_in(root(), args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn read(path: &str) -> String {
    fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Yaml {
    serde_norway::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The subcommands every completion script and the man page must name.
const SUBCOMMANDS: [&str; 11] = [
    "convert",
    "info",
    "check",
    "fix",
    "append",
    "upload",
    "maps",
    "get",
    "refresh-image",
    "completions",
    "man",
];

#[test]
fn completions_for_each_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = geonorm(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(!script.trim().is_empty(), "{shell}: empty");
        assert!(script.contains("geonorm"), "{shell}: no geonorm");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
        // The options of a subcommand are there too, and in the shells that complete
        // values, the values of its value enums.
        assert!(script.contains("max-per-code"), "{shell}: no check option");
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("sarif"), "{shell}: no check format");
            assert!(script.contains("gitlab"), "{shell}: no check format");
        }
    }
    let out = geonorm(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_page_is_roff_with_a_section_per_subcommand() {
    let out = geonorm(&["man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.lines().any(|l| l.starts_with(".TH geonorm 1")),
        "no .TH: {page}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(page.contains(section), "no {section}");
    }
    for sub in SUBCOMMANDS {
        let heading = format!(".SH \"GEONORM {}\"", sub.to_uppercase());
        assert!(page.contains(&heading), "no {heading}");
    }
    assert!(page.contains("\\-\\-max\\-per\\-code"), "check's options");
    assert!(page.contains("gitlab"), "check's formats");
}

/// `.pre-commit-hooks.yaml`: one hook, `geonorm-check`, that runs `geonorm check` on
/// the map files a repository holds, and not on the others.
#[test]
fn pre_commit_hook_definition() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().expect("a list of hooks");
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    let field = |k: &str| hook[k].as_str().unwrap_or_else(|| panic!("no {k}"));
    assert_eq!(field("id"), "geonorm-check");
    assert!(!field("name").is_empty());
    let entry: Vec<&str> = field("entry").split_whitespace().collect();
    assert_eq!(entry, ["geonorm", "check"]);
    assert!(
        ["system", "unsupported", "rust"].contains(&field("language")),
        "{}",
        field("language")
    );
    // pre-commit matches `files` with Python's re.search; this pattern means the same
    // in the regex crate.
    let files = regex::Regex::new(field("files")).expect("files is a regex");
    for name in [
        "a.kml",
        "maps/trip.kmz",
        "tracks/run.gpx",
        "b.geojson",
        "x.json.gpx",
    ] {
        assert!(files.is_match(name), "{name} not matched");
    }
    for name in [
        "notes.txt",
        "a.json",
        "package.json",
        "a.kml.bak",
        "kml",
        "a.geojsonl",
    ] {
        assert!(!files.is_match(name), "{name} matched");
    }
    // The hook's entry runs: `geonorm check` on a good file exits 0.
    let out = geonorm(&["check", "testdata/geojson/maphub/alps-trip.geojson"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
}

/// Each recipe of docs/ci.md is a file of docs/ci/, shown on the page as it is.
#[test]
fn ci_recipes_are_on_the_page_as_they_are() {
    let page = read("docs/ci.md");
    for file in [
        "docs/ci/github-actions.yml",
        "docs/ci/gitlab-ci.yml",
        "docs/ci/pre-commit-config.yaml",
    ] {
        let recipe = read(file);
        assert!(
            page.contains(&format!("```yaml\n{recipe}```\n")),
            "docs/ci.md does not show {file} as it is"
        );
    }
}

/// The shell line of a step or script that runs `geonorm check --format FORMAT`, and
/// the file it writes.
fn check_run(script: &str, format: &str) -> String {
    let want = format!("geonorm check --format {format} ");
    let line = script
        .lines()
        .find(|l| l.contains(&want))
        .unwrap_or_else(|| panic!("no `{want}` in {script}"));
    let (_, file) = line.split_once(" > ").expect("a redirection");
    file.split_whitespace().next().expect("a file").to_string()
}

#[test]
fn github_actions_recipe_uploads_the_sarif_report() {
    let doc = yaml("docs/ci/github-actions.yml");
    let job = &doc["jobs"]["geonorm"];
    assert_eq!(
        job["permissions"]["security-events"].as_str(),
        Some("write")
    );
    let steps = job["steps"].as_sequence().expect("steps");
    let uses = |s: &Yaml| s["uses"].as_str().unwrap_or_default().to_string();
    let run = |s: &Yaml| s["run"].as_str().unwrap_or_default().to_string();
    assert!(uses(&steps[0]).starts_with("actions/checkout@"));
    let install = steps
        .iter()
        .position(|s| run(s).contains("cargo install") && run(s).contains("geonorm-cli"))
        .expect("an install step");
    let check = steps
        .iter()
        .position(|s| run(s).contains("geonorm check --format sarif"))
        .expect("a check step");
    let sarif = check_run(&run(&steps[check]), "sarif");
    // Exit 1 is tolerated, so that the upload still happens; exit 2 is not.
    assert!(run(&steps[check]).contains("|| status=$?"));
    assert!(run(&steps[check]).contains("[ \"$status\" -le 1 ]"));
    let upload = steps
        .iter()
        .position(|s| uses(s).starts_with("github/codeql-action/upload-sarif@"))
        .expect("an upload-sarif step");
    assert!(install < check && check < upload);
    assert_eq!(
        steps[upload]["with"]["sarif_file"].as_str(),
        Some(&sarif[..])
    );
    let id = steps[check]["id"].as_str().expect("the check step's id");
    let last = steps.last().expect("steps");
    assert_eq!(
        last["if"].as_str(),
        Some(&format!("steps.{id}.outputs.status == '1'")[..])
    );
}

#[test]
fn gitlab_recipe_gives_a_code_quality_report() {
    let doc = yaml("docs/ci/gitlab-ci.yml");
    let job = &doc["geonorm"];
    let script: Vec<&str> = job["script"]
        .as_sequence()
        .expect("script")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    assert!(script[0].contains("cargo install") && script[0].contains("geonorm-cli"));
    let report = check_run(&script.join("\n"), "gitlab");
    assert!(script.iter().any(|l| l.ends_with("|| [ $? -eq 1 ]")));
    assert_eq!(
        job["artifacts"]["reports"]["codequality"].as_str(),
        Some(&report[..])
    );
    assert_eq!(job["artifacts"]["when"].as_str(), Some("always"));
}

#[test]
fn pre_commit_config_recipe_names_the_defined_hook() {
    let doc = yaml("docs/ci/pre-commit-config.yaml");
    let repo = &doc["repos"][0];
    assert_eq!(
        repo["repo"].as_str(),
        Some("https://github.com/geonorm/geonorm")
    );
    let defined = yaml(".pre-commit-hooks.yaml");
    let ids: HashSet<&str> = defined
        .as_sequence()
        .expect("hooks")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    for hook in repo["hooks"].as_sequence().expect("hooks") {
        assert!(ids.contains(hook["id"].as_str().expect("id")));
    }
}

fn gitlab(dir: &Path, files: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut args = vec!["check", "--format", "gitlab"];
    args.extend(files);
    let out = geonorm_in(dir, &args);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    (
        out.status.code(),
        report.as_array().expect("an array").clone(),
    )
}

/// A crafted file with an error, a warning and an info: one entry each, with every
/// field GitLab reads, the severities mapped, the fingerprints unique and stable (the
/// same on a second run, and when the findings move down the file).
#[test]
fn gitlab_code_quality_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1, 2]]}},
{"properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1, 2], [1, 2], [3, 4]]}}
]}
"#;
    fs::write(dir.path().join("bad.geojson"), body).expect("write");
    let (code, entries) = gitlab(dir.path(), &["bad.geojson"]);
    assert_eq!(code, Some(1), "an error exits 1, as with the other formats");
    let json = geonorm_in(dir.path(), &["check", "--format", "json", "bad.geojson"]);
    let json: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let diags = json["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics");
    assert_eq!(entries.len(), diags.len(), "one entry per finding");
    let mut severities = HashSet::new();
    for (e, d) in entries.iter().zip(diags) {
        assert_eq!(e["description"], d["message"]);
        assert_eq!(e["check_name"], d["code"]);
        assert_eq!(e["location"]["path"], "bad.geojson");
        assert_eq!(e["location"]["lines"]["begin"], d["line"]);
        let fingerprint = e["fingerprint"].as_str().expect("fingerprint");
        assert_eq!(fingerprint.len(), 32);
        assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
        let want = match d["severity"].as_str() {
            Some("error") => "major",
            Some("warning") => "minor",
            _ => "info",
        };
        assert_eq!(e["severity"], want, "{d}");
        severities.insert(want.to_string());
    }
    assert_eq!(
        severities.len(),
        3,
        "an error, a warning and an info: {entries:#?}"
    );
    let prints = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e["fingerprint"].as_str().expect("fingerprint").to_string())
            .collect()
    };
    let first = prints(&entries);
    assert_eq!(
        first.iter().collect::<HashSet<_>>().len(),
        first.len(),
        "unique"
    );
    assert_eq!(
        prints(&gitlab(dir.path(), &["bad.geojson"]).1),
        first,
        "stable"
    );
    // Two lines further down, the same findings keep their fingerprints.
    fs::write(dir.path().join("bad.geojson"), format!("\n\n{body}")).expect("write");
    let (_, moved) = gitlab(dir.path(), &["bad.geojson"]);
    assert_eq!(
        prints(&moved),
        first,
        "a finding that moved is not a new one"
    );
    for (m, e) in moved.iter().zip(&entries) {
        let line = |v: &Value| v["location"]["lines"]["begin"].as_u64().expect("line");
        assert_eq!(line(m), line(e) + 2);
    }
    // A good file: an empty report, exit 0.
    fs::write(
        dir.path().join("good.geojson"),
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}"#,
    )
    .expect("write");
    let (code, entries) = gitlab(dir.path(), &["good.geojson"]);
    assert_eq!((code, entries.len()), (Some(0), 0));
}

/// A finding inside a KMZ's KML entry points at the archive, line 1, and names the
/// entry and its line in the description.
#[test]
fn gitlab_report_of_a_kmz() {
    let kmz = "testdata/kml/ogc-conformance/kmz/small_world.kmz";
    let (_, entries) = gitlab(root(), &[kmz]);
    assert!(!entries.is_empty());
    for e in &entries {
        assert_eq!(e["location"]["path"], kmz);
        assert_eq!(e["location"]["lines"]["begin"], 1);
    }
    let json = geonorm(&["check", "--format", "json", kmz]);
    let json: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let diags = json["files"][0]["diagnostics"]
        .as_array()
        .expect("diagnostics");
    for (e, d) in entries.iter().zip(diags) {
        if let (Some(entry), Some(line)) = (d["entry"].as_str(), d["line"].as_u64()) {
            let description = e["description"].as_str().expect("description");
            assert!(description.ends_with(&format!("({entry}, line {line})")));
        }
    }
}

/// Counts agree with their nouns: "1 position", "3 positions", "(1 time)",
/// "dropped 1 repeated position" — no "(s)".
#[test]
fn plurals_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("counts.geojson");
    fs::write(
        &file,
        r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1, 2]]}},
{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}},
{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1, 2], [1, 2], [3, 4]]}},
{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[5, 6], [5, 6], [5, 6], [7, 8]]}}
]}
"#,
    )
    .expect("write");
    let out = geonorm_in(dir.path(), &["check", "counts.geojson"]);
    let said = text(&out.stdout);
    for message in [
        "a line has 1 position; it needs two or more",
        "a polygon ring has 3 positions; it needs four or more",
        "a line repeats a position right after itself (1 time)",
        "a line repeats a position right after itself (2 times)",
    ] {
        assert!(said.contains(message), "no `{message}` in {said}");
    }
    assert!(!said.contains("(s)"), "{said}");
    let out = geonorm_in(
        dir.path(),
        &["fix", "counts.geojson", "-o", "fixed.geojson"],
    );
    let said = text(&out.stderr) + &text(&out.stdout);
    for message in [
        "dropped 1 repeated position",
        "dropped 2 repeated positions",
    ] {
        assert!(said.contains(message), "no `{message}` in {said}");
    }
    assert!(!said.contains("(s)"), "{said}");
}
