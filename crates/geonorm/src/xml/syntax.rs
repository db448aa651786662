//! quick-xml's errors in plain words: the one place where an XML syntax error becomes
//! the sentence a user reads (code `xml/syntax`). quick-xml's own texts name its
//! internals ("ill-formed document", "position 12: …"); users need to know what to
//! fix.
//!
//! Matched on the error's kind, which quick-xml makes public with the names it needs
//! (the tags of a mismatch, the prefix, the entity); no message text is read.

use quick_xml::errors::{IllFormedError, SyntaxError};
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::name::NamespaceError;
use quick_xml::Error;

/// The sentence for a quick-xml error met while reading. (An I/O error is not a syntax
/// error: [`super::dom::xml_error`] keeps it apart; it is worded here only so that
/// the match is complete.)
pub(crate) fn xml_syntax_message(e: &Error) -> String {
    match e {
        Error::Syntax(s) => match s {
            SyntaxError::InvalidBangMarkup => {
                "`<!` starts neither a comment (`<!--`), CDATA (`<![CDATA[`) nor a DOCTYPE"
                    .into()
            }
            SyntaxError::UnclosedPIOrXmlDecl => {
                "the file ends inside a `<?…` declaration: its `?>` is missing".into()
            }
            SyntaxError::UnclosedComment => {
                "the file ends inside a comment: its `-->` is missing".into()
            }
            SyntaxError::UnclosedDoctype => {
                "the file ends inside the DOCTYPE: its `>` is missing".into()
            }
            SyntaxError::UnclosedCData => "the file ends inside CDATA: its `]]>` is missing".into(),
            SyntaxError::UnclosedTag => "the file ends inside a tag: its `>` is missing".into(),
        },
        Error::IllFormed(i) => match i {
            IllFormedError::MissingDeclVersion(None) => {
                "the XML declaration has no `version` (write `<?xml version=\"1.0\"?>`)".into()
            }
            IllFormedError::MissingDeclVersion(Some(first)) => {
                format!("the XML declaration must start with `version`, not `{first}`")
            }
            IllFormedError::MissingDoctypeName => "the DOCTYPE names no root element".into(),
            IllFormedError::MissingEndTag(name) => ends_inside(name),
            IllFormedError::UnmatchedEndTag(name) => {
                format!("`</{name}>` closes an element that is not open")
            }
            IllFormedError::MismatchedEndTag { expected, found } => format!(
                "the element <{expected}> is closed by </{found}>: a `</{expected}>` is missing before it"
            ),
            IllFormedError::DoubleHyphenInComment => {
                "a comment holds `--`, which XML does not allow inside comments".into()
            }
        },
        Error::InvalidAttr(a) => match a {
            AttrError::ExpectedEq(_) => "an attribute name without `=` and a value".into(),
            AttrError::ExpectedValue(_) => "an attribute's `=` is not followed by a value".into(),
            AttrError::UnquotedValue(_) => {
                "an attribute value must be in quotes (`\"…\"` or `'…'`)".into()
            }
            AttrError::ExpectedQuote(_, q) => format!(
                "an attribute value opened with {} is not closed by the same quote",
                char::from(*q)
            ),
            AttrError::Duplicated(..) => "the same attribute is given twice".into(),
        },
        Error::Escape(x) => match x {
            EscapeError::UnrecognizedEntity(_, name) => {
                format!("`&{name};` is not one of XML's five entities")
            }
            EscapeError::UnterminatedEntity(_) => {
                "a `&` without its `;`: a literal ampersand is written `&amp;`".into()
            }
            EscapeError::InvalidCharRef(_) => {
                "a character reference (`&#…;`) that is not a character XML allows".into()
            }
        },
        Error::Namespace(n) => match n {
            NamespaceError::UnknownPrefix(p) => format!(
                "the namespace prefix `{}` is not declared (an `xmlns:{0}=\"…\"` is missing)",
                String::from_utf8_lossy(p)
            ),
            _ => "a namespace declaration binds a prefix XML reserves (`xml`, `xmlns`)".into(),
        },
        // quick-xml decodes names as UTF-8; the input was made UTF-8 before it, so
        // only stray bytes in a name get here.
        Error::Encoding(_) => "a tag or attribute name holds bytes that are not UTF-8".into(),
        Error::Io(io) => format!("the file could not be read: {io}"),
    }
}

/// The sentence for a file that ends while `<name>` is still open.
pub(crate) fn ends_inside(name: &str) -> String {
    format!("the file ends inside <{name}>: its `</{name}>` is missing")
}

#[cfg(test)]
mod tests {
    use crate::{Error, LineIndex};

    /// The message and 1-based line and column of reading `text` as KML.
    fn kml_error(text: &[u8]) -> (String, (usize, usize)) {
        match crate::kml::read(text) {
            Err(Error::Syntax {
                message, offset, ..
            }) => {
                let shown = crate::Format::Kml.spans_text(text);
                (message, LineIndex::new(&shown).line_col(&shown, offset))
            }
            other => panic!("not a syntax error: {other:?}"),
        }
    }

    #[test]
    fn broken_xml_in_plain_words_at_its_place() {
        let head = "<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n";
        let table: [(&str, &str, (usize, usize)); 6] = [
            (
                "<Placemark><name>a</name></Document></kml>",
                "the element <Placemark> is closed by </Document>: a `</Placemark>` is missing before it",
                (2, 26),
            ),
            (
                "<Folder>\n<name>x</name>",
                "the file ends inside <Folder>: its `</Folder>` is missing",
                (3, 15),
            ),
            (
                "<Placemark><name>a",
                "the file ends inside <name>: its `</name>` is missing",
                (2, 19),
            ),
            ("</Document></kml><!-- x", "the file ends inside a comment: its `-->` is missing", (2, 18)),
            ("<Placemark", "the file ends inside a tag: its `>` is missing", (2, 1)),
            ("</Document></kml></x>", "`</x>` closes an element that is not open", (2, 18)),
        ];
        for (tail, message, at) in table {
            let text = format!("{head}{tail}");
            assert_eq!(
                kml_error(text.as_bytes()),
                (message.to_string(), at),
                "{tail}"
            );
        }
    }

    #[test]
    fn positions_count_a_utf8_byte_order_mark_and_decoded_text() {
        let text = "<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n<Placemark><name>Zürich</name></Document></kml>\n";
        let expected = (
            "the element <Placemark> is closed by </Document>: a `</Placemark>` is missing before it"
                .to_string(),
            (2, 31),
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(kml_error(&bom), expected);
        // The span counts the mark's 3 bytes: it points at `<` in the user's bytes.
        let Err(Error::Syntax { offset, .. }) = crate::kml::read(&bom[..]) else {
            panic!("syntax error");
        };
        assert_eq!(&bom[offset..offset + 2], b"</");
        for le in [true, false] {
            let mut utf16 = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in text.encode_utf16() {
                utf16.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            assert_eq!(
                kml_error(&utf16),
                expected,
                "UTF-16 {}",
                if le { "LE" } else { "BE" }
            );
        }
    }
}
