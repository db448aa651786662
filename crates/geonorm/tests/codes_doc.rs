//! docs/diagnostics.md is the catalogue of diagnostic codes: it must list every code,
//! with the explanation `geonorm check --explain` gives. Regenerate it with
//! `GEONORM_BLESS=1 cargo test -p geonorm --test codes_doc`.

use std::path::Path;

use geonorm::Code;

fn render() -> String {
    let mut s = String::from(
        "# Diagnostic codes\n\nEvery finding geonorm reports has one of these codes. `geonorm check --explain CODE` prints the same text.\nThis file is generated from the code catalogue (`crates/geonorm/src/diag.rs`) by `crates/geonorm/tests/codes_doc.rs`.\n\n| code | severity | meaning |\n|---|---|---|\n",
    );
    for c in Code::ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.as_str(),
            c.severity(),
            c.explain().replace('|', "\\|")
        ));
    }
    s
}

#[test]
fn the_catalogue_in_docs_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md");
    let want = render();
    if std::env::var_os("GEONORM_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/diagnostics.md is out of date: run GEONORM_BLESS=1 cargo test -p geonorm --test codes_doc");
}
