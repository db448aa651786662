//! Uploaded markers (custom point icons) and images: decoding under limits, the facts
//! `image/upload` answers (size, colours), ids, and their files in the data directory.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Cursor};
use std::path::Path;

use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader, Limits};
use serde_json::{json, Map, Value};

/// The widest and tallest image decoded, in pixels: larger than any photo a phone or
/// camera makes, small enough that a hostile header cannot make the decoder plan a
/// huge buffer.
const MAX_SIDE: u32 = 20_000;

/// The most memory one decode may allocate: a 15 MB JPEG of about 85 megapixels (RGB)
/// fits; more is refused rather than risking the machine.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// The kind of an uploaded image, as `image/upload`'s `file_type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `jpg` (or `jpeg`).
    Jpeg,
    /// `png`.
    Png,
}

impl Kind {
    /// The `file_type` values `image/upload` takes.
    pub const FILE_TYPES: &'static [&'static str] = &["jpg", "jpeg", "png"];

    /// The kind a `file_type` names.
    pub fn from_file_type(t: &str) -> Option<Kind> {
        match t {
            "jpg" | "jpeg" => Some(Kind::Jpeg),
            "png" => Some(Kind::Png),
            _ => None,
        }
    }

    /// The file extension the data directory uses.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
        }
    }

    /// The MIME type the control endpoint answers with.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::Png => ImageFormat::Png,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Jpeg => "JPEG",
            Kind::Png => "PNG",
        }
    }
}

/// An uploaded image: its bytes as received and what `image/upload` answered.
#[derive(Clone, Debug)]
pub(crate) struct StoredImage {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    pub info: Map<String, Value>,
}

/// Decodes `bytes` as `kind` (only that format: a JPEG sent as `png` is an error),
/// under [`MAX_SIDE`] and [`MAX_ALLOC`]. The error says why, for the `error` answer.
pub(crate) fn decode(bytes: &[u8], kind: Kind) -> Result<DynamicImage, String> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| format!("Could not read the file as {}: {e}", kind.name()))
}

/// What `image/upload` answers (without `image_id`): the real width and height, the
/// colours computed from the pixels, and no GPS data or date (this server reads no
/// EXIF).
///
/// `avg_color` is the mean colour of all pixels; `tip_color` is the mean colour of the
/// bottom row of pixels. MapHub does not say how it computes `tip_color`; this server
/// assumes it is the colour where the image meets the tip of its popup, which sits
/// below it. Means are weighted by alpha, so transparent pixels do not count (an image
/// transparent throughout counts every pixel alike), and rounded to the nearest value.
pub(crate) fn image_info(img: &DynamicImage) -> Map<String, Value> {
    let (width, height) = img.dimensions();
    let mut all = Mean::default();
    let mut tip = Mean::default();
    let bottom = height.saturating_sub(1);
    for (_, y, px) in img.pixels() {
        all.add(px.0);
        if y == bottom {
            tip.add(px.0);
        }
    }
    let mut m = Map::new();
    m.insert("width".into(), json!(width));
    m.insert("height".into(), json!(height));
    m.insert("tip_color".into(), json!(tip.hex()));
    m.insert("avg_color".into(), json!(all.hex()));
    m.insert("has_gps".into(), json!(false));
    m.insert("geometry".into(), Value::Null);
    m.insert("date_str".into(), Value::Null);
    m.insert("date_iso".into(), Value::Null);
    m
}

/// Sums for an alpha-weighted mean colour (and a plain one, for when every pixel is
/// transparent). At most 20 000² pixels × 255 × 255 fits a u64 many times over.
#[derive(Default)]
struct Mean {
    weighted: [u64; 3],
    alpha: u64,
    plain: [u64; 3],
    count: u64,
}

impl Mean {
    fn add(&mut self, [r, g, b, a]: [u8; 4]) {
        for (i, c) in [r, g, b].into_iter().enumerate() {
            self.weighted[i] += u64::from(c) * u64::from(a);
            self.plain[i] += u64::from(c);
        }
        self.alpha += u64::from(a);
        self.count += 1;
    }

    /// `#rrggbb`.
    fn hex(&self) -> String {
        let (sums, n) = if self.alpha > 0 {
            (self.weighted, self.alpha)
        } else {
            (self.plain, self.count.max(1))
        };
        let c = sums.map(|s| u8::try_from((s + n / 2) / n).unwrap_or(u8::MAX));
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
    }
}

/// Whether `id` has the form of this server's marker and image ids: 12 lowercase hex
/// digits.
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The `n`-th id of a sequence starting from `seed`: 12 lowercase hex digits that look
/// random (SplitMix64), so that clients cannot take them for counters.
pub(crate) fn id_from(seed: u64, n: u64) -> String {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    format!("{:012x}", z & 0xffff_ffff_ffff)
}

/// Saves `bytes` as `<dir>/<name>` through a temporary file.
fn save(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    fs::write(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(|e| format!("Could not save {}: {e}", path.display()))
}

/// Saves a marker as `<dir>/marker-<id>.png`.
pub(crate) fn save_marker(dir: &Path, id: &str, png: &[u8]) -> Result<(), String> {
    save(dir, &format!("marker-{id}.png"), png)
}

/// Saves an image as `<dir>/image-<id>.jpg` or `.png`.
pub(crate) fn save_image(dir: &Path, id: &str, image: &StoredImage) -> Result<(), String> {
    save(
        dir,
        &format!("image-{id}.{}", image.kind.extension()),
        &image.bytes,
    )
}

/// Markers and images by id.
pub(crate) type Loaded = (BTreeMap<String, Vec<u8>>, BTreeMap<String, StoredImage>);

/// Loads the markers and images of `dir` (which [`crate::store::load`] has created),
/// decoding each again for its answer; a file that does not decode is an error, as a
/// map file that cannot be read is.
pub(crate) fn load(dir: &Path) -> io::Result<Loaded> {
    let mut markers = BTreeMap::new();
    let mut images = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let invalid = |message: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {message}", path.display()),
            )
        };
        if let Some(id) = name
            .strip_prefix("marker-")
            .and_then(|n| n.strip_suffix(".png"))
            .filter(|id| valid_id(id))
        {
            let bytes = fs::read(&path)?;
            decode(&bytes, Kind::Png).map_err(invalid)?;
            markers.insert(id.to_owned(), bytes);
        } else if let Some((id, ext)) = name
            .strip_prefix("image-")
            .and_then(|n| n.split_once('.'))
            .filter(|(id, _)| valid_id(id))
        {
            let Some(kind) = Kind::from_file_type(ext) else {
                continue;
            };
            let bytes = fs::read(&path)?;
            let info = image_info(&decode(&bytes, kind).map_err(invalid)?);
            images.insert(id.to_owned(), StoredImage { kind, bytes, info });
        }
    }
    Ok((markers, images))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_twelve_hex_digits_and_differ() {
        let a = id_from(1, 0);
        let b = id_from(1, 1);
        assert!(valid_id(&a) && valid_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(!valid_id("ABCDEF123456") && !valid_id("abc") && !valid_id("../../etc/x"));
    }

    #[test]
    fn means_weigh_alpha_and_round() {
        let mut m = Mean::default();
        m.add([255, 0, 0, 255]);
        m.add([0, 0, 255, 0]);
        assert_eq!(m.hex(), "#ff0000");
        let mut clear = Mean::default();
        clear.add([10, 20, 31, 0]);
        clear.add([11, 20, 30, 0]);
        assert_eq!(clear.hex(), "#0b141f");
        assert_eq!(Mean::default().hex(), "#000000");
    }

    /// PNG's CRC-32 (ISO 3309), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert!(decode(b"", Kind::Png).is_err());
        assert!(decode(b"\x89PNG\r\n\x1a\n garbage", Kind::Png).is_err());
        assert!(decode(&[0xff, 0xd8, 0xff, 0xe0, 0, 0], Kind::Jpeg).is_err());
        // A valid PNG header (its CRC right) that claims 1 000 000 × 1 000 000 pixels:
        // refused by the limits, before any pixel buffer is planned.
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
        ihdr.extend_from_slice(&1_000_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        let e = decode(&png, Kind::Png).expect_err("too large");
        assert!(e.contains("limit"), "{e}");
    }
}
