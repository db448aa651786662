//! The project's testdata files, for the unit tests that run over all of them.

use std::path::{Path, PathBuf};

/// Every file under testdata/ whose extension is one of `extensions` (any case),
/// sorted. Panics when there are few: a moved folder must not pass for a test that
/// compared nothing.
pub(crate) fn files(extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, extensions, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| extensions.iter().any(|e| x.eq_ignore_ascii_case(e)))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    walk(&root, extensions, &mut out);
    out.sort();
    assert!(out.len() > 50, "found only {} files", out.len());
    out
}
