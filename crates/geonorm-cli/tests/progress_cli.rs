//! A long `convert` or `info` shows its progress (bytes read of the total) on standard
//! error when that is a terminal, and nothing in a pipe. The terminal is a
//! pseudo-terminal from `script`, whose log goes to a file in the test's own folder.

use std::path::Path;
use std::process::Command;

/// GPX tracks long enough together that reading them takes the debug binary well over
/// a second, the bar's delay: 250,000 points took `info` 1.7 s under load once the XML
/// input got faster, too close to it (a run once finished before the bar showed). Many short tracks, not one long one: the walk records a track as one piece
/// (scanned past in a moment) and a worker parses it, so one track would be read from
/// the file long before it is parsed; with many, the walk reads on as the batches are
/// parsed, until the end.
fn big_gpx(dir: &Path) {
    let mut gpx = String::from(
        "<gpx version=\"1.1\" creator=\"t\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n",
    );
    for i in 0..600_000u32 {
        if i % 50 == 0 {
            gpx.push_str("<trk><name>Part</name><trkseg>\n");
        }
        let (lat, lon) = (46.0 + f64::from(i) * 1e-6, 7.0 + f64::from(i) * 1e-6);
        gpx.push_str(&format!(
            "<trkpt lat=\"{lat:.7}\" lon=\"{lon:.7}\"><ele>{}</ele></trkpt>\n",
            i % 900
        ));
        if i % 50 == 49 {
            gpx.push_str("</trkseg></trk>\n");
        }
    }
    gpx.push_str("</gpx>\n");
    std::fs::write(dir.join("big.gpx"), gpx).expect("write");
}

/// What `geonorm ARGS` showed on a pseudo-terminal.
fn on_a_terminal(dir: &Path, args: &str) -> String {
    let log = dir.join("typescript");
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_geonorm"));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd])
        .arg(&log)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    assert_eq!(out.status.code(), Some(0), "{args}: {out:?}");
    String::from_utf8_lossy(&std::fs::read(&log).expect("log")).into_owned()
}

#[test]
fn a_long_read_shows_progress_on_a_terminal_and_not_in_a_pipe() {
    let dir = tempfile::tempdir().expect("tempdir");
    big_gpx(dir.path());
    let shown = on_a_terminal(dir.path(), "convert big.gpx -o out.geojson");
    // The bar: its label, and the time left that only it prints.
    assert!(
        shown.contains("converting") && shown.contains(" left)"),
        "{shown:?}"
    );
    let shown = on_a_terminal(dir.path(), "info big.gpx");
    assert!(
        shown.contains("reading") && shown.contains(" left)"),
        "{shown:?}"
    );

    for args in [
        &["convert", "big.gpx", "-o", "piped.geojson"][..],
        &["info", "big.gpx"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_geonorm"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run geonorm");
        assert!(out.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            !said.contains(" left)") && !said.contains("converting"),
            "{args:?}: {said}"
        );
    }
}
