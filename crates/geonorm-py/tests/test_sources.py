"""What Python users hand geonorm: paths (str, pathlib), bytes-likes, binary file
objects; what is refused and how (content passed as a str, a missing file); and what
`convert` and `Diagnostic.to_dict` give back."""

import array
import errno
import io
import pathlib

import pytest

import geonorm
from conftest import TESTDATA
from test_read import ONE_OF_EACH

BAD = TESTDATA / "geojson/check-geojson-bad/badcoord.geojson"


@pytest.mark.parametrize("fmt", sorted(ONE_OF_EACH))
def test_binary_file_objects_read_as_their_path(fmt):
    path = ONE_OF_EACH[fmt]
    want = geonorm.read(path).to_geojson()
    with open(path, "rb") as fh:
        assert geonorm.read(fh).to_geojson() == want
    assert geonorm.read(io.BytesIO(path.read_bytes())).to_geojson() == want
    assert geonorm.read(pathlib.Path(path)).to_geojson() == want
    assert geonorm.read(array.array("B", path.read_bytes())).to_geojson() == want
    with open(path, "rb") as fh:
        assert [(d.code, d.line) for d in geonorm.check(fh)] == [
            (d.code, d.line) for d in geonorm.check(path)
        ]


def test_a_file_objects_name_is_the_diagnostics_file():
    with open(BAD, "rb") as fh:
        diags = geonorm.check(fh)
    assert diags and all(d.file == str(BAD) for d in diags)
    assert all(d.file == "<bytes>" for d in geonorm.check(BAD.read_bytes()))
    assert all(d.file == "<file>" for d in geonorm.check(io.BytesIO(BAD.read_bytes())))


def test_a_text_mode_file_is_a_type_error():
    with open(ONE_OF_EACH["kml"], encoding="utf-8") as fh:
        with pytest.raises(TypeError, match="binary mode"):
            geonorm.read(fh)


@pytest.mark.parametrize(
    "content",
    [
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>secret-name</name></Document></kml>',
        '  \n {"type": "FeatureCollection", "features": [], "name": "secret-name"}',
        "<gpx><wpt lat='1' lon='2'><name>secret-name</name></wpt></gpx>",
    ],
)
def test_content_passed_as_a_str_is_refused_without_echoing_it(content):
    for call in (geonorm.read, geonorm.check, geonorm.convert):
        with pytest.raises(ValueError, match="looks like XML or JSON content") as e:
            call(content)
        assert "secret-name" not in str(e.value)
    # As bytes the same content reads.
    assert geonorm.read(content.encode()).format in ("kml", "geojson", "gpx")


def test_a_missing_file_has_errno_and_filename(tmp_path):
    missing = tmp_path / "missing.kml"
    for source in (missing, str(missing)):
        with pytest.raises(FileNotFoundError) as e:
            geonorm.read(source)
        assert e.value.errno == errno.ENOENT
        assert e.value.filename == str(missing)
        assert "No such file" in e.value.strerror
    with pytest.raises(FileNotFoundError) as e:
        geonorm.check(missing)
    assert e.value.filename == str(missing)
    with pytest.raises(FileNotFoundError) as e:
        geonorm.convert(missing)
    assert e.value.errno == errno.ENOENT
    # A name that does not start like content stays a path, however odd.
    with pytest.raises(FileNotFoundError):
        geonorm.read("no such [file].kml")


def test_convert_returns_data_and_diagnostics_in_every_form(tmp_path):
    out = geonorm.convert(BAD)
    assert isinstance(out, geonorm.ConvertResult)
    # Still the bytes it always was.
    assert isinstance(out, bytes) and out == out.data and out.data[:1] == b"{"
    assert type(out.data) is bytes
    codes = {d.code for d in out.diagnostics}
    assert "geojson/bad-position" in codes
    assert codes == {d.code for d in geonorm.check(BAD)}
    dst = tmp_path / "out.kml"
    written = geonorm.convert(BAD, dst)
    assert isinstance(written, geonorm.ConvertedFile)
    assert written.data is None
    assert isinstance(written, list) and written.diagnostics == list(written)
    assert {d.code for d in written.diagnostics} >= codes
    assert dst.read_bytes().startswith(b"<?xml")
    # A clean file: no findings, the bytes all the same.
    clean = geonorm.convert(ONE_OF_EACH["gpx"], to="kml")
    assert clean.data.startswith(b"<?xml") and isinstance(clean.diagnostics, list)


def test_diagnostic_to_dict_has_the_file():
    [d, *_] = geonorm.check(BAD)
    out = d.to_dict()
    assert out["file"] == str(BAD)
    assert set(out) == {
        "code", "severity", "message", "help", "line", "column", "start", "end", "entry", "file",
    }
    assert out["code"] == d.code and out["line"] == d.line
