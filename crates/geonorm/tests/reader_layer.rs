//! The readers are a layer below the rules: no module of the readers (`geojson`,
//! `kml`, `kmz`, `gpx`, `xml`, `stream`, `source`, `format`, `model`, `geometry`, and
//! their children) refers to `validate`, by a `use` line or a path, directly or
//! through a re-export. GeoJSON's own RFC 7946 text rules, which its reader runs, live
//! under `geojson::rules`, and the geometry rules they apply under `geometry::rules`.
//!
//! The graph is `module_graph`'s (`module_graph/scan.rs`): what tests use is not
//! counted, so a reader's tests may still call the rules.

#[path = "module_graph/scan.rs"]
mod scan;

use scan::{crate_graph, graph, made_up_file, show, Graph};

/// The modules of the reader layer, by their first path segment.
const READERS: [&str; 10] = [
    "geojson", "kml", "kmz", "gpx", "xml", "stream", "source", "format", "model", "geometry",
];

/// Each reference from a reader module to `validate` (or a module under it), with
/// the line that makes it.
fn readers_on_validate(g: &Graph) -> Vec<String> {
    g.edges
        .iter()
        .filter(|((from, to), _)| {
            from.first().is_some_and(|m| READERS.contains(&m.as_str()))
                && to.first().is_some_and(|m| m == "validate")
        })
        .map(|((from, to), at)| format!("{} -> {}   ({at})", show(from), show(to)))
        .collect()
}

#[test]
fn no_reader_module_imports_validate() {
    let g = crate_graph();
    // An empty or broken walk finds nothing either: the readers and `validate` must be
    // there, and `validate` must use the readers (the layer above sees the one below).
    for m in READERS.iter().chain(&["validate"]) {
        assert!(
            g.modules.iter().any(|p| p.first().is_some_and(|f| f == m)),
            "no module {m} found"
        );
    }
    assert!(
        g.edges
            .keys()
            .any(|(from, to)| from.first().is_some_and(|m| m == "validate")
                && to.starts_with(&["geojson".to_string(), "rules".to_string()])),
        "validate does not use geojson::rules"
    );
    let found = readers_on_validate(&g);
    assert!(
        found.is_empty(),
        "reader modules that refer to validate:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_reader_reaching_validate_through_a_reexport_or_a_path_is_found() {
    let files = vec![
        made_up_file(
            "lib.rs",
            &[],
            "mod geojson;\nmod kml;\nmod gpx;\nmod validate;\npub use validate::Rules;\n",
        ),
        made_up_file(
            "validate/mod.rs",
            &["validate"],
            "pub struct Rules;\npub fn run() { crate::geojson::read::f(); }\n",
        ),
        made_up_file("geojson/mod.rs", &["geojson"], "pub mod read;\n"),
        // Through the crate root's re-export.
        made_up_file(
            "geojson/read.rs",
            &["geojson", "read"],
            "use crate::Rules;\npub fn f() -> Rules { Rules }\n",
        ),
        // A path in code, through `super`.
        made_up_file(
            "kml/mod.rs",
            &["kml"],
            "pub fn g() { super::validate::run(); }\n#[cfg(test)]\nmod tests;\n",
        ),
        // A reader's tests may use the rules; a comment or a string is not a reference.
        made_up_file(
            "kml/tests.rs",
            &["kml", "tests"],
            "use crate::validate::run;\n",
        ),
        made_up_file(
            "gpx/mod.rs",
            &["gpx"],
            "// use crate::validate::Rules;\npub fn h() -> &'static str { \"crate::validate\" }\n",
        ),
    ];
    let found = readers_on_validate(&graph(&files));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].starts_with("geojson::read -> validate   (geojson/read.rs:1: use crate::Rules;)"),
        "{found:#?}"
    );
    assert!(
        found[1].starts_with("kml -> validate   (kml/mod.rs:1: pub fn g()"),
        "{found:#?}"
    );
}
