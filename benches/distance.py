#!/usr/bin/env python3
"""Distance to the tokenising ceiling, from criterion's saved estimates.

    benches/distance.py [CRITERION_DIR]         (default: target/criterion)
    benches/distance.py --ceiling KIND SIZE_MB  (the ceiling's median in seconds, or
                                                 nothing; for compare.sh's column)

For each format and size the benches measured (`cargo bench -p geonorm-benches`), one
table: the median of `<format>-read-only`, `<format>-convert` and `<format>-check` on
each thread count, the median of `ceiling/<format>/<size>` (quick-xml events from a
slice for KML and GPX, serde_json into IgnoredAny for GeoJSON) on the same bytes, and
each median over the ceiling's. Then the issue 26 goal of each format (convert on one
thread within so many times the ceiling), met or not. Medians are criterion's point
estimates of the last run (`new/estimates.json`): compare ratios within one run.
"""

import json
import os
import re
import sys

FORMATS = ["kml", "gpx", "geojson"]
VERBS = ["read-only", "convert", "check"]
CEILINGS = {
    "kml": "quick-xml events from a slice",
    "gpx": "quick-xml events from a slice",
    "geojson": "serde_json into IgnoredAny",
}
# Issue 26: single thread, 15 MB, convert within this many times the ceiling.
GOALS = {"kml": 15, "gpx": 5, "geojson": 8}


def median_ns(path):
    """The median point estimate (ns) in a bench's `new/estimates.json`, or None."""
    try:
        with open(os.path.join(path, "new", "estimates.json")) as f:
            return json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None


def threads_key(name):
    m = re.match(r"(\d+)-threads?$", name)
    return int(m.group(1)) if m else None


def tables(root):
    """Markdown lines for every format and size with a saved ceiling."""
    out = []
    for kind in FORMATS:
        ceiling_dir = os.path.join(root, "ceiling", kind)
        if not os.path.isdir(ceiling_dir):
            continue
        sizes = sorted(os.listdir(ceiling_dir), key=lambda s: (len(s), s))
        for size in sizes:
            ceiling = median_ns(os.path.join(ceiling_dir, size))
            if ceiling is None:
                continue
            out.append(f"{kind} {size}: ceiling = {CEILINGS[kind]}")
            out.append("")
            out.append("| geonorm | threads | median ms | distance to ceiling |")
            out.append("|---|---|---|---|")
            one_thread_convert = None
            for verb in VERBS:
                d = os.path.join(root, f"{kind}-{verb}", size)
                if not os.path.isdir(d):
                    continue
                runs = [(threads_key(t), t) for t in os.listdir(d) if threads_key(t)]
                for n, t in sorted(runs):
                    m = median_ns(os.path.join(d, t))
                    if m is None:
                        continue
                    if verb == "convert" and n == 1:
                        one_thread_convert = m
                    out.append(f"| {verb} | {n} | {m / 1e6:.1f} | {m / ceiling:.1f}× |")
            out.append(f"| ceiling | 1 | {ceiling / 1e6:.2f} | 1.0× |")
            out.append("")
            goal = GOALS[kind]
            if one_thread_convert is None:
                out.append(f"goal (convert, 1 thread, ≤ {goal}× ceiling): not measured")
            else:
                d = one_thread_convert / ceiling
                if d <= goal:
                    verdict = f"met ({d:.1f}×)"
                else:
                    verdict = f"not met: {d:.1f}×, {d / goal:.2f}× the goal"
                out.append(f"goal (convert, 1 thread, ≤ {goal}× ceiling): {verdict}")
            out.append("")
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target")), "criterion"
    )
    if argv[:1] == ["--ceiling"]:
        if len(argv) not in (3, 4):
            print(__doc__, file=sys.stderr)
            return 2
        root = argv[3] if len(argv) == 4 else default
        m = median_ns(os.path.join(root, "ceiling", argv[1], f"{argv[2]}mb"))
        if m is not None:
            print(f"{m / 1e9:.6f}")
        return 0
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    root = argv[0] if argv else default
    lines = tables(root)
    if not lines:
        print(
            f"no ceiling in {root}: run `cargo bench -p geonorm-benches -- "
            "'^(kml|gpx|geojson)-(read-only|convert|check)/|^ceiling/'` first",
            file=sys.stderr,
        )
        return 1
    print("\n".join(lines).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
