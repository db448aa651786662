//! A file made ready to send, the same way for every front end (the `geonorm` command
//! line and the Python package): the check it must pass, the document and assets that
//! go, the fingerprint its journal records, and where that journal lives.

use std::path::{Path, PathBuf};

use geonorm::assets::{plan_source, Plan, Purpose};
use geonorm::validate::{CheckOptions, Profile, Report};
use geonorm::{Code, Document, Format};

/// The largest request body for `max_bytes`: MapHub's 15 MiB limit by default (a server
/// that is not maphub.net may still enforce it, and a split costs nothing when it does
/// not), none for `Some(0)` (Enterprise servers without one).
pub fn body_limit(max_bytes: Option<u64>) -> Option<u64> {
    match max_bytes {
        Some(0) => None,
        Some(n) => Some(n),
        None => Some(geonorm::MAPHUB_MAX_UPLOAD_BYTES),
    }
}

/// The check a file passes before it is sent, and the document it sends, in one read
/// of `bytes` ([`geonorm::check`] keeping the document): [`Checked::ready`] makes it ready to send.
/// Sent converted, it is split under `limit`, so the whole file's size findings do not
/// apply; with `split_long_lines`, a line over the limit is cut ([`Checked::ready`]), so
/// neither does `maphub/feature-too-large` (what cannot be cut, the split refuses before
/// anything is sent); and the icons and photos are planned by [`Checked::ready`], which
/// says what is missing.
pub fn check_before_send(
    bytes: &[u8],
    path: Option<&Path>,
    format: Format,
    raw: bool,
    limit: Option<u64>,
    split_long_lines: bool,
) -> Checked {
    let profile = if limit.is_some() {
        Profile::Maphub
    } else {
        Profile::Enterprise
    };
    let mut opts = CheckOptions::new(profile, Some(format));
    opts.read.name = path.map(Path::to_path_buf);
    opts.keep_document = true;
    // Reading from memory cannot fail; were it to, it is said as a finding (and
    // there is no document).
    let checked = geonorm::check(bytes.into(), &opts).map(|mut report| {
        // Asked for, the document is always kept.
        let kept = report
            .document
            .take()
            .unwrap_or_else(|| Err(std::io::Error::other("the check kept no document").into()));
        (report, kept)
    });
    let (mut report, document) = match checked {
        Ok(both) => both,
        Err(e) => (
            Report {
                format: Some(format),
                diagnostics: vec![geonorm::Diagnostic::new(
                    Code::MaphubFileType,
                    e.to_string(),
                )],
                document: None,
            },
            Err(geonorm::Error::Io(e)),
        ),
    };
    if !raw {
        report.diagnostics.retain(|d| {
            let cut = split_long_lines && d.code == Code::MaphubFeatureTooLarge;
            // Sent converted, the icons and photos are planned (and what is missing
            // said) by [`Checked::ready`]; the check would say it a second time.
            !(cut
                || matches!(
                    d.code,
                    Code::MaphubTooLarge
                        | Code::MaphubConvertedTooLarge
                        | Code::MaphubNotCollection
                        | Code::AssetMissing
                        | Code::AssetOutside
                ))
        });
    }
    Checked { report, document }
}

/// A file checked before it is sent ([`check_before_send`]), with the document that
/// same read gave.
#[derive(Debug)]
pub struct Checked {
    /// What the check found.
    pub report: Report,
    /// The document, as [`geonorm::read`] reads it, or the error it fails with.
    document: geonorm::Result<Document>,
}

/// How a file is sent.
#[derive(Debug, Clone, Default)]
pub struct SendShape<'a> {
    /// The original bytes, in one request (no document, no assets).
    pub raw: bool,
    /// Upload the icons and photos of a KMZ (or beside a KML) as markers and images.
    pub assets: bool,
    /// The largest request body ([`body_limit`]).
    pub limit: Option<u64>,
    /// `append`'s `new_group` title, or empty.
    pub new_group: &'a str,
    /// Cut a line over `limit` as one feature into consecutive features under it
    /// ([`geonorm::split_long_lines`]).
    pub split_long_lines: bool,
}

/// What a send of a file sends.
#[derive(Debug)]
pub struct Ready {
    /// The document, read as `format`.
    pub document: Document,
    /// Its icons and photos, planned for MapHub (none when raw, not asked, or not a
    /// KMZ or a KML on disk).
    pub assets: Option<Plan>,
    /// The fingerprint of the input and of how it is sent ([`crate::SendOptions::input`]):
    /// another file or other options make another send (a changed icon is caught by
    /// the journal's asset records).
    pub input: String,
    /// The lines cut with [`SendShape::split_long_lines`], each said at its feature.
    pub cut: Vec<geonorm::Diagnostic>,
}

impl Ready {
    /// What [`crate::send`] sends: `bytes` as they are when `raw` (as `format`'s MapHub
    /// file type), else the document split under `limit`, with its assets.
    pub fn payload<'a>(
        &'a mut self,
        bytes: &'a [u8],
        format: Format,
        raw: bool,
        limit: Option<u64>,
    ) -> crate::Payload<'a> {
        if raw {
            crate::Payload::Raw {
                bytes,
                file_type: crate::FileType::from(format),
                features: self.document.features.len(),
            }
        } else {
            crate::Payload::Document {
                doc: &mut self.document,
                limit,
                assets: self.assets.as_ref(),
            }
        }
    }
}

/// How long after a send went unanswered it may still land, for
/// [`crate::SendOptions::settle`]: `unanswered_wait` seconds when given, else the send's
/// timeout (`timeout` seconds, 180 by default) plus MapHub's 2 minutes of processing.
pub fn settle_time(unanswered_wait: Option<u64>, timeout: Option<f64>) -> std::time::Duration {
    std::time::Duration::from_secs(
        unanswered_wait.unwrap_or_else(|| timeout.map_or(180, |t| t.ceil() as u64) + 120),
    )
}

impl Checked {
    /// The document checked, made ready to send as `shape` says (`bytes`, `path` and
    /// `format` are those checked): its long lines cut, its icons and photos planned,
    /// its fingerprint taken. Fails with what stopped the reader, when it stopped.
    pub fn ready(
        self,
        bytes: &[u8],
        path: Option<&Path>,
        format: Format,
        shape: &SendShape<'_>,
    ) -> geonorm::Result<Ready> {
        let mut document = self.document?;
        let cut = match shape.limit {
            Some(limit) if shape.split_long_lines && !shape.raw => {
                geonorm::split_long_lines(&mut document, limit)
            }
            _ => Vec::new(),
        };
        let assets = if shape.raw || !shape.assets {
            None
        } else {
            plan_source(&document, format, bytes, path, Purpose::Maphub)?
        };
        // The icons and photos are not in it: the journal records them one by one and a
        // resume compares them, so that `--resume --no-assets` (or `--skip-asset`) can go
        // on from a send an asset blocked, and a changed one is still refused.
        let input = crate::fingerprint(&[
            bytes,
            if shape.raw { b"raw" } else { b"geojson" },
            &shape.limit.unwrap_or(0).to_le_bytes(),
            shape.new_group.as_bytes(),
            if shape.split_long_lines { b"cut" } else { b"" },
        ]);
        Ok(Ready {
            document,
            assets,
            input,
            cut,
        })
    }
}

/// The per-user state directory: `$XDG_STATE_HOME/geonorm`, else
/// `~/.local/state/geonorm`, else `geonorm` in the temporary folder.
pub(crate) fn state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir)
        .join("geonorm")
}

/// The journal's default place: beside the file, or, when that folder cannot be
/// written (or there is no file: standard input, bytes), in the per-user state
/// directory (`$XDG_STATE_HOME/geonorm`, else `~/.local/state/geonorm`) under a name
/// made from the file's path, or from the input's fingerprint. `unnamed` names the
/// input when there is no file (`stdin`, `bytes`).
pub fn journal_path(file: Option<&Path>, unnamed: &str, fingerprint: &str) -> PathBuf {
    let mut name = file
        .and_then(Path::file_name)
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| unnamed.into());
    name.push(".maphub-journal.json");
    if let Some(file) = file {
        let beside = file.with_file_name(&name);
        let dir = beside
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Writable means a file can be created there: probe with a temporary one.
        if beside.exists() || tempfile::tempfile_in(dir).is_ok() {
            return beside;
        }
    }
    let state = state_dir();
    let key = match file.map(std::fs::canonicalize) {
        Some(Ok(p)) => crate::fingerprint(&[p.as_os_str().as_encoded_bytes()]),
        _ => fingerprint.to_string(),
    };
    let mut unique = PathBuf::from(&name).into_os_string();
    unique.push(format!(".{key}"));
    // If it cannot be created, the journal's own error names the path.
    let _ = std::fs::create_dir_all(&state);
    state.join(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every map file under testdata/.
    fn map_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or_default();
            if p.is_dir() {
                map_files(&p, out);
            } else if ["kml", "kmz", "gpx", "geojson", "json"].contains(&ext) {
                out.push(p);
            }
        }
    }

    /// What the report and the document were when the check and the read were two
    /// reads: the check's report, less what a send converted plans or cuts.
    fn checked_twice(bytes: &[u8], path: &Path, format: Format, raw: bool) -> (Report, String) {
        let profile = if raw {
            Profile::Enterprise
        } else {
            Profile::Maphub
        };
        let mut opts = CheckOptions::new(profile, Some(format));
        opts.read.name = Some(path.to_path_buf());
        let mut report = geonorm::check(bytes.into(), &opts).expect("in memory");
        if !raw {
            report.diagnostics.retain(|d| {
                !matches!(
                    d.code,
                    Code::MaphubTooLarge
                        | Code::MaphubConvertedTooLarge
                        | Code::MaphubNotCollection
                        | Code::AssetMissing
                        | Code::AssetOutside
                )
            });
        }
        let read = geonorm::read(bytes, &geonorm::ReadOptions::format(format));
        (report, shown(read.map(|p| p.document)))
    }

    fn shown(doc: geonorm::Result<Document>) -> String {
        match doc {
            Ok(d) => format!("{d:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    /// A send's check and the document it sends come from one read
    /// ([`geonorm::check`] with `keep_document`), and are what the check and the read gave apart,
    /// on every map file of testdata.
    #[test]
    fn a_send_is_checked_and_read_in_one_read() {
        let mut files = Vec::new();
        map_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata"),
            &mut files,
        );
        let (mut sent, mut refused) = (0, 0);
        for p in &files {
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            let Some(format) = Format::detect(&bytes, Some(p)) else {
                continue;
            };
            for raw in [false, true] {
                let limit = (!raw).then_some(geonorm::MAPHUB_MAX_UPLOAD_BYTES);
                let (report, document) = checked_twice(&bytes, p, format, raw);
                let checked = check_before_send(&bytes, Some(p), format, raw, limit, false);
                assert_eq!(checked.report.format, report.format, "{}", p.display());
                assert_eq!(
                    checked.report.diagnostics,
                    report.diagnostics,
                    "{}",
                    p.display()
                );
                let shape = SendShape {
                    raw,
                    limit,
                    ..SendShape::default()
                };
                let ready = checked.ready(&bytes, Some(p), format, &shape);
                match &ready {
                    Ok(_) => sent += 1,
                    Err(_) => refused += 1,
                }
                assert_eq!(
                    shown(ready.map(|r| r.document)),
                    document,
                    "{}",
                    p.display()
                );
            }
        }
        assert!(sent > 400 && refused > 0, "sent {sent}, refused {refused}");
    }
}
