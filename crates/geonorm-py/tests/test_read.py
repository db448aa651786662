"""Reading: every format from a path and from bytes, the model's fields, and the
`__geo_interface__` protocol (GeoJSON dicts Shapely and GeoPandas take as they are)."""

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import shapely.errors
import shapely.geometry

import geonorm
from conftest import TESTDATA, sample_files

ONE_OF_EACH = {
    "kml": TESTDATA / "kml/togeojson/multigeometry.kml",
    "kmz": TESTDATA / "kml/openlayers/iceland.kmz",
    "gpx": TESTDATA / "gpx/togeojson/run.gpx",
    "geojson": TESTDATA / "geojson/georust-countries.geojson",
}


def _info(cli, path):
    """What `geonorm info --format json` says of the file."""
    run = subprocess.run(
        [str(cli), "info", "--format", "json", str(path)], capture_output=True, check=False
    )
    return json.loads(run.stdout)


def _lists(v):
    """Tuples (Shapely's coordinates) as lists, for comparing with JSON."""
    if isinstance(v, (list, tuple)):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return {k: _lists(x) for k, x in v.items()}
    return v


def _closed(geom):
    """The geometry with its polygon rings closed, as Shapely closes them."""

    def ring(r):
        return r + [r[0]] if r and r[0] != r[-1] else r

    if geom["type"] == "Polygon":
        return dict(geom, coordinates=[ring(r) for r in geom["coordinates"]])
    if geom["type"] == "MultiPolygon":
        return dict(geom, coordinates=[[ring(r) for r in p] for p in geom["coordinates"]])
    if geom["type"] == "GeometryCollection":
        return dict(geom, geometries=[_closed(g) for g in geom["geometries"]])
    return geom


def _unbuildable(geom):
    """What in the geometry GEOS cannot build, which Shapely then refuses: polygon
    rings of fewer than 4 positions (closed), lines of fewer than 2, positions of mixed
    dimensions (2D and 3D in one array). geonorm keeps them as read; check reports the
    first two."""
    kind, found = geom["type"], []
    if kind == "GeometryCollection":
        return [x for g in geom["geometries"] for x in _unbuildable(g)]
    coords = _closed(geom)["coordinates"]
    if kind == "Polygon":
        found += [("short ring", r) for r in coords if len(r) < 4]
    if kind == "MultiPolygon":
        found += [("short ring", r) for p in coords for r in p if len(r) < 4]
    if kind == "LineString":
        found += [("short line", coords)] if len(coords) < 2 else []
    if kind == "MultiLineString":
        found += [("short line", line) for line in coords if len(line) < 2]

    def dims(c):
        if c and isinstance(c[0], (int, float)):
            return {len(c)}
        return set().union(*(dims(x) for x in c)) if c else set()

    if kind != "Point" and len(dims(coords)) > 1:
        found.append(("mixed dimensions", coords))
    return found


def _shape_data(geom):
    """What Shapely's mapping gives back of a geometry: coordinates, or the members."""
    if geom["type"] == "GeometryCollection":
        return [_shape_data(g) for g in geom["geometries"]]
    return geom["coordinates"]


# Sample files geonorm refuses (the CLI too): each with the code it is refused with.
# Any other file that fails to read fails the test.
# (The sample is every 7th file: adding a test file changes it, and this list with it.)
REFUSED = {
    "geojson/check-geojson-bad/bad-object-type.geojson": "geojson/wrong-type",
    "geojson/geojsonhint-bad/featurecollection-type-case.geojson": "geojson/wrong-type",
}


@pytest.mark.parametrize("fmt", sorted(ONE_OF_EACH))
def test_each_format_reads_from_a_path_and_from_bytes(cli, fmt):
    path = ONE_OF_EACH[fmt]
    assert path.exists(), path
    from_path = geonorm.read(path)
    from_str = geonorm.read(str(path))
    from_bytes = geonorm.read(path.read_bytes())
    info = _info(cli, path)
    assert from_path.format == fmt == info["format"]
    assert len(from_path.features) == info["features"] > 0
    assert len(from_path.groups) == info["groups"]
    data = path.read_bytes()
    from_view = geonorm.read(memoryview(data))
    from_array = geonorm.read(bytearray(data))
    for doc in (from_str, from_bytes, from_view, from_array):
        assert doc.format == fmt
        assert doc.__geo_interface__ == from_path.__geo_interface__
        assert [f.title for f in doc.features] == [f.title for f in from_path.features]
    # The format can be named, and a wrong one is not silently accepted.
    assert len(geonorm.read(path.read_bytes(), format=fmt).features) == info["features"]


def test_the_model_fields():
    kml = b"""<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
  <Style id="s"><IconStyle><color>ff00ff00</color></IconStyle></Style>
  <Folder><name>Alps</name><Folder><name>Huts</name>
    <Placemark><name>Hut</name><description>Open <b>daily</b></description>
      <styleUrl>#s</styleUrl><TimeStamp><when>2024-05-01T10:00:00Z</when></TimeStamp>
      <ExtendedData><Data name="beds"><value>12</value></Data></ExtendedData>
      <Point><coordinates>8.25,46.5,2100</coordinates></Point></Placemark>
  </Folder></Folder></Document></kml>"""
    doc = geonorm.read(kml)
    assert doc.format == "kml"
    [hut] = doc.features
    assert hut.title == "Hut"
    assert hut.description == "Open <b>daily</b>"
    assert hut.time == "2024-05-01T10:00:00Z"
    assert hut.properties["beds"] in ("12", 12)
    assert hut.geometry == {"type": "Point", "coordinates": [8.25, 46.5, 2100]}
    assert hut.group.title == "Huts"
    assert hut.group.path == "Alps\uff0fHuts"
    alps = [g for g in doc.groups if g.title == "Alps"][0]
    assert hut.group.parent == alps.id
    assert hut.style.get("marker-color", "").lower() == "#00ff00"
    gi = hut.__geo_interface__
    assert gi["type"] == "Feature"
    assert gi["properties"]["title"] == "Hut"
    assert gi["properties"]["group"] == hut.group.id


def test_per_vertex_values_are_plain_lists():
    doc = geonorm.read(ONE_OF_EACH["gpx"])
    track = [f for f in doc.features if f.geometry and "Line" in f.geometry["type"]][0]
    values = track.vertex_values
    coords = track.geometry["coordinates"]
    n = len(coords) if track.geometry["type"] == "LineString" else sum(map(len, coords))
    assert values, "a GPX run has per-vertex times"
    for name, column in values.items():
        assert isinstance(column, list), name
        assert len(column) == n, name
    times = values.get("time") or values.get("times")
    assert times and all(isinstance(t, str) for t in times if t is not None)


@pytest.mark.parametrize("path", sample_files()[::7], ids=lambda p: p.name)
def test_geo_interface_round_trips_through_shapely(path):
    name = path.relative_to(TESTDATA).as_posix()
    if name in REFUSED:
        with pytest.raises(geonorm.ReadError) as e:
            geonorm.read(path)
        assert e.value.diagnostic.code == REFUSED[name]
        return
    doc = geonorm.read(path)
    for f in doc.features:
        if f.geometry is None:
            continue
        geom = f.__geo_interface__["geometry"]
        try:
            shape = shapely.geometry.shape(f)
        except (ValueError, shapely.errors.GEOSException):
            # Shapely refuses only what GEOS cannot build; the dict must then be what
            # geonorm read.
            assert _unbuildable(geom), geom
            assert geom == f.geometry
            continue
        assert shape.geom_type == geom["type"]
        back = _lists(shapely.geometry.mapping(shape))
        assert _shape_data(back) == _shape_data(_closed(geom)), f.title


def test_the_refused_samples_are_sampled():
    """Each file REFUSED names is one of the sampled files, so none is listed in vain."""
    sampled = {p.relative_to(TESTDATA).as_posix() for p in sample_files()[::7]}
    assert set(REFUSED) <= sampled


def test_the_document_geo_interface_is_the_cli_geojson(cli):
    path = ONE_OF_EACH["kml"]
    run = subprocess.run([str(cli), "convert", str(path)], capture_output=True, check=True)
    doc = geonorm.read(path)
    assert doc.__geo_interface__ == json.loads(run.stdout)
    assert doc.to_geojson() == run.stdout
    fc = doc.__geo_interface__
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(doc)


@pytest.mark.parametrize("path", sample_files()[::5], ids=lambda p: p.name)
def test_read_diagnostics_are_the_clis(cli, path):
    run = subprocess.run(
        [str(cli), "info", "--format", "json", str(path)], capture_output=True, check=False
    )
    if not run.stdout:
        # The CLI could not read it: neither can the package, and it says why.
        with pytest.raises(geonorm.ReadError) as e:
            geonorm.read(path)
        assert e.value.diagnostic is not None
        return
    info = json.loads(run.stdout)
    doc = geonorm.read(path)
    want = [(d["code"], d["line"], d["column"], d["entry"]) for d in info["diagnostics"]]
    got = [(d.code, d.line, d.column, d.entry) for d in doc.diagnostics]
    assert got == want


def test_threads_read_many_files_at_once():
    files = [p for p in sample_files() if p.stat().st_size < 300_000][::3][:60]
    assert len(files) >= 30

    def digest(path):
        try:
            doc = geonorm.read(path)
        except geonorm.ReadError as e:
            return ("error", e.diagnostic.code if e.diagnostic else None)
        return (doc.format, len(doc), json.dumps(doc.__geo_interface__, sort_keys=True))

    alone = [digest(p) for p in files]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(digest, files * 3))
    assert together == alone * 3


def test_geopandas_takes_a_document():
    # .ci/python installs GeoPandas and sets GEONORM_CI: there its absence fails. Only
    # elsewhere (a developer's venv without it) is the test skipped.
    if os.environ.get("GEONORM_CI"):
        import geopandas
    else:
        geopandas = pytest.importorskip("geopandas")
    doc = geonorm.read(TESTDATA / "geojson/maphub/alps-trip.geojson")
    df = geopandas.GeoDataFrame.from_features(doc)
    assert list(df["title"]) == [f.title for f in doc.features]
    kinds = [f.geometry["type"] if f.geometry else None for f in doc.features]
    assert [k if isinstance(k, str) else None for k in df.geometry.geom_type] == kinds


def test_a_path_is_read_within_the_same_bounds_as_the_cli(tmp_path):
    """`/dev/zero` and a 2 GB sparse file given by name are refused from their first
    bytes as binary data by the reader, not read into memory (every input bounded)."""
    sparse = tmp_path / "sparse.geojson"
    with open(sparse, "wb") as f:
        f.truncate(2 << 30)
    with pytest.raises(geonorm.ReadError, match="binary data"):
        geonorm.read(str(sparse))
    # No name to tell the format by, and zeros for content: refused, not read on.
    with pytest.raises(geonorm.ReadError, match="not a KML, KMZ, GPX or GeoJSON file"):
        geonorm.read("/dev/zero")


def test_an_unknown_format_name_is_refused_naming_every_format():
    with pytest.raises(ValueError) as e:
        geonorm.read(b'{"type":"FeatureCollection","features":[]}', format="SHP")
    assert str(e.value) == "unknown format \"shp\"; expected 'geojson', 'kml', 'kmz' or 'gpx'"
    # Names are read as file extensions are: any case, `json` too.
    assert geonorm.read(b'{"type":"FeatureCollection","features":[]}', format="JSON").features == []
