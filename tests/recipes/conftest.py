"""Shared helpers for the recipe tests: paths and importing a recipe's local/ modules."""

from __future__ import annotations

import importlib
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
