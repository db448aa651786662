//! The scan against quick-xml's `read_to_end_into`, the general path it stands in for.

use super::*;
use crate::xml::dom::{position, xml_error};
use crate::xml::stream::recording;
use quick_xml::events::Event;

/// Every event of `doc`, read in buffers of `capacity` bytes (all at once if 0), with
/// the position after it; the first element named `name` passed over by `skip_to_end`
/// (or by `read_to_end_into` when `fast` is false); and the error that ended the read,
/// as the readers report it, with the bytes recorded then.
fn trace(doc: &[u8], capacity: usize, name: &[u8], fast: bool) -> Vec<String> {
    let mut out = Vec::new();
    let input: Box<dyn std::io::BufRead> = match capacity {
        0 => Box::new(doc),
        c => Box::new(std::io::BufReader::with_capacity(c, doc)),
    };
    let Ok(mut xml) = recording(input) else {
        return vec!["no input".into()];
    };
    let (mut buf, mut inner) = (Vec::new(), Vec::new());
    let mut skipped = false;
    loop {
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e.into_owned(),
            Err(e) => {
                out.push(format!("{:?}", xml_error(&xml, &e)));
                break;
            }
        };
        out.push(format!("{event:?} {}", position(&xml)));
        match event {
            Event::Start(e) if !skipped && e.name().as_ref() == name => {
                skipped = true;
                let result = if fast {
                    skip_to_end(&mut xml, name, &mut inner)
                } else {
                    inner.clear();
                    xml.read_to_end_into(QName(name), &mut inner).map(drop)
                };
                if let Err(e) = result {
                    out.push(format!("{:?}", xml_error(&xml, &e)));
                    out.push(format!("{:?}", xml.get_ref().recorded()));
                    break;
                }
                out.push(format!("skipped to {}", position(&xml)));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// `scan` of `fragment` after `<name>`, checked against quick-xml: handing over to
/// `read_to_end_into` where the scan stopped gives what quick-xml alone gives (in a
/// whole document read as the streaming readers read it), and an end the scan claims
/// is where quick-xml finds it.
fn agrees(name: &[u8], fragment: &[u8]) -> Result<Scan, String> {
    let s = scan(fragment, name);
    if s.safe > fragment.len() {
        return Err(format!("safe {} past the end", s.safe));
    }
    if s.ended {
        // Opened as the skipped element is, so the end names are checked against it.
        let mut doc = b"<".to_vec();
        doc.extend_from_slice(name);
        doc.push(b'>');
        let head = doc.len();
        doc.extend_from_slice(fragment);
        let mut xml2 = quick_xml::Reader::from_reader(doc.as_slice());
        xml2.config_mut().expand_empty_elements = true;
        let mut buf = Vec::new();
        let _ = xml2.read_event_into(&mut buf);
        match xml2.read_to_end_into(QName(name), &mut buf) {
            Ok(span) if span.end == (head + s.safe) as u64 => {}
            other => return Err(format!("scan ended at {}, quick-xml: {other:?}", s.safe)),
        }
    }
    for wrap in [&b"<kml>"[..], b"\xEF\xBB\xBF<kml>"] {
        for open in [&b">"[..], b" a='>'>"] {
            let mut doc = wrap.to_vec();
            doc.push(b'<');
            doc.extend_from_slice(name);
            doc.extend_from_slice(open);
            doc.extend_from_slice(fragment);
            // Ended by the file, too: errors without a place of their own (a missing
            // end tag) are reported where quick-xml last placed one.
            for tail in [&b"<after/></kml>"[..], b""] {
                let mut doc = doc.clone();
                doc.extend_from_slice(tail);
                for capacity in [0, 5, 16, 64] {
                    let fast = trace(&doc, capacity, name, true);
                    let slow = trace(&doc, capacity, name, false);
                    if fast != slow {
                        return Err(format!("{capacity}: fast {fast:#?}\nslow {slow:#?}"));
                    }
                }
            }
        }
    }
    Ok(s)
}

#[track_caller]
fn ends_at(fragment: &str, name: &str, at: usize) {
    let s = agrees(name.as_bytes(), fragment.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s,
        Scan {
            safe: at,
            ended: true
        },
        "{fragment}"
    );
}

#[track_caller]
fn stops_at(fragment: &str, name: &str, at: usize) {
    let s = agrees(name.as_bytes(), fragment.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s,
        Scan {
            safe: at,
            ended: false
        },
        "{fragment}"
    );
}

#[test]
fn finds_the_end_past_markup_that_holds_the_name() {
    let f = "<name a=\"</P>\" b='>'>x</name><!-- </P> --><![CDATA[</P>]]><?pi </P>?>t&amp;</P>";
    ends_at(f, "P", f.len() - 4);
}

#[test]
fn nested_elements_of_the_same_name_are_counted() {
    ends_at("<P><P/></P></P>", "P", 11);
    ends_at("<P/></P>", "P", 4);
}

#[test]
fn end_tags_may_end_in_whitespace_and_keep_their_prefix() {
    ends_at("<a></a\n></kml:P \t>", "kml:P", 8);
    // The name must be the start tag's as written.
    stops_at("</P>", "kml:P", 0);
    stops_at("</ P>", "P", 0);
}

#[test]
fn a_mismatched_end_inside_is_left_to_quick_xml() {
    stops_at("<name>x</nam></P>", "P", 0);
    stops_at("<a/><name>x</nam></P>", "P", 4);
    stops_at("<a><b></a></b></P>", "P", 0);
}

#[test]
fn unclosed_or_refused_markup_is_left_to_quick_xml() {
    stops_at("<a>", "P", 0);
    stops_at("<a/><b c=\">\"", "P", 4);
    stops_at("<a/><!-- x", "P", 4);
    ends_at("<a/><!-->--></P>", "P", 12);
    stops_at("<a/><!--->", "P", 4);
    stops_at("<a/><![CDATA[x]>", "P", 4);
    stops_at("<a/><!DOCTYPE x></P>", "P", 4);
    stops_at("<a/><!x></P>", "P", 4);
    stops_at("<a/><?></P>", "P", 4);
    stops_at("<a/><?xml version='1.0'?></P>", "P", 4);
    stops_at("<a/><", "P", 4);
    stops_at("<a/></P", "P", 4);
    stops_at("text only", "P", 0);
}

#[test]
fn short_comments_end_where_quick_xml_ends_them() {
    ends_at("<!---->x</P>", "P", 8);
    ends_at("<!-- a -- b --></P>", "P", 15);
    ends_at("<??></P>", "P", 4);
}

#[test]
fn an_empty_start_leaves_nothing_to_scan() {
    let doc = b"<kml><P/><after/></kml>";
    for capacity in [0, 8] {
        assert_eq!(
            trace(doc, capacity, b"P", true),
            trace(doc, capacity, b"P", false)
        );
    }
}

/// Pieces of XML-ish text: markup of every kind the scan knows, and of kinds it
/// leaves to quick-xml.
const TOKENS: &[&str] = &[
    "x",
    " ",
    "&amp;",
    "&",
    ">",
    "<",
    "</",
    "\r\n",
    "é",
    "<a>",
    "</a>",
    "<a/>",
    "<P>",
    "</P>",
    "<P/>",
    "</P >",
    "<k:P>",
    "</k:P>",
    "<name>",
    "</name>",
    "</nam>",
    "<a b=\"x>y\">",
    "<a b='</P>'>",
    "<a b=\"'\">",
    "<a b=\"",
    "<a/ >",
    "< a>",
    "<>",
    "</>",
    "<!-- c -->",
    "<!-- </P> -->",
    "<!---->",
    "<!-->",
    "<!--->",
    "<!--",
    "-->",
    "<![CDATA[ ]]>",
    "<![CDATA[</P>]]>",
    "<![CDATA[",
    "]]>",
    "<![CDAT[x]]>",
    "<?pi x?>",
    "<?pi </P> ?>",
    "<??>",
    "<?>",
    "<?xml version='1.0'?>",
    "<?",
    "<!DOCTYPE d>",
    "<!x>",
    "<!",
];

/// A fragment built from `picks`: an opening or closing kept balanced (so that many
/// fragments end the element) or any token, the element's end, and then perhaps a
/// cut.
fn fragment(picks: &[u16], cut: Option<usize>) -> String {
    let mut out = String::new();
    let mut open: Vec<&str> = Vec::new();
    for &p in picks {
        match p % 4 {
            0 => {
                let n = ["a", "P", "k:P", "name"][usize::from(p / 4) % 4];
                out.push_str(&format!("<{n}>"));
                open.push(n);
            }
            1 => {
                if let Some(n) = open.pop() {
                    out.push_str(&format!("</{n}>"));
                }
            }
            _ => out.push_str(TOKENS[usize::from(p / 4) % TOKENS.len()]),
        }
    }
    while let Some(n) = open.pop() {
        out.push_str(&format!("</{n}>"));
    }
    out.push_str("</P>");
    if let Some(cut) = cut {
        let mut at = cut % (out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Random fragments, well-formed or not, cut or not: the scan and quick-xml agree.
    #[test]
    fn the_scan_agrees_with_quick_xml(
        picks in proptest::collection::vec(0u16..1000, 0..24),
        cut in proptest::option::weighted(0.3, 0usize..400),
    ) {
        let f = fragment(&picks, cut);
        if let Err(e) = agrees(b"P", f.as_bytes()) {
            proptest::prop_assert!(false, "{:?}: {}", f, e);
        }
    }

    /// Balanced fragments of plain tags and text end the element, where quick-xml does.
    #[test]
    fn the_scan_ends_well_formed_fragments(
        picks in proptest::collection::vec(0u16..1000, 0..24),
    ) {
        let picks: Vec<u16> = picks.into_iter().filter(|p| p % 4 < 2 || usize::from(p / 4) % TOKENS.len() < 4).collect();
        let f = fragment(&picks, None);
        let s = agrees(b"P", f.as_bytes());
        proptest::prop_assert!(matches!(s, Ok(Scan { ended: true, .. })), "{:?}: {:?}", f, s);
    }
}

#[test]
fn a_placemark_as_the_benches_write_it_ends() {
    let f = "\n        <name>Alpha beta 1</name>\n        <description><![CDATA[<h3>x</h3><p>a <b>b</b></p><a href=\"https://example.org/p/1?x=1&y=2\">more</a>]]></description>\n        <styleUrl>#sm1</styleUrl>\n        <ExtendedData><Data name=\"id\"><value>1</value></Data></ExtendedData>\n        <Polygon><outerBoundaryIs><LinearRing><coordinates>1,2,3 4,5,6</coordinates></LinearRing></outerBoundaryIs></Polygon>\n      </Placemark>\n";
    ends_at(f, "Placemark", f.len() - 1 - "</Placemark>".len());
}
