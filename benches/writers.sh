#!/usr/bin/env bash
# The writers against GeoJSON output (issue 23's table): each input converted to every
# format by the same build, whole process, median of hyperfine runs and peak RSS from
# GNU time; "vs GeoJSON out" is each row's median over the same input's conversion to
# GeoJSON, measured in the same run. The last rows read the KML from standard input.
#
#   benches/writers.sh [SIZE_MB]        (default 150; run from anywhere)
#
# RUNS=n sets hyperfine's runs (default 3). GN=path measures another geonorm binary
# (an older build, for a before/after); DATA=dir takes big$SIZE.{kml,gpx,geojson} from
# dir (made by bench-gen before) instead of generating them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-150}
runs=${RUNS:-3}
for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hyperfine time)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q --manifest-path "$root/Cargo.toml" -p geonorm-cli -p geonorm-benches --bin geonorm --bin bench-gen
gn=${GN:-$root/target/release/geonorm}
out="$work/out"; mkdir -p "$out"
if [ -n "${DATA:-}" ]; then
    data=$DATA
else
    data="$work/data"; mkdir -p "$data"
    "$root/target/release/bench-gen" "$data" "$size" >&2
fi

median() { python3 -c "import json,sys;print('%.2f'%json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
peak_mib() { /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {printf "%d", $2/1024}'; }

echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d); $gn"
echo "hyperfine: $runs runs after 1 warm-up, every core; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| $size MB input | output | median s | vs GeoJSON out | peak MiB | output MB |"
echo "|---|---|---|---|---|---|"
# `convert` exits 1 when the check finds an error (a large file is over MapHub's
# limit): that is its answer, not a failure; `-q` keeps the report off the terminal.
run() { # label, output, command
    rm -f "$out"/*
    hyperfine -N -i --warmup 1 --runs "$runs" --prepare "rm -f $out/o.geojson $out/o.kml $out/o.kmz $out/o.gpx" \
        --export-json "$work/h.json" "$3" >/dev/null 2>&1
    rm -f "$out"/*
    local peak; peak=$(peak_mib "$3 || true")
    local bytes; bytes=$(stat -c %s "$2" 2>/dev/null || echo 0)
    echo "$(median "$work/h.json") $peak $((bytes / 1000000))"
}
for kind in kml gpx geojson; do
    in="$data/big$size.$kind"
    base=""
    for to in geojson kml kmz gpx; do
        [ "$to" = "$kind" ] && [ "$to" != geojson ] && continue
        echo "$kind -> $to" >&2
        read -r med peak mb < <(run "$kind" "$out/o.$to" "$gn convert -q $in -o $out/o.$to")
        [ -z "$base" ] && base=$med
        r=$(python3 -c "import sys;print('%.2f×' % (float(sys.argv[1]) / float(sys.argv[2])))" "$med" "$base")
        echo "| $kind | $to | $med | $r | $peak | $mb |"
    done
done
# Standard input: the stream cannot seek, nor be read twice.
for to in geojson gpx kmz; do
    echo "kml stdin -> $to" >&2
    read -r med peak mb < <(run kml "$out/o.$to" "sh -c '$gn convert -q - --to $to -o $out/o.$to < $data/big$size.kml'")
    [ "$to" = geojson ] && base=$med
    r=$(python3 -c "import sys;print('%.2f×' % (float(sys.argv[1]) / float(sys.argv[2])))" "$med" "$base")
    echo "| kml (stdin) | $to | $med | $r | $peak | $mb |"
done
