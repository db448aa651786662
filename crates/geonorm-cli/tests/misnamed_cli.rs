//! `maphub/misnamed` says which is wrong: a file read as asked (`--from`) against what
//! its content and its name say blames the option, not the name; a file whose content
//! and name disagree blames the name.

use std::path::Path;
use std::process::Command;

fn said(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run geonorm");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_misnamed_warning_blames_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gpx = r#"<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="1" lon="2"><name>a</name></wpt></gpx>"#;
    std::fs::write(dir.path().join("good.gpx"), gpx).expect("write");
    std::fs::write(dir.path().join("named.kml"), gpx).expect("write");
    let forced = said(dir.path(), &["convert", "good.gpx", "--from", "kml"]);
    assert!(
        forced.contains("warning[maphub/misnamed]: the file is read as kml, as asked, but its content and its name say gpx\n")
            && forced.contains("help: read it as gpx (drop --from)"),
        "{forced}"
    );
    assert!(
        !forced.contains("the file is kml but its name says gpx"),
        "{forced}"
    );
    let misnamed = said(dir.path(), &["convert", "named.kml"]);
    assert!(
        misnamed.contains("[maphub/misnamed]: the file is gpx but its name says kml\n"),
        "{misnamed}"
    );
}
