"""The README's Python example runs as written (from the repository's root)."""

import contextlib
import io
import os
import re

import pytest

from conftest import ROOT


def test_the_readme_example_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    pytest.importorskip("shapely")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(blocks[0], "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = out.getvalue()
    assert "Matterhorn Point" in printed
    assert "badcoord.geojson:3:18: error:" in printed
    assert "[geojson/bad-position]" in printed
