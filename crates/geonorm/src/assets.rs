//! Icons and photos a KMZ carries (or a KML's folder holds), made ready for MapHub
//! (feature `assets`).
//!
//! A KMZ zips its KML with the files it refers to: custom placemark icons
//! (`IconStyle/Icon/href`) and photos shown in descriptions (`<img src>`). MapHub shows
//! them only once they are uploaded: an icon with `marker/upload` (PNG only), whose
//! `marker_id` the feature then carries, and a photo with `image/upload` (JPEG or PNG),
//! whose answer becomes the feature's `image`. [`plan`] finds what a document uses and
//! reads and prepares each distinct file once; [`apply_uploaded`] writes what MapHub
//! answered into the features; [`apply_paths`] points the references at files written
//! beside a converted document instead.
//!
//! Only local references are read: a relative path inside the archive, or inside the
//! KML's own folder on disk. Web addresses are not fetched (Google Earth's own icons,
//! `maps.google.com/mapfiles/kml/…`, keep the `marker-color` and `marker-symbol` the
//! reader gives them), and a path that leads out of the folder is not followed, so a
//! file received from someone else cannot make geonorm send the user's other files.

use std::collections::HashMap;
use std::io::Cursor;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{Code, Diagnostic, Document, Feature, Geometry, Span};

mod budget;
mod carry;
mod href;
mod picture;

pub use self::budget::{
    Budget, Fetched, Files, Limits, ASSET_RATIO_FLOOR, MARKER_MAX_SIDE, MAX_ASSET_BYTES,
};
pub use self::carry::write_kmz;
pub(crate) use self::carry::{Carrier, Refs};
pub(crate) use self::href::img_tags;
use self::href::{classify, html_unescaped, percent_decoded, Href};
use self::picture::{keep_as_is, prepare_image, prepare_marker, Pixels};

/// What an asset becomes on MapHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetKind {
    /// A custom point icon (`marker/upload`).
    Marker,
    /// A photo (`image/upload`).
    Image,
}

impl AssetKind {
    /// `marker` or `image`.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Marker => "marker",
            AssetKind::Image => "image",
        }
    }
}

/// What the assets are planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Uploading to MapHub: icons of points become markers (PNG, scaled down when
    /// huge), the first local photo of each description becomes its feature's image
    /// (JPEG or PNG).
    Maphub,
    /// Writing the files beside a converted document: every local icon and photo, as
    /// the source holds it.
    Files,
}

/// One distinct file, ready to send or write.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    /// What it becomes.
    pub kind: AssetKind,
    /// The reference as the document first wrote it.
    pub href: String,
    /// Where it was read: the archive entry, or the path under the KML's folder.
    pub source: String,
    /// Its file type: `png` or `jpg` for MapHub; as found (`gif`, `bmp`…) for
    /// [`Purpose::Files`].
    pub file_type: &'static str,
    /// The bytes to send or write.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, in hex: one upload per distinct content.
    pub hash: String,
    /// Width in pixels (0 when not decoded).
    pub width: u32,
    /// Height in pixels (0 when not decoded).
    pub height: u32,
}

/// How a feature uses an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseKind {
    /// As its icon (`style.icon`).
    Icon,
    /// As a photo in its description: the `<img>` tag's byte range and its `src`
    /// value's, in the description.
    Photo {
        /// The whole tag, `<img …>`.
        tag: Range<usize>,
        /// The `src` value as written (without quotes).
        src: Range<usize>,
    },
}

/// A feature's use of an asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The feature's index in the document.
    pub feature: usize,
    /// The asset's index in [`Plan::assets`].
    pub asset: usize,
    /// How.
    pub kind: UseKind,
}

/// The assets a document uses, and what could not be used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Each distinct file once, in the order the document first uses it.
    pub assets: Vec<Asset>,
    /// Every use, in feature order.
    pub uses: Vec<Use>,
    /// What was changed, left out or could not be read.
    pub diagnostics: Vec<Diagnostic>,
    /// The reference each diagnostic is about, to place it ([`Plan::locate`]).
    refs: Vec<String>,
}

impl Plan {
    /// How many assets of `kind`.
    pub fn count(&self, kind: AssetKind) -> usize {
        self.assets.iter().filter(|a| a.kind == kind).count()
    }

    /// Places each diagnostic at the first place the main KML (`kml`) writes the
    /// reference it is about, and sorts them by position. Apart from planning, so a
    /// KMZ's KML is decompressed again only when there is something to place.
    pub fn locate(&mut self, kml: &[u8]) {
        // Each reference's first place, all found in one pass over the KML: a search
        // per finding would be quadratic for a document of a hundred thousand icons.
        let mut wanted: Vec<&str> = self.refs.iter().map(String::as_str).collect();
        wanted.retain(|h| !h.is_empty());
        wanted.sort_unstable();
        wanted.dedup();
        let mut first: HashMap<&str, usize> = HashMap::new();
        if let Ok(searcher) = aho_corasick::AhoCorasick::new(&wanted) {
            for m in searcher.find_overlapping_iter(kml) {
                first
                    .entry(wanted[m.pattern().as_usize()])
                    .or_insert(m.start());
                if first.len() == wanted.len() {
                    break;
                }
            }
        }
        for (d, href) in self.diagnostics.iter_mut().zip(&self.refs) {
            if let Some(&at) = first.get(href.as_str()) {
                d.span = Some(Span::new(at, at + href.len()));
            }
        }
        let mut placed: Vec<(Diagnostic, String)> = std::mem::take(&mut self.diagnostics)
            .into_iter()
            .zip(std::mem::take(&mut self.refs))
            .collect();
        placed.sort_by_key(|(d, _)| d.span.map(|s| s.start));
        (self.diagnostics, self.refs) = placed.into_iter().unzip();
    }

    /// Says `d` about the reference `href`.
    fn say(&mut self, d: Diagnostic, href: &str) {
        self.diagnostics.push(d);
        self.refs.push(href.to_string());
    }

    /// The features that use asset `asset`.
    pub fn features_of(&self, asset: usize) -> impl Iterator<Item = usize> + '_ {
        self.uses
            .iter()
            .filter(move |u| u.asset == asset)
            .map(|u| u.feature)
    }
}

/// What places a document's files elsewhere for [`crate::convert`]
/// ([`crate::ConvertOptions::place_files`]): given the plan of the files the document uses
/// ([`Purpose::Files`]; `None` when its source holds none of its own: only a KMZ, or a
/// KML whose folder is known, does), it writes them where it chooses and answers, for
/// each asset, its path relative to the converted document, which the references are
/// pointed at ([`apply_paths`]). What it fails with stops the conversion, before the
/// document is written.
#[derive(Clone)]
pub struct PlaceFiles(std::sync::Arc<PlaceFn>);

/// The function a [`PlaceFiles`] calls.
type PlaceFn = dyn Fn(Option<&Plan>) -> std::io::Result<Vec<Option<String>>> + Send + Sync;

impl PlaceFiles {
    /// Places the files with `place`.
    pub fn new(
        place: impl Fn(Option<&Plan>) -> std::io::Result<Vec<Option<String>>> + Send + Sync + 'static,
    ) -> Self {
        PlaceFiles(std::sync::Arc::new(place))
    }

    /// Places the files of `plan`.
    pub fn place(&self, plan: Option<&Plan>) -> std::io::Result<Vec<Option<String>>> {
        (self.0)(plan)
    }
}

impl std::fmt::Debug for PlaceFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlaceFiles(..)")
    }
}

/// The files of a folder on disk, for a KML that refers to its icons and photos by
/// relative paths. Nothing outside the folder is read, through `..` or a symbolic link.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
    budget: Budget,
}

impl DirFiles {
    /// The files under `dir`, within the default [`Limits`].
    pub fn new(dir: &Path) -> std::io::Result<DirFiles> {
        DirFiles::with_limits(dir, &Limits::default())
    }

    /// The files under `dir`, read within `limits`.
    pub fn with_limits(dir: &Path, limits: &Limits) -> std::io::Result<DirFiles> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        Ok(DirFiles {
            root: std::fs::canonicalize(dir)?,
            budget: Budget::new(limits),
        })
    }
}

impl Files for DirFiles {
    fn fetch(&mut self, path: &str) -> Fetched {
        let rel = Path::new(path);
        if !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Fetched::Outside;
        }
        let full = self.root.join(rel);
        let real = match std::fs::canonicalize(&full) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Fetched::Missing,
            Err(e) => return Fetched::Failed(e.to_string()),
        };
        if !real.starts_with(&self.root) {
            return Fetched::Outside;
        }
        match std::fs::metadata(&real) {
            Ok(m) if !m.is_file() => return Fetched::Missing,
            Ok(m) if m.len() > self.budget.limits().max_bytes => return Fetched::TooLarge(m.len()),
            Ok(_) => {}
            Err(e) => return Fetched::Failed(e.to_string()),
        }
        // A file that grew since is cut at the limit all the same.
        self.budget.read(path, std::fs::File::open(&real))
    }

    fn limits(&self) -> Limits {
        *self.budget.limits()
    }
}

fn is_point(f: &Feature) -> bool {
    matches!(
        f.geometry,
        Some(Geometry::Point(_)) | Some(Geometry::MultiPoint(_))
    )
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A reference that could not be used, said once with how many features it touched.
struct Failure {
    code: Code,
    href: String,
    why: String,
    features: usize,
}

struct Planner<'a> {
    files: &'a mut dyn Files,
    purpose: Purpose,
    plan: Plan,
    /// What each (kind, reference) resolved to: an asset, or a failure.
    resolved: HashMap<(AssetKind, String), Result<usize, usize>>,
    by_hash: HashMap<(AssetKind, String), usize>,
    failures: Vec<Failure>,
    limits: Limits,
    /// What is left of the input's decoded pixels.
    pixels: Pixels,
    /// The index of the next feature handed in.
    next: usize,
}

impl Planner<'_> {
    fn fail(
        &mut self,
        key: (AssetKind, String),
        code: Code,
        href: &str,
        why: String,
    ) -> Option<usize> {
        self.failures.push(Failure {
            code,
            href: href.to_string(),
            why,
            features: 1,
        });
        self.resolved.insert(key, Err(self.failures.len() - 1));
        None
    }

    /// The asset `href` refers to, read and prepared the first time it is asked for.
    fn resolve(&mut self, kind: AssetKind, href: &str) -> Option<usize> {
        let key = (kind, href.to_string());
        match self.resolved.get(&key) {
            Some(Ok(i)) => return Some(*i),
            Some(Err(f)) => {
                self.failures[*f].features += 1;
                return None;
            }
            None => {}
        }
        let what = match kind {
            AssetKind::Marker => "icon",
            AssetKind::Image => "photo",
        };
        let path = match classify(href) {
            Href::Local(p) => p,
            Href::Google => return None,
            Href::Remote => {
                return self.fail(
                    key,
                    Code::AssetRemote,
                    href,
                    format!("the {what} {href} is a web address, which geonorm does not fetch (it reads only files in the KMZ or beside the KML)"),
                )
            }
            Href::Absolute => {
                return self.fail(
                    key,
                    Code::AssetOutside,
                    href,
                    format!("the {what} {href} is an absolute path, outside the KMZ or the KML's folder, and is not read"),
                )
            }
        };
        let mut fetched = self.files.fetch(&path);
        if matches!(fetched, Fetched::Missing) {
            if let Some(decoded) = percent_decoded(&path) {
                fetched = self.files.fetch(&decoded);
            }
        }
        let (name, bytes) = match fetched.found(&self.limits) {
            Ok(found) => found,
            Err((code, why)) => {
                return self.fail(key, code, href, format!("the {what} {href} {why}"))
            }
        };
        let prepared = match (self.purpose, kind) {
            (Purpose::Files, _) => Ok(keep_as_is(bytes)),
            (Purpose::Maphub, AssetKind::Marker) => {
                prepare_marker(&bytes, &self.limits, &mut self.pixels)
            }
            (Purpose::Maphub, AssetKind::Image) => {
                prepare_image(&bytes, &self.limits, &mut self.pixels)
            }
        };
        let p = match prepared {
            Ok(p) => p,
            Err(e) => {
                return self.fail(
                    key,
                    Code::AssetUnreadable,
                    href,
                    format!("the {what} {href} cannot be used: {e}"),
                )
            }
        };
        let hash = hex(&p.bytes);
        if let Some(&i) = self.by_hash.get(&(kind, hash.clone())) {
            self.resolved.insert(key, Ok(i));
            return Some(i);
        }
        if let Some(done) = p.done {
            let d = Diagnostic::new(Code::AssetConverted, format!("the {what} {href} is {done}"));
            self.plan.say(d, href);
        }
        let i = self.plan.assets.len();
        self.plan.assets.push(Asset {
            kind,
            href: href.to_string(),
            source: name,
            file_type: p.file_type,
            bytes: p.bytes,
            hash: hash.clone(),
            width: p.width,
            height: p.height,
        });
        self.by_hash.insert((kind, hash), i);
        self.resolved.insert(key, Ok(i));
        Some(i)
    }

    fn feature(&mut self, index: usize, f: &Feature) {
        if let Some(icon) = &f.style.icon {
            if self.purpose == Purpose::Files || is_point(f) {
                if let Some(asset) = self.resolve(AssetKind::Marker, icon) {
                    self.plan.uses.push(Use {
                        feature: index,
                        asset,
                        kind: UseKind::Icon,
                    });
                }
            }
        }
        let Some(desc) = &f.description else {
            return;
        };
        let mut taken: Option<String> = None;
        let mut extra = Vec::new();
        for (tag, src) in img_tags(desc) {
            let href = html_unescaped(&desc[src.clone()]);
            if !matches!(classify(&href), Href::Local(_) | Href::Absolute) {
                // A photo on the web shows on MapHub as it is.
                continue;
            }
            if self.purpose == Purpose::Maphub && taken.is_some() {
                extra.push(href);
                continue;
            }
            if let Some(asset) = self.resolve(AssetKind::Image, &href) {
                if self.purpose == Purpose::Maphub {
                    let d = Diagnostic::new(
                        Code::AssetPhotoMoved,
                        format!(
                            "the photo {href} becomes the MapHub image of {}; its <img> tag is taken out of the description, the text kept",
                            title_of(index, f)
                        ),
                    );
                    self.plan.say(d, &href);
                }
                self.plan.uses.push(Use {
                    feature: index,
                    asset,
                    kind: UseKind::Photo { tag, src },
                });
                taken = Some(href);
            }
        }
        if let (Some(first), false) = (taken, extra.is_empty()) {
            let d = Diagnostic::new(
                Code::AssetExtraImage,
                format!(
                    "{} shows {} more local photo{} ({}); MapHub keeps one image per feature: only {first} is uploaded, the other <img> tags stay and will not show on MapHub",
                    title_of(index, f),
                    extra.len(),
                    if extra.len() == 1 { "" } else { "s" },
                    extra.join(", ")
                ),
            );
            let first_extra = extra.first().cloned().unwrap_or_default();
            self.plan.say(d, &first_extra);
        }
    }
}

fn title_of(index: usize, f: &Feature) -> String {
    match &f.title {
        Some(t) => format!("feature {} ({t:?})", index + 1),
        None => format!("feature {}", index + 1),
    }
}

/// The assets `doc` uses for `purpose`, each distinct file read and prepared once,
/// within the [`Limits`] of `files`. Relative references are looked up in `files`;
/// `kml`, the main KML's text when at hand, gives each diagnostic the position of the
/// reference it is about.
pub fn plan(doc: &Document, files: &mut dyn Files, purpose: Purpose, kml: Option<&[u8]>) -> Plan {
    let mut p = Planner::new(files, purpose);
    for f in &doc.features {
        p.next_feature(f);
    }
    p.finish(kml)
}

impl<'a> Planner<'a> {
    fn new(files: &'a mut dyn Files, purpose: Purpose) -> Self {
        let limits = files.limits();
        Planner {
            files,
            purpose,
            plan: Plan::default(),
            resolved: HashMap::new(),
            by_hash: HashMap::new(),
            failures: Vec::new(),
            pixels: Pixels::new(&limits),
            limits,
            next: 0,
        }
    }

    /// The document's next feature, in order.
    fn next_feature(&mut self, f: &Feature) {
        self.feature(self.next, f);
        self.next += 1;
    }

    /// The plan, each failure said once for every feature it touched.
    fn finish(mut self, kml: Option<&[u8]>) -> Plan {
        for fail in std::mem::take(&mut self.failures) {
            let whom = match fail.features {
                1 => "1 feature goes".to_string(),
                n => format!("{n} features go"),
            };
            let d = Diagnostic::new(fail.code, format!("{}; {whom} without it", fail.why));
            self.plan.say(d, &fail.href);
        }
        let mut plan = self.plan;
        plan.locate(kml.unwrap_or_default());
        plan
    }
}

/// The assets of `doc`, read from `bytes` as `format`, for `purpose`: from the archive
/// of a KMZ, or from the folder of a KML on disk (`path`). `None` for other inputs,
/// whose references cannot be local files. Diagnostics point into the main KML. Read
/// within the default [`Limits`].
pub fn plan_source(
    doc: &Document,
    format: crate::Format,
    bytes: &[u8],
    path: Option<&Path>,
    purpose: Purpose,
) -> crate::Result<Option<Plan>> {
    plan_source_with(doc, format, bytes, path, purpose, &Limits::default())
}

/// [`plan_source`] within `limits`.
pub fn plan_source_with(
    doc: &Document,
    format: crate::Format,
    bytes: &[u8],
    path: Option<&Path>,
    purpose: Purpose,
    limits: &Limits,
) -> crate::Result<Option<Plan>> {
    match format {
        crate::Format::Kmz => plan_archive(doc, Cursor::new(bytes), purpose, limits).map(Some),
        crate::Format::Kml => {
            let Some(path) = path else {
                return Ok(None);
            };
            let mut files = DirFiles::with_limits(path.parent().unwrap_or(Path::new(".")), limits)?;
            Ok(Some(plan(doc, &mut files, purpose, Some(bytes))))
        }
        _ => Ok(None),
    }
}

/// The assets of `doc` read from its KMZ `archive`, for `purpose`, within `limits`:
/// like [`plan_source_with`] of a KMZ, but read where the archive is (a
/// `std::fs::File`) instead of from bytes held in memory.
pub fn plan_archive<R: std::io::Read + std::io::Seek>(
    doc: &Document,
    archive: R,
    purpose: Purpose,
    limits: &Limits,
) -> crate::Result<Plan> {
    let each = |plan: &mut dyn FnMut(&Feature)| {
        doc.features.iter().for_each(plan);
        Ok(())
    };
    plan_archive_fed(archive, purpose, limits, each).map(|(plan, ())| plan)
}

/// [`plan_archive`] of a document that is never held: `feed` hands the KMZ's
/// features, in order, to the planner it is given as it reads them (from another
/// reader of the same archive, [`crate::stream`]), and answers what it made of them
/// beside the plan. An `info` of a KMZ summarises and plans in that one pass.
pub fn plan_archive_fed<R: std::io::Read + std::io::Seek, T>(
    mut archive: R,
    purpose: Purpose,
    limits: &Limits,
    feed: impl FnOnce(&mut dyn FnMut(&Feature)) -> crate::Result<T>,
) -> crate::Result<(Plan, T)> {
    let mut files = crate::kmz::files_with(&mut archive, limits)?;
    let mut planner = Planner::new(&mut files, purpose);
    let fed = feed(&mut |f| planner.next_feature(f))?;
    let mut planned = planner.finish(None);
    drop(files);
    if !planned.diagnostics.is_empty() {
        let limits = crate::kmz::Limits::default();
        planned.locate(&crate::kmz::main_kml(&mut archive, &limits)?.1);
    }
    Ok((planned, fed))
}

/// Writes what MapHub answered for each asset into the features that use it:
/// `answers[i]` is asset `i`'s `marker_id`, or the `image` object a feature carries
/// (`{id, w, h, tip_color, avg_color}`); `None` leaves its features as they were. A
/// feature whose icon became a marker loses its `icon` (a path in the archive that
/// means nothing on MapHub); a photo's `<img>` tag is taken out of its description.
pub fn apply_uploaded(doc: &mut Document, plan: &Plan, answers: &[Option<Value>]) {
    let mut cuts: Vec<(usize, Range<usize>)> = Vec::new();
    for u in &plan.uses {
        let (Some(Some(answer)), Some(f)) = (answers.get(u.asset), doc.features.get_mut(u.feature))
        else {
            continue;
        };
        match &u.kind {
            UseKind::Icon => {
                f.properties.insert("marker_id".into(), answer.clone());
                f.style.icon = None;
            }
            UseKind::Photo { tag, .. } => {
                f.properties.insert("image".into(), answer.clone());
                cuts.push((u.feature, tag.clone()));
            }
        }
    }
    edit_descriptions(doc, cuts.into_iter().map(|(f, r)| (f, r, String::new())));
}

/// Points the references at files written elsewhere: `paths[i]` is where asset `i`
/// was written, relative to the converted document (`None` leaves its features as
/// they were). Icons become that path; photos' `src` values too.
pub fn apply_paths(doc: &mut Document, plan: &Plan, paths: &[Option<String>]) {
    let mut edits = Vec::new();
    for u in &plan.uses {
        let (Some(Some(path)), Some(f)) = (paths.get(u.asset), doc.features.get_mut(u.feature))
        else {
            continue;
        };
        match &u.kind {
            UseKind::Icon => f.style.icon = Some(path.clone()),
            UseKind::Photo { src, .. } => edits.push((
                u.feature,
                src.clone(),
                quick_xml::escape::escape(path).into_owned(),
            )),
        }
    }
    edit_descriptions(doc, edits.into_iter());
}

/// Replaces ranges of descriptions, last first so the earlier ranges stay valid. A
/// description left with nothing but white space is dropped.
fn edit_descriptions(
    doc: &mut Document,
    edits: impl Iterator<Item = (usize, Range<usize>, String)>,
) {
    let mut edits: Vec<_> = edits.collect();
    edits.sort_by(|a, b| (a.0, b.1.start).cmp(&(b.0, a.1.start)));
    let mut touched = Vec::new();
    for (feature, range, with) in edits {
        let Some(desc) = doc
            .features
            .get_mut(feature)
            .and_then(|f| f.description.as_mut())
        else {
            continue;
        };
        if desc.get(range.clone()).is_some() {
            desc.replace_range(range, &with);
            touched.push(feature);
        }
    }
    for i in touched {
        if let Some(f) = doc.features.get_mut(i) {
            if f.description
                .as_deref()
                .is_some_and(|d| d.trim().is_empty())
            {
                f.description = None;
            }
        }
    }
}

#[cfg(test)]
mod tests;
