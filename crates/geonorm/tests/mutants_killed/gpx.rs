//! The GPX reader (`gpx/read.rs`): where each feature is placed.

/// `Ctx::waypoint`, `Walk::run_with`: "delete field span from struct Feature
/// expression". A waypoint, a route and a track are each placed at their own element,
/// which every diagnostic about them points to.
#[test]
fn gpx_features_are_placed_at_their_elements() {
    let text = r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="1" lon="2"><name>W</name></wpt><rte><name>R</name><rtept lat="1" lon="2"/><rtept lat="3" lon="4"/></rte><trk><name>T</name><trkseg><trkpt lat="1" lon="2"/><trkpt lat="3" lon="4"/></trkseg></trk></gpx>"#;
    let (doc, _) = geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    let placed: Vec<(&str, &str)> = doc
        .features
        .iter()
        .map(|f| {
            let title = f.title.as_deref().unwrap_or_default();
            (title, &text[f.span.start..f.span.end])
        })
        .collect();
    assert_eq!(placed.len(), 3, "{placed:?}");
    for (title, at) in placed {
        let open = match title {
            "W" => "<wpt ",
            "R" => "<rte>",
            "T" => "<trk>",
            other => panic!("unexpected feature {other}"),
        };
        assert!(at.starts_with(open), "{title}: {at}");
        assert!(
            at.contains(&format!("<name>{title}</name>")),
            "{title}: {at}"
        );
    }
}

/// `gpx/point.rs` `child`: "delete match arm Event::CData(t)". A track point's
/// extension written as CDATA is a per-point value like one written as text.
#[test]
fn a_point_extension_in_cdata_is_kept() {
    let text = r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="1" lon="2"><extensions><note><![CDATA[a & b]]></note></extensions></trkpt><trkpt lat="3" lon="4"><extensions><note>c</note></extensions></trkpt></trkseg></trk></gpx>"#;
    let (doc, _) = geonorm::read(
        text.as_bytes(),
        &geonorm::ReadOptions::format(geonorm::Format::Gpx),
    )
    .map(geonorm::Parsed::into_parts)
    .expect("readable");
    assert_eq!(doc.features.len(), 1);
    let Some(geonorm::Geometry::LineString(line)) = &doc.features[0].geometry else {
        panic!("a line: {:?}", doc.features[0].geometry);
    };
    let names: Vec<&str> = line.columns().iter().map(|c| c.name.as_str()).collect();
    let note = line.column("notes").map(|c| &c.values);
    let Some(geonorm::ColumnValues::Texts(note)) = note else {
        panic!("text values under `notes` (the column of `<note>`): {names:?} {note:?}");
    };
    assert_eq!(note.iter().collect::<Vec<_>>(), [Some("a & b"), Some("c")]);
}

/// `gpx/point.rs` `extensions`: the CDATA guard `!t.iter().all(u8::is_ascii_whitespace)`
/// replaced by `true` / `false`, "delete !". Text written as CDATA directly in a
/// point's `<extensions>` (outside any element) is said skipped; blank CDATA is not.
#[test]
fn cdata_directly_in_point_extensions_is_said_skipped_unless_blank() {
    let said = |cdata: &str| {
        let text = format!(
            r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="1" lon="2"><extensions><![CDATA[{cdata}]]></extensions></trkpt><trkpt lat="3" lon="4"/></trkseg></trk></gpx>"#
        );
        let (_, diags) = geonorm::read(
            text.as_bytes(),
            &geonorm::ReadOptions::format(geonorm::Format::Gpx),
        )
        .map(geonorm::Parsed::into_parts)
        .expect("readable");
        diags
            .iter()
            .filter(|d| {
                d.message
                    .contains("text directly in a point's <extensions>")
            })
            .count()
    };
    assert_eq!(said("stray"), 1);
    assert_eq!(said(" \n "), 0);
}
