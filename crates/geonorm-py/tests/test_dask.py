"""Many files on a Dask cluster: `geonorm.check` and `geonorm.read_dataframe` mapped
over the testdata corpus by two worker processes give what they give in-process (the
results come back pickled)."""

import os

import pytest

import geonorm
from conftest import sample_files


def _need(name):
    if os.environ.get("GEONORM_CI"):
        return __import__(name)
    return pytest.importorskip(name)


@pytest.mark.filterwarnings("ignore:Invalid WKB")
@pytest.mark.filterwarnings("ignore:geonorm. properties with values of mixed types")
def test_a_dask_local_cluster_of_two_processes_maps_geonorm_over_the_corpus():
    distributed = _need("distributed")
    _need("geopandas")
    paths = [str(p) for p in sample_files()]
    readable = []
    for p in paths:
        try:
            geonorm.read(p)
            readable.append(p)
        except geonorm.ReadError:
            pass
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        checked = client.gather(client.map(geonorm.check, paths))
        frames = client.gather(client.map(geonorm.read_dataframe, readable[::4]))
        docs = client.gather(client.map(geonorm.read, readable[::8]))
    assert checked == [geonorm.check(p) for p in paths]
    for p, df in zip(readable[::4], frames):
        here = geonorm.read_dataframe(p)
        assert df.crs == here.crs
        assert len(df) == len(here)
        assert list(df["title"]) == list(here["title"])
        assert list(df.geometry.to_wkb()) == list(here.geometry.to_wkb())
    for p, doc in zip(readable[::8], docs):
        assert doc.to_geojson() == geonorm.read(p).to_geojson()
