//! What the XML formats (KML, GPX) share: getting the input to UTF-8, small element
//! trees for the pieces that carry data, and telling a format's own elements from
//! foreign ones.

pub(crate) mod dom;

use std::io::{BufRead, BufReader};

use encoding_rs::Encoding;

use crate::Result;

/// The input as UTF-8. UTF-16 (by byte order mark or by the shape of `<?xml`) and
/// single-byte encodings declared in the prolog (ISO-8859-1, Windows-1252…) are
/// transcoded while reading; byte offsets in diagnostics then count the UTF-8 text.
pub(crate) fn utf8_input<'a, R: BufRead + 'a>(mut input: R) -> Result<Box<dyn BufRead + 'a>> {
    let head = input.fill_buf()?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
        return Ok(Box::new(input));
    }
    match sniff_encoding(head) {
        None => Ok(Box::new(input)),
        Some(encoding) => {
            let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(input);
            Ok(Box::new(BufReader::with_capacity(64 * 1024, decoder)))
        }
    }
}

/// The encoding of an XML text that is not UTF-8, `None` for UTF-8.
fn sniff_encoding(head: &[u8]) -> Option<&'static Encoding> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"<\0?\0") {
        return Some(encoding_rs::UTF_16LE);
    }
    if head.starts_with(b"\xFE\xFF") || head.starts_with(b"\0<\0?") {
        return Some(encoding_rs::UTF_16BE);
    }
    let decl = head.strip_prefix(b"<?xml")?;
    let end = memchr::memmem::find(decl, b"?>")?;
    let decl = &decl[..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let quote = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let rest = &rest[quote + 1..];
    let close = rest.iter().position(|&b| b == b'"' || b == b'\'')?;
    let encoding = Encoding::for_label(&rest[..close])?;
    (encoding != encoding_rs::UTF_8).then_some(encoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn decode(bytes: &[u8]) -> String {
        let mut s = String::new();
        utf8_input(bytes)
            .expect("input")
            .read_to_string(&mut s)
            .expect("utf8");
        s
    }

    #[test]
    fn latin1_declared_in_the_prolog_is_transcoded() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><name>Z\xFCrich</name>";
        assert!(decode(bytes).ends_with("<name>Zürich</name>"));
    }

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let text = "<?xml version=\"1.0\"?><kml>é</kml>";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&bytes), text);
    }

    #[test]
    fn utf8_passes_through_without_its_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBF<kml/>"), "<kml/>");
        assert_eq!(
            decode(b"<?xml version='1.0' encoding='utf-8'?><kml/>"),
            "<?xml version='1.0' encoding='utf-8'?><kml/>"
        );
    }
}
