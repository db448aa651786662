//! Outputs unchanged: what the `geonorm` binary prints and writes for every map file
//! under testdata/ is what it printed and wrote when `outputs_unchanged/expected.tsv`
//! was recorded (issue 23: a refactor of the engine changes no output and no
//! diagnostic, byte for byte).
//!
//! For each file (every .kml .kmz .gpx .geojson .json .xml under testdata/, walked
//! recursively and sorted; none skipped) nine runs, each in a fresh temporary folder
//! that is also its working folder (see [`runs`]): `check --format json`; `convert -o`
//! to .geojson, .kml, .gpx and .kmz; `convert --to kml` and `--to gpx` to standard
//! output; `convert -` with the file on standard input to GPX; and `fix -o`. Each
//! records its exit code and a SHA-256 (first 16 hex digits) of its standard output,
//! its standard error and the file it wrote ("-" when none). Paths are normalised
//! before digesting: the temporary folder becomes `T` and the repository's root
//! prefix is dropped (`testdata/kml/x.kml`). A KMZ is digested as its entries'
//! names and bytes ([`zip_entries`]), not its deflated stream.
//!
//! Re-record (a change of behaviour an issue asks for, in its own commit):
//!
//! ```text
//! GEONORM_RECORD_OUTPUTS=1 cargo test -p geonorm-cli --test outputs_unchanged
//! ```
//!
//! Otherwise the test compares, and fails listing up to 20 differing lines (expected
//! and got), how many differ, and the files missing from or added to the corpus.
//!
//! Time: 4,554 runs of the debug binary on 506 files (none over 1 MB), on 2 threads:
//! 20 to 28 s on 2 shared cores (measured five times).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

/// The extensions of the map files in testdata/ (as `nothing_lost` lists them).
const MAP_FILES: [&str; 6] = ["kml", "kmz", "gpx", "geojson", "json", "xml"];

/// The number of map files under testdata/ when the outputs were recorded: fewer
/// fails, so that an emptied or moved corpus cannot pass.
const MIN_FILES: usize = 505;

/// Set to `1` to write `expected.tsv` from the current binary instead of comparing.
const RECORD: &str = "GEONORM_RECORD_OUTPUTS";

const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/outputs_unchanged/expected.tsv"
);

const HEADER: &str = "# geonorm's outputs on every map file of testdata/ \
(crates/geonorm-cli/tests/outputs_unchanged.rs): file, run, exit code, then sha256 (16 hex) \
of stdout, stderr and the written file (- for none). \
Re-record: GEONORM_RECORD_OUTPUTS=1 cargo test -p geonorm-cli --test outputs_unchanged";

/// The repository's root, without `..` in it (it is taken out of what is printed).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository's root")
}

/// Every file under `dir` whose extension is a map format's.
fn map_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            map_files(&p, out);
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| MAP_FILES.contains(&x))
        {
            out.push(p);
        }
    }
}

fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if !from.is_empty() && bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// One run of the binary on a file.
struct Run {
    name: &'static str,
    args: Vec<String>,
    /// The file is given on standard input.
    stdin: bool,
    /// The name of the file it writes in its temporary folder.
    output: Option<String>,
}

/// The runs on `file`; `T` in an argument stands for the run's temporary folder.
fn runs(file: &Path) -> Vec<Run> {
    let path = file.to_str().expect("UTF-8 path").to_string();
    let ext = file
        .extension()
        .and_then(|x| x.to_str())
        .expect("extension");
    let args = |a: &[&str]| -> Vec<String> {
        a.iter()
            .map(|s| {
                if *s == "FILE" {
                    path.clone()
                } else {
                    s.to_string()
                }
            })
            .collect()
    };
    let mut runs = vec![Run {
        name: "check",
        args: args(&["check", "--format", "json", "FILE"]),
        stdin: false,
        output: None,
    }];
    for (name, out) in [
        ("convert-o-geojson", "out.geojson"),
        ("convert-o-kml", "out.kml"),
        ("convert-o-gpx", "out.gpx"),
        ("convert-o-kmz", "out.kmz"),
    ] {
        runs.push(Run {
            name,
            args: args(&[
                "convert",
                "FILE",
                "-o",
                &format!("T/{out}"),
                "--format",
                "json",
            ]),
            stdin: false,
            output: Some(out.to_string()),
        });
    }
    for (name, to) in [("convert-stdout-kml", "kml"), ("convert-stdout-gpx", "gpx")] {
        runs.push(Run {
            name,
            args: args(&["convert", "FILE", "--to", to, "--format", "json"]),
            stdin: false,
            output: None,
        });
    }
    // Standard input has no name, so its format is given from the file's extension;
    // a KMZ is read from standard input too (as a zip). An .xml names no format:
    // it is given without `--from`, and its content tells (KML or GPX).
    let mut stdin = args(&["convert", "-", "--to", "gpx", "--format", "json"]);
    let from = match ext {
        "json" => Some("geojson"),
        "xml" => None,
        other => Some(other),
    };
    if let Some(from) = from {
        stdin.extend(["--from".to_string(), from.to_string()]);
    }
    runs.push(Run {
        name: "convert-stdin-gpx",
        args: stdin,
        stdin: true,
        output: None,
    });
    // The fixed file in the input's format, as its extension says; .xml is no output
    // extension (it would be written as GeoJSON under that name), so it gets .geojson.
    let fixed = format!("fixed.{}", if ext == "xml" { "geojson" } else { ext });
    runs.push(Run {
        name: "fix-o",
        args: args(&[
            "fix",
            "FILE",
            "-o",
            &format!("T/{fixed}"),
            "--format",
            "json",
        ]),
        stdin: false,
        output: Some(fixed),
    });
    runs
}

/// Runs `run` on `file` in a fresh temporary folder; its record less file and run:
/// exit code, then the digests of standard output, standard error and the output.
fn run_one(root: &Path, file: &Path, run: &Run) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().to_str().expect("UTF-8 temp path").to_string();
    let args: Vec<String> = run
        .args
        .iter()
        .map(|a| match a.strip_prefix("T/") {
            Some(rest) => format!("{t}/{rest}"),
            None => a.clone(),
        })
        .collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_geonorm"));
    cmd.args(&args)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out: Output = if run.stdin {
        let input = std::fs::read(file).expect("read input");
        let mut child = cmd.stdin(Stdio::piped()).spawn().expect("spawn geonorm");
        let mut pipe = child.stdin.take().expect("stdin");
        // Fed from another thread, so that a large output cannot block the input.
        std::thread::scope(|s| {
            s.spawn(move || {
                // geonorm may stop reading early (an error): a broken pipe is its answer.
                let _ = pipe.write_all(&input);
            });
            child.wait_with_output().expect("wait for geonorm")
        })
    } else {
        cmd.stdin(Stdio::null()).output().expect("run geonorm")
    };
    let mut prefixes = vec![(t.clone(), "T".to_string())];
    if let Ok(canon) = dir.path().canonicalize() {
        prefixes.push((canon.to_str().expect("UTF-8").to_string(), "T".to_string()));
    }
    prefixes.push((format!("{}/", root.display()), String::new()));
    let normal = |bytes: &[u8]| {
        let mut b = bytes.to_vec();
        for (from, to) in &prefixes {
            b = replace(&b, from.as_bytes(), to.as_bytes());
        }
        digest(&b)
    };
    let written = match &run.output {
        Some(name) => match std::fs::read(dir.path().join(name)) {
            Ok(bytes) if name.ends_with(".kmz") => digest(&zip_entries(&bytes)),
            Ok(bytes) => digest(&bytes),
            Err(_) => "-".to_string(),
        },
        None => "-".to_string(),
    };
    let exit = out
        .status
        .code()
        .map_or_else(|| "signal".to_string(), |c| c.to_string());
    format!(
        "{exit}\t{}\t{}\t{written}",
        normal(&out.stdout),
        normal(&out.stderr)
    )
}

/// A KMZ as what it holds: each entry's name and bytes, in order (or the raw bytes,
/// when they are no zip). The deflated stream is not compared: how deflate cuts its
/// blocks follows the sizes of the writes it is given, and a streaming writer gives
/// it pieces where the writer that held the document gave it one piece.
fn zip_entries(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return bytes.to_vec();
    };
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("a KMZ entry");
        out.extend_from_slice(entry.name().expect("a KMZ entry name").as_bytes());
        out.push(0);
        std::io::Read::read_to_end(&mut entry, &mut out).expect("a KMZ entry's bytes");
        out.push(0);
    }
    out
}

/// The records of `files`: `path\trun\texit\tstdout\tstderr\toutput`.
fn record(root: &Path, files: &[&PathBuf]) -> Vec<String> {
    let testdata = root.join("testdata");
    let mut lines = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&testdata)
            .expect("under testdata/")
            .to_str()
            .expect("UTF-8 path");
        for run in runs(file) {
            lines.push(format!(
                "{rel}\t{}\t{}",
                run.name,
                run_one(root, file, &run)
            ));
        }
    }
    lines
}

/// A record's key (file, run) and the rest.
fn split(line: &str) -> ((String, String), String) {
    let mut parts = line.splitn(3, '\t');
    let file = parts.next().unwrap_or_default().to_string();
    let run = parts.next().unwrap_or_default().to_string();
    ((file, run), parts.next().unwrap_or_default().to_string())
}

#[test]
fn every_output_and_diagnostic_is_as_recorded() {
    let root = root();
    let mut files = Vec::new();
    map_files(&root.join("testdata"), &mut files);
    files.sort();
    assert!(
        files.len() >= MIN_FILES,
        "found only {} map files under testdata/ (at least {MIN_FILES} when recorded): \
         is testdata missing?",
        files.len()
    );

    // Two threads, the files dealt alternately (large ones are spread out).
    let mut got: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let mine: Vec<&PathBuf> = files.iter().skip(i).step_by(2).collect();
                let root = &root;
                s.spawn(move || record(root, &mine))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a recording thread panicked"))
            .collect()
    });
    got.sort();

    if std::env::var(RECORD).is_ok_and(|v| v == "1") {
        let path = Path::new(EXPECTED);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create folder");
        let mut text = format!("{HEADER}\n");
        for line in &got {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(path, text).expect("write expected.tsv");
        eprintln!(
            "recorded {} runs on {} files in {EXPECTED}",
            got.len(),
            files.len()
        );
        return;
    }

    let text = std::fs::read_to_string(EXPECTED).unwrap_or_else(|e| {
        panic!("{EXPECTED}: {e}; record it with {RECORD}=1 (see the top of this file)")
    });
    let expected: BTreeMap<_, _> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(split)
        .collect();
    let got: BTreeMap<_, _> = got.iter().map(|l| split(l)).collect();

    let files_of = |m: &BTreeMap<(String, String), String>| -> BTreeSet<String> {
        m.keys().map(|(f, _)| f.clone()).collect()
    };
    let (expected_files, got_files) = (files_of(&expected), files_of(&got));
    let missing: Vec<_> = expected_files.difference(&got_files).collect();
    let added: Vec<_> = got_files.difference(&expected_files).collect();

    // Every run of a file in both whose record differs (or is only on one side).
    let mut differ = Vec::new();
    let keys: BTreeSet<_> = expected.keys().chain(got.keys()).collect();
    for key in keys {
        if !(expected_files.contains(&key.0) && got_files.contains(&key.0)) {
            continue;
        }
        let (e, g) = (expected.get(key), got.get(key));
        if e != g {
            let show = |v: Option<&String>| {
                v.map_or("(no such run)".to_string(), |v| {
                    format!("{}\t{}\t{v}", key.0, key.1)
                })
            };
            differ.push(format!("expected {}\n     got {}", show(e), show(g)));
        }
    }

    let mut report = String::new();
    if !differ.is_empty() {
        report.push_str(&format!(
            "{} run(s) differ from {EXPECTED} (up to 20 shown; columns: file, run, exit, \
             stdout, stderr, output):\n",
            differ.len()
        ));
        for d in differ.iter().take(20) {
            report.push_str(&format!("  {d}\n"));
        }
    }
    if !missing.is_empty() {
        report.push_str(&format!(
            "{} file(s) recorded but no longer in testdata/: {missing:?}\n",
            missing.len()
        ));
    }
    if !added.is_empty() {
        report.push_str(&format!(
            "{} file(s) in testdata/ but not recorded: {added:?}\n",
            added.len()
        ));
    }
    assert!(
        report.is_empty(),
        "{report}A change of behaviour an issue asks for is re-recorded deliberately, in \
         its own commit: {RECORD}=1 cargo test -p geonorm-cli --test outputs_unchanged"
    );
}
