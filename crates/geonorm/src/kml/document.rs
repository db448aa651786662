//! The KML document around its placemarks, written as they come: each placemark is
//! serialised apart ([`super::write::placemark`], on any thread) and kept in a
//! [`Spool`]; the end writes the head (the document's name, the shared styles and
//! the Schemas, all known only then), the placemarks of each group inside its Folder
//! (groups by parent, in group order), and the end. Memory holds the styles, the
//! fields and a few words per placemark, not the document.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use serde_json::Value;

use super::write::{element, placemark, text_or_cdata, FieldType, Placemark, Writer};
use super::WriteOptions;
use crate::diag::Losses;
use crate::spool::{write_pieces, Piece, Spool};
use crate::{Code, Diagnostic, Document, Group, GroupId, Metadata, Result, Span, Style};

/// What the document needs of a placemark at the end: 32 bytes each, the only memory
/// that grows with the document. It starts in the spool where the one before ended.
struct Entry {
    group: Option<GroupId>,
    span: Span,
    /// Where it ends in the spool.
    end: u64,
}

/// What writing one placemark met and lost.
struct Said {
    /// The placemark's place in [`DocWriter::entries`].
    at: usize,
    diags: Vec<Diagnostic>,
    lost: Losses,
}

/// Pieces of the document's end planned before they are written: 32 bytes each.
const PLAN: usize = 1 << 14;

/// A KML document written placemark by placemark, in the order they come.
pub(crate) struct DocWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    spool: Spool,
    entries: Vec<Entry>,
    /// What writing placemarks met and lost, in placemark order (most placemarks have
    /// nothing to say).
    said: Vec<Said>,
    /// Shared styles, in the order first used, with their ids.
    styles: Vec<(Style, String)>,
    /// The properties' types across the document, in the order first met.
    fields: Vec<(String, FieldType)>,
    /// Where each name is in `fields`: a search of the list for each would be quadratic.
    field_at: HashMap<String, usize>,
    track: Vec<(String, &'static str)>,
    /// Empty placemarks given an id so far.
    empty_ids: usize,
}

impl<W: Write> DocWriter<W> {
    /// A document to be written into `out`.
    pub(crate) fn new(out: W, opts: WriteOptions) -> Self {
        DocWriter {
            out,
            opts,
            spool: Spool::new(),
            entries: Vec::new(),
            said: Vec::new(),
            styles: Vec::new(),
            fields: Vec::new(),
            field_at: HashMap::new(),
            track: Vec::new(),
            empty_ids: 0,
        }
    }

    /// Takes the next placemark of the document.
    pub(crate) fn put(&mut self, p: Placemark) -> Result<()> {
        let Placemark {
            text,
            empty_id_at,
            style,
            group,
            span,
            fields,
            track,
            diags,
            lost,
        } = p;
        // The id of an empty placemark (in its start tag) and the id of its shared
        // style (further on) are the document's to give, in order; the rest was
        // written apart, and goes to the spool around them.
        let bytes = text.as_bytes();
        let mut from = 0;
        if let Some(at) = empty_id_at {
            self.empty_ids += 1;
            self.spool.push(bytes.get(from..at).unwrap_or_default())?;
            self.spool.push(b" id=\"geonorm-empty-")?;
            self.spool
                .push(itoa::Buffer::new().format(self.empty_ids).as_bytes())?;
            self.spool.push(b"\"")?;
            from = at;
        }
        if let Some((at, s)) = style {
            let n = self.style_number(s);
            self.spool.push(bytes.get(from..at).unwrap_or_default())?;
            // `#styleN` needs no escaping.
            self.spool.push(b"<styleUrl>#style")?;
            self.spool.push(itoa::Buffer::new().format(n).as_bytes())?;
            self.spool.push(b"</styleUrl>")?;
            from = at;
        }
        self.spool.push(bytes.get(from..).unwrap_or_default())?;
        for (k, t) in fields {
            match self.field_at.get(&k) {
                Some(&i) => self.fields[i].1 = self.fields[i].1.merge(t),
                None => {
                    self.field_at.insert(k.clone(), self.fields.len());
                    self.fields.push((k, t));
                }
            }
        }
        for (name, ty) in track {
            if !self.track.iter().any(|(n, _)| *n == name) {
                self.track.push((name, ty));
            }
        }
        if !diags.is_empty() || !lost.is_empty() {
            self.said.push(Said {
                at: self.entries.len(),
                diags,
                lost,
            });
        }
        self.entries.push(Entry {
            group,
            span,
            end: self.spool.len(),
        });
        Ok(())
    }

    /// Puts the `at`-th placemark in group `id` (a group it named, known at the end).
    pub(crate) fn set_group(&mut self, at: usize, id: GroupId) {
        if let Some(e) = self.entries.get_mut(at) {
            e.group = Some(id);
        }
    }

    /// The number of `s` among the shared styles (`styleN`), given in the order first
    /// used.
    fn style_number(&mut self, s: Style) -> usize {
        if let Some(i) = self.styles.iter().position(|(st, _)| *st == s) {
            return i + 1;
        }
        let n = self.styles.len() + 1;
        self.styles.push((s, format!("style{n}")));
        n
    }

    /// Writes the document: its head, the placemarks in their folders, its end.
    /// Returns the output and what could not be written as it was.
    pub(crate) fn finish(
        mut self,
        meta: &Metadata,
        groups: &[Group],
    ) -> Result<(W, Vec<Diagnostic>)> {
        let opts = self.opts.clone();
        let mut w = Writer::new(&opts);
        for (k, t) in &self.fields {
            if *t == FieldType::Text {
                w.diags.push(Diagnostic::new(
                    Code::WriteNotRepresentable,
                    format!("property `{k}` has mixed types, objects or arrays; written as text, it reads back as text"),
                ));
            }
        }
        w.buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n");
        if let Some(n) = meta.title() {
            element(&mut w.buf, "name", n);
        }
        if let Some(d) = &meta.description {
            w.buf.push_str("<description>");
            text_or_cdata(&mut w.buf, d);
            w.buf.push_str("</description>");
        }
        for k in meta.extra.keys().filter(|k| !meta.member_is_title(k)) {
            w.diags.push(Diagnostic::new(
                Code::WriteNotRepresentable,
                format!("document member `{k}` has no KML form; not written"),
            ));
        }
        w.write_styles(&self.styles);
        w.write_schemas(&self.fields, &self.track);
        w.buf.push('\n');

        // Placemarks by group, in document order; groups by parent, in group order.
        let known: HashSet<GroupId> = groups.iter().map(|g| g.id).collect();
        let mut by_group: HashMap<Option<GroupId>, Vec<usize>> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            let g = e.group.filter(|g| known.contains(g));
            if e.group.is_some() && g.is_none() {
                w.diags.push(
                    Diagnostic::new(
                        Code::WriteNotRepresentable,
                        format!(
                            "feature's group {} is not declared; written outside any folder",
                            e.group.map_or(0, GroupId::get)
                        ),
                    )
                    .at(e.span),
                );
            }
            by_group.entry(g).or_default().push(i);
        }
        let mut children: HashMap<Option<GroupId>, Vec<usize>> = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            let parent = g.parent.filter(|p| known.contains(p) && *p != g.id);
            children.entry(parent).or_default().push(i);
        }
        // Placemarks, then folders, depth first; an explicit stack, so a deep tree cannot
        // exhaust the call stack, and a visited set, so a parent cycle cannot loop.
        enum Step {
            Open(usize),
            Close,
        }
        let mut visited = HashSet::new();
        // The document as pieces (its text and runs of the spool), written at the end.
        let mut plan = Vec::new();
        self.placemarks(&mut w, &mut plan, by_group.get(&None))?;
        let mut stack: Vec<Step> = children
            .get(&None)
            .into_iter()
            .flatten()
            .rev()
            .map(|&i| Step::Open(i))
            .collect();
        while let Some(step) = stack.pop() {
            match step {
                Step::Close => w.buf.push_str("</Folder>\n"),
                Step::Open(i) => {
                    let Some(g) = groups.get(i) else { continue };
                    if !visited.insert(g.id) {
                        continue;
                    }
                    w.buf.push_str("<Folder>");
                    element(&mut w.buf, "name", &g.title);
                    for (k, v) in &g.extra {
                        match (k.as_str(), v) {
                            (
                                "description" | "visibility" | "address" | "phoneNumber"
                                | "Snippet",
                                Value::String(s),
                            ) => element(&mut w.buf, k, s),
                            _ => w.lose(format!("group member `{k}`")),
                        }
                    }
                    w.buf.push('\n');
                    self.placemarks(&mut w, &mut plan, by_group.get(&Some(g.id)))?;
                    stack.push(Step::Close);
                    stack.extend(
                        children
                            .get(&Some(g.id))
                            .into_iter()
                            .flatten()
                            .rev()
                            .map(|&c| Step::Open(c)),
                    );
                }
            }
        }
        // Groups whose parents form a cycle were never reached from the top: write them
        // at the top rather than lose their features.
        for g in groups {
            if !visited.contains(&g.id) {
                visited.insert(g.id);
                w.diags.push(Diagnostic::new(
                    Code::WriteNotRepresentable,
                    format!(
                        "group \"{}\" is its own ancestor; written at the top level",
                        g.title
                    ),
                ));
                w.buf.push_str("<Folder>");
                element(&mut w.buf, "name", &g.title);
                self.placemarks(&mut w, &mut plan, by_group.get(&Some(g.id)))?;
                w.buf.push_str("</Folder>\n");
            }
        }
        w.buf.push_str("</Document>\n</kml>\n");
        plan.push(Piece::Text(std::mem::take(&mut w.buf).into_bytes()));
        write_pieces(std::slice::from_mut(&mut self.spool), &plan, &mut self.out)?;
        self.out.flush()?;
        let lost = std::mem::take(&mut w.lost);
        w.diags.extend(lost.into_diagnostics("KML"));
        Ok((self.out, w.diags))
    }

    /// Puts what `w` holds, then the placemarks `at` (in the spool's order, so runs
    /// of them are one piece), into `plan`, taking what each met. A long plan is
    /// written at once: memory holds [`PLAN`] pieces, not one per placemark.
    fn placemarks(
        &mut self,
        w: &mut Writer,
        plan: &mut Vec<Piece>,
        at: Option<&Vec<usize>>,
    ) -> Result<()> {
        if !w.buf.is_empty() {
            plan.push(Piece::Text(std::mem::take(&mut w.buf).into_bytes()));
        }
        let mut run: Option<(u64, u64)> = None;
        for &i in at.into_iter().flatten() {
            let start = match i.checked_sub(1) {
                Some(before) => self.entries.get(before).map_or(0, |e| e.end),
                None => 0,
            };
            let Some(end) = self.entries.get(i).map(|e| e.end) else {
                continue;
            };
            // `said` is in placemark order: its own, if any, is found by a search.
            if let Ok(k) = self.said.binary_search_by_key(&i, |s| s.at) {
                if let Some(said) = self.said.get_mut(k) {
                    w.diags.append(&mut said.diags);
                    w.lost.append(std::mem::take(&mut said.lost));
                }
            }
            run = match run {
                Some((from, to)) if to == start => Some((from, end)),
                Some((from, to)) => {
                    self.plan_run(plan, from, to)?;
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some((from, to)) = run {
            self.plan_run(plan, from, to)?;
        }
        Ok(())
    }

    /// Puts the spool's bytes `start..end` into `plan`, writing the plan out once it
    /// holds [`PLAN`] pieces.
    fn plan_run(&mut self, plan: &mut Vec<Piece>, start: u64, end: u64) -> Result<()> {
        plan.push(Piece::Range {
            spool: 0,
            start,
            end,
        });
        if plan.len() >= PLAN {
            write_pieces(std::slice::from_mut(&mut self.spool), plan, &mut self.out)?;
            plan.clear();
        }
        Ok(())
    }
}

/// Writes `doc` as KML 2.2 and returns what could not be written as it was.
///
/// ```
/// let (doc, _) = geonorm::read(&br#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","geometry":{"type":"Point","coordinates":[7.6586,45.9763,4478]},
///    "properties":{"title":"Matterhorn","group":1}}],"groups":[{"title":"Peaks","id":1}]}"#[..], &Default::default())?.into_parts();
/// let mut kml = Vec::new();
/// geonorm::kml::write(&doc, &mut kml, &Default::default())?;
/// let (back, _) = geonorm::read(&kml[..], &Default::default())?.into_parts();
/// assert_eq!(back.features[0].title.as_deref(), Some("Matterhorn"));
/// assert_eq!(back.groups[0].title, "Peaks");
/// # Ok::<(), geonorm::Error>(())
/// ```
pub fn write<W: Write>(doc: &Document, out: W, opts: &WriteOptions) -> Result<Vec<Diagnostic>> {
    let mut w = DocWriter::new(out, opts.clone());
    for f in &doc.features {
        w.put(placemark(f, opts))?;
    }
    Ok(w.finish(&doc.meta, &doc.groups)?.1)
}
