#!/usr/bin/env bash
# The writers against GeoJSON output (issue 23's table): each input converted to every
# format by the same build, whole process, median of hyperfine runs and peak RSS from
# GNU time; "vs GeoJSON out" is each row's median over the same input's conversion to
# GeoJSON, measured in the same run. The last rows read the KML from standard input.
#
#   benches/writers.sh [SIZE_MB]        (default 150; run from anywhere)
#
# RUNS=n sets hyperfine's runs (default 3). GN=path measures another geonorm binary
# (an older build, for a before/after); BEFORE=path measures that binary too, row by
# row in the same run (interleaved: the load is the same for both), as "before"
# columns; DATA=dir takes big$SIZE.{kml,gpx,geojson} from dir (made by bench-gen
# before) instead of generating them.
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
before=${BEFORE:-}
if [ -n "$before" ]; then
    echo "| $size MB input | output | before s | after s | before ÷ GeoJSON | after ÷ GeoJSON | before MiB | after MiB | output MB |"
    echo "|---|---|---|---|---|---|---|---|---|"
else
    echo "| $size MB input | output | median s | vs GeoJSON out | peak MiB | output MB |"
    echo "|---|---|---|---|---|---|"
fi
# `convert` exits 1 when the check finds an error (a large file is over MapHub's
# limit): that is its answer, not a failure; `-q` keeps the report off the terminal.
one() { # output, command: median, peak MiB, output MB
    rm -f "$out"/*
    hyperfine -N -i --warmup 1 --runs "$runs" --prepare "rm -f $out/o.geojson $out/o.kml $out/o.kmz $out/o.gpx" \
        --export-json "$work/h.json" "$2" >/dev/null 2>&1
    rm -f "$out"/*
    local peak; peak=$(peak_mib "$2 || true")
    local bytes; bytes=$(stat -c %s "$1" 2>/dev/null || echo 0)
    echo "$(median "$work/h.json") $peak $((bytes / 1000000))"
}
ratio() { python3 -c "import sys;print('%.2f×' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
# One row: label, output, command with @GN@ for the binary. Sets med (and bmed) for
# the GeoJSON rows' ratios.
row() {
    local cmd=${3//@GN@/$gn}
    read -r med peak mb < <(one "$2" "$cmd")
    if [ -n "$before" ]; then
        local bcmd=${3//@GN@/$before}
        read -r bmed bpeak _ < <(one "$2" "$bcmd")
    fi
}
print_row() { # label, output, base, bbase
    if [ -n "$before" ]; then
        echo "| $1 | $2 | $bmed | $med | $(ratio "$bmed" "$4") | $(ratio "$med" "$3") | $bpeak | $peak | $mb |"
    else
        echo "| $1 | $2 | $med | $(ratio "$med" "$3") | $peak | $mb |"
    fi
}
for kind in kml gpx geojson; do
    in="$data/big$size.$kind"
    base=""; bbase=""
    for to in geojson kml kmz gpx; do
        [ "$to" = "$kind" ] && [ "$to" != geojson ] && continue
        echo "$kind -> $to" >&2
        row "$kind" "$out/o.$to" "@GN@ convert -q $in -o $out/o.$to"
        [ -z "$base" ] && base=$med && bbase=${bmed:-}
        print_row "$kind" "$to" "$base" "$bbase"
    done
done
# Standard input: the stream cannot seek, nor be read twice.
for to in geojson gpx kmz; do
    echo "kml stdin -> $to" >&2
    row kml "$out/o.$to" "sh -c '@GN@ convert -q - --to $to -o $out/o.$to < $data/big$size.kml'"
    [ "$to" = geojson ] && base=$med && bbase=${bmed:-}
    print_row "kml (stdin)" "$to" "$base" "$bbase"
done
