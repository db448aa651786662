#!/usr/bin/env bash
# Side by side: geonorm against GDAL's ogr2ogr, togeojson and GPSBabel, converting the
# same generated KML, GPX and GeoJSON to GeoJSON. Whole process, median of hyperfine
# runs, peak RSS from GNU time. Installs what is missing (apt, npm).
#
#   benches/compare.sh [SIZE_MB]        (default 15; run from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-15}
runs=${RUNS:-5}

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
peak_mib() { /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {printf "%d", $2/1024}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $(date -u +%Y-%m-%d)"
echo
echo "| input | tool | median s | vs geonorm | peak MiB |"
echo "|---|---|---|---|---|"
for kind in kml gpx geojson; do
    in="$data/big$size.$kind"
    declare -a names=() cmds=()
    names+=("geonorm convert"); cmds+=("$gn convert $in -o $out/geonorm.geojson")
    case $kind in
        kml) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in -nln placemarks -addfields")
             names+=("togeojson 7.1.3"); cmds+=("node $work/tgj.mjs $in $out/tgj.json")
             names+=("gpsbabel"); cmds+=("gpsbabel -i kml -f $in -o geojson -F $out/gpsbabel.json") ;;
        gpx) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in waypoints routes tracks -nln gpx -nlt GEOMETRY")
             names+=("togeojson 7.1.3"); cmds+=("node $work/tgj.mjs $in $out/tgj.json")
             names+=("gpsbabel"); cmds+=("gpsbabel -i gpx -f $in -o geojson -F $out/gpsbabel.json") ;;
        geojson) names+=("ogr2ogr"); cmds+=("ogr2ogr -f GeoJSON $out/ogr.geojson $in") ;;
    esac
    base=""
    for i in "${!names[@]}"; do
        rm -f "$out"/*
        if hyperfine -N --warmup 1 --runs "$runs" --prepare "rm -f $out/ogr.geojson" --export-json "$work/h.json" "${cmds[$i]}" >/dev/null 2>&1; then
            m=$(median "$work/h.json")
            [ -z "$base" ] && base=$m
            ratio=$(python3 -c "print('%.1f×' % ($m / $base))")
            rm -f "$out"/*
            echo "| $kind $size MB | ${names[$i]} | $m | $ratio | $(peak_mib "${cmds[$i]}") |"
        else
            echo "| $kind $size MB | ${names[$i]} | failed | | |"
        fi
    done
done
