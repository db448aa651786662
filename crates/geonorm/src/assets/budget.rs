//! Where an input's icons and photos are read from ([`Files`]: a KMZ's entries, a KML's
//! folder) and what reading them may cost: bytes per file and in all, a ratio of a
//! KMZ's size, and pixels (the limits [`super::picture`] decodes within). Apart from
//! the rest of `assets`, which reads KMZ archives, so that `kmz` can provide its
//! entries as [`Files`] without the two depending on each other.

use crate::Code;

/// The largest file read as an icon or photo: MapHub's limit for one upload.
pub const MAX_ASSET_BYTES: u64 = 15 * 1024 * 1024;

/// Icons larger than this many pixels on their longer side are scaled down for
/// `marker/upload`: MapHub draws a marker at pin size (about 32 px), so 128 px stays
/// sharp on screens of four times the density while a photo used as an icon (thousands
/// of pixels) does not travel whole to every viewer of the map.
pub const MARKER_MAX_SIDE: u32 = 128;

/// Where a document's relative references are looked up: a KMZ archive
/// (`kmz::ArchiveFiles`) or the folder of a KML file ([`DirFiles`](super::DirFiles)).
pub trait Files {
    /// The file at `path`, a relative path with `/` separators as the document wrote
    /// it (already without `./` and HTML escapes).
    fn fetch(&mut self, path: &str) -> Fetched;

    /// The limits its files are read within (the decoding limits among them).
    fn limits(&self) -> Limits {
        Limits::default()
    }
}

/// What a [`Files`] found for a path.
#[derive(Debug)]
pub enum Fetched {
    /// The file: its name as shown to the user, and its bytes.
    Found {
        /// The archive entry or path it was read from.
        name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// No such file.
    Missing,
    /// The path leads out of the archive's or folder's tree: not read.
    Outside,
    /// Larger than [`Limits::max_bytes`] (its size, or that limit plus one when
    /// its size is not known).
    TooLarge(u64),
    /// It could not be read (why).
    Failed(String),
}

impl Fetched {
    /// The file's name and bytes, or the code and the end of a sentence saying why
    /// there are none.
    pub(super) fn found(self, limits: &Limits) -> Result<(String, Vec<u8>), (Code, String)> {
        match self {
            Fetched::Found { name, bytes } => Ok((name, bytes)),
            Fetched::Missing => Err((
                Code::AssetMissing,
                "is not in the KMZ (or beside the KML)".into(),
            )),
            Fetched::Outside => Err((
                Code::AssetOutside,
                "leads out of the KMZ or the KML's folder and is not read".into(),
            )),
            Fetched::TooLarge(n) => Err((
                Code::AssetUnreadable,
                format!("is {n} bytes, over the limit of {}", limits.max_bytes),
            )),
            Fetched::Failed(e) => Err((Code::AssetUnreadable, format!("cannot be read: {e}"))),
        }
    }
}

/// What one input's icons and photos may cost to read: the same budget for a KMZ's
/// entries and for files beside a KML, so a small hostile file cannot make geonorm
/// hold gigabytes or decode for minutes. Every field is a default a service may lower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read as one icon or photo, in bytes. Default [`MAX_ASSET_BYTES`]
    /// (15 MiB, MapHub's limit for one upload).
    pub max_bytes: u64,
    /// Largest total of bytes read for all the icons and photos of one input (a KMZ's
    /// entries decompressed, or files beside a KML). Default 1 GiB.
    pub max_total_bytes: u64,
    /// In a KMZ, the largest ratio of all the asset entries' bytes, decompressed, to the
    /// archive's size (an archive may always decompress [`ASSET_RATIO_FLOOR`]).
    /// Default 10: images are compressed already (PNG, JPEG), so a real KMZ holds
    /// them at about their own size; a bomb of zeros expands a thousand times.
    pub max_ratio: u64,
    /// Most pixels an icon may have to be decoded (width × height from its header,
    /// checked before decoding). Default 16 Mpx (4096 × 4096): icons are scaled to
    /// [`MARKER_MAX_SIDE`] anyway.
    pub max_marker_pixels: u64,
    /// Most pixels a photo may have to be decoded. Default 40 Mpx (a 7680 × 5200
    /// camera's frame); decoding one takes at most 4 bytes a pixel (160 MiB).
    pub max_image_pixels: u64,
    /// Most pixels all the images of one input may decode to, together. Default
    /// 256 Mpx: many distinct images each under the limit cannot add up to minutes.
    pub max_total_pixels: u64,
}

/// What a KMZ may always decompress for its icons and photos, whatever its size.
pub const ASSET_RATIO_FLOOR: u64 = 16 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: MAX_ASSET_BYTES,
            max_total_bytes: 1 << 30,
            max_ratio: 10,
            max_marker_pixels: 16_000_000,
            max_image_pixels: 40_000_000,
            max_total_pixels: 256_000_000,
        }
    }
}

/// The bytes a [`Files`](super::Files) may still read for one input, under [`Limits`].
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    /// All the bytes it may read.
    total: u64,
    /// What is left of them.
    left: u64,
    /// The archive's size, when the total is a ratio of it.
    archive: Option<u64>,
}

impl Budget {
    /// For the files beside a KML: [`Limits::max_total_bytes`].
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            limits: *limits,
            total: limits.max_total_bytes,
            left: limits.max_total_bytes,
            archive: None,
        }
    }

    /// For the entries of an archive of `archive_len` bytes: also at most
    /// [`Limits::max_ratio`] times its size (or [`ASSET_RATIO_FLOOR`]).
    pub fn for_archive(limits: &Limits, archive_len: u64) -> Budget {
        let total = limits.max_total_bytes.min(
            archive_len
                .saturating_mul(limits.max_ratio)
                .max(ASSET_RATIO_FLOOR),
        );
        Budget {
            limits: *limits,
            total,
            left: total,
            archive: Some(archive_len),
        }
    }

    /// The limits it was made with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Reads `input`, the file `name`, within the limit of one file and what is left
    /// of the budget: never more than one byte past either, whatever its header said.
    pub(crate) fn read<R: std::io::Read>(
        &mut self,
        name: &str,
        input: std::io::Result<R>,
    ) -> Fetched {
        let cap = self.limits.max_bytes.min(self.left);
        let mut bytes = Vec::new();
        let read = input.and_then(|r| std::io::Read::read_to_end(&mut r.take(cap + 1), &mut bytes));
        self.left -= (bytes.len() as u64).min(self.left);
        if let Err(e) = read {
            return Fetched::Failed(e.to_string());
        }
        if bytes.len() as u64 <= cap {
            return Fetched::Found {
                name: name.to_string(),
                bytes,
            };
        }
        if cap == self.limits.max_bytes {
            return Fetched::TooLarge(cap + 1);
        }
        let from = match self.archive {
            Some(n) => format!(" (from a {n}-byte archive)"),
            None => String::new(),
        };
        Fetched::Failed(format!(
            "it takes the icons and photos of this input past {} bytes{from}: refused as a possible zip bomb",
            self.total
        ))
    }
}
