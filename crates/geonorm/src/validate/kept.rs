//! The document a check keeps as it reads, for a caller that needs it whole beside
//! the report ([`super::CheckOptions::keep_document`], the whole conversion): one read of the
//! input gives both, the document being what [`crate::read`] gives.

use crate::{Document, Error, Feature, Format, Group, Metadata, Result};

/// What a check keeps of the document it reads: the features in the file's order, as
/// the reader gives them, and once reading ends the document's data and groups, or
/// what stopped the reader (then there is no document, as `read` has none).
#[derive(Default)]
pub(crate) struct Kept {
    features: Vec<Feature>,
    end: Option<Result<(Metadata, Vec<Group>)>>,
}

impl Kept {
    /// The next feature in the file's order.
    pub(super) fn feature(&mut self, f: Feature) {
        self.features.push(f);
    }

    /// Reading ended: the document's data and groups.
    pub(super) fn read_to_end(&mut self, meta: Metadata, groups: Vec<Group>) {
        self.end = Some(Ok((meta, groups)));
    }

    /// A GeoJSON document read to its end: its features' group names resolved against
    /// its groups (`index` as read) as [`crate::read`] resolves them, creating the groups
    /// it creates (the report already says so).
    pub(super) fn geojson_to_end(
        &mut self,
        meta: Metadata,
        groups: Vec<Group>,
        index: &crate::geojson::read::GroupIndex,
    ) {
        let mut doc = Document {
            meta,
            groups,
            features: std::mem::take(&mut self.features),
        };
        crate::geojson::read::resolve_group_names(&mut doc, index, &mut Vec::new());
        self.features = doc.features;
        self.read_to_end(doc.meta, doc.groups);
    }

    /// What stopped the reader: there is no document. The first word stands.
    pub(super) fn stopped(&mut self, e: Error) {
        self.features = Vec::new();
        self.end.get_or_insert(Err(e));
    }

    /// What the check said without reading (binary data, an undetected format), as
    /// `read` refuses it.
    pub(super) fn refused(&mut self, format: Option<Format>) {
        self.stopped(match format {
            Some(format) => Error::NotFormat {
                format,
                message: crate::BINARY.into(),
            },
            None => Error::Undetected,
        });
    }

    /// The document, or what stopped the reader.
    pub(crate) fn document(self) -> Result<Document> {
        match self.end {
            Some(Ok((meta, groups))) => Ok(Document {
                meta,
                groups,
                features: self.features,
            }),
            Some(Err(e)) => Err(e),
            // Every road of the check ends with one of the above; were one not to,
            // there is no document to give.
            None => Err(Error::Undetected),
        }
    }
}

#[cfg(test)]
mod tests {
    //! One read gives what two gave: the report [`crate::check`] gives and the
    //! document [`crate::read`] gives (or its error), on every map file of testdata.

    use crate::validate::CheckOptions;
    use crate::{Document, Input, Result};

    /// The document, or its error, as text: every field, the places of positions too.
    fn shown(doc: &Result<Document>) -> String {
        match doc {
            Ok(d) => format!("{d:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    /// `check` keeping the document against `check` and `read` on `bytes`, given as
    /// bytes or as a stream.
    fn agree(bytes: &[u8], opts: &CheckOptions, stream: bool, what: &str) -> bool {
        let input = || -> Input<'_> {
            if stream {
                Input::reader(bytes)
            } else {
                Input::Bytes(bytes)
            }
        };
        let report = crate::check(input(), opts).expect("check");
        let read = crate::read(input(), &opts.read).map(|p| p.document);
        let keeping = CheckOptions {
            keep_document: true,
            ..opts.clone()
        };
        let mut one_report = crate::check(input(), &keeping).expect("check keeping");
        let one_doc = one_report.document.take().expect("the document kept");
        assert!(report.document.is_none(), "{what}: kept unasked");
        assert_eq!(one_report.format, report.format, "{what}");
        assert_eq!(one_report.diagnostics, report.diagnostics, "{what}");
        assert_eq!(shown(&one_doc), shown(&read), "{what}");
        read.is_ok()
    }

    #[test]
    fn one_read_gives_the_report_check_gives_and_the_document_read_gives() {
        let (mut read, mut refused) = (0, 0);
        for p in crate::testdata::files(&["kml", "kmz", "gpx", "geojson", "json"]) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let what = p.display().to_string();
            let mut opts = CheckOptions::default();
            opts.read.name = Some(p.clone());
            if agree(&bytes, &opts, false, &what) {
                read += 1;
            } else {
                refused += 1;
            }
            // Streamed in small batches on three threads, and checked as a send checks
            // it (its format given, MapHub Enterprise's rules).
            opts.read.threads = 3;
            opts.read.batch_bytes = 700;
            agree(&bytes, &opts, true, &what);
            opts.read.batch_bytes = 0;
            opts.read.format = crate::Format::detect(&bytes, Some(&p));
            opts.profile = crate::validate::Profile::Enterprise;
            agree(&bytes, &opts, false, &what);
        }
        // Files read and files refused were both compared.
        assert!(read > 200 && refused > 0, "read {read}, refused {refused}");
    }
}
