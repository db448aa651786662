//! What the integration tests share: the files under testdata/.
//!
//! Every listing takes the least number of files it must find: a test that walks a
//! corpus would otherwise pass on nothing when testdata is missing or has moved.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

pub mod worse;

use std::fs;
use std::path::{Path, PathBuf};

/// The path of `sub` under testdata/.
pub fn testdata(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(sub)
}

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    exts.is_empty()
        || p.extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| exts.contains(&x))
}

fn at_least(mut files: Vec<PathBuf>, min: usize, dir: &Path) -> Vec<PathBuf> {
    assert!(
        files.len() >= min,
        "found only {} files under {}: is testdata missing?",
        files.len(),
        dir.display()
    );
    files.sort();
    files
}

/// The files directly in testdata/`sub` whose extension is one of `exts` (any file
/// when `exts` is empty), sorted; at least `min` of them.
pub fn files_in(sub: &str, exts: &[&str], min: usize) -> Vec<PathBuf> {
    let dir = testdata(sub);
    let files = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && has_ext(p, exts))
        .collect();
    at_least(files, min, &dir)
}

/// The files anywhere under testdata/`sub` whose extension is one of `exts` (any file
/// when `exts` is empty), sorted; at least `min` of them.
pub fn files_under(sub: &str, exts: &[&str], min: usize) -> Vec<PathBuf> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                walk(&p, exts, out);
            } else if has_ext(&p, exts) {
                out.push(p);
            }
        }
    }
    let dir = testdata(sub);
    let mut files = Vec::new();
    walk(&dir, exts, &mut files);
    at_least(files, min, &dir)
}

/// Every file under testdata/ whose extension is one of `exts`, sorted; at least `min`.
pub fn testdata_files(exts: &[&str], min: usize) -> Vec<PathBuf> {
    files_under("", exts, min)
}
