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

# The data paths: what a feature keeps (id, name, description, ExtendedData, GPX
# extensions), ring closure, per-vertex values on writing, and the polygon rule.
files=(
    crates/geonorm/src/kml/placemark.rs
    crates/geonorm/src/gpx/point.rs
    crates/geonorm/src/fix.rs
    crates/geonorm/src/kml/write.rs
    crates/geonorm/src/gpx/write.rs
    crates/geonorm/src/validate/geometry.rs
)
# Each file's functions on those paths (the regex is matched against the names that
# `--list` shows: file:line:column: change in function).
functions="(placemark\\.rs:52:.* in read| in extended_data| in extensions|fix\\.rs:.* in close| in Writer<'d>::(polygon|line|extended_data)|geometry\\.rs:.* in polygon)\$"

args=(--package geonorm --timeout 180 --output "$out" --re "$functions")
for f in "${files[@]}"; do args+=(--file "$f"); done

# The tests: the invariant and parity suites, the targeted kills (mutants_killed) and
# the library's unit tests, less its slow whole-testdata streaming comparisons (which
# re-read every file per mutant and are covered by the suites named here).
# --cargo-arg selects the test targets for both the build and the test of each mutant;
# what follows `-- --` goes to the test binaries.
for t in --lib --test=nothing_lost --test=one_engine --test=roundtrip_prop \
    --test=check_parity --test=kml_togeojson --test=mutants_killed; do
    args+=(--cargo-arg="$t")
done
skips=(--skip validate::stream_tests --skip stream::tests --skip assets::tests)

exec cargo mutants "${args[@]}" "$@" -- -- "${skips[@]}"
