#!/usr/bin/env bash
# Side by side from Python: geonorm's Python package against gpxpy (GPX) and fastkml
# (KML), reading the same generated files (../shared/bench/gen.py, as the peers' own
# benchmarks use). In one process each, after one warm-up: the median of RUNS calls
# (default 5) of reading the file into each library's model. geonorm keeps its
# features in Rust until asked for, so two more rows time reading plus making a
# Python object of every feature, and plus the whole document as GeoJSON dicts
# (`__geo_interface__`), which is what gpxpy and fastkml always build.
#
#   benches/python_compare.sh [SIZE_MB]      (default 15; run from anywhere)
#
# Creates a throwaway virtualenv and pip-installs gpxpy, fastkml, lxml and the package
# (./crates/geonorm-py, built in release by maturin) from the package index.
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
"$py" -m pip install -q gpxpy fastkml lxml >&2
# CARGO_TARGET_DIR keeps the release build between runs of this script.
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target} "$py" -m pip install -q "$root/crates/geonorm-py" >&2
python3 "$gen" "$work/data" "$size" >&2

"$py" - "$work/data/big$size.gpx" "$work/data/big$size.kml" "$runs" <<'PY'
import statistics
import sys
import time

import fastkml
import gpxpy
from fastkml import kml
from fastkml.features import Placemark
from fastkml.utils import find_all

import geonorm

gpx_path, kml_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])


def median(f, n):
    f()  # warm-up: the file in the page cache, the imports done
    times = []
    for _ in range(n):
        t = time.perf_counter()
        count = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), count


def gpxpy_read():
    with open(gpx_path, encoding="utf-8") as f:
        g = gpxpy.parse(f)
    return len(g.waypoints) + len(g.routes) + len(g.tracks)


def fastkml_read():
    k = kml.KML.parse(kml_path, strict=False)
    return len(list(find_all(k, of_type=Placemark)))


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


peer_runs = max(1, min(runs, 3))  # the peers take seconds a run
rows = []
for kind, path, peer_name, peer in [
    ("GPX", gpx_path, f"gpxpy {gpxpy.__version__}", gpxpy_read),
    ("KML", kml_path, f"fastkml {fastkml.__version__}", fastkml_read),
]:
    peer_t, peer_n = median(peer, peer_runs)
    for label, f in [
        ("geonorm.read", gn_read(path)),
        ("geonorm.read + .features", gn_features(path)),
        ("geonorm.read + __geo_interface__", gn_geo(path)),
    ]:
        t, n = median(f, runs)
        rows.append((kind, label, t, n, peer_t / t))
    rows.append((kind, peer_name, peer_t, peer_n, 1.0))

print(f"\nPython {sys.version.split()[0]}, geonorm {geonorm.__version__}, median of {runs} "
      f"(peers {peer_runs}) in one process, files from gen.py")
print("| file | reader | median s | features | peer ÷ this |")
print("|---|---|---|---|---|")
for kind, label, t, n, ratio in rows:
    print(f"| {kind} | {label} | {t:.3f} | {n} | {ratio:.1f}× |")
PY
