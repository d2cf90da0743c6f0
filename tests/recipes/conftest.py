"""Shared helpers for the recipe tests: paths and importing a recipe's local/ modules."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def local_module(recipe: str, name: str):
    """Import ``egs/<recipe>/asr1/local/<name>.py`` (its folder goes on sys.path, as when run)."""
    local = str(REPO / "egs" / recipe / "asr1" / "local")
    if local not in sys.path:
        sys.path.insert(0, local)
    return importlib.import_module(name)


def setup_packages() -> set[str]:
    """The Debian packages tools/setup.sh installs (its ``debs`` lists and mbrola databases)."""
    setup = (REPO / "tools" / "setup.sh").read_text()
    dbs = re.search(r"mbrola_dbs=\(([^)]*)\)", setup).group(1).split()
    lists = " ".join(re.findall(r"debs\+?=\(([^)]*)\)", setup))
    return set(re.findall(r"[a-z0-9][a-z0-9.+-]+", lists)) | {f"mbrola-{db}" for db in dbs}


def read_table(path: Path) -> dict[str, str]:
    """A Kaldi ``key value`` file as a dict."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ", 1) for line in lines)


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a recipe script with this interpreter; fail with its stderr."""
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{script.name} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc


def copy_recipe(name: str, tmp_path: Path) -> Path:
    """``egs/<name>/asr1`` without data/ and exp/, copied under tmp_path (tools/ linked)."""
    recipe = tmp_path / "egs" / name / "asr1"
    shutil.copytree(
        REPO / "egs" / name / "asr1", recipe, ignore=shutil.ignore_patterns("data", "exp")
    )
    (tmp_path / "egs" / "tools").symlink_to(REPO / "egs" / "tools")
    return recipe


def run_recipe(recipe: Path, *args: str) -> subprocess.CompletedProcess:
    """``bash run.sh ARGS`` in a recipe copy, with this venv's CLIs; fail with its output."""
    env = {**os.environ, "ASR_SKIP_SETUP": "1"}  # this venv is set up; the copy has no tools/
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    proc = subprocess.run(
        ["bash", str(recipe / "run.sh"), *args], cwd=recipe, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def read_table_allow_empty(path: Path) -> dict[str, str]:
    """A Kaldi text file whose lines may hold an id with no words (an empty hypothesis)."""
    rows = (line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines())
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


def assert_trained_to_budget(stdout: str, exp: Path, lowest: str, highest: str) -> None:
    """Stage 3 got `trainer.max_time` (between lowest and highest) of a 30-minute run, and the
    cosine schedule decays over that budget."""
    budget = re.search(r"trainer.max_time=(00:00:\d\d:\d\d) of a 30-minute run", stdout)
    assert budget and lowest <= budget.group(1) <= highest
    assert (
        f"schedule over the time budget trainer.max_time={budget.group(1)}"
        in (exp / "train.log").read_text()
    )
