//! What the streaming readers share, whatever the format: the sink each feature goes
//! through, what a stream gives back, and the batches read on several threads. It
//! depends on no format, so that the readers can use it while [`super`] picks the
//! reader for a format.

use crate::{Diagnostic, Feature, Group, Metadata, Result};

/// What becomes of each feature a streaming reader reads.
pub trait FeatureSink: Sync {
    /// What a feature becomes.
    type Out: Send;
    /// Turns one feature into what the caller keeps, saying in `diagnostics` what was
    /// lost on the way. Runs on the thread that read the feature.
    fn map(&self, feature: Feature, diagnostics: &mut Vec<Diagnostic>) -> Result<Self::Out>;

    /// Whether the features should keep where each position was written
    /// ([`crate::Coords::span_at`], [`Feature::point_span`]): the check's sink does, so
    /// that a finding about a position points at it. A KML or GPX reader then keeps 16
    /// bytes more a position.
    fn position_spans(&self) -> bool {
        false
    }

    /// What a reader that can check as it reads (the GeoJSON reader: RFC 7946's rules
    /// need each value's place in the text, which plain reading does not keep) is to
    /// check; `None`, the default, reads plainly. Readers that cannot ignore it.
    fn checks(&self) -> Option<ReadChecks> {
        None
    }

    /// [`FeatureSink::map`] for a reader that checks ([`FeatureSink::checks`]): the
    /// feature as the rules see it, and how it was handed on. By default, the feature
    /// linked to its group when it is, else as read.
    fn map_checked(
        &self,
        feature: Feature,
        handed: Handed,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Self::Out> {
        match handed {
            Handed::Listed(Some(linked)) => self.map(*linked, diagnostics),
            _ => self.map(feature, diagnostics),
        }
    }
}

/// What a checking reader checks as it reads ([`FeatureSink::checks`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadChecks {
    /// MapHub's dialect of the format.
    pub maphub: bool,
    /// Every feature through the rules whole, never its outline alone (the tests'
    /// choice: the outline must say the same).
    pub whole: bool,
    /// Whether [`FeatureSink::map_checked`] wants each feature linked to the group
    /// it names, as far as the groups are known when its batch was cut (a check that
    /// writes the conversion does; the rules see the name as written).
    pub link: bool,
}

/// How a checking reader handed a feature on ([`FeatureSink::map_checked`]).
#[derive(Debug, Clone)]
pub enum Handed {
    /// A feature of the document's list; with the feature linked to the group it
    /// names, when [`ReadChecks::link`] asks and that changes it.
    Listed(Option<Box<Feature>>),
    /// The document's root itself, read whole (a GeoJSON root Feature or geometry),
    /// after every other feature.
    Root,
}

/// Keeps each feature as read.
pub struct AsRead;

impl FeatureSink for AsRead {
    type Out = Feature;
    fn map(&self, feature: Feature, _: &mut Vec<Diagnostic>) -> Result<Feature> {
        Ok(feature)
    }
}

/// A stream collected into a document: `read` streams, handing each feature to the
/// callback it is given.
pub(crate) fn collect(
    read: impl FnOnce(&mut dyn FnMut(Feature, &[Diagnostic]) -> Result<()>) -> Result<StreamEnd>,
) -> Result<(crate::Document, Vec<Diagnostic>)> {
    let mut features = Vec::new();
    let StreamEnd {
        meta,
        groups,
        diagnostics: diags,
        ..
    } = read(&mut |f, _| {
        features.push(f);
        Ok(())
    })?;
    let doc = crate::Document {
        meta,
        groups,
        features,
    };
    Ok((doc, diags))
}

/// What a streaming reader gives back once the features have gone by: the
/// document's data, its groups, and every diagnostic.
#[derive(Debug, Clone, Default)]
pub struct StreamEnd {
    /// The document's own data (name, description, members other than features).
    pub meta: Metadata,
    /// Its groups, created ones included.
    pub groups: Vec<Group>,
    /// Everything reading said (each feature's findings were also handed on with it).
    pub diagnostics: Vec<Diagnostic>,
    /// What else the archive holds, when a KMZ was read.
    pub kmz: Option<KmzContents>,
}

/// What else a KMZ holds besides its main KML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KmzContents {
    /// The entry read as the document.
    pub main: String,
    /// Other KML entries, not read.
    pub other_kml: Vec<String>,
    /// Files the document refers to by a relative path (icons), and whether the
    /// archive holds them.
    pub assets: Vec<(String, bool)>,
}

/// A reader that can also seek: a KMZ read where it is (a `std::fs::File`), never
/// held in memory.
pub trait ReadSeek: std::io::Read + std::io::Seek {}
impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

/// Bytes of input gathered before the pieces read so far are parsed: big enough that
/// each thread gets real work, small enough that memory stays low.
pub(crate) const BATCH: usize = 2 << 20;

/// How a stream reads: on how many threads, in batches of how many bytes
/// ([`crate::ReadOptions::threads`], [`crate::ReadOptions::batch_bytes`], given by
/// `ReadOptions::pace`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// At least 1.
    pub(crate) threads: usize,
    /// Bytes of input gathered before a batch is parsed; at least 1.
    pub(crate) batch: usize,
}

impl Pace {
    /// One thread, batches of the default size.
    pub(crate) fn one() -> Pace {
        Pace {
            threads: 1,
            batch: BATCH,
        }
    }
}

/// Runs `parse` (a batch of pieces) on the thread pool while `walk` (recording the
/// next batch) goes on on this thread, and gives back both results: the walk is the
/// part of reading that cannot be shared, so it overlaps with the part that can.
pub(crate) fn overlap<P: Send, W>(
    parse: impl FnOnce() -> P + Send,
    walk: impl FnOnce() -> W,
) -> (P, W) {
    #[cfg(feature = "parallel")]
    {
        let mut parsed = None;
        let walked = rayon::in_place_scope(|s| {
            s.spawn(|_| parsed = Some(parse()));
            walk()
        });
        let Some(parsed) = parsed else {
            unreachable!("a scope ends when its jobs have run");
        };
        (parsed, walked)
    }
    #[cfg(not(feature = "parallel"))]
    {
        let parsed = parse();
        (parsed, walk())
    }
}

/// True when [`overlap`] runs its two parts at once for `threads` threads.
pub(crate) fn overlapping(threads: usize) -> bool {
    cfg!(feature = "parallel") && threads > 1
}

/// `f` of every unit, in the units' order, on up to `threads` threads (with the
/// `parallel` feature); the same results whatever the number.
pub(crate) fn map_in_order<U: Sync, D: Send>(
    units: &[U],
    threads: usize,
    f: impl Fn(&U) -> D + Sync,
) -> Vec<D> {
    #[cfg(feature = "parallel")]
    if threads > 1 && units.len() > 1 {
        use rayon::prelude::*;
        // A few slices per thread even out pieces of unequal size.
        let per = units.len().div_ceil(threads * 4).max(1);
        return units.par_iter().with_min_len(per).map(&f).collect();
    }
    let _ = threads;
    units.iter().map(f).collect()
}
