#!/usr/bin/env bash
# Side by side from Python: geonorm's Python package against gpxpy (GPX) and fastkml
# (KML), reading the same generated files (../shared/bench/gen.py, as the peers' own
# benchmarks use). In one process each, after one warm-up: the median of RUNS calls
# (default 5) of reading the file into each library's model. geonorm keeps its
# features in Rust until asked for, so two more rows time reading plus making a
# Python object of every feature, and plus the whole document as GeoJSON dicts
# (`__geo_interface__`), which is what gpxpy and fastkml always build.
#
# In the same table, the road into a GeoDataFrame on the GeoJSON, KML and GPX:
# `geonorm.read_dataframe` (the Arrow table built in Rust), `GeoDataFrame.from_features`
# over `geonorm.read` (one dict per feature) and pyogrio (GDAL, `use_arrow=True`), each
# with the rows it returned beside the features gen.py wrote (manifest.json): pyogrio
# reads one layer, so one KML folder, or GPX's waypoints alone. It ends with whether
# issue 27's figures hold: read_dataframe at least 2x pyogrio on the GeoJSON with the
# same rows, every placemark of the KML, every waypoint, route and track of the GPX.
#
#   benches/python_compare.sh [SIZE_MB]      (default 15; run from anywhere)
#
# Creates a throwaway virtualenv and pip-installs gpxpy, fastkml, lxml, geopandas,
# pyarrow, pyogrio (its wheels bundle GDAL) and the package (./crates/geonorm-py, built
# in release by maturin) from the package index.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-15}
runs=${RUNS:-5}
gen=${GEN:-$root/../shared/bench/gen.py}
[ -f "$gen" ] || { echo "no generator at $gen (set GEN=path/to/gen.py)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --upgrade pip >&2
"$py" -m pip install -q gpxpy fastkml lxml geopandas pyarrow pyogrio >&2
# CARGO_TARGET_DIR keeps the release build between runs of this script.
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target} "$py" -m pip install -q "$root/crates/geonorm-py" >&2
python3 "$gen" "$work/data" "$size" >&2

"$py" - "$work/data" "$size" "$runs" <<'PY'
import json
import os
import statistics
import sys
import time
import warnings

import fastkml
import geopandas
import gpxpy
import pyogrio
from fastkml import kml
from fastkml.features import Placemark
from fastkml.utils import find_all

import geonorm

data, size, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(os.path.join(data, "manifest.json"), encoding="utf-8") as f:
    manifest = json.load(f)


def path_of(ext):
    return os.path.join(data, f"big{size}.{ext}")


def median(f, n):
    f()  # warm-up: the file in the page cache, the imports done
    times = []
    for _ in range(n):
        t = time.perf_counter()
        count = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), count


def gpxpy_read(path):
    def f():
        with open(path, encoding="utf-8") as fh:
            g = gpxpy.parse(fh)
        return len(g.waypoints) + len(g.routes) + len(g.tracks)

    return f


def fastkml_read(path):
    def f():
        k = kml.KML.parse(path, strict=False)
        return len(list(find_all(k, of_type=Placemark)))

    return f


def gn_read(path):
    return lambda: len(geonorm.read(path))


def gn_features(path):
    def f():
        features = geonorm.read(path).features
        for feature in features:
            feature.title
        return len(features)

    return f


def gn_geo(path):
    return lambda: len(geonorm.read(path).__geo_interface__["features"])


def gn_dataframe(path):
    return lambda: len(geonorm.read_dataframe(path))


def from_features(path):
    return lambda: len(geopandas.GeoDataFrame.from_features(geonorm.read(path)))


def pyogrio_read(path):
    def f():
        # pyogrio warns that a file of several layers was read as its first; the
        # table names the layer count instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(pyogrio.read_dataframe(path, use_arrow=True))

    return f


def expected(kind, path):
    """What gen.py wrote (manifest.json): the rows a reader of every feature returns."""
    m = manifest[os.path.basename(path)]
    if kind == "GeoJSON":
        return m["features"], f"{m['features']} features"
    if kind == "KML":
        return m["placemarks"], f"{m['folders']} folders, {m['placemarks']} placemarks"
    n = m["wpt"] + m["rte"] + m["trk"]
    return n, f"{m['wpt']} waypoints, {m['rte']} routes, {m['trk']} tracks"


slow_runs = max(1, min(runs, 3))  # the peers and from_features take seconds a run
rows, verdicts = [], []
for kind, ext in [("GeoJSON", "geojson"), ("KML", "kml"), ("GPX", "gpx")]:
    path = path_of(ext)
    want, what = expected(kind, path)
    label = f"{kind} ({what})"
    if kind != "GeoJSON":
        name, peer = {
            "KML": (f"fastkml {fastkml.__version__}", fastkml_read),
            "GPX": (f"gpxpy {gpxpy.__version__}", gpxpy_read),
        }[kind]  # the existing rows: each format against its Python parser
        peer_t, peer_n = median(peer(path), slow_runs)
        for reader, f in [
            ("geonorm.read(p)", gn_read(path)),
            ("geonorm.read(p) + .features", gn_features(path)),
            ("geonorm.read(p) + __geo_interface__", gn_geo(path)),
        ]:
            t, n = median(f, runs)
            rows.append((label, reader, t, n, f"{peer_t / t:.1f}× {name.split()[0]}"))
        rows.append((label, name, peer_t, peer_n, ""))
    layers = len(pyogrio.list_layers(path))
    og_t, og_n = median(pyogrio_read(path), runs)
    rd_t, rd_n = median(gn_dataframe(path), runs)
    ff_t, ff_n = median(from_features(path), slow_runs)
    rows += [
        (label, "geonorm.read_dataframe(p)", rd_t, rd_n, f"{og_t / rd_t:.1f}× pyogrio"),
        (label, "GeoDataFrame.from_features(geonorm.read(p))", ff_t, ff_n,
         f"{og_t / ff_t:.1f}× pyogrio"),
        (label, f"pyogrio.read_dataframe(p, use_arrow=True) (layer 1 of {layers})",
         og_t, og_n, ""),
    ]
    # Issue 27's figures.
    if kind == "GeoJSON":
        ok = og_t / rd_t >= 2 and rd_n == og_n == want
        verdicts.append(f"GeoJSON: read_dataframe {og_t / rd_t:.1f}× as fast as pyogrio "
                        f"({rd_t:.3f} s vs {og_t:.3f} s), {rd_n} rows vs {og_n} of {want}: "
                        f"{'holds' if ok else 'does not hold'} (≥ 2×, same rows)")
    else:
        ok = rd_n == want
        verdicts.append(f"{kind}: read_dataframe {rd_n} rows of {want} ({what}); pyogrio "
                        f"{og_n}: {'holds' if ok else 'does not hold'} (every feature)")

print(f"\nPython {sys.version.split()[0]}, geonorm {geonorm.__version__}, geopandas "
      f"{geopandas.__version__}, pyogrio {pyogrio.__version__} (GDAL "
      f"{pyogrio.__gdal_version_string__}); median of {runs} ({slow_runs} for the peers and "
      "from_features) in one process, files from gen.py")
print("| file | reader | median s | rows | peer ÷ this |")
print("|---|---|---|---|---|")
shown = None
for label, reader, t, n, ratio in rows:
    # The file's counts on its first row only.
    cell = label if label != shown else label.split(" (")[0]
    shown = label
    print(f"| {cell} | {reader} | {t:.3f} | {n} | {ratio} |")
print()
for v in verdicts:
    print("- " + v)
PY
