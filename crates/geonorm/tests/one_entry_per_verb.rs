//! The library has one public entry per verb that reads, checks or converts a
//! document — `read`, `check`, `convert` — and `stream` for a sink of one's own
//! (issue 23), and the CLI, the send planner and the Python package use only those.
//!
//! The public surface is what lib.rs and the files of its `pub mod`s (recursively)
//! declare `pub` at the top level or re-export with `pub use`: a module declared
//! without `pub` cannot be reached from outside, whatever its items say.

#[path = "module_graph/scan.rs"]
mod scan;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Words that make a function a way to read, check or convert a document.
const VERBS: [&str; 6] = ["read", "check", "convert", "stream", "summar", "pars"];

/// Public functions whose name has a verb but that take no map document: bytes read
/// within a limit (`read_bounded`, `copy_bounded`'s companion), a send journal's
/// state file (`safe_write::state::read_state`).
const NOT_DOCUMENT_ENTRIES: [&str; 2] = ["read_bounded", "read_state"];

/// The file of module `name` declared in the module whose file is `parent`.
fn module_file(parent: &Path, name: &str) -> Option<PathBuf> {
    let dir = match parent.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs") | Some("mod.rs") => parent.parent()?.to_path_buf(),
        _ => parent.with_extension(""),
    };
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// Every function name a public module's file makes public, with the module's path.
fn public_functions(file: &Path, module: &str, out: &mut BTreeSet<(String, String)>) {
    let text = std::fs::read_to_string(file).expect("source file");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("pub mod ") {
            let name = rest.trim_end_matches(';').trim();
            if let Some(f) = module_file(file, name) {
                public_functions(&f, &format!("{module}::{name}"), out);
            }
        } else if let Some(rest) = line.strip_prefix("pub fn ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert((module.to_string(), name));
        } else if line.starts_with("pub use ") {
            // The statement to its `;`, over several lines.
            let mut stmt = line.to_string();
            while !stmt.contains(';') {
                match lines.next() {
                    Some(l) => stmt.push_str(l),
                    None => break,
                }
            }
            let body = stmt.trim_start_matches("pub use ").trim_end_matches(';');
            let names = match body.split_once('{') {
                Some((_, list)) => list.trim_end_matches('}').to_string(),
                None => body.rsplit("::").next().unwrap_or(body).to_string(),
            };
            for n in names.split(',') {
                let n = n.trim();
                let n = n.rsplit(" as ").next().unwrap_or(n).trim();
                // Functions are named in snake case; types and constants are not.
                if n.starts_with(|c: char| c.is_ascii_lowercase()) && n != "self" {
                    out.insert((module.to_string(), n.to_string()));
                }
            }
        }
    }
}

fn verb_entries() -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    public_functions(&scan::crate_src().join("lib.rs"), "geonorm", &mut all);
    all.into_iter()
        .filter(|(_, name)| VERBS.iter().any(|v| name.contains(v)))
        .filter(|(_, name)| !NOT_DOCUMENT_ENTRIES.contains(&name.as_str()))
        .collect()
}

#[test]
fn the_library_has_one_public_entry_per_verb_and_stream() {
    let found = verb_entries();
    let want: BTreeSet<(String, String)> = ["read", "check", "convert", "stream"]
        .iter()
        .map(|n| ("geonorm".to_string(), n.to_string()))
        .collect();
    assert_eq!(found, want);
}

#[test]
fn the_scan_sees_functions_per_format_modules_make_public() {
    // What the scan must find for the test above to mean anything: the per-format
    // writers, and a `pub use` list spread over lines.
    let mut all = BTreeSet::new();
    public_functions(&scan::crate_src().join("lib.rs"), "geonorm", &mut all);
    for (module, name) in [
        ("geonorm::kml", "write"),
        ("geonorm::gpx", "write"),
        ("geonorm::geojson", "write"),
        ("geonorm", "split_long_lines"),
        ("geonorm", "read_bounded"),
        ("geonorm::assets", "write_kmz"),
    ] {
        assert!(
            all.contains(&(module.to_string(), name.to_string())),
            "{module}::{name} not seen in {all:?}"
        );
    }
}

/// Calls of a `geonorm::…::name(` path in `dir`'s Rust files whose name has a verb
/// and whose module is not the crate's root.
fn calls_beside_the_entries(dir: &Path, found: &mut Vec<String>) {
    let mut files = Vec::new();
    scan::rust_files(dir, &mut files);
    for p in files {
        let text = std::fs::read_to_string(&p).expect("source file");
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("geonorm::") {
                rest = &rest[at + "geonorm::".len()..];
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let called = rest[path.len()..].starts_with('(');
                let segments: Vec<&str> = path.split("::").collect();
                let last = segments.last().copied().unwrap_or("");
                // A type's own function (`Input::reader`) is not a module's entry.
                let in_module = segments.len() > 1
                    && segments[segments.len() - 2].starts_with(|c: char| c.is_ascii_lowercase());
                if called
                    && in_module
                    && !NOT_DOCUMENT_ENTRIES.contains(&last)
                    && VERBS.iter().any(|v| last.contains(v))
                    && last.starts_with(|c: char| c.is_ascii_lowercase())
                {
                    found.push(format!("{}:{}: geonorm::{path}", p.display(), i + 1));
                }
            }
        }
    }
}

#[test]
fn the_cli_the_send_planner_and_the_python_package_use_only_those_entries() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for c in [
        "geonorm-cli",
        "geonorm-upload",
        "geonorm-py",
        "maphub-local",
    ] {
        calls_beside_the_entries(&crates.join(c).join("src"), &mut found);
    }
    assert!(found.is_empty(), "{found:#?}");
    // The scan finds such a call where there is one.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("x.rs"),
        "let d = geonorm::kml::read_document(bytes);\n",
    )
    .expect("write");
    let mut planted = Vec::new();
    calls_beside_the_entries(dir.path(), &mut planted);
    assert_eq!(planted.len(), 1, "{planted:?}");
}
