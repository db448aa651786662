//! The GPX document around its features, written as they come: each feature is
//! serialised apart ([`super::write::gpx_parts`], on any thread) into its waypoints,
//! routes and tracks, which GPX wants in that order: the waypoints and routes wait in
//! [`Spool`]s, the tracks too (the metadata, which comes first, is known only at the
//! end), and the end writes the head, then each part in turn. Memory holds a bounded
//! buffer per part and what was said, not the document.

use std::io::Write;

use serde_json::Value;

use super::ctx::is_datetime;
use super::write::{escape, gpx_parts, GpxParts, Writer};
use super::WriteOptions;
use crate::diag::Losses;
use crate::spool::{write_pieces, Piece, Spool};
use crate::{Code, Diagnostic, Document, Group, Metadata, Result};

/// A GPX document written feature by feature, in the order they come.
pub(crate) struct DocWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    /// Waypoints, routes, tracks.
    parts: [Spool; 3],
    /// What writing each part met and lost, in order.
    diags: [Vec<Diagnostic>; 3],
    lost: [Losses; 3],
}

impl<W: Write> DocWriter<W> {
    /// A document to be written into `out`.
    pub(crate) fn new(out: W, opts: WriteOptions) -> Self {
        DocWriter {
            out,
            opts,
            parts: [Spool::new(), Spool::new(), Spool::new()],
            diags: Default::default(),
            lost: Default::default(),
        }
    }

    /// Takes the next feature of the document.
    pub(crate) fn put(&mut self, p: GpxParts) -> Result<()> {
        let GpxParts {
            parts, diags, lost, ..
        } = p;
        for (i, ((text, diags), lost)) in parts.into_iter().zip(diags).zip(lost).enumerate() {
            if let Some(spool) = self.parts.get_mut(i) {
                spool.push(text.as_bytes())?;
            }
            if let Some(d) = self.diags.get_mut(i) {
                d.extend(diags);
            }
            if let Some(l) = self.lost.get_mut(i) {
                l.append(lost);
            }
        }
        Ok(())
    }

    /// Writes the document: its head and metadata, the waypoints, the routes, the
    /// tracks. Returns the output and what could not be written as it was.
    pub(crate) fn finish(
        mut self,
        meta: &Metadata,
        groups: &[Group],
    ) -> Result<(W, Vec<Diagnostic>)> {
        let opts = self.opts.clone();
        let mut w = Writer::new(&opts);
        w.buf.push_str(concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<gpx version=\"1.1\" creator=\"geonorm\" xmlns=\"http://www.topografix.com/GPX/1/1\"",
            " xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v2\"",
            " xmlns:gpx_style=\"http://www.topografix.com/GPX/gpx_style/0/2\">\n"
        ));
        metadata(&mut w, meta);
        let head = std::mem::take(&mut w.buf).into_bytes();
        let pieces = [
            Piece::Text(head),
            self.parts[0].whole(0),
            self.parts[1].whole(1),
            self.parts[2].whole(2),
            Piece::Text(b"</gpx>\n".to_vec()),
        ];
        write_pieces(&mut self.parts, &pieces, &mut self.out)?;
        self.out.flush()?;
        let mut diags = w.diags;
        for d in self.diags {
            diags.extend(d);
        }
        if !groups.is_empty() {
            diags.push(Diagnostic::new(
                Code::WriteNotRepresentable,
                format!(
                    "GPX has no groups: {}",
                    if groups.len() == 1 {
                        "1 group not written, its features are".to_string()
                    } else {
                        format!("{} groups not written, their features are", groups.len())
                    }
                ),
            ));
        }
        let mut lost = w.lost;
        for l in self.lost {
            lost.append(l);
        }
        diags.extend(lost.into_diagnostics("GPX"));
        Ok((self.out, diags))
    }
}

/// Writes `doc` as GPX 1.1 and returns what could not be written as it was.
///
/// ```
/// let (doc, _) = geonorm::read(&br#"{"type":"Feature","geometry":{"type":"LineString",
///   "coordinates":[[7.74,46.02,1608],[7.73,46.01,1625]]},"properties":{"title":"Run",
///   "coordinateProperties":{"times":["2024-07-14T06:30:00Z","2024-07-14T06:31:10Z"],"heart":[121,134]}}}"#[..], &Default::default())?.into_parts();
/// let mut gpx = Vec::new();
/// geonorm::gpx::write(&doc, &mut gpx, &Default::default())?;
/// let text = String::from_utf8(gpx).unwrap();
/// assert!(text.contains("<trkpt lat=\"46.02\" lon=\"7.74\"><ele>1608</ele><time>2024-07-14T06:30:00Z</time>"));
/// assert!(text.contains("<gpxtpx:hr>121</gpxtpx:hr>"));
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn write<W: Write>(doc: &Document, out: W, opts: &WriteOptions) -> Result<Vec<Diagnostic>> {
    let mut w = DocWriter::new(out, opts.clone());
    for f in &doc.features {
        w.put(gpx_parts(f, opts))?;
    }
    Ok(w.finish(&doc.meta, &doc.groups)?.1)
}

/// The document's `<metadata>`, when it has any GPX holds.
fn metadata(w: &mut Writer, m: &Metadata) {
    let known = ["author", "copyright", "links", "time", "keywords", "bounds"];
    if m.title().is_none()
        && m.description.is_none()
        && !m.extra.keys().any(|k| known.contains(&k.as_str()))
    {
        for k in m.extra.keys() {
            w.lose(format!("document member `{k}`"));
        }
        return;
    }
    w.buf.push_str("<metadata>");
    if let Some(n) = m.title() {
        w.element("name", n);
    }
    if let Some(d) = &m.description {
        w.element("desc", d);
    }
    if let Some(Value::Object(a)) = m.extra.get("author") {
        w.buf.push_str("<author>");
        if let Some(n) = a.get("name").and_then(Value::as_str) {
            w.element("name", n);
        }
        if let Some(Value::Object(e)) = a.get("email") {
            if let (Some(id), Some(domain)) = (
                e.get("id").and_then(Value::as_str),
                e.get("domain").and_then(Value::as_str),
            ) {
                w.buf.push_str(&format!(
                    "<email id=\"{}\" domain=\"{}\"/>",
                    escape(id),
                    escape(domain)
                ));
            }
        }
        w.buf.push_str("</author>");
    }
    if let Some(Value::Object(c)) = m.extra.get("copyright") {
        let author = c.get("author").and_then(Value::as_str).unwrap_or("");
        w.buf
            .push_str(&format!("<copyright author=\"{}\">", escape(author)));
        for k in ["year", "license"] {
            if let Some(v) = c.get(k).and_then(Value::as_str) {
                w.element(k, v);
            }
        }
        w.buf.push_str("</copyright>");
    }
    if let Some(Value::Array(links)) = m.extra.get("links") {
        for l in links {
            if let Some(href) = l.get("href").and_then(Value::as_str) {
                w.buf.push_str(&format!("<link href=\"{}\">", escape(href)));
                if let Some(t) = l.get("text").and_then(Value::as_str) {
                    w.element("text", t);
                }
                w.buf.push_str("</link>");
            }
        }
    }
    match m.extra.get("time") {
        Some(Value::String(t)) if is_datetime(t) => w.element("time", t),
        // The document has no place in the source to point at.
        Some(Value::String(t)) => w.bad_time(None, "the document's time", t, 1),
        Some(_) => w.lose("a document time that is not text".into()),
        None => {}
    }
    if let Some(Value::String(v)) = m.extra.get("keywords") {
        w.element("keywords", v);
    }
    if let Some(Value::Object(b)) = m.extra.get("bounds") {
        let get = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("0").to_string();
        w.buf.push_str(&format!(
            "<bounds minlat=\"{}\" minlon=\"{}\" maxlat=\"{}\" maxlon=\"{}\"/>",
            escape(&get("minlat")),
            escape(&get("minlon")),
            escape(&get("maxlat")),
            escape(&get("maxlon"))
        ));
    }
    w.buf.push_str("</metadata>\n");
    for k in m.extra.keys() {
        if !known.contains(&k.as_str()) && !m.member_is_title(k) {
            w.lose(format!("document member `{k}`"));
        }
    }
}
