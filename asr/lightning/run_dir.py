"""The self-contained run directory, written side: what ``asr-train`` writes.

``exp_dir/{config.yaml, meta.json, cmvn.json, tokenizer.*, checkpoints/*.ckpt[, average.pt]}``;
decoding needs nothing outside it (``asr.pretrained.run_dir`` reads it back).
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

PACKAGES = (
    "asr",
    "torch",
    "torchaudio",
    "pytorch-lightning",
    "hydra-core",
    "omegaconf",
    "lhotse",
    "jiwer",
    "sentencepiece",
    "numpy",
)


def git_revision(path: Path) -> str | None:
    """``<commit>[-dirty]`` of the git checkout holding ``path``, or None outside git."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a result depends on (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def write_run_dir(
    exp_dir: str | Path, config: dict[str, Any], tokenizer: str | Path, cmvn: str | Path
) -> Path:
    """Write the resolved config, meta.json and copies of the tokenizer and CMVN stats."""
    exp_dir = Path(exp_dir)
    exp_dir.mkdir(parents=True, exist_ok=True)
    (exp_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    meta = {
        "git_revision": git_revision(Path(__file__).resolve().parent),
        "packages": package_versions(),
        "python": platform.python_version(),
        "command": sys.argv,
        "host": platform.node(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (exp_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.copyfile(cmvn, exp_dir / "cmvn.json")
    copy_tokenizer(tokenizer, exp_dir)
    return exp_dir


def copy_tokenizer(src: str | Path, exp_dir: Path) -> None:
    """Copy every ``tokenizer.*`` file inside (or beside) ``src`` into ``exp_dir``."""
    src = Path(src)
    files = sorted((src if src.is_dir() else src.parent).glob("tokenizer.*"))
    if not files:
        raise FileNotFoundError(f"no tokenizer files (tokenizer.*) at {src}")
    for f in files:
        shutil.copyfile(f, exp_dir / f.name)
