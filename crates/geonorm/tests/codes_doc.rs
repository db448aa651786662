//! docs/diagnostics.md is the catalogue of diagnostic codes: it must list every code,
//! with the explanation `geonorm check --explain` gives. Regenerate it with
//! `GEONORM_BLESS=1 cargo test -p geonorm --test codes_doc`.

use std::path::Path;

use geonorm::Code;

fn render() -> String {
    let mut s = String::from(
        "# Diagnostic codes\n\nEvery finding geonorm reports has one of these codes. `geonorm check --explain CODE` prints the same text.\nThis file is generated from the code catalogue (`crates/geonorm/src/diag.rs`) by `crates/geonorm/tests/codes_doc.rs`.\n\n## Severity\n\nOne principle sets every code's severity:\n\n- **error**: MapHub would refuse the file, or the map would show something wrong *after* geonorm's conversion (a shape that cannot be drawn, a position that could not be read and is missing, a feature skipped). Errors stop `append` and `upload` unless `--force`.\n- **warning**: geonorm repaired something, or dropped something that has no place on the map or that the file gave twice; the map shows what the file meant, but the file is not as it should be. Each says what was done.\n- **info**: worth knowing, nothing lost: a choice geonorm made (a pause in a track, a misplaced element read where it stands, text kept as written).\n\nA repair or a skip that loses nothing is never an error.\n\n## Where a finding points\n\nAt what it is about: a position's finding (a range, a repeat, a jump across the antimeridian) at that position, in GeoJSON its coordinate array, in KML its coordinate tuple (a `gx:coord` for a track), in GPX its `<trkpt>` or `<rtept>`; a line's or a ring's (too short, not closed, wound the wrong way) from its first position to its last; a feature's at the feature; the file's at its start.\n\n| code | severity | meaning |\n|---|---|---|\n",
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
