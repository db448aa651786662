//! What a check is asked and what it answers: its options and profile, its report,
//! and the order and wording of its findings. Depends on no other part of the check.

use crate::{Code, Diagnostic, Error, Format, Span};

/// Which rules a check applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// MapHub's public service: every rule, its 15 MB and 2-minute limits, its dialect.
    #[default]
    Maphub,
    /// A MapHub Enterprise server: as `Maphub`, without the size and time limits.
    Enterprise,
    /// RFC 7946 and the geometry rules alone.
    Rfc7946,
}

impl Profile {
    /// Whether MapHub's own rules apply.
    pub(super) fn maphub(self) -> bool {
        self != Profile::Rfc7946
    }

    /// Whether MapHub's size and time limits apply.
    pub(super) fn limits(self) -> bool {
        self == Profile::Maphub
    }
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The rules to apply.
    pub profile: Profile,
    /// How the file is read: its format (when the content and the name do not tell),
    /// its name (to detect the format by its extension, and to see that the extension
    /// matches the content), the readers' limits and the threads.
    pub read: crate::ReadOptions,
    /// Keep the document the check reads in [`Report::document`]: one read gives the
    /// report and what [`crate::read`] gives (the document, or the error it fails
    /// with), for a caller that needs both, such as a file checked and then sent.
    /// Memory then holds the document, as `read`'s does, never the input twice.
    pub keep_document: bool,
}

impl CheckOptions {
    /// The rules of `profile`, the file read as `format` (`None`: as its content and
    /// name say), every other option at its default.
    pub fn new(profile: Profile, format: Option<Format>) -> Self {
        CheckOptions {
            profile,
            read: crate::ReadOptions {
                format,
                ..crate::ReadOptions::default()
            },
            keep_document: false,
        }
    }
}

/// What a check found in one file.
#[derive(Debug)]
pub struct Report {
    /// The format the file was read as, if it could be told.
    pub format: Option<Format>,
    /// Every finding, in source order (findings without a position last).
    pub diagnostics: Vec<Diagnostic>,
    /// With [`CheckOptions::keep_document`]: the document read, as [`crate::read`]
    /// gives it, or the error `read` fails with (what stopped it is then among the
    /// findings too). `None` when it was not asked for.
    pub document: Option<crate::Result<crate::Document>>,
}

impl Report {
    /// True when some finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }
}

/// Vertices past which MapHub's 2-minute processing limit becomes likely. MapHub does
/// not publish a figure; this is a deliberately cautious estimate (a 15 MB GeoJSON
/// holds about 450,000 vertices), to be calibrated against the service.
pub const PROCESSING_VERTEX_THRESHOLD: usize = 1_000_000;
/// Features past which the same applies.
pub const PROCESSING_FEATURE_THRESHOLD: usize = 100_000;

/// What [`crate::convert`] did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Converted {
    /// What [`crate::check`] says of the same input.
    pub report: Report,
    /// What the output format could not hold of what was read.
    pub written: Vec<Diagnostic>,
    /// False when the input could not be read to its end (what stopped it is in the
    /// report): the output is then incomplete, and not to be kept.
    pub complete: bool,
}

impl Converted {
    /// The check's findings and the writer's, sorted by position.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut all = self.report.diagnostics.clone();
        all.extend(self.written.iter().cloned());
        Diagnostic::sort_by_position(&mut all);
        all
    }
}

/// A reader's fatal error (input of `format` that cannot be read at all) as a
/// finding, with the code for its format.
pub fn fatal_diagnostic(format: Format, e: &Error) -> Diagnostic {
    match e {
        Error::Invalid(d) => (**d).clone(),
        Error::Syntax {
            message, offset, ..
        } => {
            let code = if format == Format::GeoJson {
                Code::JsonSyntax
            } else {
                Code::XmlSyntax
            };
            Diagnostic::new(code, message.clone()).at(Span::new(*offset, offset + 1))
        }
        // Binary data is no map file of any format: said as `check` says it, whatever
        // format it was read as (one problem, one code).
        Error::NotFormat { message, .. } if message == crate::BINARY => binary_finding(),
        other => {
            let code = match format {
                Format::GeoJson => Code::GeojsonRoot,
                Format::Kml => Code::KmlRoot,
                Format::Kmz => Code::KmzUnreadable,
                Format::Gpx => Code::GpxRoot,
            };
            Diagnostic::new(code, other.to_string())
        }
    }
}

/// What binary data (a NUL byte in its first bytes) is told, in every verb.
pub(crate) fn binary_finding() -> Diagnostic {
    Diagnostic::new(
        Code::MaphubFileType,
        format!(
            "this is not a KML, KMZ, GPX or GeoJSON file: {}",
            crate::BINARY
        ),
    )
}
