#!/usr/bin/env bash
# Side by side: geonorm against GDAL's ogr2ogr, togeojson and GPSBabel, converting the
# same generated KML, GPX and GeoJSON to GeoJSON. Whole process, median of hyperfine
# runs, peak RSS from GNU time. geonorm converts twice: on 1 thread (`-j 1`) and on
# every core (`-j N`, N = nproc); the ratio column is each row's median over the
# `-j N` one. `geonorm check` and `geonorm info` of the same file get a row each (on
# every core), so their ratio is to converting it.
# After the table, one line per input gives the speed-up of -j N over -j 1.
# Installs what is missing (apt, npm).
#
# The "vs ceiling" column is each row's median over the tokenising ceiling of the same
# bytes (criterion's `ceiling/<format>/<size>` median, saved by `cargo bench -p
# geonorm-benches`; empty when that bench has not run): quick-xml events from a slice
# for KML and GPX, serde_json into IgnoredAny for GeoJSON. The ceiling is in-process
# on bytes in memory, the rows whole processes reading a file: the column is the
# distance a user sees. The in-process distance of each geonorm verb, from the
# benches alone, follows the table (and is all `--distance` prints).
#
#   benches/compare.sh [SIZE_MB]        (default 15; run from anywhere)
#   benches/compare.sh --distance [CRITERION_DIR]
#                                       (no runs: the distance tables from the last
#                                        `cargo bench`, benches/distance.py)
#
# RUNS=n sets hyperfine's runs (default 5). From 100 MB on, the peers that take
# minutes and gigabytes on one file are skipped (a row says so); ALL=1 runs them
# anyway. ogr2ogr runs at every size, as the common yardstick.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --distance ]; then
    shift
    exec python3 "$root/benches/distance.py" "$@"
fi
size=${1:-15}
runs=${RUNS:-5}
all=${ALL:-0}
cores=$(nproc)

missing=()
command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
command -v gpsbabel >/dev/null || missing+=(gpsbabel)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# togeojson reads a DOM; xmldom provides one in Node.
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @tmcw/togeojson@7.1.3 @xmldom/xmldom >/dev/null)
cat > "$work/tgj.mjs" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
import { DOMParser } from "@xmldom/xmldom";
import { kml, gpx } from "@tmcw/togeojson";
const [input, output] = process.argv.slice(2);
const dom = new DOMParser().parseFromString(readFileSync(input, "utf8"), "text/xml");
writeFileSync(output, JSON.stringify(input.endsWith(".gpx") ? gpx(dom) : kml(dom)));
JS

cargo build --release -q --manifest-path "$root/Cargo.toml" -p geonorm-cli -p geonorm-benches --bin geonorm --bin bench-gen
gn="$root/target/release/geonorm"
data="$work/data"; out="$work/out"; mkdir -p "$data" "$out"
"$root/target/release/bench-gen" "$data" "$size" >&2

median() { python3 -c "import json,sys;print('%.3f'%json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"; }
# The command's own exit status is not the point here (check exits 1 on findings).
peak_mib() { /usr/bin/time -v sh -c "$1 || true" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {printf "%d", $2/1024}'; }
ratio() { python3 -c "import sys;print('%.1f×' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# Why a peer is not run at this size, or nothing. Measured once on the 150 MB inputs
# (2 cores): togeojson took 101 s and 4.1 GiB on the GPX, which is 5 runs and 8 minutes
# for one row, 40% of the whole script; the other peers took 8 to 43 s a run.
skip_reason() {
    local kind=$1 name=$2
    [ "$all" = 1 ] && return 0
    [ "$size" -lt 100 ] && return 0
    case "$kind/$name" in
        gpx/togeojson*) echo "skipped at $size MB (one run at 150 MB takes > 1.5 min and 4 GiB; ALL=1 runs it)" ;;
    esac
}

echo "machine: $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d)"
echo "hyperfine: $runs runs after 1 warm-up; ratio = median / median of geonorm -j $cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| input | tool | median s | vs geonorm -j $cores | vs ceiling | peak MiB |"
echo "|---|---|---|---|---|---|"
speedups=()
for kind in kml gpx geojson; do
    in="$data/big$size.$kind"
    names=() cmds=()
    names+=("geonorm -j 1"); cmds+=("$gn convert $in -o $out/geonorm.geojson -j 1")
    names+=("geonorm -j $cores"); cmds+=("$gn convert $in -o $out/geonorm.geojson -j $cores")
    # check and info read the same file on every core; check exits 1 when it finds an
    # error (a 150 MB file is over MapHub's limit), which is its answer, not a failure.
    names+=("geonorm check"); cmds+=("$gn check $in")
    names+=("geonorm info"); cmds+=("$gn info $in")
    case $kind in
        kml) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in -nln placemarks -addfields")
             names+=("togeojson 7.1.3"); cmds+=("node $work/tgj.mjs $in $out/tgj.json")
             names+=("gpsbabel"); cmds+=("gpsbabel -i kml -f $in -o geojson -F $out/gpsbabel.json") ;;
        gpx) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in waypoints routes tracks -nln gpx -nlt GEOMETRY")
             names+=("togeojson 7.1.3"); cmds+=("node $work/tgj.mjs $in $out/tgj.json")
             names+=("gpsbabel"); cmds+=("gpsbabel -i gpx -f $in -o geojson -F $out/gpsbabel.json") ;;
        geojson) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in") ;;
    esac
    # Every row is measured before any is printed: the ratios need the -j N median.
    medians=() peaks=() notes=()
    for i in "${!names[@]}"; do
        medians[i]="" peaks[i]="" notes[i]=""
        why=$(skip_reason "$kind" "${names[$i]}")
        if [ -n "$why" ]; then notes[i]=$why; continue; fi
        echo "$kind $size MB: ${names[$i]}" >&2
        rm -f "$out"/*
        ignore=(); case ${names[$i]} in "geonorm check") ignore=(-i) ;; esac
        if hyperfine -N "${ignore[@]}" --warmup 1 --runs "$runs" --prepare "rm -f $out/ogr.geojson" --export-json "$work/h.json" "${cmds[$i]}" >/dev/null 2>&1; then
            medians[i]=$(median "$work/h.json")
            rm -f "$out"/*
            peaks[i]=$(peak_mib "${cmds[$i]}")
        else
            notes[i]="failed"
        fi
        rm -f "$out"/*
    done
    base=${medians[1]}
    ceiling=$(python3 "$root/benches/distance.py" --ceiling "$kind" "$size")
    for i in "${!names[@]}"; do
        if [ -n "${notes[i]}" ]; then
            echo "| $kind $size MB | ${names[$i]} | ${notes[i]} | | | |"
        else
            r=""; [ -n "$base" ] && r=$(ratio "${medians[i]}" "$base")
            c=""; [ -n "$ceiling" ] && c=$(ratio "${medians[i]}" "$ceiling")
            echo "| $kind $size MB | ${names[$i]} | ${medians[i]} | $r | $c | ${peaks[i]} |"
        fi
    done
    if [ -n "${medians[0]}" ] && [ -n "$base" ]; then
        speedups+=("$kind $size MB: geonorm -j $cores is $(ratio "${medians[0]}" "$base") as fast as -j 1 (median ${medians[0]} s → $base s)")
    else
        speedups+=("$kind $size MB: no speed-up (a geonorm row failed)")
    fi
done
echo
for s in "${speedups[@]}"; do echo "$s"; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "In process, from criterion's last saved estimates (cargo bench -p geonorm-benches):"
python3 "$root/benches/distance.py" || true
