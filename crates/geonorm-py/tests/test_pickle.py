"""Pickling: Document, Feature, Group, Diagnostic and ReadError survive a pickle round
trip, so they come back from multiprocessing, Dask or Ray workers."""

import multiprocessing
import pickle

import pytest

import geonorm
from conftest import TESTDATA, sample_files
from test_read import ONE_OF_EACH


def _same(a, b):
    assert a.format == b.format
    assert len(a) == len(b)
    assert a.to_geojson() == b.to_geojson()
    assert a.diagnostics == b.diagnostics
    assert [(g.id, g.path, g.parent) for g in a.groups] == [
        (g.id, g.path, g.parent) for g in b.groups
    ]
    assert [f.__geo_interface__ for f in a] == [f.__geo_interface__ for f in b]
    assert [f.vertex_values for f in a] == [f.vertex_values for f in b]
    assert [f.time for f in a] == [f.time for f in b]


@pytest.mark.parametrize("path", sample_files()[::9], ids=lambda p: p.name)
def test_a_document_pickles(path):
    try:
        doc = geonorm.read(path)
    except geonorm.ReadError:
        return
    _same(doc, pickle.loads(pickle.dumps(doc)))


def test_features_groups_and_diagnostics_pickle():
    doc = geonorm.read(TESTDATA / "kml/fastkml/KML_Samples.kml")
    f = [f for f in doc if f.group][-1]
    back = pickle.loads(pickle.dumps(f))
    assert back.__geo_interface__ == f.__geo_interface__
    assert back.group.path == f.group.path
    g = pickle.loads(pickle.dumps(f.group))
    assert (g.id, g.title, g.parent, g.path) == (f.group.id, f.group.title, f.group.parent, f.group.path)
    diags = geonorm.check(TESTDATA / "geojson/check-geojson-bad/badcoord.geojson")
    assert diags and pickle.loads(pickle.dumps(diags)) == diags
    assert [d.to_dict() for d in pickle.loads(pickle.dumps(diags))] == [d.to_dict() for d in diags]


def test_a_read_error_pickles_with_its_diagnostic():
    with pytest.raises(geonorm.ReadError) as e:
        geonorm.read(b'{"type":"FeatureCollection","features":[')
    back = pickle.loads(pickle.dumps(e.value))
    assert isinstance(back, geonorm.ReadError)
    assert str(back) == str(e.value)
    assert back.diagnostic == e.value.diagnostic
    assert back.diagnostics == e.value.diagnostics


def test_documents_come_back_from_worker_processes():
    paths = [str(p) for p in ONE_OF_EACH.values()] + [str(TESTDATA / "kml/fastkml/KML_Samples.kml")]
    # spawn: a fresh interpreter per worker, as Dask and Ray start theirs (and no fork
    # of a process whose threads hold locks).
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        docs = pool.map(geonorm.read, paths)
        checked = pool.map(geonorm.check, paths)
    for path, doc, diags in zip(paths, docs, checked):
        _same(doc, geonorm.read(path))
        assert diags == geonorm.check(path)
