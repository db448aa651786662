//! Deterministic, realistic inputs for the benches: the same bytes on every run.
//!
//! Modelled on the shapes `../shared/bench/gen.py` produces (nested folders, shared
//! styles and StyleMaps, ExtendedData, HTML descriptions, points, long lines and
//! polygons with holes), written here so the project owns its bench inputs.

#![allow(dead_code)]

use std::fmt::Write;

/// A small PCG-style generator: no dependency, stable across platforms.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_f64() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

const WORDS: [&str; 16] = [
    "alpine", "ridge", "harbour", "meadow", "summit", "valley", "bridge", "forest", "lake",
    "trail", "market", "tower", "station", "garden", "river", "chapel",
];
const BASES: [(f64, f64); 6] = [
    (7.75, 46.02),
    (2.35, 48.86),
    (-122.42, 37.77),
    (151.21, -33.87),
    (139.69, 35.69),
    (13.40, 52.52),
];

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn walk(rng: &mut Rng, mut lon: f64, mut lat: f64, n: usize) -> Vec<(f64, f64, f64)> {
    let mut ele = rng.range(200.0, 2500.0);
    (0..n)
        .map(|_| {
            lon += rng.range(-4e-4, 4e-4);
            lat += rng.range(-4e-4, 4e-4);
            ele += rng.range(-3.0, 3.0);
            (lon, lat, ele)
        })
        .collect()
}

fn ring(rng: &mut Rng, lon: f64, lat: f64, n: usize, r: f64) -> Vec<(f64, f64, f64)> {
    let ele = rng.range(200.0, 2500.0);
    let mut pts: Vec<_> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let rr = r * rng.range(0.8, 1.2);
            (lon + rr * a.cos(), lat + rr * a.sin(), ele)
        })
        .collect();
    pts.push(pts[0]);
    pts
}

fn kml_coords(pts: &[(f64, f64, f64)]) -> String {
    let mut s = String::with_capacity(pts.len() * 30);
    for (i, (x, y, z)) in pts.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:.7},{y:.7},{z:.1}");
    }
    s
}

/// What a generated KML holds.
pub struct KmlCounts {
    pub placemarks: usize,
    pub folders: usize,
}

/// A KML of about `target` bytes: 6 × 5 × 4 nested folders, 24 styles, 8 style maps,
/// placemarks 70% points, 20% lines of 50 to 500 positions, 10% polygons with a hole.
pub fn kml(target: usize, seed: u64) -> (Vec<u8>, KmlCounts) {
    let mut rng = Rng::new(seed);
    let mut placemarks = Vec::new();
    let mut size = 0;
    while size < target {
        let i = placemarks.len();
        let name = format!("{} {i}", words(&mut rng, 2));
        let desc = if rng.next_f64() < 0.35 {
            format!(
                "<description><![CDATA[<h3>{name}</h3><p>{} <b>{}</b></p><a href=\"https://example.org/p/{i}?x=1&y=2\">more</a>]]></description>",
                words(&mut rng, 8),
                words(&mut rng, 2)
            )
        } else {
            format!(
                "<description>{} &amp; {}</description>",
                words(&mut rng, 6),
                words(&mut rng, 4)
            )
        };
        let style = if rng.next_f64() < 0.5 {
            format!("#sm{}", rng.below(8))
        } else {
            format!("#s{}", rng.below(24))
        };
        let ext = format!(
            "<Data name=\"id\"><value>{i}</value></Data><Data name=\"category\"><value>{}</value></Data><Data name=\"rating\"><value>{:.1}</value></Data>",
            words(&mut rng, 1),
            rng.range(0.0, 5.0)
        );
        let (blon, blat) = BASES[rng.below(BASES.len())];
        let (lon, lat) = (blon + rng.range(-0.5, 0.5), blat + rng.range(-0.5, 0.5));
        let r = rng.next_f64();
        let geom = if r < 0.7 {
            let z = rng.range(0.0, 3000.0);
            format!(
                "<Point><coordinates>{}</coordinates></Point>",
                kml_coords(&[(lon, lat, z)])
            )
        } else if r < 0.9 {
            let n = 50 + rng.below(450);
            let pts = walk(&mut rng, lon, lat, n);
            format!(
                "<LineString><tessellate>1</tessellate><coordinates>{}</coordinates></LineString>",
                kml_coords(&pts)
            )
        } else {
            let (n_outer, n_inner) = (20 + rng.below(180), 8 + rng.below(32));
            let outer = ring(&mut rng, lon, lat, n_outer, 0.01);
            let mut inner = ring(&mut rng, lon, lat, n_inner, 0.003);
            inner.reverse();
            format!(
                "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs></Polygon>",
                kml_coords(&outer),
                kml_coords(&inner)
            )
        };
        let pm = format!(
            "      <Placemark id=\"pm{i}\">\n        <name>{name}</name>\n        {desc}\n        <styleUrl>{style}</styleUrl>\n        <ExtendedData>{ext}</ExtendedData>\n        {geom}\n      </Placemark>\n"
        );
        size += pm.len();
        placemarks.push(pm);
    }
    let mut out = String::with_capacity(size + 10_000);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n  <name>Generated benchmark document</name>\n");
    for s in 0..24 {
        let _ = writeln!(
            out,
            "  <Style id=\"s{s}\"><IconStyle><color>ff{:06x}</color><Icon><href>http://maps.google.com/mapfiles/kml/paddle/{}.png</href></Icon></IconStyle><LineStyle><color>ff{:06x}</color><width>{}</width></LineStyle><PolyStyle><color>7f{:06x}</color></PolyStyle></Style>",
            rng.below(1 << 24),
            s % 10,
            rng.below(1 << 24),
            1 + s % 5,
            rng.below(1 << 24)
        );
    }
    for m in 0..8 {
        let _ = writeln!(
            out,
            "  <StyleMap id=\"sm{m}\"><Pair><key>normal</key><styleUrl>#s{}</styleUrl></Pair><Pair><key>highlight</key><styleUrl>#s{}</styleUrl></Pair></StyleMap>",
            2 * m,
            2 * m + 1
        );
    }
    let leaves = 6 * 5 * 4;
    let per = placemarks.len().div_ceil(leaves);
    let mut k = 0;
    for a in 0..6 {
        let _ = writeln!(out, "  <Folder><name>Region {a}</name>");
        for b in 0..5 {
            let _ = writeln!(out, "   <Folder><name>Area {a}.{b}</name>");
            for c in 0..4 {
                let _ = writeln!(
                    out,
                    "    <Folder><name>Group {a}.{b}.{c}</name><open>0</open>"
                );
                for pm in placemarks.iter().skip(k).take(per) {
                    out.push_str(pm);
                }
                k += per;
                out.push_str("    </Folder>\n");
            }
            out.push_str("   </Folder>\n");
        }
        out.push_str("  </Folder>\n");
    }
    out.push_str("</Document>\n</kml>\n");
    let counts = KmlCounts {
        placemarks: placemarks.len(),
        folders: 6 * (1 + 5 * (1 + 4)),
    };
    (out.into_bytes(), counts)
}

/// A MapHub-style FeatureCollection of `n` features (points, and tracks with
/// per-vertex times and heart rate).
pub fn geojson(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 0..n {
        if i > 0 {
            s.push_str(",\n");
        }
        let (x, y) = (rng.range(-10.0, 30.0), rng.range(35.0, 60.0));
        if i % 4 == 3 {
            let pts = 40;
            let coords: Vec<String> = (0..pts)
                .map(|k| {
                    format!(
                        "[{:.6},{:.6},{:.1}]",
                        x + k as f64 * 1e-4,
                        y + rng.next_f64() * 1e-4,
                        rng.range(200.0, 250.0)
                    )
                })
                .collect();
            let times: Vec<String> = (0..pts)
                .map(|k| format!("\"2024-07-14T06:{:02}:{:02}Z\"", k / 60, k % 60))
                .collect();
            let heart: Vec<String> = (0..pts)
                .map(|_| format!("{}", 100 + rng.below(60)))
                .collect();
            let _ = write!(
                s,
                "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"LineString\",\"coordinates\":[{}]}},\"properties\":{{\"title\":\"Track {i}\",\"group\":{},\"stroke\":\"#2980b9\",\"coordinateProperties\":{{\"times\":[{}],\"heart\":[{}]}}}}}}",
                coords.join(","),
                1 + i % 8,
                times.join(","),
                heart.join(",")
            );
        } else {
            let _ = write!(
                s,
                "{{\"type\":\"Feature\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{x:.6},{y:.6}]}},\"properties\":{{\"title\":\"Place {i}\",\"description\":\"Generated point number {i}, with some text to read.\",\"group\":{},\"marker-color\":\"#3cc954\",\"rating\":{:.1}}}}}",
                1 + i % 8,
                rng.range(0.0, 5.0)
            );
        }
    }
    s.push_str("\n],\"groups\":[");
    let groups: Vec<String> = (1..=8)
        .map(|g| format!("{{\"title\":\"Group {g}\",\"id\":{g}}}"))
        .collect();
    s.push_str(&groups.join(","));
    s.push_str("]}\n");
    s.into_bytes()
}

/// What a generated GPX holds.
pub struct GpxCounts {
    pub waypoints: usize,
    pub routes: usize,
    pub tracks: usize,
    pub track_points: usize,
}

fn timestamp(seconds: u64) -> String {
    // 2024-05-01T06:00:00Z plus `seconds`, without a date library: days fit in May.
    let s = 6 * 3600 + seconds;
    let (day, rest) = (1 + s / 86_400, s % 86_400);
    format!(
        "2024-05-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A GPX of about `target` bytes: 200 waypoints, 5 routes, then tracks of 3 to 12
/// segments of 200 to 1,500 points with elevation, time and Garmin heart rate.
pub fn gpx(target: usize, seed: u64) -> (Vec<u8>, GpxCounts) {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(target + 100_000);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx version=\"1.1\" creator=\"bench-gen\" xmlns=\"http://www.topografix.com/GPX/1/1\" xmlns:gpxtpx=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\">\n  <metadata><name>Generated benchmark GPX</name><time>2024-05-01T06:00:00Z</time></metadata>\n");
    let mut counts = GpxCounts {
        waypoints: 200,
        routes: 5,
        tracks: 0,
        track_points: 0,
    };
    for i in 0..200 {
        let (blon, blat) = BASES[rng.below(BASES.len())];
        let _ = writeln!(
            s,
            "  <wpt lat=\"{:.7}\" lon=\"{:.7}\"><ele>{:.1}</ele><time>{}</time><name>{} {i}</name><desc>{}</desc><sym>Summit</sym></wpt>",
            blat + rng.range(-0.5, 0.5),
            blon + rng.range(-0.5, 0.5),
            rng.range(0.0, 3000.0),
            timestamp(60 * i as u64),
            words(&mut rng, 2),
            words(&mut rng, 6)
        );
    }
    for r in 0..5 {
        let (blon, blat) = BASES[rng.below(BASES.len())];
        let n = 50 + rng.below(150);
        let _ = writeln!(s, "  <rte><name>Route {r}</name>");
        for (j, (x, y, e)) in walk(&mut rng, blon, blat, n).into_iter().enumerate() {
            let _ = writeln!(s, "    <rtept lat=\"{y:.7}\" lon=\"{x:.7}\"><ele>{e:.1}</ele><name>RP{r}-{j}</name></rtept>");
        }
        s.push_str("  </rte>\n");
    }
    let mut t = 0u64;
    while s.len() < target {
        let _ = writeln!(
            s,
            "  <trk><name>Activity {}</name><type>hiking</type>",
            counts.tracks
        );
        let (mut lon, mut lat) = BASES[rng.below(BASES.len())];
        for seg in 0..3 + rng.below(10) {
            if seg > 0 && s.len() >= target {
                break;
            }
            s.push_str("    <trkseg>\n");
            let n = 200 + rng.below(1300);
            let mut hr = 90 + rng.below(30) as i64;
            let pts = walk(&mut rng, lon, lat, n);
            if let Some(&(x, y, _)) = pts.last() {
                (lon, lat) = (x, y);
            }
            for (x, y, e) in pts {
                t += [1, 1, 2, 5][rng.below(4)];
                hr = (hr + rng.below(5) as i64 - 2).clamp(60, 190);
                let _ = writeln!(
                    s,
                    "      <trkpt lat=\"{y:.7}\" lon=\"{x:.7}\"><ele>{e:.1}</ele><time>{}</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>",
                    timestamp(t)
                );
            }
            s.push_str("    </trkseg>\n");
            counts.track_points += n;
        }
        s.push_str("  </trk>\n");
        counts.tracks += 1;
    }
    s.push_str("</gpx>\n");
    (s.into_bytes(), counts)
}
