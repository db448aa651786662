#!/usr/bin/env bash
# Real files against the peers: converts every corpus file (KML, KMZ, GPX, GeoJSON) to
# GeoJSON with geonorm, togeojson 7.1.3 (KML, KMZ, GPX) and GDAL's ogr2ogr (all layers
# merged into one), then compares per file: feature count, geometry type, names,
# descriptions (as text, whitespace collapsed), property values, per-point values and
# position counts. Flags where geonorm loses something a peer keeps, and where
# `geonorm check --profile rfc7946` finds an error in geonorm's output that the input
# did not have. A tool, not a test: it needs the network only to install the peers.
#
#   testdata/corpus/compare.sh [DIR_OR_FILE...]   (default: testdata/corpus)
#
# Environment:
#   GEONORM=path     use this binary instead of building target/release/geonorm
#   PEERS_DIR=dir    reuse a directory where togeojson and xmldom are installed
#   REPORT=file      also write every finding as JSON
#   DETAILS=0        print the table and summary only
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 0 ] && set -- "$root/testdata/corpus"

if ! command -v ogr2ogr >/dev/null; then
    echo "installing gdal-bin" >&2
    sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_=sudo
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq gdal-bin >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peers=${PEERS_DIR:-$work/peers}
if [ ! -d "$peers/node_modules/@tmcw/togeojson" ]; then
    mkdir -p "$peers"
    # togeojson reads a DOM; xmldom provides one in Node.
    (cd "$peers" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @tmcw/togeojson@7.1.3 @xmldom/xmldom@0.9 >/dev/null)
fi
cat > "$peers/tgj.mjs" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
import { DOMParser } from "@xmldom/xmldom";
import { kml, gpx } from "@tmcw/togeojson";
const [input, output, kind] = process.argv.slice(2);
// Decode as the file says (a browser would): UTF-16 by BOM, Latin-1 by declaration.
const buf = readFileSync(input);
let text;
if (buf[0] === 0xff && buf[1] === 0xfe) text = buf.toString("utf16le");
else if (buf[0] === 0xfe && buf[1] === 0xff) text = Buffer.from(buf).swap16().toString("utf16le");
else {
    const head = buf.subarray(0, 200).toString("latin1");
    const m = head.match(/encoding=["']([^"']+)["']/i);
    const enc = m ? m[1].toLowerCase() : "utf-8";
    text = /8859-1|latin-?1|windows-1252|cp1252/.test(enc) ? buf.toString("latin1") : buf.toString("utf8");
}
text = text.replace(/^\uFEFF/, "");
const dom = new DOMParser().parseFromString(text, "text/xml");
writeFileSync(output, JSON.stringify(kind === "gpx" ? gpx(dom) : kml(dom)));
JS

if [ -z "${GEONORM:-}" ]; then
    cargo build --release -q --manifest-path "$root/Cargo.toml" -p geonorm-cli --bin geonorm
    GEONORM="$root/target/release/geonorm"
fi

cat > "$work/compare.py" <<'PY'
import html, json, os, re, subprocess, sys, zipfile
from collections import Counter
from datetime import datetime, timezone

gn_bin, peers, work = sys.argv[1], sys.argv[2], sys.argv[3]
targets = sys.argv[4:]
report_path = os.environ.get("REPORT")
details = os.environ.get("DETAILS", "1") != "0"

EXT = {".kml": "kml", ".kmz": "kmz", ".gpx": "gpx", ".geojson": "geojson", ".json": "geojson"}
files = []
for t in targets:
    if os.path.isdir(t):
        for d, _, names in os.walk(t):
            for n in names:
                if os.path.splitext(n)[1].lower() in EXT:
                    files.append(os.path.join(d, n))
    else:
        files.append(t)
files.sort()
base = os.path.commonpath([os.path.dirname(f) for f in files]) if files else ""

def run(cmd, timeout=300):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"

def load(path):
    try:
        with open(path, "rb") as f:
            d = json.loads(f.read().decode("utf-8"))
        return d.get("features", []) if isinstance(d, dict) else None
    except Exception:
        return None

# ---- normalisation ----------------------------------------------------------------
WS = re.compile(r"\s+")
TAG = re.compile(r"<[^>]*>")
def ws(s):
    return WS.sub(" ", s).strip()
def text(s):
    """Description as a reader sees it: markup dropped, entities resolved, spaces collapsed."""
    if s is None:
        return ""
    if isinstance(s, dict):  # togeojson's {"@type": "html", "value": ...}
        s = s.get("value", "")
    s = str(s)
    for _ in range(2):
        s = html.unescape(TAG.sub(" ", s))
    return ws(s)

DATE = re.compile(r"^\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")
def norm_value(v):
    s = ws(str(v))
    if s in ("", "null", "None"):
        return None
    if s.lower() in ("true", "false"):
        return s.lower()
    try:
        f = float(s)
        if f == f and abs(f) != float("inf"):
            return repr(round(f, 6))
    except ValueError:
        pass
    if DATE.match(s):
        t = s.replace("/", "-").replace(" ", "T")
        t = re.sub(r"([+-]\d{2})$", r"\1:00", t).replace("Z", "+00:00")
        try:
            d = datetime.fromisoformat(t)
            if d.tzinfo is None:
                d = d.replace(tzinfo=timezone.utc)
            return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
        except ValueError:
            pass
    return s

LEAF = re.compile(r">([^<>]+)<")
def leaves(v):
    """The scalar values in a property: nested JSON flattened, an XML fragment's texts."""
    if v is None:
        return []
    if isinstance(v, dict):
        return [x for k in v for x in leaves(v[k])]
    if isinstance(v, list):
        return [x for e in v for x in leaves(e)]
    if isinstance(v, str) and "<" in v and ">" in v and re.search(r"<[A-Za-z_][\w:.-]*[^>]*>", v):
        inner = [ws(m) for m in LEAF.findall(">" + v + "<")]
        inner = [m for m in inner if m]
        return inner if inner else []
    if isinstance(v, str) and "\n" in v.strip():
        return [x.strip() for x in v.split("\n") if x.strip()]
    return [v]

GARMIN_COLOURS = {"black", "darkred", "darkgreen", "darkyellow", "darkblue", "darkmagenta", "darkcyan",
                  "lightgray", "darkgray", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "transparent"}

# Peer keys that describe the peer's own rendering or bookkeeping, not the user's data.
IGNORE = {
    "tgj": {"styleUrl", "styleHash", "styleMapHash", "stroke", "stroke-opacity", "stroke-width", "fill",
            "fill-opacity", "icon", "icon-color", "icon-opacity", "icon-scale", "icon-heading",
            "icon-offset", "icon-offset-units", "label-color", "label-opacity", "label-scale",
            "_gpxType", "coordinateProperties", "visibility", "open", "name", "description", "desc"},
    "ogr": {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon", "id", "Name",
            "Description", "name", "description", "desc", "number", "ogr_style", "OGR_STYLE"},
}
def geom_info(g):
    if not g or not isinstance(g, dict):
        return "none", 0
    t = g.get("type", "?")
    if t == "GeometryCollection":
        fams = set(); n = 0
        for p in g.get("geometries") or []:
            f, k = geom_info(p); fams.add(f); n += k
        return ("+".join(sorted(fams)) if fams else "none"), n
    def count(c):
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            return 1
        return sum(count(x) for x in c) if isinstance(c, list) else 0
    fam = t.replace("Multi", "")
    return fam, count(g.get("coordinates") or [])

def features(tool, feats, fmt):
    out = []
    for f in feats or []:
        p = f.get("properties") or {}
        if not isinstance(p, dict):
            p = {}
        fam, npos = geom_info(f.get("geometry"))
        if fmt == "geojson":  # GeoJSON in, GeoJSON out: the same keys on every side
            name = p.get("title", p.get("name")); desc = p.get("description")
        elif tool == "gn":
            name, desc = p.get("title"), p.get("description")
        elif tool == "tgj":
            name, desc = p.get("name"), p.get("description", p.get("desc"))
        else:
            name = p.get("name", p.get("Name"))
            desc = p.get("description", p.get("Description", p.get("desc")))
        cp = p.get("coordinateProperties") if isinstance(p.get("coordinateProperties"), dict) else {}
        zs = []
        geo = f.get("geometry") or {}
        if geo.get("type") == "Point" and len(geo.get("coordinates") or []) > 2:
            zs.append(geo["coordinates"][2])
        out.append({"zs": zs, "name": ws(str(name)) if name not in (None, "") else "", "desc": desc,
                    "fam": fam, "npos": npos, "props": p, "cprops": set(cp)})
    return out

def match(peer, gn):
    """Pairs (peer index, gn index): same name and geometry first, then same name, then in order."""
    pairs, used_p, used_g = [], set(), set()
    for key in (lambda f: (f["name"], f["fam"]), lambda f: f["name"]):
        idx = {}
        for j, g in enumerate(gn):
            if j not in used_g:
                idx.setdefault(key(g), []).append(j)
        for i, f in enumerate(peer):
            if i in used_p:
                continue
            c = idx.get(key(f))
            if c:
                j = c.pop(0); pairs.append((i, j)); used_p.add(i); used_g.add(j)
    rest_p = [i for i in range(len(peer)) if i not in used_p]
    rest_g = [j for j in range(len(gn)) if j not in used_g]
    for same in (True, False):  # unnamed features pair up in order, same geometry first
        for i in rest_p:
            if i in used_p or peer[i]["name"]:
                continue
            c = [j for j in rest_g if not same or gn[j]["fam"] == peer[i]["fam"]]
            if c:
                rest_g.remove(c[0]); pairs.append((i, c[0])); used_p.add(i)
    return sorted(pairs), [i for i in range(len(peer)) if i not in used_p]

def gn_values(g):
    vals, strs = set(), []
    for v in leaves(g["props"]) + g["zs"]:
        n = norm_value(v)
        if n is not None:
            vals.add(n); strs.append(text(str(v)))
    return vals, " ".join(strs)

def compare(peer_name, peer, gn, losses, notes):
    pairs, missing = match(peer, gn)
    for i in missing:
        f = peer[i]
        losses.append(f"feature missing ({peer_name}): {f['fam']} «{f['name'][:60]}»")
    for i, j in pairs:
        p, g = peer[i], gn[j]
        label = f"«{(p['name'] or g['name'] or '#%d' % (j + 1))[:50]}»"
        if p["name"] and p["name"] != g["name"]:
            if g["name"] and p["name"].startswith(g["name"]):
                losses.append(f"name cut ({peer_name}) {label}: geonorm «{g['name'][:60]}»")
            elif not g["name"]:
                losses.append(f"name missing ({peer_name}) {label}")
            else:
                notes.append(f"name differs ({peer_name}) {label}: geonorm «{g['name'][:60]}»")
        pd, gd = text(p["desc"]), text(g["desc"])
        if pd and pd != gd:
            if not gd:
                # geonorm may have put the text in another property (cmt, …)
                _, gstr = gn_values(g)
                if pd in text(gstr):
                    notes.append(f"description kept under another key ({peer_name}) {label}")
                else:
                    losses.append(f"description missing ({peer_name}) {label}: «{pd[:80]}»")
            elif pd.startswith(gd) or len(gd) < len(pd) and gd in pd:
                losses.append(f"description cut ({peer_name}) {label}: {len(gd)} of {len(pd)} chars; peer «{pd[:100]}», geonorm «{gd[:100]}»")
            else:
                notes.append(f"description differs ({peer_name}) {label}: peer «{pd[:80]}», geonorm «{gd[:80]}»")
        elif pd and ws(str(p["desc"] if not isinstance(p["desc"], dict) else p["desc"].get("value", ""))) != ws(str(g["desc"])):
            notes.append(f"description markup differs, text equal ({peer_name}) {label}")
        if p["fam"] != g["fam"] and p["fam"] != "none":
            notes.append(f"geometry differs ({peer_name}) {label}: {p['fam']} vs geonorm {g['fam']}")
        if p["npos"] > g["npos"]:
            losses.append(f"positions lost ({peer_name}) {label}: {g['npos']} of {p['npos']}")
        gcp = g["props"].get("coordinateProperties") or {}
        gsets = [{norm_value(x) for x in leaves(v)} - {None} for v in gcp.values()] if isinstance(gcp, dict) else []
        for k in sorted(p["cprops"]):
            pv = {norm_value(x) for x in leaves(p["props"]["coordinateProperties"][k])} - {None}
            if pv and not any(pv <= s for s in gsets):
                losses.append(f"per-point «{k}» missing ({peer_name}) {label}")
        gvals, gstr = gn_values(g)
        lost = []
        for k, v in p["props"].items():
            if k in IGNORE[peer_name] or k in ("coordinateProperties",):
                continue
            for leaf in leaves(v):
                n = norm_value(leaf)
                if n is None or n in gvals:
                    continue
                if DATE.match(ws(str(leaf))) and any(len(x) >= 4 and ws(str(leaf)).startswith(x) for x in gvals):
                    continue  # a date the peer padded (1997-07 -> 1997-07-01T00:00:00)
                if isinstance(leaf, str) and len(text(leaf)) >= 3 and text(leaf) in gstr:
                    continue
                if str(leaf).strip().lower() in GARMIN_COLOURS and "stroke" in g["props"]:
                    continue
                lost.append(f"{k}={str(leaf)[:40]!r}")
        if lost:
            losses.append(f"property values missing ({peer_name}) {label}: " + ", ".join(sorted(set(lost))[:8])
                          + (" …" if len(set(lost)) > 8 else ""))

def errors(path, fmt=None):
    cmd = [gn_bin, "check", path, "--profile", "rfc7946", "--format", "json"]
    rc, out, err = run(cmd)
    try:
        d = json.loads(out)
    except Exception:
        return None, []
    codes, warns = Counter(), Counter()
    for f in d.get("files", []):
        for x in f.get("diagnostics", []):
            if x.get("severity") == "error":
                codes[x["code"]] += 1
            elif x.get("severity") == "warning":
                warns[x["code"]] += 1
    return codes, warns

results = []
for i, path in enumerate(files):
    rel = os.path.relpath(path, base) if base else path
    fmt = EXT[os.path.splitext(path)[1].lower()]
    d = os.path.join(work, "f%d" % i); os.makedirs(d)
    r = {"file": rel, "format": fmt, "count": {}, "losses": [], "notes": [], "check": []}
    # geonorm
    gout = os.path.join(d, "gn.geojson")
    rc, _, err = run([gn_bin, "convert", path, "-o", gout, "--format", "json"])
    gn = features("gn", load(gout), fmt) if rc == 0 else None
    r["count"]["geonorm"] = len(gn) if gn is not None else "fail"
    if gn is None:
        msgs = []
        for line in err.splitlines():
            try:
                x = json.loads(line)
            except ValueError:
                continue
            if isinstance(x, dict) and x.get("severity") == "error":
                msgs.append(f"{x.get('line')}:{x.get('column')} {x.get('message')} [{x.get('code')}]")
        r["losses"].append("geonorm failed: " + ("; ".join(msgs[:3]) or ws(err)[:200]))
    # togeojson
    peers_out = {}
    if fmt in ("kml", "kmz", "gpx"):
        src = path
        if fmt == "kmz":
            try:
                with zipfile.ZipFile(path) as z:
                    names = [n for n in z.namelist() if n.lower().endswith(".kml")]
                    pick = "doc.kml" if "doc.kml" in names else (names[0] if names else None)
                    src = os.path.join(d, "doc.kml")
                    with open(src, "wb") as o:
                        o.write(z.read(pick) if pick else b"")
            except Exception:
                src = None
        tout = os.path.join(d, "tgj.json")
        ok = src and run(["node", os.path.join(peers, "tgj.mjs"), src, tout, "gpx" if fmt == "gpx" else "kml"])[0] == 0
        peers_out["tgj"] = features("tgj", load(tout), fmt) if ok else None
    # ogr2ogr
    oout = os.path.join(d, "ogr.geojson")
    cmd = ["ogr2ogr", "-f", "GeoJSON", oout, path]
    if fmt == "gpx":
        cmd += ["waypoints", "routes", "tracks", "-nln", "gpx", "-nlt", "GEOMETRY", "-addfields"]
    elif fmt in ("kml", "kmz"):
        cmd += ["-nln", "placemarks", "-nlt", "GEOMETRY", "-addfields"]
    ok = run(cmd)[0] == 0
    peers_out["ogr"] = features("ogr", load(oout), fmt) if ok else None
    for name, feats in peers_out.items():
        r["count"][name] = len(feats) if feats is not None else "fail"
        if feats is not None and gn is not None:
            compare(name, feats, gn, r["losses"], r["notes"])
    if gn is not None:
        crs = sum(1 for f in gn for v in leaves(f["props"]) if isinstance(v, str) and "\r" in v)
        if crs:
            r["notes"].insert(0, f"{crs} text values in geonorm's output still hold a carriage return (CRLF not normalised)")
    # geonorm's own check, input against output
    if gn is not None:
        cin, win = errors(path)
        cout, _ = errors(gout)
        if cin is not None and cout is not None:
            new = {c: n for c, n in cout.items() if c not in cin}
            if new:
                r["check"] = ["%s ×%d" % (c, n) for c, n in sorted(new.items())]
            r["input_errors"] = dict(cin); r["input_warnings"] = dict(win)
    results.append(r)

# ---- report --------------------------------------------------------------------------
def cnt(r, k):
    v = r["count"].get(k, "–")
    return str(v)
print("| file | format | features geonorm / togeojson / ogr2ogr | geonorm loses | new check errors in geonorm's output |")
print("|---|---|---|---|---|")
for r in results:
    kinds = Counter(x.split(" (")[0].split(":")[0] for x in r["losses"])
    loss = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in kinds.items()) or "–"
    print(f"| `{r['file']}` | {r['format']} | {cnt(r, 'geonorm')} / {cnt(r, 'tgj')} / {cnt(r, 'ogr')} | {loss} | {', '.join(r['check']) or '–'} |")
if details:
    print()
    for r in results:
        if r["losses"] or r["check"] or r["notes"]:
            print(f"### {r['file']}")
            for x in r["losses"]:
                print(f"- LOSS {x}")
            for x in r["check"]:
                print(f"- CHECK geonorm's output has {x} (input has none)")
            if r.get("input_warnings"):
                print("- geonorm's warnings on the input: " + ", ".join(f"{c} ×{n}" for c, n in sorted(r["input_warnings"].items())))
            for x in r["notes"][:12]:
                print(f"- note {x}")
            if len(r["notes"]) > 12:
                print(f"- note … {len(r['notes']) - 12} more")
            print()
by_fmt = Counter(r["format"] for r in results)
print("## Summary")
print(f"- files: {len(results)} ({', '.join(f'{k} {v}' for k, v in sorted(by_fmt.items()))})")
print(f"- files where geonorm loses something a peer keeps: {sum(1 for r in results if r['losses'])}")
print(f"- files where geonorm's output fails its own check (errors the input did not have): {sum(1 for r in results if r['check'])}")
print(f"- files where geonorm failed to convert: {sum(1 for r in results if r['count'].get('geonorm') == 'fail')}")
print(f"- peer failures: togeojson {sum(1 for r in results if r['count'].get('tgj') == 'fail')}, ogr2ogr {sum(1 for r in results if r['count'].get('ogr') == 'fail')}")
if report_path:
    with open(report_path, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
PY

python3 "$work/compare.py" "$GEONORM" "$peers" "$work" "$@"
