#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from testdata/ (each under 100 KB).
# Idempotent: files are named after their path in testdata/, so re-running only
# refreshes them; inputs the fuzzer added are left alone.
set -euo pipefail
cd "$(dirname "$0")"
testdata=../testdata
max=$((100 * 1024))

add() { # add TARGET FILE
    local dir="corpus/$1" name
    name=$(printf '%s' "${2#"$testdata"/}" | tr '/ ' '__')
    mkdir -p "$dir"
    cp "$2" "$dir/$name"
}

head_has() { head -c 4096 "$2" | grep -qi -- "$1"; }

n=0
while IFS= read -r -d '' f; do
    [ "$(wc -c <"$f")" -lt "$max" ] || continue
    case "$f" in
        *.geojson | *.json) kinds="geojson_read" ;;
        *.kml) kinds="kml_read" ;;
        *.kmz) kinds="kmz_read" ;;
        *.gpx) kinds="gpx_read" ;;
        *.xml)
            if head_has '<gpx' "$f"; then kinds="gpx_read"
            elif head_has 'kml' "$f"; then kinds="kml_read"
            else continue; fi ;;
        *) continue ;;
    esac
    add "$kinds" "$f"
    # The whole-pipeline targets take every format.
    add check "$f"
    add convert "$f"
    n=$((n + 1))
done < <(find "$testdata" -type f -print0 | sort -z)
echo "seed.sh: $n seed files from testdata/ into fuzz/corpus/"
for d in corpus/*/; do echo "  $d: $(ls "$d" | wc -l) files"; done
