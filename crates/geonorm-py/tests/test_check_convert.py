"""Checking and converting give what the CLI gives: the same codes and positions as
`geonorm check --format json`, the same bytes as `geonorm convert`; input that cannot
be read raises ReadError with its diagnostic, never a crash."""

import json
import subprocess

import pytest

import geonorm
from conftest import TESTDATA, sample_files


@pytest.fixture(scope="module")
def cli_check(cli):
    """`geonorm check --format json` over every sample file, in one run, by path."""
    files = sample_files()
    run = subprocess.run(
        [str(cli), "check", "--format", "json", *map(str, files)],
        capture_output=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    return {f["path"]: f for f in report["files"]}


KEYS = ("code", "severity", "message", "help", "line", "column", "start", "end", "entry")


def test_check_gives_the_clis_codes_and_positions(cli_check):
    files = sample_files()
    assert len(cli_check) == len(files) > 100
    compared = 0
    for path in files:
        report = cli_check[str(path)]["diagnostics"]
        want = [tuple(d[k] for k in KEYS) for d in report]
        got = geonorm.check(path)
        assert [tuple(getattr(d, k) for k in KEYS) for d in got] == want, path
        # to_dict() adds the file, which the CLI's report gives once per file.
        assert all(d.to_dict()["file"] == str(path) for d in got), path
        assert [{k: v for k, v in d.to_dict().items() if k != "file"} for d in got] == report, path
        compared += len(want)
    assert compared > 50, "the sample files hold findings to compare"


def test_check_of_bytes_places_findings_as_of_the_file(cli_check):
    # Without its name the format is named (some files tell it only by their
    # extension), and only the findings about the name can differ.
    name_codes = {"format/extension-mismatch"}
    for path in sample_files()[::4]:
        report = cli_check[str(path)]
        want = [
            (d["code"], d["line"], d["column"], d["entry"])
            for d in report["diagnostics"]
            if d["code"] not in name_codes
        ]
        got = [
            (d.code, d.line, d.column, d.entry)
            for d in geonorm.check(path.read_bytes(), format=report["format"])
            if d.code not in name_codes
        ]
        assert got == want, path


def test_a_diagnostic_prints_as_one_line():
    text = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},\n"geometry":{"type":"Point","coordinates":[45.1, 120.5]}}]}'
    diags = geonorm.check(text)
    lat = [d for d in diags if d.code == "geometry/lat-out-of-range"]
    assert lat, diags
    d = lat[0]
    assert d.severity == "error"
    assert (d.line, d.entry) == (2, None)
    assert str(d) == f"<bytes>:{d.line}:{d.column}: error: {d.message} [geometry/lat-out-of-range]"
    assert geonorm.check(text, profile="rfc7946")
    with pytest.raises(ValueError):
        geonorm.check(text, profile="nope")


def _cli_convert(cli, path, to, out=None):
    cmd = [str(cli), "convert", str(path), "--to", to]
    if out is not None:
        cmd += ["-o", str(out)]
    return subprocess.run(cmd, capture_output=True, check=False)


# Every third sample file under 300 KB: the suite runs a debug build, in which the few
# files near a megabyte take seconds each (they are checked above).
CONVERTED = [p for p in sample_files() if p.stat().st_size < 300_000][::3]


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.name)
def test_convert_equals_the_clis_output_byte_for_byte(cli, path, tmp_path):
    for to in ("geojson", "kml", "gpx"):
        run = _cli_convert(cli, path, to)
        if run.returncode != 0 and not run.stdout:
            with pytest.raises(geonorm.ReadError) as e:
                geonorm.convert(path, to=to)
            assert e.value.diagnostic is not None
            assert e.value.diagnostic.code in run.stderr.decode("utf-8", "replace")
            continue
        assert geonorm.convert(path, to=to) == run.stdout, (path, to)
        assert geonorm.convert(path.read_bytes(), to=to) == run.stdout, (path, to)
    # Into a file GeoJSON is streamed, as `geonorm convert -o` streams it.
    cli_out = tmp_path / "cli.geojson"
    py_out = tmp_path / "py.geojson"
    run = _cli_convert(cli, path, "geojson", cli_out)
    if cli_out.exists():
        diags = geonorm.convert(path, py_out)
        assert isinstance(diags, list)
        assert py_out.read_bytes() == cli_out.read_bytes(), path
    else:
        with pytest.raises(geonorm.ReadError):
            geonorm.convert(path, py_out)
        assert not py_out.exists()


@pytest.mark.parametrize("path", CONVERTED, ids=lambda p: p.name)
def test_convert_says_what_check_says(path, tmp_path):
    # Streamed into a file, and read whole into KML: the findings of `check`, plus
    # what the output could not hold.
    # A root that convert wraps in a collection it says as done: an info, not an error.
    def severity(d):
        return "info" if d.code == "maphub/not-collection" else d.severity

    checked = {(d.code, severity(d), d.line, d.column) for d in geonorm.check(path)}
    for dst in (tmp_path / "out.geojson", tmp_path / "out.kml"):
        try:
            said = geonorm.convert(path, dst)
        except geonorm.ReadError:
            continue
        converted = {(d.code, d.severity, d.line, d.column) for d in said}
        assert checked <= converted, (path, dst.suffix)
        assert all(d[0].startswith("write/") for d in converted - checked), (path, dst.suffix)


def test_convert_options_match_the_clis(cli):
    path = TESTDATA / "kml/togeojson/multigeometry.kml"
    run = subprocess.run(
        [str(cli), "convert", str(path), "--precision", "3", "--fix"],
        capture_output=True,
        check=True,
    )
    assert geonorm.convert(path, precision=3, fix=True) == run.stdout
    assert geonorm.convert(path, precision=3) != geonorm.convert(path)


HOSTILE = {
    "truncated-kml": b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>a',
    "billion-laughs": b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&d;&d;&d;&d;&d;&d;</name></Document></kml',
    "deep-json": b'{"type":"FeatureCollection","features":' + b"[" * 200_000,
    "broken-gpx": b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="1" lon="2"></trk></gpx>',
    "not-a-zip-kmz": b"PK\x03\x04" + b"\x00" * 64,
    "binary-garbage": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_raises_read_error(name):
    data = HOSTILE[name]
    with pytest.raises(geonorm.ReadError) as e:
        geonorm.read(data)
    assert str(e.value)
    with pytest.raises(geonorm.ReadError):
        geonorm.convert(data)
    # check never raises for content: the reason is a finding.
    diags = geonorm.check(data)
    assert any(d.severity == "error" for d in diags), name
    if e.value.diagnostic is not None:
        assert e.value.diagnostic.code in {d.code for d in diags}
        assert e.value.diagnostics[0] is not None


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        geonorm.read(tmp_path / "missing.kml")
    with pytest.raises(TypeError):
        geonorm.read(12)


@pytest.mark.parametrize(
    "path",
    sorted((TESTDATA / "fuzz-regressions").iterdir()),
    ids=lambda p: p.name,
)
def test_inputs_that_once_crashed_a_reader_are_read_or_refused(path):
    # Each once crashed or exhausted a reader: now a Document or a ReadError, and
    # every feature and the whole document can be turned into Python objects.
    try:
        doc = geonorm.read(path)
    except geonorm.ReadError as e:
        assert str(e)
        return
    for f in doc.features:
        f.__geo_interface__, f.properties, f.vertex_values, f.group
    try:
        doc.__geo_interface__
    except RecursionError:
        # json.loads of nesting deeper than Python's recursion limit.
        pass
    assert isinstance(geonorm.check(path), list)
