//! Formats, and telling them apart from the first bytes and the file name.

use std::fmt;
use std::path::Path;

/// A supported file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// GeoJSON (RFC 7946), including MapHub's dialect.
    GeoJson,
    /// KML 2.x.
    Kml,
    /// KML zipped (KMZ).
    Kmz,
    /// GPX 1.0 or 1.1.
    Gpx,
}

impl Format {
    /// Every format, in the order names list them (`geojson`, `kml`, `kmz`, `gpx`).
    pub const ALL: [Format; 4] = [Format::GeoJson, Format::Kml, Format::Kmz, Format::Gpx];

    /// Lower-case name, also the usual file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Kml => "kml",
            Format::Kmz => "kmz",
            Format::Gpx => "gpx",
        }
    }

    /// The `file_type` MapHub's `map/upload` and `map/append` take for this format
    /// (KMZ is sent as `kml`).
    pub fn maphub_file_type(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Kml | Format::Kmz => "kml",
            Format::Gpx => "gpx",
        }
    }

    /// The format a file extension names (`json` counts as GeoJSON).
    ///
    /// ```
    /// use geonorm::Format;
    /// assert_eq!(Format::from_extension("GeoJSON"), Some(Format::GeoJson));
    /// assert_eq!(Format::from_extension("txt"), None);
    /// ```
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "kml" => Some(Format::Kml),
            "kmz" => Some(Format::Kmz),
            "gpx" => Some(Format::Gpx),
            _ => None,
        }
    }

    /// The format of `path` by its extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_extension)
    }

    /// Detects the format from the first bytes of a file (up to a few kilobytes are
    /// enough), falling back to the file name's extension. Content wins because files
    /// are often misnamed (`.json` holding KML, `.kml` that is really a zip).
    ///
    /// ```
    /// use geonorm::Format;
    /// assert_eq!(Format::detect(b"{\"type\":\"FeatureCollection\"}", None), Some(Format::GeoJson));
    /// assert_eq!(Format::detect(b"<?xml version=\"1.0\"?>\n<gpx version=\"1.1\">", None), Some(Format::Gpx));
    /// assert_eq!(Format::detect(b"", Some("a.kml".as_ref())), Some(Format::Kml));
    /// ```
    pub fn detect(head: &[u8], path: Option<&Path>) -> Option<Format> {
        sniff(head).or_else(|| path.and_then(Format::from_path))
    }

    /// Whether a file's first bytes look like GeoJSON: a JSON object with a `"type"` whose
    /// value is one of GeoJSON's types, or a `"features"` member. A `package.json` or a
    /// `tsconfig.json` is no map. Stricter than [`Format::detect`], which takes any
    /// object for GeoJSON: for a walk that meets every `.json` of a repository.
    pub fn looks_like_geojson(head: &[u8]) -> bool {
        const TYPES: [&[u8]; 9] = [
            b"FeatureCollection",
            b"Feature",
            b"Point",
            b"MultiPoint",
            b"LineString",
            b"MultiLineString",
            b"Polygon",
            b"MultiPolygon",
            b"GeometryCollection",
        ];
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let skip_ws =
            |s: &[u8]| -> usize { s.iter().take_while(|b| b.is_ascii_whitespace()).count() };
        let start = skip_ws(head);
        if head.get(start) != Some(&b'{') {
            return false;
        }
        let mut rest = &head[start..];
        while let Some(i) = memchr::memmem::find(rest, b"\"type\"") {
            let mut after = &rest[i + 6..];
            rest = after;
            after = &after[skip_ws(after)..];
            let Some(after) = after.strip_prefix(b":") else {
                continue;
            };
            let after = &after[skip_ws(after)..];
            let Some(value) = after.strip_prefix(b"\"") else {
                continue;
            };
            let end = value.iter().position(|&b| b == b'"').unwrap_or(value.len());
            if TYPES.contains(&&value[..end]) {
                return true;
            }
        }
        memchr::memmem::find(&head[start..], b"\"features\"").is_some()
    }

    /// Whether `head`, an input's first bytes, is binary data none of the formats can
    /// be: a NUL byte among its first [`Format::BINARY_HEAD`] bytes, in what is neither a
    /// zip nor text whose start the content already tells (`<kml`, `{`), nor UTF-16.
    /// Such an input (`/dev/zero`, an image, a sparse file) is refused from its first
    /// bytes, before a reader would take megabytes of it for one text node.
    ///
    /// ```
    /// use geonorm::Format;
    /// assert!(Format::is_binary(&[0; 64]));
    /// assert!(Format::is_binary(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
    /// assert!(!Format::is_binary(b"PK\x03\x04\0\0"));
    /// assert!(!Format::is_binary(b"\xFF\xFE<\0k\0m\0l\0>\0"));
    /// assert!(!Format::is_binary(b"  {\"type\": \"Feature\"}"));
    /// ```
    pub fn is_binary(head: &[u8]) -> bool {
        let head = &head[..head.len().min(Format::BINARY_HEAD)];
        if memchr::memchr(0, head).is_none() || sniff(head).is_some() {
            return false;
        }
        // UTF-16 with a byte order mark, or without one: `<` beside a NUL.
        let utf16 = head.starts_with(b"\xFF\xFE")
            || head.starts_with(b"\xFE\xFF")
            || head.starts_with(b"<\0")
            || head.starts_with(b"\0<");
        !utf16
    }

    /// How many first bytes [`Format::is_binary`] looks at.
    pub const BINARY_HEAD: usize = 1024;
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") {
        return Some(Format::Kmz);
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().position(|b| !b.is_ascii_whitespace())?;
    match head[first] {
        b'{' => Some(Format::GeoJson),
        b'<' => {
            // The root element follows the prolog, comments and a DOCTYPE; look for the
            // first element whose name (without prefix) is kml or gpx.
            let mut rest = &head[first..];
            while let Some(lt) = memchr::memchr(b'<', rest) {
                rest = &rest[lt + 1..];
                if matches!(rest.first(), Some(b'?' | b'!')) {
                    continue;
                }
                let end = rest
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
                    .unwrap_or(rest.len());
                let name = &rest[..end];
                let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
                return match local.to_ascii_lowercase().as_slice() {
                    b"kml" => Some(Format::Kml),
                    b"gpx" => Some(Format::Gpx),
                    // A KML fragment (a bare Placemark or NetworkLink) or a GPX with
                    // an odd root still names its namespace.
                    _ if memchr::memmem::find(head, b"opengis.net/kml").is_some()
                        || memchr::memmem::find(head, b"earth.google.com/kml").is_some() =>
                    {
                        Some(Format::Kml)
                    }
                    _ if memchr::memmem::find(head, b"topografix.com/GPX").is_some() => {
                        Some(Format::Gpx)
                    }
                    _ => None,
                };
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geojson_is_told_from_other_json() {
        assert!(Format::looks_like_geojson(
            br#"{"type": "FeatureCollection", "features": []}"#
        ));
        assert!(Format::looks_like_geojson(
            b"\xEF\xBB\xBF\n {\"bbox\":[1,2,3,4],\"type\" :\"Point\"}"
        ));
        assert!(Format::looks_like_geojson(
            br#"{"name": "x", "features": [{}]}"#
        ));
        assert!(!Format::looks_like_geojson(
            br#"{"name": "app", "type": "module", "version": "1.0.0"}"#
        ));
        assert!(!Format::looks_like_geojson(
            br#"{"compilerOptions": {"strict": true}}"#
        ));
        assert!(!Format::looks_like_geojson(br#"[{"type": "Feature"}]"#));
        assert!(!Format::looks_like_geojson(b""));
    }

    #[test]
    fn sniffs_xml_roots_behind_prolog_and_comments() {
        let kml = b"\xEF\xBB\xBF<?xml version='1.0'?><!-- x --><kml:kml xmlns:kml='x'>";
        assert_eq!(Format::detect(kml, None), Some(Format::Kml));
        assert_eq!(Format::detect(b"  <GPX>", None), Some(Format::Gpx));
        assert_eq!(
            Format::detect(b"<html>", Some("a.gpx".as_ref())),
            None.or(Some(Format::Gpx))
        );
    }

    #[test]
    fn content_wins_over_extension() {
        assert_eq!(
            Format::detect(b"{}", Some("a.kml".as_ref())),
            Some(Format::GeoJson)
        );
        assert_eq!(
            Format::detect(b"PK\x03\x04rest", Some("a.kml".as_ref())),
            Some(Format::Kmz)
        );
        assert_eq!(Format::detect(b"hello", None), None);
    }
}
