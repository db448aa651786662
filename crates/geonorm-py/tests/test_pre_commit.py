"""The pre-commit hook `geonorm-check` (.pre-commit-hooks.yaml) run by pre-commit
itself, without building geonorm again: a throwaway git repository whose
`.pre-commit-config.yaml` is a `repo: local` copy of the published hook (the same id,
entry and files) with `language: system` and the entry pointing at the CLI binary the
tests already use. The commit must fail on a bad map file, not on a good one, and the
hook must leave files that are not map files alone."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

GOOD = '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [7.66, 45.98]}}]}\n'
BAD = '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [200, 45.98]}}]}\n'


def _pre_commit():
    """pre-commit's module and yaml (its dependency), or a skip; .ci/python installs
    pre-commit and sets GEONORM_CI: there its absence fails."""
    try:
        import pre_commit  # noqa: F401
        import yaml
    except ImportError:
        if os.environ.get("GEONORM_CI"):
            raise
        pytest.skip("pre-commit is not installed")
    if shutil.which("git") is None:
        if os.environ.get("GEONORM_CI"):
            raise AssertionError("git is needed to run pre-commit")
        pytest.skip("git is not installed")
    return yaml


def _run(args, cwd, env=None):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_hook_fails_on_a_bad_map_file_and_passes_a_good_one(cli, tmp_path):
    yaml = _pre_commit()
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in published if h["id"] == "geonorm-check"]
    program, *args = hook["entry"].split()
    assert program == "geonorm"
    local = dict(hook)
    local["entry"] = " ".join([str(pathlib.Path(cli).resolve()), *args])
    local["language"] = "system"
    repo = tmp_path / "maps"
    repo.mkdir()
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})
    )
    (repo / "good.geojson").write_text(GOOD)
    (repo / "bad.geojson").write_text(BAD)
    # Not a map file: the hook's `files` leaves it out (geonorm would refuse it).
    (repo / "notes.txt").write_text("not a map\n")
    # pre-commit's own store in the temporary directory, not the user's cache.
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "store"), NO_COLOR="1")
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    assert _run([*git, "init", "-q"], repo).returncode == 0
    assert _run([*git, "add", "-A"], repo).returncode == 0
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]

    out = _run(run, repo, env)
    said = out.stdout + out.stderr
    assert out.returncode == 1, said
    assert "geonorm check" in said and "Failed" in said, said
    assert "bad.geojson:1:" in said and "lon-out-of-range" in said, said
    assert "notes.txt" not in said, said

    assert _run([*git, "rm", "-q", "--cached", "bad.geojson"], repo).returncode == 0
    (repo / "bad.geojson").unlink()
    out = _run(run, repo, env)
    said = out.stdout + out.stderr
    assert out.returncode == 0, said
    assert "Passed" in said, said
