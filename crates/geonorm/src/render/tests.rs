//! The renderers' unit tests: code frames, JSON, SARIF, located positions.

use super::*;
use crate::Span;

fn render(src: &Source<'_>, diags: &[Diagnostic], frame: bool) -> String {
    let mut out = Vec::new();
    let opts = HumanOptions::default();
    let r = if frame {
        human(&mut out, src, diags, &opts)
    } else {
        one_line(&mut out, src, diags, &opts)
    };
    r.expect("write to a Vec");
    String::from_utf8(out).expect("utf8")
}

#[test]
fn caret_sits_under_a_multibyte_character() {
    let text = "{\"title\": \"Hikes／2024\", \"x\": é}".as_bytes();
    let at = text
        .windows(2)
        .position(|w| w == "é".as_bytes())
        .expect("é");
    let d = Diagnostic::new(Code::JsonSyntax, "bad").at(Span::new(at, at + 2));
    let out = render(&Source::new("a.json", text), &[d], true);
    let lines: Vec<&str> = out.lines().collect();
    // Column in characters: `／` counts once although it is three bytes.
    assert_eq!(lines[0], "a.json:1:30: error[json/syntax]: bad");
    let source = lines[2].strip_prefix("1 | ").expect("source line");
    let caret = lines[3].strip_prefix("  | ").expect("caret line");
    let under: Vec<char> = source.chars().collect();
    assert_eq!(under[caret.chars().count() - 1], 'é', "{out}");
}

#[test]
fn control_characters_are_escaped_everywhere() {
    let text = b"<a>\x1b[2J\tx</a>";
    let d = Diagnostic::new(Code::XmlForbiddenChar, "got \u{1b}[31m red")
        .at(Span::new(3, 4))
        .with_help("line\nbreak");
    let out = render(&Source::new("n\u{7}.kml", text), &[d], true);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("n\\u{7}.kml:1:4: warning[xml/forbidden-char]: got \\u{1b}[31m red"));
    assert!(out.contains("1 | <a>\\u{1b}[2J x</a>"), "{out}");
    // The caret counts the escape's width: it points at the escaped character.
    assert!(out.contains("  |    ^\n"), "{out}");
    assert!(out.ends_with("    help: line\\u{a}break\n"), "{out}");
    // Five lines: head, gutter, source, caret, help; the help's newline escaped.
    assert_eq!(out.lines().count(), 5);
}

#[test]
fn one_line_form_with_help_and_places() {
    let text = b"ab\r\ncd";
    let diags = [
        Diagnostic::new(Code::KmlBadColor, "bad colour")
            .at(Span::new(5, 6))
            .with_help("use aabbggrr"),
        Diagnostic::new(Code::KmzUnreadable, "unreadable"),
    ];
    let src = Source::new("t.kmz", b"").in_entry("doc.kml", text);
    let out = render(&src, &diags, false);
    assert_eq!(
        out,
        "t.kmz!doc.kml:2:2: warning: bad colour [kml/bad-color]\n    help: use aabbggrr\n\
         t.kmz: error: unreadable [kmz/unreadable]\n"
    );
}

#[test]
fn findings_past_the_cap_are_counted() {
    let diags: Vec<Diagnostic> = (0..5)
        .map(|i| Diagnostic::new(Code::KmlBadColor, format!("c{i}")))
        .collect();
    let mut out = Vec::new();
    let opts = HumanOptions {
        max_per_code: Some(2),
        ..HumanOptions::default()
    };
    human(&mut out, &Source::new("x.kml", b""), &diags, &opts).expect("write");
    let out = String::from_utf8(out).expect("utf8");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.ends_with("x.kml: … and 3 more kml/bad-color\n"),
        "{out}"
    );
}

#[test]
fn json_fields() {
    let text = "a\n／b".as_bytes();
    let diags = [
        Diagnostic::new(Code::KmlBadColor, "m")
            .at(Span::new(5, 6))
            .with_help("h"),
        Diagnostic::new(Code::KmzUnreadable, "big"),
    ];
    let v = json(
        &Source::new("t.kmz", b"PK").in_entry("doc.kml", text),
        &diags,
    );
    assert_eq!(
        v[0],
        json!({"code": "kml/bad-color", "severity": "warning", "message": "m",
               "help": "h", "line": 2, "column": 2, "start": 5, "end": 6,
               "entry": "doc.kml"})
    );
    assert_eq!(v[1]["entry"], Value::Null);
    assert_eq!(v[1]["line"], Value::Null);
    assert_eq!(v[1]["severity"], "error");
}

#[test]
fn serde_forms_of_the_diagnostic_types() {
    let d = Diagnostic::new(Code::GeometryLatOutOfRange, "m").at(Span::new(1, 2));
    assert_eq!(
        serde_json::to_value(&d).expect("serialize"),
        json!({"code": "geometry/lat-out-of-range", "severity": "error",
               "message": "m", "span": {"start": 1, "end": 2}, "help": null})
    );
    assert_eq!(serde_json::to_value(Severity::Info).expect("ser"), "info");
}

#[test]
fn sarif_nests_a_kmz_entry_in_its_archive() {
    let kml = b"<kml>\n  <x/>\n</kml>";
    let diags = [Diagnostic::new(Code::KmlBadColor, "m").at(Span::new(8, 9))];
    let plain = [Diagnostic::new(Code::KmlBadColor, "n").at(Span::new(0, 1))];
    let files = [
        (
            Source::new("dir/t.kmz", b"PK").in_entry("doc.kml", kml),
            &diags[..],
        ),
        (Source::new("a.kml", b"<kml/>"), &plain[..]),
    ];
    let v = sarif(&files);
    let run = &v["runs"][0];
    assert_eq!(run["artifacts"][0]["location"]["uri"], "dir/t.kmz");
    assert_eq!(run["artifacts"][1]["location"]["uri"], "doc.kml");
    assert_eq!(run["artifacts"][1]["parentIndex"], 0);
    let loc = &run["results"][0]["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"],
        json!({"uri": "doc.kml", "index": 1})
    );
    assert_eq!(
        loc["physicalLocation"]["region"],
        json!({"startLine": 2, "startColumn": 3})
    );
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "dir/t.kmz!doc.kml"
    );
    let other = &run["results"][1]["locations"][0]["physicalLocation"];
    assert_eq!(other["artifactLocation"], json!({"uri": "a.kml"}));
}

#[test]
fn spans_past_the_end_or_into_empty_text_do_not_panic() {
    let diags = [
        Diagnostic::new(Code::JsonSyntax, "a").at(Span::new(50, 60)),
        Diagnostic::new(Code::JsonSyntax, "b").at(Span::new(2, 1)),
    ];
    for text in [&b""[..], b"x\n", b"\xff\xfe\n\xc3"] {
        let src = Source::new("f", text);
        let out = render(&src, &diags, true);
        assert!(out.starts_with("f:"), "{out}");
        let _ = render(&src, &diags, false);
        let _ = json(&src, &diags);
    }
    let out = render(&Source::new("f", b""), &diags[..1], true);
    assert!(out.starts_with("f:1:1: error"), "{out}");
}

#[test]
fn a_streamed_file_renders_as_the_held_one() {
    let long = "x".repeat(300) + "é" + &"y".repeat(300);
    let texts: Vec<Vec<u8>> = vec![
        b"{\"a\": 1,\r\n  \"b\": [1, 2]\n}".to_vec(),
        "\u{feff}{\"t\": \"Zürich／Höngg\"}\n\n".as_bytes().to_vec(),
        format!("[\n{long}\n]").into_bytes(),
        b"\xEF\xBB\xBF\n\nabc".to_vec(),
        Vec::new(),
    ];
    for text in &texts {
        // A finding at every offset, and one past the end.
        let diags: Vec<Diagnostic> = (0..=text.len() + 1)
            .map(|i| Diagnostic::new(Code::GeojsonBadPosition, "m").at(Span::new(i, i + 1)))
            .collect();
        let offsets = diags.iter().filter_map(|d| d.span.map(|s| s.start));
        let located = Located::scan(&text[..], offsets).expect("scan");
        for frame in [true, false] {
            let held = render(&Source::new("f", text), &diags, frame);
            let streamed = render(&Source::streamed("f", &located), &diags, frame);
            assert_eq!(streamed, held, "{:?}", String::from_utf8_lossy(text));
        }
        let held = json(&Source::new("f", text), &diags);
        assert_eq!(json(&Source::streamed("f", &located), &diags), held);
    }
}

#[test]
fn a_large_streamed_file_is_located_in_bulk_as_the_held_one() {
    // Over the scanner's buffer many times; findings far apart, so most buffers are
    // counted in bulk.
    let mut text = String::from("\u{feff}");
    for i in 0..4000 {
        text.push_str(&format!(
            "  {{\"n\": {i}, \"t\": \"Zürich／Höngg {}\"}},\r\n",
            "é".repeat(i % 7)
        ));
    }
    text.push_str(&"x".repeat(70_000));
    let text = text.as_bytes();
    let diags: Vec<Diagnostic> = [
        0,
        5,
        65_535,
        65_536,
        131_073,
        200_000,
        text.len() - 3,
        text.len(),
    ]
    .into_iter()
    .chain((1..40).map(|k| k * 7_919))
    .map(|i| Diagnostic::new(Code::GeojsonBadPosition, "m").at(Span::new(i, i + 1)))
    .collect();
    let located =
        Located::scan(text, diags.iter().filter_map(|d| d.span.map(|s| s.start))).expect("scan");
    for frame in [true, false] {
        assert_eq!(
            render(&Source::streamed("f", &located), &diags, frame),
            render(&Source::new("f", text), &diags, frame)
        );
    }
}

#[test]
fn colour_styles_the_same_text() {
    let bytes = br#"{"type":"Point","coordinates":[200,10]}"#;
    let report =
        crate::check(bytes[..].into(), &crate::validate::CheckOptions::default()).expect("check");
    let src = Source::new("p.geojson", bytes);
    for frame in [true, false] {
        let render = |color: bool| {
            let opts = HumanOptions {
                color,
                ..HumanOptions::default()
            };
            let mut out = Vec::new();
            if frame {
                human(&mut out, &src, &report.diagnostics, &opts).expect("write");
            } else {
                one_line(&mut out, &src, &report.diagnostics, &opts).expect("write");
            }
            String::from_utf8(out).expect("utf8")
        };
        let (plain, styled) = (render(false), render(true));
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(styled.contains("\x1b[1m\x1b[31merror"), "{styled}");
        // Without its styles, the coloured text is the plain one.
        let mut stripped = String::new();
        let mut rest = styled.as_str();
        while let Some(i) = rest.find('\x1b') {
            stripped.push_str(&rest[..i]);
            let end = rest[i..].find('m').expect("an SGR sequence ends in m");
            rest = &rest[i + end + 1..];
        }
        stripped.push_str(rest);
        assert_eq!(stripped, plain);
    }
}
