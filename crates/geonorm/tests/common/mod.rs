//! What the integration tests share: the files under testdata/.

use std::fs;
use std::path::{Path, PathBuf};

/// Every file under testdata/ whose extension is one of `exts`, sorted.
pub fn testdata_files(exts: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, exts, out);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
            {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata"),
        exts,
        &mut files,
    );
    files.sort();
    files
}
