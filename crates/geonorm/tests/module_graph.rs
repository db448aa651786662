//! The core crate's modules depend on each other one way: the graph of references
//! between them (`use` lines and `crate::`/`super::` paths in code, each mapped to the
//! module that defines what it names) has no circle, and no source file outside the
//! tests is over 800 lines.
//!
//! A module is a file (`src/gpx/read.rs` is `gpx::read`, a `mod.rs` its folder, `lib.rs`
//! the crate root). What tests use is not counted (`#[cfg(test)]` items and modules,
//! `tests.rs`, `*_tests.rs`), nor a parent's `mod` lines and its `pub use` of its
//! children's items: re-exporting a child is not depending on it. A name reached
//! through a re-export (`crate::Code`) counts as a reference to the module that defines
//! it (`diag`), so that the crate root, which re-exports most of the model, is not a hub
//! every module seems to go through.
//!
//! The scan is plain: comments, strings and characters are skipped, the rest is split
//! into words and punctuation, and paths are read from them. It knows no macros and
//! resolves no names but modules and `use` imports, which is what this crate needs.
//!
//! The scan is in `module_graph/scan.rs`, which `reader_layer` shares.

#[path = "module_graph/scan.rs"]
mod scan;

use std::fs;

use scan::*;

#[test]
fn modules_of_the_core_crate_refer_to_each_other_without_circles() {
    let g = crate_graph();
    let edges = g.edges.len();
    eprintln!("{} modules, {edges} edges", g.modules.len());
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "modules that depend on each other:\n{}",
        describe(&g, &found)
    );
    // An empty or broken walk finds no circle either: the graph must be the crate's.
    assert!(
        g.modules.len() >= 60,
        "only {} modules found",
        g.modules.len()
    );
    assert!(edges >= 270, "only {edges} edges found");
    for (from, to) in [
        (&["kml", "read"][..], &["xml", "dom"][..]),
        (
            &["validate", "check"][..],
            &["geojson", "read", "stream"][..],
        ),
        (&["gpx", "point"][..], &["diag"][..]),
    ] {
        let key = (
            from.iter().map(|s| s.to_string()).collect(),
            to.iter().map(|s| s.to_string()).collect(),
        );
        assert!(g.edges.contains_key(&key), "no edge {from:?} -> {to:?}");
    }
}

#[test]
fn a_circle_through_a_reexport_and_a_super_path_is_found() {
    let files = vec![
        made_up_file("lib.rs", &[], "mod diag;\nmod a;\npub use diag::Code;\n"),
        made_up_file("diag.rs", &["diag"], "pub struct Code;\n"),
        made_up_file("a/mod.rs", &["a"], "mod b;\nmod c;\npub use b::B;\n#[cfg(test)]\nmod tests;\n"),
        made_up_file("a/tests.rs", &["a", "tests"], "use crate::a::c::C;\n"),
        made_up_file(
            "a/b.rs",
            &["a", "b"],
            "// use super::c::C;\nuse crate::Code;\npub fn f() -> Code { super::c::g(\"crate::diag\") }\n",
        ),
        made_up_file(
            "a/c.rs",
            &["a", "c"],
            "use crate::{a::{b::{self}}};\npub fn g() { b::f(); }\n#[cfg(test)]\nfn t() { crate::a::tests::x(); }\n",
        ),
    ];
    let g = graph(&files);
    let shown: Vec<String> = g
        .edges
        .keys()
        .map(|(f, t)| format!("{} -> {}", show(f), show(t)))
        .collect();
    assert_eq!(shown, ["a::b -> a::c", "a::b -> diag", "a::c -> a::b"]);
    let found = circles(&g);
    assert_eq!(found.len(), 1);
    let text = describe(&g, &found);
    assert!(text.contains("circle: a::b, a::c"), "{text}");
    assert!(
        text.contains("a/c.rs:1: use crate::{a::{b::{self}}};"),
        "{text}"
    );
}

#[test]
fn no_source_file_outside_the_tests_is_over_800_lines() {
    let src = crate_src();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    assert!(paths.len() >= 55, "only {} files found", paths.len());
    let long: Vec<String> = paths
        .iter()
        .filter(|p| !is_test_file(&src, p))
        .filter_map(|p| {
            let n = fs::read_to_string(p).map_or(0, |t| t.lines().count());
            (n > MAX_LINES).then(|| format!("{}: {n} lines", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}
