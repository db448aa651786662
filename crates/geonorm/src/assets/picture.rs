//! Icons and photos decoded and encoded afresh for MapHub, within pixel limits.
//!
//! Every image that is uploaded is decoded and encoded again, never sent as the source
//! holds it: a file can be a valid PNG and something else at once (an HTML page after
//! the image data, a script in a chunk MapHub would serve back), and only pixels pass
//! through a fresh encoder. Nothing is decoded before its header's size passes the
//! limit, so a few kilobytes claiming billions of pixels cost nothing.

use std::io::Cursor;

use super::budget::{Limits, MARKER_MAX_SIDE};

/// Bytes ready for MapHub, their file type and size, and what was done to them.
#[derive(Debug)]
pub(super) struct Prepared {
    pub bytes: Vec<u8>,
    pub file_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub done: Option<String>,
}

const READABLE: &str = "not an image geonorm can read (PNG, JPEG, GIF or BMP)";

/// JPEG quality of a photo encoded again: visually the same as the camera's.
const JPEG_QUALITY: u8 = 90;

/// The pixels an input's images may still decode to: spent by each decode, so many
/// images under the limit of one cannot add up to a long run.
#[derive(Debug)]
pub(super) struct Pixels {
    left: u64,
}

impl Pixels {
    pub fn new(limits: &Limits) -> Pixels {
        Pixels {
            left: limits.max_total_pixels,
        }
    }
}

/// A reader whose decoder may allocate no more than `max_pixels` 4-byte pixels: with
/// the header checked first, a crafted image cannot make geonorm allocate more.
fn reader(bytes: &[u8], max_pixels: u64) -> Result<image::ImageReader<Cursor<&[u8]>>, String> {
    let mut r = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    let side = u32::try_from(max_pixels).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side);
    limits.max_image_height = Some(side);
    limits.max_alloc = Some(max_pixels.saturating_mul(4).max(1 << 20));
    r.limits(limits);
    Ok(r)
}

pub(super) fn type_name(f: image::ImageFormat) -> &'static str {
    match f {
        image::ImageFormat::Png => "png",
        image::ImageFormat::Jpeg => "jpg",
        image::ImageFormat::Gif => "gif",
        image::ImageFormat::Bmp => "bmp",
        _ => "other",
    }
}

/// An image decoded once its header says it is within `max_pixels` and what is left
/// of the input's `budget`, turned as its EXIF orientation says (the fresh encoding
/// carries no EXIF). Its format, and its size as the header gives it.
fn decode(
    bytes: &[u8],
    max_pixels: u64,
    budget: &mut Pixels,
    what: &str,
) -> Result<(image::ImageFormat, u32, u32, image::DynamicImage), String> {
    use image::ImageDecoder;
    let r = reader(bytes, max_pixels)?;
    let format = r.format().ok_or(READABLE)?;
    let mut decoder = r.into_decoder().map_err(|e| format!("{READABLE}: {e}"))?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > max_pixels {
        return Err(format!(
            "it is {w}×{h} px, over the limit of {max_pixels} pixels for {what}"
        ));
    }
    if pixels > budget.left {
        return Err(format!(
            "it is {w}×{h} px, and the images before it used this input's budget of decoded pixels (refused as a possible decompression bomb)"
        ));
    }
    budget.left -= pixels;
    let orientation = decoder.orientation().ok();
    let mut img =
        image::DynamicImage::from_decoder(decoder).map_err(|e| format!("{READABLE}: {e}"))?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    Ok((format, w, h, img))
}

fn encoded(img: &image::DynamicImage, format: image::ImageFormat) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Jpeg => {
            let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
            let encoder =
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            rgb.write_with_encoder(encoder)
        }
        _ => img.write_to(&mut out, image::ImageFormat::Png),
    }
    .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// An icon as `marker/upload` takes it: a PNG of at most [`MARKER_MAX_SIDE`] pixels,
/// encoded afresh.
pub(super) fn prepare_marker(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Pixels,
) -> Result<Prepared, String> {
    let (format, w, h, mut img) = decode(bytes, limits.max_marker_pixels, budget, "an icon")?;
    let mut done = Vec::new();
    if format != image::ImageFormat::Png {
        done.push(format!(
            "converted from {} to PNG (MapHub's marker/upload takes PNG only)",
            type_name(format).to_ascii_uppercase()
        ));
    }
    if w.max(h) > MARKER_MAX_SIDE {
        img = img.resize(
            MARKER_MAX_SIDE,
            MARKER_MAX_SIDE,
            image::imageops::FilterType::Triangle,
        );
        done.push(format!(
            "scaled from {w}×{h} to {}×{} px (markers show at pin size; {MARKER_MAX_SIDE} px keeps them sharp on dense screens)",
            img.width(),
            img.height()
        ));
    }
    Ok(Prepared {
        bytes: encoded(&img, image::ImageFormat::Png)?,
        file_type: "png",
        width: img.width(),
        height: img.height(),
        done: (!done.is_empty()).then(|| done.join("; ")),
    })
}

/// A photo as `image/upload` takes it: JPEG as JPEG and PNG as PNG, GIF and BMP
/// converted to PNG, all encoded afresh.
pub(super) fn prepare_image(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut Pixels,
) -> Result<Prepared, String> {
    let (format, _, _, img) = decode(bytes, limits.max_image_pixels, budget, "a photo")?;
    let to = match format {
        image::ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        _ => image::ImageFormat::Png,
    };
    let out = encoded(&img, to)?;
    if out.len() as u64 > limits.max_bytes {
        return Err(format!(
            "as {} it would be {} bytes, over the limit of {}",
            type_name(to).to_ascii_uppercase(),
            out.len(),
            limits.max_bytes
        ));
    }
    let done = (!matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg)).then(|| {
        format!(
            "converted from {} to PNG (MapHub's image/upload takes JPEG or PNG)",
            type_name(format).to_ascii_uppercase()
        )
    });
    Ok(Prepared {
        bytes: out,
        file_type: type_name(to),
        width: img.width(),
        height: img.height(),
        done,
    })
}

/// A file kept as the source holds it (for [`super::Purpose::Files`]): written beside
/// a converted document, not uploaded, so not decoded.
pub(super) fn keep_as_is(bytes: Vec<u8>) -> Prepared {
    let format = image::guess_format(&bytes).ok();
    Prepared {
        bytes,
        file_type: format.map_or("bin", type_name),
        width: 0,
        height: 0,
        done: None,
    }
}
