"""geonorm.MapHub against maphub-local on a free port of 127.0.0.1: upload, append,
get, maps, refresh_image; splitting with a journal; the key kept out of sight."""

import pytest

import geonorm
from conftest import TESTDATA

KML = TESTDATA / "kml/togeojson/multigeometry.kml"
GPX = TESTDATA / "gpx/togeojson/run.gpx"


def test_upload_append_get(maphub_local, tmp_path):
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    kml_features = len(geonorm.read(KML))
    up = hub.upload(KML, "unlisted", title="from pytest", journal=tmp_path / "j1")
    map_id = up["map"]["id"]
    got = hub.get(map_id)
    assert got["type"] == "FeatureCollection"
    assert len(got["features"]) == kml_features
    gpx_features = len(geonorm.read(GPX))
    added = hub.append(GPX.read_bytes(), map_id, "a run", journal=tmp_path / "j2")
    assert added["map"]["id"] == map_id
    got = hub.get(map_id)
    assert len(got["features"]) == kml_features + gpx_features
    titles = [g["title"] for g in got.get("groups", [])]
    assert any("a run" in t for t in titles), titles
    assert map_id in [m["id"] for m in hub.maps()["owner"]]
    assert hub.get(map_id, full=True)["geojson"] == got
    assert hub.refresh_image(map_id)["id"] == map_id


def test_a_large_file_is_split_and_every_feature_lands(maphub_local, tmp_path):
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    path = TESTDATA / "geojson/georust-countries.geojson"
    n = len(geonorm.read(path))
    up = hub.upload(path, journal=tmp_path / "j", max_bytes=0)
    map_id = up["map"]["id"]
    out = hub.append(path, map_id, max_bytes=60_000, journal=tmp_path / "j3")
    assert len(out["chunks"]) > 1
    assert all(c["state"] == "confirmed" for c in out["chunks"])
    assert sum(c["count"] for c in out["chunks"]) == n
    assert len(hub.get(map_id)["features"]) == 2 * n
    # Done: the journal is gone, nothing to resume.
    assert out["journal"] is None
    with pytest.raises(geonorm.MapHubError):
        hub.append(path, map_id, max_bytes=60_000, journal=tmp_path / "j3", resume=True)


def test_the_key_comes_from_the_environment_and_is_never_shown(maphub_local, monkeypatch):
    url, key = maphub_local
    monkeypatch.setenv("MAPHUB_API_KEY", key)
    hub = geonorm.MapHub(server=url)
    assert key not in repr(hub)
    assert isinstance(hub.maps()["owner"], list)
    wrong = geonorm.MapHub(api_key=key + "-wrong", server=url)
    assert key not in repr(wrong)
    with pytest.raises(geonorm.MapHubError) as e:
        wrong.maps()
    assert key not in str(e.value)
    monkeypatch.delenv("MAPHUB_API_KEY")
    with pytest.raises(geonorm.MapHubError):
        geonorm.MapHub(server=url)


def test_a_file_with_errors_is_not_sent(maphub_local):
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    bad = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[45.1, 120.5]}}]}'
    with pytest.raises(geonorm.ReadError) as e:
        hub.upload(bad, journal=None)
    assert e.value.diagnostic.code == "geometry/lat-out-of-range"
    assert hub.upload(bad, force=True)["map"]["id"] > 0


def _faults(url, key, faults):
    """Sets maphub-local's injected faults (its control endpoint, 127.0.0.1 only)."""
    import json
    import urllib.request

    req = urllib.request.Request(
        url + "/_control/faults",
        data=json.dumps(faults).encode(),
        headers={"Authorization": "Token " + key, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as answer:
        assert json.loads(answer.read()) == {"ok": True}


def test_a_send_that_stopped_resumes_from_its_journal(maphub_local, tmp_path):
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url, timeout=10)
    path = TESTDATA / "geojson/georust-countries.geojson"
    n = len(geonorm.read(path))
    map_id = hub.upload(path, max_bytes=0, journal=tmp_path / "j0")["map"]["id"]
    journal = tmp_path / "journal.json"
    # Every API call after the next 3 fails with HTTP 500: the send stops midway.
    _faults(url, key, {"fail_after": 3})
    try:
        with pytest.raises(geonorm.MapHubError) as e:
            hub.append(path, map_id, max_bytes=60_000, journal=journal, unanswered_wait=0)
    finally:
        _faults(url, key, {})
    outcome = e.value.outcome
    states = [c["state"] for c in outcome["chunks"]]
    assert "confirmed" in states and states.count("confirmed") < len(states), states
    assert outcome["journal"] == str(journal) and journal.exists()
    assert key not in str(e.value)
    done = hub.append(path, map_id, max_bytes=60_000, journal=journal, resume=True, unanswered_wait=0)
    assert all(c["state"] == "confirmed" for c in done["chunks"])
    # Each feature landed once: what landed before the stop was not sent again.
    assert len(hub.get(map_id)["features"]) == 2 * n


def test_a_kmz_s_icons_land_as_markers_once(maphub_local, tmp_path):
    """A real KMZ (OpenLayers' iceland.kmz, BSD-2-Clause) with its icons in the archive."""
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    kmz = TESTDATA / "kml/openlayers/iceland.kmz"
    up = hub.upload(kmz, title="icons", journal=tmp_path / "j")
    markers = [a for a in up["assets"] if a["kind"] == "marker"]
    assert markers and all(a["state"] == "confirmed" for a in markers)
    got = hub.get(up["map"]["id"])
    ids = {f["properties"]["marker_id"] for f in got["features"] if "marker_id" in f["properties"]}
    assert ids == {a["answer"] for a in markers}
    plain = hub.upload(kmz, title="no icons", assets=False, journal=tmp_path / "j2")
    assert plain["assets"] == []
    got = hub.get(plain["map"]["id"])
    assert not any("marker_id" in f["properties"] for f in got["features"])


def test_ctrl_c_interrupts_a_call_within_seconds(maphub_local, tmp_path):
    """Ctrl-C during a call that waits on a slow server raises KeyboardInterrupt at
    once, not when the call ends."""
    import os
    import signal
    import subprocess
    import sys
    import time

    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    map_id = hub.upload(GPX, journal=tmp_path / "j0")["map"]["id"]
    script = (
        "import sys, geonorm\n"
        f"hub = geonorm.MapHub(api_key={key!r}, server={url!r}, timeout=120)\n"
        "print('calling', flush=True)\n"
        f"hub.append({str(GPX)!r}, {map_id}, journal={str(tmp_path / 'j1')!r})\n"
        "print('returned', flush=True)\n"
    )
    # Every request now waits 30 s before it is answered.
    _faults(url, key, {"delay_ms": 30_000})
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, MAPHUB_API_KEY=""),
        )
        assert child.stdout.readline().strip() == "calling"
        time.sleep(1.0)  # inside the call, waiting on the server
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        try:
            _, err = child.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            pytest.fail("Ctrl-C did not interrupt the call within 10 s")
        took = time.monotonic() - sent
    finally:
        _faults(url, key, {})
    assert "KeyboardInterrupt" in err, err
    assert took < 5, f"interrupted after {took:.1f} s"
    assert key not in err


def _long_track(n):
    points = "".join(
        f'<trkpt lat="{46 + i * 1.37e-6:.8f}" lon="{7 + i * 1.31e-6:.8f}"><ele>{1000 + i % 500}.25</ele></trkpt>'
        for i in range(n)
    )
    return (
        '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><name>Long ride</name><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def test_a_line_over_the_limit_is_refused_or_cut_with_split_long_lines(maphub_local, tmp_path):
    url, key = maphub_local
    hub = geonorm.MapHub(api_key=key, server=url)
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type":"FeatureCollection","features":[]}')
    map_id = hub.upload(empty, journal=tmp_path / "j0")["map"]["id"]
    track = _long_track(5000)
    # One feature over a 60 kB limit: no split can send it, and nothing is sent.
    with pytest.raises(geonorm.MapHubError) as e:
        hub.append(track, map_id, max_bytes=60_000, journal=tmp_path / "j1")
    assert "alone" in str(e.value)
    assert hub.get(map_id)["features"] == []
    out = hub.append(
        track, map_id, max_bytes=60_000, journal=tmp_path / "j2", split_long_lines=True
    )
    assert len(out["chunks"]) > 1
    landed = hub.get(map_id)["features"]
    n = len(landed)
    assert [f["properties"]["geonorm_part"] for f in landed] == [f"{k}/{n}" for k in range(1, n + 1)]
    vertices = sum(len(f["geometry"]["coordinates"]) for f in landed)
    assert vertices == 5000 + n - 1
