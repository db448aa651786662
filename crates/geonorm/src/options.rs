//! How documents are read and written: the options of [`crate::read`] and
//! [`crate::write`], and MapHub's upload limit files are checked against. Apart from
//! the crate's root, which calls `check`, so that the readers, writers and rules that
//! take these depend on no more than the formats' own options.

#[cfg(feature = "kmz")]
use crate::kmz;
use crate::Format;
use crate::{geojson, gpx, kml};

/// MapHub's upload limit for `map/upload` and `map/append`: 15 MB (Enterprise servers
/// have none). MapHub means 15 × 1024 × 1024 bytes, as its upload form reports sizes.
pub const MAPHUB_MAX_UPLOAD_BYTES: u64 = 15 * 1024 * 1024;

/// Options for [`write`](crate::write).
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Options of the GeoJSON writer.
    pub geojson: geojson::WriteOptions,
    /// Options of the KML (and KMZ) writer.
    pub kml: kml::WriteOptions,
    /// Options of the GPX writer.
    pub gpx: gpx::WriteOptions,
}

impl WriteOptions {
    /// Every writer with `precision` decimal places for coordinates (`None`: as many as
    /// it takes to read back exactly), and the GeoJSON writer keeping a single Feature
    /// or Geometry root as such when `keep_root`.
    pub fn with_precision(precision: Option<u8>, keep_root: bool) -> Self {
        WriteOptions {
            geojson: geojson::WriteOptions {
                precision,
                keep_root,
                ..Default::default()
            },
            kml: kml::WriteOptions {
                precision,
                ..Default::default()
            },
            gpx: gpx::WriteOptions { precision },
        }
    }

    /// These options for a document read from `source` and written as `to`: rings are
    /// wound as `to` wants when it is another format than the source (KML and KMZ are
    /// one), kept as they were when it is the same.
    pub fn for_conversion(&self, source: Option<Format>, to: Format) -> Self {
        let family = |f: Format| if f == Format::Kmz { Format::Kml } else { f };
        let other = source.is_none_or(|s| family(s) != family(to));
        let mut opts = self.clone();
        opts.geojson.wind |= other;
        opts.kml.wind |= other;
        opts
    }
}

/// Options for [`read`](crate::read), one member per format as [`WriteOptions`] has them.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The format; `None` detects it from the content (and [`ReadOptions::name`]).
    pub format: Option<Format>,
    /// The input's file name, used to detect the format when the content does not tell.
    pub name: Option<std::path::PathBuf>,
    /// Options of the GPX reader.
    pub gpx: gpx::ReadOptions,
    /// Limits of the KMZ reader (zip bombs).
    #[cfg(feature = "kmz")]
    pub kmz: kmz::Limits,
    /// Threads to read on (with the `parallel` feature): pieces of a batch of the
    /// input are parsed on each. 0 and 1 read on the calling thread alone; the result
    /// is the same for any number.
    pub threads: usize,
    /// Bytes of input gathered into one batch before its pieces are parsed on the
    /// threads; 0, the default, is 2 MiB. Smaller batches hold less of the input in
    /// memory, larger ones hand work to the threads less often; the result is the same
    /// for any size. A GeoJSON file read or streamed gathers at most 256 KiB, and on
    /// one thread parses each feature as it is cut (its check gathers what this says).
    pub batch_bytes: usize,
}

impl ReadOptions {
    /// How a stream reads with these options: their threads, their batches.
    pub(crate) fn pace(&self) -> crate::stream::Pace {
        crate::stream::Pace {
            threads: self.threads.max(1),
            batch: match self.batch_bytes {
                0 => crate::stream::BATCH,
                n => n,
            },
        }
    }

    /// Options that read `format`, with every other option at its default.
    pub fn format(format: Format) -> Self {
        ReadOptions {
            format: Some(format),
            ..ReadOptions::default()
        }
    }
}
