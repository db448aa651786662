"""The package README's examples run, and pass `mypy --strict` against the stubs."""

import contextlib
import io
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

README = ROOT / "crates/geonorm-py/README.md"


def _examples():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_examples_pass_mypy_strict(tmp_path):
    if not os.environ.get("GEONORM_CI"):
        pytest.importorskip("mypy")
    blocks = _examples()
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        (tmp_path / f"example_{i}.py").write_text(block, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / "cache"), *sorted(str(p) for p in tmp_path.glob("example_*.py"))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success" in run.stdout


def test_mypy_strict_catches_a_wrong_use(tmp_path):
    # The stubs are in force: a wrong type is an error, not Any.
    if not os.environ.get("GEONORM_CI"):
        pytest.importorskip("mypy")
    bad = tmp_path / "bad.py"
    bad.write_text("import geonorm\nn: int = geonorm.read(b'').title\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         str(tmp_path / "cache"), str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 1 and "attr-defined" in run.stdout, run.stdout


def test_the_readme_examples_run():
    if not os.environ.get("GEONORM_CI"):
        pytest.importorskip("geopandas")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in _examples():
            with contextlib.redirect_stdout(out):
                exec(compile(block, str(README), "exec"), {"__name__": "readme"})
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    assert "geojson/bad-position" in printed
    assert "EPSG:4326" in printed
    # The GeoParquet example: the `geo` metadata, and the frame read back.
    assert "geometry WKB" in printed
    assert "True EPSG:4326" in printed
