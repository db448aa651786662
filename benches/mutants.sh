#!/usr/bin/env bash
# Mutation testing of geonorm's data paths with cargo-mutants (https://mutants.rs/):
# each mutant is a small change to the code (a field dropped, `<` made `<=`, a `!`
# deleted); a test suite with teeth fails on it. Long (about an hour on 2 shared cores),
# so it is not part of .ci/run. The scope, the tests and the figures of the run are in
# docs/testing.md. Usage: bash benches/mutants.sh [--list] [extra cargo-mutants args]
# Output goes to $MUTANTS_OUT (default /tmp/geonorm-mutants)/mutants.out, outside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "mutants: installing cargo-mutants from crates.io"
    cargo install cargo-mutants --locked --version 27.1.0
fi

# One build job (and cargo-mutants tests one mutant at a time by default): the
# machines this runs on are shared.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_BUILD_JOBS=1
out="${MUTANTS_OUT:-/tmp/geonorm-mutants}"
mkdir -p "$out"

# The data paths of the readers and writers and the geometry rules (docs/testing.md
# lists each area): what a feature keeps (id, name, description, ExtendedData and its
# types, GPX extensions and point fields), ring closure (fix.rs and the KML reader's),
# per-vertex values read (gx:Track, gx:SimpleArrayData) and written (KML, GeoJSON
# coordinateProperties), and the position, polygon and area rules.
files=(
    crates/geonorm/src/kml/placemark.rs
    crates/geonorm/src/kml/write.rs
    crates/geonorm/src/gpx/point.rs
    crates/geonorm/src/gpx/read.rs
    crates/geonorm/src/gpx/fields.rs
    crates/geonorm/src/fix.rs
    crates/geonorm/src/geojson/write.rs
    crates/geonorm/src/geometry/rules.rs
)
# Each file's functions on those paths (the regex is matched against the names that
# `--list` shows: file:line:column: change in function).
functions="("
functions+="placemark\\.rs:.* in (read|extended_data|typed|closed|track_parts|column_values|attach_array)"
functions+="|kml/write\\.rs:.* in (Writer<'d>::(placemark|polygon|line|extended_data)|only_data_keys|has_full_times|element_text)"
functions+="|gpx/point\\.rs:.* in (extensions|child|read_point)"
functions+="|gpx/(read|fields)\\.rs:.* in Ctx::(waypoint|line_field)"
functions+="|fix\\.rs:.* in close"
functions+="|geojson/write\\.rs:.* in (feature|coordinate_properties|Props<'_>::(put|key|comma))"
functions+="|geometry/rules\\.rs:.* (in (polygon|position)|replace contains -> bool .*)"
functions+=")\$"
# Deleting a GPX reader's `Event::Eof` arm makes it loop at the end of a cut file:
# a timeout (180 s each) that no test can tell from a slow read without a timing
# assert; the first run recorded one (docs/testing.md), the others are left out.
exclude="delete match arm Event::Eof"

args=(--package geonorm --timeout 180 --output "$out" --re "$functions" --exclude-re "$exclude")
for f in "${files[@]}"; do args+=(--file "$f"); done

# The tests: the invariant and parity suites, the targeted kills (mutants_killed) and
# the library's unit tests, less its slow whole-testdata streaming comparisons (which
# re-read every file per mutant and are covered by the suites named here).
# --cargo-arg selects the test targets for both the build and the test of each mutant;
# what follows `-- --` goes to the test binaries.
for t in --lib --test=nothing_lost --test=one_engine --test=roundtrip_prop \
    --test=check_parity --test=kml_togeojson --test=gpx_togeojson --test=gpx_files \
    --test=mutants_killed; do
    args+=(--cargo-arg="$t")
done
skips=(--skip validate::stream_tests --skip stream::tests --skip assets::tests)

exec cargo mutants "${args[@]}" "$@" -- -- "${skips[@]}"
