"""Shared fixtures: the repository's test data, the CLI binary to compare with, and a
maphub-local server on a free port of 127.0.0.1."""

import os
import pathlib
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
TESTDATA = ROOT / "testdata"


def _binary(env: str, name: str) -> pathlib.Path:
    """A workspace binary: $env when set, else target/debug/NAME (built with cargo
    when missing, so the test runs from a clean clone)."""
    given = os.environ.get(env)
    if given:
        return pathlib.Path(given)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / name
    if not path.exists():
        package = {"geonorm": "geonorm-cli", "maphub-local": "maphub-local"}[name]
        subprocess.run(
            ["cargo", "build", "-q", "-p", package, "--bin", name],
            cwd=ROOT,
            check=True,
        )
    return path


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    return _binary("GEONORM_CLI", "geonorm")


def all_map_files():
    """Every map file of testdata, the real exports of corpus/ and the fidelity cases
    among them, sorted."""
    exts = (".kml", ".kmz", ".gpx", ".geojson", ".json")
    return sorted(
        p
        for p in TESTDATA.rglob("*")
        if p.is_file()
        and p.suffix.lower() in exts
        and "expected" not in p.relative_to(TESTDATA).as_posix()
        and p.relative_to(TESTDATA).parts[0] not in ("fuzz-regressions", "sarif")
    )


def sample_files():
    """A fixed set of real files of every format: the crafted cases and the peers'
    test files, sorted, so the comparisons with the CLI see the same inputs each run."""
    out = []
    for sub, exts in [
        ("kml", (".kml", ".kmz")),
        ("gpx", (".gpx",)),
        ("geojson", (".geojson", ".json")),
    ]:
        files = sorted(
            p
            for p in (TESTDATA / sub).rglob("*")
            if p.is_file() and p.suffix.lower() in exts and "expected" not in str(p)
        )
        out.extend(files)
    return out


@pytest.fixture(scope="session")
def maphub_local():
    """A maphub-local server on a free port, with a throwaway key in its environment;
    yields (url, key) and stops it afterwards."""
    binary = _binary("MAPHUB_LOCAL", "maphub-local")
    key = "pytest-key-" + os.urandom(6).hex()
    env = dict(os.environ, MAPHUB_API_KEY=key)
    proc = subprocess.Popen(
        [str(binary), "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            raise RuntimeError(f"maphub-local did not start: {line!r} {proc.stderr.read()!r}")
        yield m.group(1), key
    finally:
        proc.kill()
        proc.wait()
