//! The diagnostics of `convert`, `fix` and `info` on standard error, rendered as every
//! command renders them ([`crate::diags::Printer`], over the library's renderers), and
//! `info`'s report. The input is read again only when there is something to point at.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use geonorm::render::Shown;
use geonorm::{Diagnostic, Error, Format, MAPHUB_MAX_UPLOAD_BYTES};
use serde::Serialize;
use serde_json::Value;

use crate::diags::Printer;
use crate::input::Input;
use crate::term::printable;

/// Writes a command's diagnostics about its input to standard error.
pub struct Renderer {
    printer: Printer,
}

impl Renderer {
    /// Diagnostics rendered by `printer`.
    pub fn new(printer: Printer) -> Self {
        Renderer { printer }
    }

    /// Whether only errors are said (`--quiet`).
    pub fn quiet(&self) -> bool {
        self.printer.quiet()
    }

    /// Writes diagnostics to standard error, in the form asked for.
    pub fn diagnostics(&self, input: &Input, diags: &[Diagnostic]) -> anyhow::Result<()> {
        if diags.is_empty() {
            return Ok(());
        }
        let stderr = io::stderr();
        let mut err = stderr.lock();
        if let Some(located) = input.locate(diags)? {
            let source = geonorm::render::Source::streamed(input.name(), &located);
            self.printer.write(&mut err, &source, diags)?;
            return Ok(());
        }
        let shown = shown(input, diags)?;
        self.printer
            .write(&mut err, &shown.source(input.name()), diags)?;
        Ok(())
    }

    /// The library's JSON form of each diagnostic, with the `file` it is in, for
    /// `info --format json`.
    pub fn diagnostics_json(input: &Input, diags: &[Diagnostic]) -> anyhow::Result<Vec<Value>> {
        if let Some(located) = input.locate(diags)? {
            let source = geonorm::render::Source::streamed(input.name(), &located);
            return Ok(crate::diags::json_lines(&source, diags));
        }
        let shown = shown(input, diags)?;
        Ok(crate::diags::json_lines(&shown.source(input.name()), diags))
    }

    /// Reports input that could not be read at all, as a diagnostic.
    pub fn fatal(&self, input: &Input, format: Format, e: &Error) -> anyhow::Result<()> {
        let d = geonorm::validate::fatal_diagnostic(format, e);
        self.diagnostics(input, &[d])
    }
}

/// What the diagnostics point into, read only when one of them has a position.
fn shown<'a>(input: &'a Input, diags: &[Diagnostic]) -> io::Result<Cow<'a, Shown<'static>>> {
    if diags.iter().any(|d| d.span.is_some()) {
        input.shown()
    } else {
        Ok(Cow::Owned(Shown::of_owned(
            Vec::new(),
            None,
            &Default::default(),
        )))
    }
}

#[derive(Serialize)]
pub struct MaphubFit {
    limit_bytes: u64,
    fits: bool,
}

#[derive(Serialize)]
pub struct InfoReport {
    file: String,
    format: &'static str,
    bytes: u64,
    maphub: MaphubFit,
    features: usize,
    geometry: BTreeMap<&'static str, usize>,
    without_geometry: usize,
    groups: usize,
    vertices: usize,
    bbox: Option<[f64; 4]>,
    /// Elements the model cannot hold (KML overlays, network links…), by name.
    not_representable: BTreeMap<String, usize>,
    /// For a KMZ: the entry read, other KML entries, and referenced files.
    #[serde(skip_serializing_if = "Option::is_none")]
    kmz: Option<KmzReport>,
}

#[derive(Serialize)]
pub struct KmzReport {
    main: String,
    other_kml: Vec<String>,
    assets: Vec<Asset>,
    /// What `append` and `upload` would upload of them.
    uploads: Uploads,
}

/// How many custom icons become MapHub markers and photos MapHub images on a send.
#[derive(Serialize, Default)]
pub struct Uploads {
    pub markers: usize,
    pub images: usize,
}

#[derive(Serialize)]
struct Asset {
    href: String,
    present: bool,
}

impl InfoReport {
    /// From a summary made while the features streamed past.
    pub fn of(
        input: &Input,
        meta: &geonorm::Metadata,
        s: geonorm::Summary,
        kmz: Option<geonorm::stream::KmzContents>,
    ) -> Self {
        InfoReport {
            file: input.name().to_string(),
            format: meta.source_format.map_or("unknown", Format::as_str),
            bytes: input.len(),
            maphub: MaphubFit {
                limit_bytes: MAPHUB_MAX_UPLOAD_BYTES,
                fits: input.len() <= MAPHUB_MAX_UPLOAD_BYTES,
            },
            features: s.features,
            geometry: s.by_kind.iter().map(|(k, n)| (k.as_str(), *n)).collect(),
            without_geometry: s.without_geometry,
            groups: s.groups,
            vertices: s.vertices,
            bbox: s.bbox.map(|b| [b.min_x, b.min_y, b.max_x, b.max_y]),
            not_representable: meta.unrepresented.clone(),
            kmz: kmz.map(|c| KmzReport {
                main: c.main,
                other_kml: c.other_kml,
                assets: c
                    .assets
                    .into_iter()
                    .map(|(href, present)| Asset { href, present })
                    .collect(),
                uploads: Uploads::default(),
            }),
        }
    }

    /// Records what a send would upload of a KMZ's icons and photos.
    pub fn set_uploads(&mut self, uploads: Uploads) {
        if let Some(k) = &mut self.kmz {
            k.uploads = uploads;
        }
    }

    pub fn write_human(&self, out: &mut impl Write) -> io::Result<()> {
        // The file's name and what the file names (KMZ entries, elements) are the
        // user's text: escaped.
        writeln!(out, "file:      {}", printable(&self.file))?;
        writeln!(out, "format:    {}", self.format)?;
        let fit = if self.maphub.fits {
            "fits MapHub's 15 MB upload limit"
        } else {
            "over MapHub's 15 MB upload limit: split it or use an Enterprise server"
        };
        writeln!(out, "size:      {} bytes ({fit})", self.bytes)?;
        let mut kinds: Vec<String> = self
            .geometry
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if self.without_geometry > 0 {
            kinds.push(format!("no geometry {}", self.without_geometry));
        }
        if kinds.is_empty() {
            writeln!(out, "features:  {}", self.features)?;
        } else {
            writeln!(out, "features:  {} ({})", self.features, kinds.join(", "))?;
        }
        writeln!(out, "groups:    {}", self.groups)?;
        writeln!(out, "vertices:  {}", self.vertices)?;
        match self.bbox {
            Some([a, b, c, d]) => writeln!(out, "bbox:      [{a}, {b}, {c}, {d}]")?,
            None => writeln!(out, "bbox:      none")?,
        }
        if !self.not_representable.is_empty() {
            let skipped: Vec<String> = self
                .not_representable
                .iter()
                .map(|(k, n)| format!("{} {n}", printable(k)))
                .collect();
            writeln!(
                out,
                "skipped:   {} (no place in a MapHub map)",
                skipped.join(", ")
            )?;
        }
        if let Some(k) = &self.kmz {
            writeln!(out, "kmz:       main {}", printable(&k.main))?;
            for other in &k.other_kml {
                writeln!(out, "           other KML (not read) {}", printable(other))?;
            }
            for a in &k.assets {
                let state = if a.present { "present" } else { "missing" };
                writeln!(out, "           asset {} ({state})", printable(&a.href))?;
            }
            let u = &k.uploads;
            if u.markers + u.images > 0 {
                writeln!(
                    out,
                    "           append/upload sends {} icon{} as MapHub markers and {} photo{} as MapHub images",
                    u.markers,
                    if u.markers == 1 { "" } else { "s" },
                    u.images,
                    if u.images == 1 { "" } else { "s" }
                )?;
            }
        }
        Ok(())
    }
}
