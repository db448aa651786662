//! The files a KMZ written carries beside its KML: each local icon and photo its
//! features refer to, read from the archive or the folder the input came from
//! ([`Files`], within its limits) and added under the path the reference gives, so
//! that the reference still leads to it. What cannot be carried is a diagnostic at the
//! first feature that refers to it; the reference is kept as it was.

use std::collections::HashSet;

use super::href::{classify, html_unescaped, img_tags, percent_decoded, Href};
use super::{AssetKind, Fetched, Files};
use crate::{Code, Diagnostic, Feature, Span};

/// One distinct reference to a local file.
#[derive(Debug, Clone)]
struct Ref {
    kind: AssetKind,
    /// As the document wrote it (HTML escapes decoded).
    href: String,
    /// The first feature that uses it.
    span: Span,
}

/// The local files a document refers to, noted feature by feature as it goes by (a
/// stream), each distinct reference once, in the order of first use: what a KMZ
/// written from it is to carry ([`Refs::carry`]), or what a KMZ's check looks up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Refs {
    seen: HashSet<(AssetKind, String)>,
    list: Vec<Ref>,
}

impl Refs {
    /// Notes the icon of `f` and the `src` of each `<img>` of its description, when
    /// they are files (not web addresses).
    pub(crate) fn note(&mut self, f: &Feature) {
        if let Some(icon) = &f.style.icon {
            self.add(AssetKind::Marker, icon.clone(), f.span);
        }
        if let Some(desc) = &f.description {
            for (_, src) in img_tags(desc) {
                if let Some(v) = desc.get(src) {
                    self.add(AssetKind::Image, html_unescaped(v), f.span);
                }
            }
        }
    }

    fn add(&mut self, kind: AssetKind, href: String, span: Span) {
        let local = match classify(&href) {
            Href::Local(p) => !p.is_empty(),
            Href::Absolute => true,
            Href::Remote | Href::Google => false,
        };
        if local && self.seen.insert((kind, href.clone())) {
            self.list.push(Ref { kind, href, span });
        }
    }

    /// Whether no file is referred to.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// For a KMZ's check: each reference `holds` says the archive lacks is
    /// `asset/missing`, each leading out of it `asset/outside`, at the first feature
    /// that uses it. `holds` looks the path up without reading the file.
    pub(crate) fn lacking(&self, holds: &mut dyn FnMut(&str) -> Option<bool>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for r in &self.list {
            let found = match classify(&r.href) {
                Href::Local(path) => match holds(&path) {
                    Some(false) => match percent_decoded(&path) {
                        Some(decoded) => holds(&decoded),
                        None => Some(false),
                    },
                    other => other,
                },
                _ => None,
            };
            let failed = match found {
                Some(true) => continue,
                Some(false) => Fetched::Missing,
                None => Fetched::Outside,
            };
            out.push(not_carried(r, failed, &super::Limits::default()));
        }
        out
    }

    /// Reads each file from `files` (`None`: there is nowhere to read them from) and
    /// hands it to `add` with the path it goes under in the KMZ; answers what could
    /// not be carried. Fails only when `add` does (the output).
    pub(crate) fn carry(
        &self,
        mut files: Option<&mut dyn Files>,
        add: &mut dyn FnMut(&str, &[u8]) -> crate::Result<()>,
    ) -> crate::Result<Vec<Diagnostic>> {
        let mut out = Vec::new();
        // Paths already added (two references may name one file: `a.png`, `./a.png`).
        let mut added: HashSet<String> = HashSet::new();
        for r in &self.list {
            let path = match classify(&r.href) {
                Href::Local(p) => p,
                _ => {
                    out.push(not_carried(r, Fetched::Outside, &Default::default()));
                    continue;
                }
            };
            let Some(files) = files.as_deref_mut() else {
                out.push(nowhere(r));
                continue;
            };
            let limits = files.limits();
            // The KML is the archive's doc.kml: a file of that name cannot go beside it.
            if path.eq_ignore_ascii_case("doc.kml") {
                let why = "names the KMZ's own doc.kml".to_string();
                out.push(not_carried(r, Fetched::Failed(why), &limits));
                continue;
            }
            if added.contains(&path) {
                continue;
            }
            let mut name = path.clone();
            let mut fetched = files.fetch(&path);
            if matches!(fetched, Fetched::Missing) {
                if let Some(decoded) = percent_decoded(&path) {
                    // Written as a URL (`My%20Photo.jpg`): the file has the decoded
                    // name, which a reader of the KMZ decodes the reference to.
                    fetched = files.fetch(&decoded);
                    name = decoded;
                }
            }
            match fetched {
                Fetched::Found { bytes, .. } => {
                    if added.insert(name.clone()) {
                        add(&name, &bytes)?;
                    }
                    added.insert(path);
                }
                failed => out.push(not_carried(r, failed, &limits)),
            }
        }
        Ok(out)
    }
}

fn what(kind: AssetKind) -> &'static str {
    match kind {
        AssetKind::Marker => "icon",
        AssetKind::Image => "photo",
    }
}

/// What is said of a reference that cannot be carried, with the code of `failed`.
fn not_carried(r: &Ref, failed: Fetched, limits: &super::Limits) -> Diagnostic {
    let (code, why) = match failed.found(limits) {
        Ok(_) => (Code::AssetMissing, "is not in the KMZ".to_string()),
        Err(e) => e,
    };
    Diagnostic::new(
        code,
        format!(
            "the {} {} {why}: a KMZ written from this document does not carry it (the reference is kept)",
            what(r.kind),
            r.href
        ),
    )
    .at(r.span)
}

/// What is said when there is no archive or folder to carry a file from.
fn nowhere(r: &Ref) -> Diagnostic {
    Diagnostic::new(
        Code::AssetMissing,
        format!(
            "the {} {} is a file beside the document, which was not read from a KMZ or a KML's folder: the KMZ written does not carry it (the reference is kept)",
            what(r.kind),
            r.href
        ),
    )
    .at(r.span)
}

/// The references of a document and where to read their files: what a KMZ written
/// from it carries ([`crate::kmz::Carry`]).
pub(crate) struct Carrier<'a> {
    refs: &'a Refs,
    files: Option<&'a mut dyn Files>,
}

impl<'a> Carrier<'a> {
    /// Carries the files of `refs` read from `files`.
    pub(crate) fn new(refs: &'a Refs, files: Option<&'a mut dyn Files>) -> Self {
        Carrier { refs, files }
    }
}

impl crate::kmz::Carry for Carrier<'_> {
    fn carry(
        &mut self,
        add: &mut dyn FnMut(&str, &[u8]) -> crate::Result<()>,
    ) -> crate::Result<Vec<Diagnostic>> {
        let files = self.files.as_deref_mut().map(|f| f as &mut dyn Files);
        self.refs.carry(files, add)
    }
}

/// Writes `doc` as a KMZ that carries the files its features refer to: each local
/// icon and photo (`<img src>` in a description) read from `files` (the archive, or
/// the KML's folder, the document was read from: [`crate::kmz::files`],
/// [`super::DirFiles`]), within its limits, under the path the reference gives. Each
/// that cannot be carried (missing, outside, over a limit, unreadable; every one when
/// `files` is `None`) is a diagnostic at the first feature that uses it, and its
/// reference is kept. [`crate::convert`] to KMZ does the same as it streams.
pub fn write_kmz<W: std::io::Write>(
    doc: &crate::Document,
    out: W,
    opts: &crate::kml::WriteOptions,
    files: Option<&mut dyn Files>,
) -> crate::Result<Vec<Diagnostic>> {
    let mut refs = Refs::default();
    doc.features.iter().for_each(|f| refs.note(f));
    let files = files.map(|f| f as &mut dyn Files);
    let mut carrier = Carrier::new(&refs, files);
    crate::kmz::write_zip(doc, out, opts, Some(&mut carrier))
}
