//! The text an input's findings point into, worked out once for every embedder (the
//! command line, the Python package): the file's own bytes; for a KML or GPX in
//! UTF-16 or a declared single-byte encoding, the UTF-8 its reader decoded (the same
//! lines and characters as the file); for a KMZ, its main KML. [`Shown::source`]
//! gives the [`Source`] the renderers place findings in.

use std::borrow::Cow;
use std::io::{Read, Seek};

use super::Source;
use crate::Format;

/// What an input's findings point into, and in which archive entry.
#[derive(Debug, Clone)]
pub struct Shown<'a> {
    entry: Option<String>,
    text: Cow<'a, [u8]>,
}

impl<'a> Shown<'a> {
    /// What the findings on `bytes`, an input read as `format`, point into. A KMZ
    /// whose main KML cannot be read (over `limits`, not an archive) shows its own
    /// bytes: its findings then have no place in them, as the reader could not read it.
    pub fn of(bytes: &'a [u8], format: Option<Format>, limits: &crate::kmz::Limits) -> Self {
        if format == Some(Format::Kmz) {
            if let Some(shown) = Shown::of_archive(std::io::Cursor::new(bytes), limits) {
                return shown;
            }
        }
        let text = match format {
            Some(f) => f.spans_text(bytes),
            None => Cow::Borrowed(bytes),
        };
        Shown { entry: None, text }
    }

    /// As [`Shown::of`], for bytes the caller hands over: kept as they are unless
    /// decoding or an archive's entry replaces them.
    pub fn of_owned(
        bytes: Vec<u8>,
        format: Option<Format>,
        limits: &crate::kmz::Limits,
    ) -> Shown<'static> {
        let shown = Shown::of(&bytes, format, limits);
        if shown.entry.is_some() || matches!(shown.text, Cow::Owned(_)) {
            return shown.into_owned();
        }
        Shown {
            entry: None,
            text: Cow::Owned(bytes),
        }
    }

    /// The main KML of a KMZ read where it is (a file is not held whole), decoded as
    /// its reader decodes it; `None` when it cannot be read.
    pub fn of_archive<R: Read + Seek>(archive: R, limits: &crate::kmz::Limits) -> Option<Self> {
        let (entry, kml) = crate::kmz::main_kml(archive, limits).ok()?;
        let text = match Format::Kml.spans_text(&kml) {
            Cow::Owned(decoded) => decoded,
            Cow::Borrowed(_) => kml,
        };
        Some(Shown {
            entry: Some(entry),
            text: Cow::Owned(text),
        })
    }

    /// The archive entry the findings point into (a KMZ's main KML), if any.
    pub fn entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    /// The text the findings' spans count in.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The text as owned bytes, to keep beyond the input's.
    pub fn into_owned(self) -> Shown<'static> {
        Shown {
            entry: self.entry,
            text: Cow::Owned(self.text.into_owned()),
        }
    }

    /// The source the renderers place findings in, for the input called `name`.
    pub fn source(&'a self, name: &'a str) -> Source<'a> {
        let source = Source::new(name, &self.text);
        match &self.entry {
            Some(entry) => source.in_entry(entry, &self.text),
            None => source,
        }
    }
}

/// Whether findings on an input of `format` starting with `head` count in the input's
/// own bytes, so that a pass over it ([`super::Located::scan`]) can place them without
/// holding it: GeoJSON, and KML and GPX in UTF-8. Those in UTF-16 or a declared
/// single-byte encoding count in the text their reader decoded, a KMZ's in the KML
/// inside ([`Shown`]).
pub fn placed_in_own_bytes(format: Format, head: &[u8]) -> bool {
    match format {
        Format::GeoJson => true,
        Format::Kml | Format::Gpx => matches!(format.spans_text(head), Cow::Borrowed(_)),
        Format::Kmz => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_input_shows_the_text_its_findings_count_in() {
        let limits = crate::kmz::Limits::default();
        // UTF-8: the bytes themselves, borrowed.
        let kml = b"<kml><Placemark/></kml>";
        let shown = Shown::of(kml, Some(Format::Kml), &limits);
        assert_eq!((shown.entry(), shown.text()), (None, &kml[..]));
        assert!(matches!(shown.text, Cow::Borrowed(_)));
        assert!(placed_in_own_bytes(Format::Kml, kml));

        // UTF-16: the decoded text, which a pass over the file cannot place in.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<gpx>é</gpx>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let shown = Shown::of(&utf16, Some(Format::Gpx), &limits);
        assert_eq!(shown.text(), "<gpx>é</gpx>".as_bytes());
        assert!(!placed_in_own_bytes(Format::Gpx, &utf16));

        // A KMZ: its main KML, by name.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("files/readme.txt", opts).expect("entry");
        zip.start_file("trip.kml", opts).expect("entry");
        std::io::Write::write_all(&mut zip, kml).expect("write");
        let kmz = zip.finish().expect("zip").into_inner();
        let shown = Shown::of(&kmz, Some(Format::Kmz), &limits);
        assert_eq!((shown.entry(), shown.text()), (Some("trip.kml"), &kml[..]));
        let source = shown.source("trip.kmz");
        assert_eq!((source.name, source.entry), ("trip.kmz", Some("trip.kml")));
        assert!(!placed_in_own_bytes(Format::Kmz, &kmz));

        // Not an archive after all: its own bytes, no entry.
        let shown = Shown::of(b"PK\x03\x04 broken", Some(Format::Kmz), &limits);
        assert_eq!(shown.entry(), None);
        assert_eq!(shown.text(), b"PK\x03\x04 broken");

        // Handed over: the same text, the bytes kept or replaced.
        for (bytes, format) in [
            (&kml[..], Format::Kml),
            (&utf16, Format::Gpx),
            (&kmz, Format::Kmz),
        ] {
            let owned = Shown::of_owned(bytes.to_vec(), Some(format), &limits);
            let borrowed = Shown::of(bytes, Some(format), &limits);
            assert_eq!(
                (owned.entry(), owned.text()),
                (borrowed.entry(), borrowed.text())
            );
        }
    }
}
