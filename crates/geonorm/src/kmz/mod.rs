//! KMZ: KML zipped with its icons and images (feature `kmz`).
//!
//! Nothing is extracted to disk. The main KML is read straight from the archive,
//! through limits on its uncompressed size and compression ratio, so a zip bomb ends
//! in a clear error instead of filling memory.

use std::io::{BufReader, Read, Seek};

use crate::stream::{AsRead, FeatureSink, KmzContents, Pace, StreamEnd};
use crate::{kml, Diagnostic, Document, Error, Feature, Format, Result};

mod archive;
mod deflate;
mod write;
pub use write::write;
pub(crate) use write::{write_zip, Carry, KmlEntry};

/// Limits that refuse zip bombs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest uncompressed size of the main KML, in bytes.
    pub max_uncompressed: u64,
    /// Largest ratio of uncompressed to compressed size of the main KML. Real KML
    /// compresses 4 to 30 times; zip bombs, thousands of times.
    pub max_ratio: u64,
    /// Largest archive, in bytes. An archive is also refused unless its first entry
    /// starts at its first byte (`PK\x03\x04`): a zip whose central directory says it
    /// starts far into the file (a sparse gigabyte, then a small zip) is no KMZ.
    pub max_archive_bytes: u64,
}

impl Default for Limits {
    /// 1 GiB at most, and at most 100 times the compressed size (real KML compresses
    /// 4 to 30 times): memory for a bomb stays under 100 times the archive's size.
    /// Archives of 1 GiB at most.
    fn default() -> Self {
        Limits {
            max_uncompressed: 1 << 30,
            max_ratio: 100,
            max_archive_bytes: MAX_ARCHIVE_BYTES,
        }
    }
}

/// The default [`Limits::max_archive_bytes`]: 1 GiB.
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 30;

/// The bytes every KMZ starts with: the signature of its first entry's local header.
const LOCAL_HEADER: &[u8; 4] = b"PK\x03\x04";

fn not_kmz(message: String) -> Error {
    Error::NotFormat {
        format: Format::Kmz,
        message,
    }
}

/// Refuses an archive over `max_bytes` or whose first bytes are not a local header
/// (checked before the zip reader looks for its central directory), and leaves
/// `input` at its start.
fn check_archive<R: Read + Seek>(input: &mut R, max_bytes: u64) -> Result<()> {
    let len = input.seek(std::io::SeekFrom::End(0))?;
    input.rewind()?;
    if len > max_bytes {
        return Err(not_kmz(format!(
            "the archive is {len} bytes, over the limit of {max_bytes} for a KMZ"
        )));
    }
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    input.rewind()?;
    if &head[..got] != LOCAL_HEADER {
        return Err(not_kmz(
            "not a zip archive starting with its first entry (no `PK\\x03\\x04` at byte 0)".into(),
        ));
    }
    Ok(())
}

/// A KMZ that cannot be read where it is (a reader without `Seek`: standard input, a
/// pipe) held in memory: refused from its first bytes unless they start a zip entry,
/// and past `limits.max_archive_bytes`. A file should rather be given to [`read`] or
/// [`stream`] as it is (`std::fs::File` is `Read + Seek`): it is then never held.
pub(crate) fn hold<R: std::io::BufRead>(mut input: R, limits: &Limits) -> Result<Vec<u8>> {
    let head = input.fill_buf()?;
    if !LOCAL_HEADER.starts_with(&head[..head.len().min(4)]) || head.is_empty() {
        return Err(not_kmz(
            "not a zip archive starting with its first entry (no `PK\\x03\\x04` at byte 0)".into(),
        ));
    }
    let mut bytes = Vec::new();
    input
        .take(limits.max_archive_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits.max_archive_bytes {
        return Err(not_kmz(format!(
            "the archive is over the limit of {} bytes for a KMZ",
            limits.max_archive_bytes
        )));
    }
    Ok(bytes)
}

fn zip_error(e: zip::result::ZipError) -> Error {
    Error::NotFormat {
        format: Format::Kmz,
        message: format!("unreadable zip archive: {e}"),
    }
}

/// The main KML of an archive: `doc.kml`, else the first `.kml` at the root, else the
/// first `.kml` anywhere.
fn main_entry(names: &[String]) -> Option<usize> {
    let is_kml = |n: &String| n.to_ascii_lowercase().ends_with(".kml");
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case("doc.kml"))
        .or_else(|| names.iter().position(|n| is_kml(n) && !n.contains('/')))
        .or_else(|| names.iter().position(is_kml))
}

/// Counts bytes and stops with an error past the limits.
struct Limited<R> {
    inner: R,
    read: u64,
    max: u64,
    compressed: u64,
    max_ratio: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max
            || self.read > self.compressed.saturating_mul(self.max_ratio).max(1 << 20)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the KML in this KMZ expands past {} bytes (from {} compressed): refused as a possible zip bomb",
                    self.read, self.compressed
                ),
            ));
        }
        Ok(n)
    }
}

/// The name and bytes of the main KML of an archive, within the limits: for showing
/// diagnostics, whose offsets count in that KML.
pub(crate) fn main_kml<R: Read + Seek>(input: R, limits: &Limits) -> Result<(String, Vec<u8>)> {
    let (mut archive, ordered, main) = open(input, limits)?;
    let mut bytes = Vec::new();
    main_entry_reader(&mut archive, main, limits)?.read_to_end(&mut bytes)?;
    Ok((ordered[main].clone(), bytes))
}

/// The archive, its entries' names in its own order (which decides which .kml is
/// "first"), and the index of the main KML; refused past the archive limits of
/// `limits` ([`Limits::max_archive_bytes`]).
#[allow(clippy::type_complexity)]
fn open<R: Read + Seek>(
    mut input: R,
    limits: &Limits,
) -> Result<(zip::ZipArchive<R>, Vec<String>, usize)> {
    check_archive(&mut input, limits.max_archive_bytes)?;
    let mut archive = zip::ZipArchive::new(input).map_err(zip_error)?;
    let mut ordered = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(zip_error)?;
        ordered.push(entry.name().map_err(zip_error)?.to_string());
    }
    let Some(main) = main_entry(&ordered) else {
        return Err(Error::NotFormat {
            format: Format::Kmz,
            message: "the archive holds no .kml file".into(),
        });
    };
    Ok((archive, ordered, main))
}

/// The main KML's bytes as they decompress, within `limits`.
fn main_entry_reader<'a, R: Read + Seek>(
    archive: &'a mut zip::ZipArchive<R>,
    main: usize,
    limits: &Limits,
) -> Result<Limited<zip::read::ZipFile<'a, R>>> {
    let entry = archive.by_index(main).map_err(zip_error)?;
    let declared = entry.size();
    if declared > limits.max_uncompressed {
        return Err(Error::NotFormat {
            format: Format::Kmz,
            message: format!(
                "the KML in this KMZ would expand to {declared} bytes, over the limit of {}",
                limits.max_uncompressed
            ),
        });
    }
    let compressed = entry.compressed_size();
    Ok(Limited {
        inner: entry,
        read: 0,
        max: limits.max_uncompressed,
        compressed,
        max_ratio: limits.max_ratio,
    })
}

/// Reads the main KML of a KMZ archive where it is (a file is never held), with what
/// else the archive holds: [`crate::read`] of a seekable [`crate::Input`].
pub(crate) fn read<R: Read + Seek>(
    input: R,
    limits: &Limits,
) -> Result<(Document, Vec<Diagnostic>, KmzContents)> {
    let mut features = Vec::new();
    let StreamEnd {
        meta,
        groups,
        diagnostics: diags,
        kmz: contents,
    } = stream(input, limits, Pace::one(), &AsRead, |f, _| {
        features.push(f);
        Ok(())
    })?;
    let doc = Document {
        meta,
        groups,
        features,
    };
    Ok((doc, diags, contents.unwrap_or_default()))
}

/// Each feature's icon beside what the caller's sink makes of it, to list the files
/// the document refers to.
struct WithIcon<'s, S>(&'s S);

impl<S: FeatureSink> FeatureSink for WithIcon<'_, S> {
    type Out = (Option<String>, S::Out);
    fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Self::Out> {
        let icon = feature.style.icon.clone();
        Ok((icon, self.0.map(feature, diagnostics)?))
    }
}

/// Reads the main KML of a KMZ archive as a stream ([`crate::stream::features`]): the
/// entry is decompressed as it is read, never held whole.
pub(crate) fn stream<R, S, E>(
    input: R,
    limits: &Limits,
    pace: Pace,
    sink: &S,
    mut emit: E,
) -> Result<StreamEnd>
where
    R: Read + Seek,
    S: FeatureSink,
    E: FnMut(S::Out, &[Diagnostic]) -> Result<()>,
{
    let (mut archive, ordered, main) = open(input, limits)?;
    // Relative references, in the order the document first uses them (and as a set:
    // a document may have a hundred thousand icons).
    let mut hrefs: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let StreamEnd {
        mut meta,
        groups,
        diagnostics: diags,
        ..
    } = {
        let limited = main_entry_reader(&mut archive, main, limits)?;
        let input = BufReader::with_capacity(64 * 1024, limited);
        kml::stream(input, pace, &WithIcon(sink), |(icon, out), said| {
            if let Some(href) = icon {
                let relative = !(href.contains("://") || href.starts_with('/'));
                if relative && seen.insert(href.clone()) {
                    hrefs.push(href);
                }
            }
            emit(out, said)
        })?
    };
    meta.source_format = Some(Format::Kmz);
    let main_name = ordered[main].clone();
    let other_kml = ordered
        .iter()
        .enumerate()
        .filter(|(i, n)| *i != main && n.to_ascii_lowercase().ends_with(".kml"))
        .map(|(_, n)| n.clone())
        .collect();
    // Relative references resolve against the main KML's folder.
    let base = main_name.rsplit_once('/').map_or("", |(dir, _)| dir);
    let names: std::collections::HashSet<&str> = ordered.iter().map(String::as_str).collect();
    let assets = hrefs
        .into_iter()
        .map(|href| {
            let rel = href.trim_start_matches("./");
            let path = if base.is_empty() {
                rel.to_string()
            } else {
                format!("{base}/{rel}")
            };
            let present = names.contains(path.as_str()) || names.contains(rel);
            (href, present)
        })
        .collect();
    let contents = KmzContents {
        main: main_name,
        other_kml,
        assets,
    };
    Ok(StreamEnd {
        meta,
        groups,
        diagnostics: diags,
        kmz: Some(contents),
    })
}

/// The files of a KMZ archive, for the icons and photos its KML refers to
/// ([`crate::assets::Files`]). Relative references resolve against the main KML's
/// folder first, then the archive's root (both are seen in real files), and an entry
/// whose name differs only in case is taken when no exact one exists (archives made
/// on Windows).
#[cfg(feature = "assets")]
pub struct ArchiveFiles<R> {
    archive: zip::ZipArchive<R>,
    names: Vec<String>,
    /// Each name's first index, and each lower-cased name's: a look-up per reference
    /// instead of a search of the archive's list.
    index: std::collections::HashMap<String, usize>,
    folded: std::collections::HashMap<String, usize>,
    base: String,
    /// What its entries may still decompress to, all together.
    budget: crate::assets::Budget,
}

/// The files of the KMZ `input`, read within the default [`crate::assets::Limits`].
#[cfg(feature = "assets")]
pub fn files<R: Read + Seek>(input: R) -> Result<ArchiveFiles<R>> {
    files_with(input, &crate::assets::Limits::default())
}

/// The files of the KMZ `input`, read within `limits`: each entry within the limit of
/// one file, and all of them together within a ratio of the archive's size.
#[cfg(feature = "assets")]
pub fn files_with<R: Read + Seek>(
    mut input: R,
    limits: &crate::assets::Limits,
) -> Result<ArchiveFiles<R>> {
    let len = input.seek(std::io::SeekFrom::End(0))?;
    input.rewind()?;
    let budget = crate::assets::Budget::for_archive(limits, len);
    let (archive, names, main) = open(input, &Limits::default())?;
    let base = names[main]
        .rsplit_once('/')
        .map_or(String::new(), |(dir, _)| format!("{dir}/"));
    let mut index = std::collections::HashMap::new();
    let mut folded = std::collections::HashMap::new();
    for (i, n) in names.iter().enumerate() {
        index.entry(n.clone()).or_insert(i);
        folded.entry(n.to_ascii_lowercase()).or_insert(i);
    }
    Ok(ArchiveFiles {
        archive,
        names,
        index,
        folded,
        base,
        budget,
    })
}

#[cfg(feature = "assets")]
impl<R: Read + Seek> ArchiveFiles<R> {
    /// The index of the entry `path` names, as [`crate::assets::Files::fetch`] looks it
    /// up; `Err` when the path leads out of the archive (`..`).
    fn find(&self, path: &str) -> std::result::Result<Option<usize>, ()> {
        if path.split('/').any(|part| part == "..") {
            return Err(());
        }
        let in_base = format!("{}{path}", self.base);
        Ok([in_base.as_str(), path]
            .iter()
            .find_map(|want| self.index.get(*want).copied())
            .or_else(|| {
                [in_base.as_str(), path]
                    .iter()
                    .find_map(|want| self.folded.get(&want.to_ascii_lowercase()).copied())
            }))
    }

    /// Whether the archive holds a file at `path`, looked up as
    /// [`crate::assets::Files::fetch`] does but without reading it; `None` when the
    /// path leads out of the archive.
    pub(crate) fn holds(&mut self, path: &str) -> Option<bool> {
        let index = self.find(path).ok()?;
        Some(index.is_some_and(|i| {
            self.archive
                .by_index_raw(i)
                .is_ok_and(|entry| !entry.is_dir())
        }))
    }
}

#[cfg(feature = "assets")]
impl<R: Read + Seek> crate::assets::Files for ArchiveFiles<R> {
    fn fetch(&mut self, path: &str) -> crate::assets::Fetched {
        use crate::assets::Fetched;
        let index = match self.find(path) {
            Err(()) => return Fetched::Outside,
            Ok(None) => return Fetched::Missing,
            Ok(Some(index)) => index,
        };
        let entry = match self.archive.by_index(index) {
            Ok(e) => e,
            Err(e) => return Fetched::Failed(e.to_string()),
        };
        if entry.is_dir() {
            return Fetched::Missing;
        }
        if entry.size() > self.budget.limits().max_bytes {
            return Fetched::TooLarge(entry.size());
        }
        // The declared size may lie: the read stops past the limits whatever it says.
        let name = self.names[index].clone();
        self.budget.read(&name, Ok(entry))
    }

    fn limits(&self) -> crate::assets::Limits {
        *self.budget.limits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn kmz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            zip.start_file(*name, options).expect("entry");
            zip.write_all(data).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    }

    const KML: &[u8] = br#"<kml><Document><Style id="s"><IconStyle><Icon><href>files/pin.png</href></Icon></IconStyle></Style>
        <Placemark><styleUrl>#s</styleUrl><Point><coordinates>1,2</coordinates></Point></Placemark>
        <Placemark><Style><IconStyle><Icon><href>files/missing.png</href></Icon></IconStyle></Style><Point><coordinates>3,4</coordinates></Point></Placemark>
        </Document></kml>"#;

    #[test]
    fn reads_the_main_kml_and_lists_the_rest() {
        let bytes = kmz(&[
            ("other.kml", b"<kml/>"),
            ("doc.kml", KML),
            ("files/pin.png", b"png"),
        ]);
        let (doc, _, contents) = read(Cursor::new(bytes), &Limits::default()).expect("kmz");
        assert_eq!(doc.features.len(), 2);
        assert_eq!(doc.meta.source_format, Some(Format::Kmz));
        assert_eq!(contents.main, "doc.kml");
        assert_eq!(contents.other_kml, vec!["other.kml".to_string()]);
        assert_eq!(
            contents.assets,
            vec![
                ("files/pin.png".into(), true),
                ("files/missing.png".into(), false)
            ]
        );
    }

    #[test]
    fn without_doc_kml_the_first_root_kml_is_read() {
        let bytes = kmz(&[("sub/a.kml", b"<kml/>"), ("b.kml", KML)]);
        let (_, _, contents) = read(Cursor::new(bytes), &Limits::default()).expect("kmz");
        assert_eq!(contents.main, "b.kml");
        let bytes = kmz(&[("sub/a.kml", KML)]);
        let (_, _, contents) = read(Cursor::new(bytes), &Limits::default()).expect("kmz");
        assert_eq!(contents.main, "sub/a.kml");
    }

    #[test]
    fn zip_bombs_are_refused() {
        let mut big = b"<kml><Document>".to_vec();
        big.resize(20 << 20, b' ');
        big.extend_from_slice(b"</Document></kml>");
        let bytes = kmz(&[("doc.kml", &big)]);
        let err = read(Cursor::new(bytes), &Limits::default()).expect_err("refused");
        assert!(err.to_string().contains("zip bomb"), "{err}");
        let small = Limits {
            max_uncompressed: 100,
            max_ratio: 200,
            ..Limits::default()
        };
        let err =
            read(Cursor::new(kmz(&[("doc.kml", KML)])), &small).expect_err("over the size limit");
        assert!(err.to_string().contains("over the limit of 100"), "{err}");
    }

    #[test]
    fn not_a_zip_is_an_error() {
        assert!(matches!(
            read(
                Cursor::new(b"PK\x03\x04garbage".to_vec()),
                &Limits::default()
            ),
            Err(Error::NotFormat { .. })
        ));
    }

    #[test]
    fn an_archive_after_a_prefix_or_over_the_size_limit_is_refused() {
        let mut prefixed = vec![0u8; 4096];
        prefixed.extend(kmz(&[("doc.kml", KML)]));
        let err = read(Cursor::new(&prefixed[..]), &Limits::default()).expect_err("prefixed");
        assert!(err.to_string().contains("at byte 0"), "{err}");
        let err = hold(&prefixed[..], &Limits::default()).expect_err("prefixed");
        assert!(err.to_string().contains("at byte 0"), "{err}");
        let small = Limits {
            max_archive_bytes: 100,
            ..Limits::default()
        };
        let bytes = kmz(&[("doc.kml", KML)]);
        let err = read(Cursor::new(&bytes[..]), &small).expect_err("too big");
        assert!(err.to_string().contains("over the limit of 100"), "{err}");
        let err = hold(&bytes[..], &small).expect_err("too big");
        assert!(err.to_string().contains("over the limit of 100"), "{err}");
        assert_eq!(hold(&bytes[..], &Limits::default()).expect("held"), bytes);
    }

    #[test]
    fn writes_a_kmz_that_reads_back() {
        let (doc, _, _) =
            read(Cursor::new(kmz(&[("doc.kml", KML)])), &Limits::default()).expect("kmz");
        let mut out = Vec::new();
        write(&doc, &mut out, &kml::WriteOptions::default()).expect("write");
        let (back, _, contents) = read(Cursor::new(out), &Limits::default()).expect("reads back");
        assert_eq!(contents.main, "doc.kml");
        assert_eq!(back.features.len(), 2);
        assert_eq!(
            back.features[0].style.icon.as_deref(),
            Some("files/pin.png")
        );
    }
}
