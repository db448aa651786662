"""Arrow out: `Document.to_arrow()`, the Arrow PyCapsule stream, `read_arrow` and
`read_dataframe` (GeoPandas from the Arrow table), on the repository's real files."""

import json
import math
import struct
import os
import sys
import warnings

import pytest

import geonorm
from conftest import TESTDATA, all_map_files, sample_files
from test_read import ONE_OF_EACH, REFUSED, _info, _unbuildable


def _need(name):
    """An optional package: .ci/python installs it (GEONORM_CI), so there its absence
    fails; elsewhere the test is skipped."""
    if os.environ.get("GEONORM_CI"):
        return __import__(name)
    return pytest.importorskip(name)


pa = _need("pyarrow")
shapely = _need("shapely")

KML_FOLDERS = TESTDATA / "kml/fastkml/KML_Samples.kml"


def _wkb_positions(data):
    """Every position of an ISO WKB geometry (little- or big-endian), in order, as
    (x, y, z or None), and its type names: read here byte by byte, so geometries GEOS
    refuses (unclosed or short rings) are compared too."""
    names = {1: "Point", 2: "LineString", 3: "Polygon", 4: "MultiPoint",
             5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
    out, kinds = [], []

    def geometry(at):
        order = "<" if data[at] == 1 else ">"
        (code,) = struct.unpack_from(order + "I", data, at + 1)
        at += 5
        z = code >= 1000
        kind = names[code % 1000]
        kinds.append(kind)

        def count(at):
            return struct.unpack_from(order + "I", data, at)[0], at + 4

        def position(at):
            n = 3 if z else 2
            v = struct.unpack_from(order + "d" * n, data, at)
            out.append((v[0], v[1], None if not z or math.isnan(v[2]) else v[2]))
            return at + 8 * n

        def positions(at):
            n, at = count(at)
            for _ in range(n):
                at = position(at)
            return at

        if kind == "Point":
            return position(at)
        if kind == "LineString":
            return positions(at)
        if kind == "Polygon":
            n, at = count(at)
            for _ in range(n):
                at = positions(at)
            return at
        n, at = count(at)
        for _ in range(n):
            at = geometry(at)
        return at

    end = geometry(0)
    assert end == len(data), "trailing bytes"
    return out, kinds


def _rings_closed(geom):
    """True when every polygon ring of the GeoJSON geometry dict ends where it starts."""
    kind = geom["type"]
    if kind == "GeometryCollection":
        return all(_rings_closed(g) for g in geom["geometries"])
    polys = {"Polygon": [geom["coordinates"]], "MultiPolygon": geom["coordinates"]}.get(kind, [])
    return all(r and r[0] == r[-1] for p in polys for r in p)


def _kinds(geom):
    """The type names of a GeoJSON geometry dict, as WKB nests them."""
    kind = geom["type"]
    if kind == "GeometryCollection":
        return [kind] + [k for g in geom["geometries"] for k in _kinds(g)]
    parts = {"MultiPoint": "Point", "MultiLineString": "LineString", "MultiPolygon": "Polygon"}
    if kind in parts:
        return [kind] + [parts[kind]] * len(geom["coordinates"])
    return [kind]


def _positions(geom):
    """Every position of a GeoJSON geometry dict, in order, as (x, y, z or None)."""
    if geom["type"] == "GeometryCollection":
        return [p for g in geom["geometries"] for p in _positions(g)]

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            yield (c[0], c[1], c[2] if len(c) > 2 else None)
        else:
            for x in c:
                yield from walk(x)

    return list(walk(geom["coordinates"]))


@pytest.mark.parametrize("fmt", sorted(ONE_OF_EACH))
def test_one_row_per_feature_with_typed_columns(cli, fmt):
    path = ONE_OF_EACH[fmt]
    doc = geonorm.read(path)
    table = doc.to_arrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == len(doc) == _info(cli, path)["features"] > 0
    schema = table.schema
    assert schema.names[:9] == [
        "geometry", "id", "title", "description", "group", "group_id", "time",
        "time_begin", "time_end",
    ]
    geometry = schema.field("geometry")
    assert geometry.type == pa.large_binary()
    assert geometry.metadata[b"ARROW:extension:name"] == b"geoarrow.wkb"
    crs = json.loads(geometry.metadata[b"ARROW:extension:metadata"])
    assert crs["crs"] == "OGC:CRS84"
    assert schema.field("title").type == pa.large_string()
    assert schema.field("group_id").type == pa.uint64()
    assert schema.field("stroke-width").type == pa.float64()
    assert table.column("title").to_pylist() == [f.title for f in doc]
    assert table.column("description").to_pylist() == [f.description for f in doc]
    assert table.column("group_id").to_pylist() == [f.group.id if f.group else None for f in doc]
    assert table.column("marker-color").to_pylist() == [f.style.get("marker-color") for f in doc]


@pytest.mark.filterwarnings("ignore:geonorm. properties with values of mixed types")
@pytest.mark.parametrize("path", all_map_files(), ids=lambda p: p.relative_to(TESTDATA).as_posix())
def test_wkb_geometries_equal_the_models_through_shapely(path):
    # Every testdata file: the WKB read by Shapely (GEOS) has the model's positions.
    try:
        doc = geonorm.read(path)
    except geonorm.ReadError:
        return  # refused files are test_read's business
    table = doc.to_arrow()
    assert table.num_rows == len(doc)
    for f, wkb in zip(doc, table.column("geometry").to_pylist()):
        geom = f.geometry
        if geom is None:
            assert wkb is None
            continue
        want = _positions(geom)
        # The bytes themselves: every position and part, GEOS-buildable or not.
        got, kinds = _wkb_positions(wkb)
        assert kinds == _kinds(geom), f.title
        assert got == want, f.title
        # Through Shapely, whatever GEOS can build (not short or unclosed rings).
        shape = shapely.from_wkb(wkb, on_invalid="ignore")
        if _unbuildable(geom) or shape is None:
            assert _unbuildable(geom) or not _rings_closed(geom), f.title
            continue
        assert shape.geom_type == geom["type"], f.title
        has_z = any(z is not None for _, _, z in want)
        got = shapely.get_coordinates(shape, include_z=has_z).tolist()
        assert len(got) == len(want), f.title
        for g, (x, y, z) in zip(got, want):
            assert (g[0], g[1]) == (x, y), f.title
            if has_z:
                assert (z is None and math.isnan(g[2])) or g[2] == z, f.title
        # And the same geometry __geo_interface__ gives Shapely.
        assert shape.equals_exact(shapely.geometry.shape(geom), 0), f.title


def test_a_kml_with_folders_gives_every_folders_rows(cli):
    doc = geonorm.read(KML_FOLDERS)
    table = doc.to_arrow()
    assert table.num_rows == _info(cli, KML_FOLDERS)["features"]
    paths = {g.path for g in doc.groups}
    groups = table.column("group").to_pylist()
    assert len(groups) == len(doc) > 10
    assert groups == [f.group.path if f.group else None for f in doc]
    # Features of several folders, nested ones with their whole path.
    used = {g for g in groups if g is not None}
    assert len(used) >= 5 and used <= paths
    assert any("\uff0f" in g for g in used)


def test_property_columns_are_typed_from_their_values():
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [8.5, 47.25]},
                "properties": {
                    "beds": 12, "height": 2.5, "open": True, "kind": "hut",
                    "mixed": 1, "tags": ["a", "b"], "title": "Hut", "empty": None,
                },
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"beds": 3, "height": 7, "open": False, "mixed": "two"},
            },
        ],
    }
    doc = geonorm.read(json.dumps(fc).encode())
    with pytest.warns(UserWarning, match="mixed") as said:
        table = doc.to_arrow()
    assert len([w for w in said if "mixed" in str(w.message)]) == 1
    types = {n: table.schema.field(n).type for n in table.schema.names}
    assert types["beds"] == pa.int64()
    assert types["height"] == pa.float64()
    assert types["open"] == pa.bool_()
    assert types["kind"] == pa.large_string()
    assert types["mixed"] == pa.large_string()
    assert types["tags"] == pa.large_string()
    assert table.column("beds").to_pylist() == [12, 3]
    assert table.column("height").to_pylist() == [2.5, 7.0]
    assert table.column("open").to_pylist() == [True, False]
    assert table.column("mixed").to_pylist() == ["1", "two"]
    assert json.loads(table.column("tags")[0].as_py()) == ["a", "b"]
    assert table.column("title").to_pylist() == ["Hut", None]
    assert table.column("geometry").to_pylist()[1] is None
    # No warning when no column mixes types.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        geonorm.read(ONE_OF_EACH["gpx"]).to_arrow()


def test_per_vertex_values_are_list_columns():
    doc = geonorm.read(ONE_OF_EACH["gpx"])
    table = doc.to_arrow()
    lists = [n for n in table.schema.names if n.startswith("vertex_")]
    assert lists, "a GPX run has per-vertex times"
    for name in lists:
        column = table.column(name)
        assert pa.types.is_large_list(column.type), name
        want = [f.vertex_values.get(name[len("vertex_"):]) for f in doc]
        got = column.to_pylist()
        for g, w in zip(got, want):
            if w is None:
                assert g is None
            else:
                assert g == [float(x) if isinstance(x, float) else x for x in w], name


def test_the_arrow_c_stream_goes_to_pyarrow_and_polars_without_to_arrow():
    doc = geonorm.read(ONE_OF_EACH["kml"])
    capsule = doc.__arrow_c_stream__()
    assert type(capsule).__name__ == "PyCapsule"
    del capsule  # released unconsumed: no leak, no crash
    table = pa.table(doc)
    assert table.num_rows == len(doc)
    assert table.equals(doc.to_arrow())
    pl = _need("polars")
    df = pl.DataFrame(doc)
    assert df.height == len(doc)
    assert df["title"].to_list() == [f.title for f in doc]


def test_the_table_round_trips_through_parquet(tmp_path):
    import pyarrow.parquet as pq

    table = geonorm.read_arrow(ONE_OF_EACH["gpx"])
    pq.write_table(table, tmp_path / "run.parquet")
    back = pq.read_table(tmp_path / "run.parquet")
    assert back.num_rows == table.num_rows
    assert back.column("geometry").to_pylist() == table.column("geometry").to_pylist()


@pytest.mark.parametrize(
    "path", [KML_FOLDERS, *(ONE_OF_EACH[k] for k in sorted(ONE_OF_EACH))], ids=lambda p: p.name
)
def test_read_dataframe_to_parquet_is_geoparquet(tmp_path, path):
    # What the package README's GeoParquet section says: GeoPandas writes the `geo`
    # metadata, and what it reads back is the same frame in EPSG:4326.
    geopandas = _need("geopandas")
    import pyarrow.parquet as pq

    out = tmp_path / "out.parquet"
    df = geonorm.read_dataframe(path)
    df.to_parquet(out)
    geo = json.loads(pq.read_schema(out).metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    back = geopandas.read_parquet(out)
    assert len(back) == len(df) == len(geonorm.read(path))
    assert back.crs.to_epsg() == 4326
    assert back.geometry.name == "geometry"
    # Byte-equal WKB: the same shapes, Z included; rows GEOS refused stay None.
    assert [None if g is None else g.wkb for g in back.geometry] == [
        None if g is None else g.wkb for g in df.geometry
    ]
    assert list(back.columns) == list(df.columns)
    assert list(back["title"]) == list(df["title"])


@pytest.mark.parametrize("fmt", sorted(ONE_OF_EACH))
def test_read_dataframe_is_a_geodataframe_in_epsg_4326(fmt):
    geopandas = _need("geopandas")
    path = ONE_OF_EACH[fmt]
    doc = geonorm.read(path)
    df = geonorm.read_dataframe(path)
    assert isinstance(df, geopandas.GeoDataFrame)
    assert df.crs.to_epsg() == 4326
    assert len(df) == len(doc)
    assert df.geometry.name == "geometry"
    assert list(df["title"]) == [f.title for f in doc]
    for f, shape in zip(doc, df.geometry):
        if f.geometry is None:
            assert shape is None
        elif not _unbuildable(f.geometry):
            assert shape.equals_exact(shapely.geometry.shape(f.geometry), 0)
    # The same from bytes and from a file object.
    with open(path, "rb") as fh:
        assert len(geonorm.read_dataframe(fh)) == len(doc)
    assert len(geonorm.read_dataframe(path.read_bytes())) == len(doc)


def test_read_dataframe_keeps_every_kml_folder_as_a_column():
    _need("geopandas")
    doc = geonorm.read(KML_FOLDERS)
    df = geonorm.read_dataframe(KML_FOLDERS)
    assert len(df) == len(doc)
    assert [None if g is None else g for g in df["group"]] == [
        f.group.path if f.group else None for f in doc
    ]


def test_read_arrow_options_are_reads():
    table = geonorm.read_arrow(ONE_OF_EACH["gpx"], gpx_groups="kind")
    assert table.num_rows == len(geonorm.read(ONE_OF_EACH["gpx"]))
    assert set(table.column("group").to_pylist()) - {None}


def test_missing_optional_packages_say_which_extra(monkeypatch):
    doc = geonorm.read(ONE_OF_EACH["kml"])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"geonorm\[arrow\]"):
        doc.to_arrow()
    monkeypatch.setitem(sys.modules, "geopandas", None)
    with pytest.raises(ImportError, match=r"geonorm\[geopandas\]"):
        geonorm.read_dataframe(ONE_OF_EACH["kml"])


def test_read_dataframe_keeps_the_rows_of_geometries_geos_refuses():
    _need("geopandas")
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"title": "ok"},
             "geometry": {"type": "Point", "coordinates": [1.5, 2.5]}},
            {"type": "Feature", "properties": {"title": "one-point line"},
             "geometry": {"type": "LineString", "coordinates": [[1.0, 2.0]]}},
        ],
    }
    data = json.dumps(fc).encode()
    with pytest.warns(Warning, match="Invalid WKB"):
        df = geonorm.read_dataframe(data)
    assert list(df["title"]) == ["ok", "one-point line"]
    assert df.geometry[0].equals(shapely.Point(1.5, 2.5)) and df.geometry[1] is None
    assert df.crs.to_epsg() == 4326
    assert list(geonorm.read_dataframe(data, on_invalid="ignore")["title"]) == ["ok", "one-point line"]
    with pytest.raises(shapely.errors.GEOSException):
        geonorm.read_dataframe(data, on_invalid="raise")
    with pytest.raises(ValueError):
        geonorm.read_dataframe(data, on_invalid="maybe")
