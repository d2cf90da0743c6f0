"""The self-contained run directory: what ``asr-train`` writes and what decoding reads back.

``exp_dir/{config.yaml, meta.json, cmvn.json, tokenizer.*, checkpoints/*.ckpt[, average.pt]}``;
decoding needs nothing outside it.
"""

from __future__ import annotations

import importlib
import json
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import torch
import yaml

from asr.data.cmvn import load_cmvn
from asr.data.tokenizer import Tokenizer, load_tokenizer
from asr.lightning.average import model_state_dict, safe_load, select_checkpoints

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


def resolve_checkpoint(exp_dir: Path, checkpoint: str | Path | None) -> Path:
    """None → ``average.pt`` if present, else the best epoch checkpoint, else ``last.ckpt``.

    A name is looked up in ``exp_dir`` then ``exp_dir/checkpoints``; a path is used as it is.
    """
    if checkpoint is None:
        if (exp_dir / "average.pt").is_file():
            return exp_dir / "average.pt"
        try:
            return select_checkpoints(exp_dir / "checkpoints", 1, "best")[0]
        except ValueError:
            checkpoint = "last.ckpt"
    for candidate in (Path(checkpoint), exp_dir / checkpoint, exp_dir / "checkpoints" / checkpoint):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"checkpoint {checkpoint} not found in {exp_dir} or its checkpoints/")


def build(node: Any) -> Any:
    """Build a resolved config node: a mapping with ``_target_`` becomes an instance of that
    class (its values built first), other mappings and lists are built element-wise."""
    if isinstance(node, list):
        return [build(v) for v in node]
    if not isinstance(node, dict):
        return node
    args = {k: build(v) for k, v in node.items() if k != "_target_"}
    if "_target_" not in node:
        return args
    module_name, _, name = node["_target_"].rpartition(".")
    return getattr(importlib.import_module(module_name), name)(**args)


def load_run(
    exp_dir: str | Path, checkpoint: str | Path | None = None
) -> tuple[torch.nn.Module, Tokenizer, dict[str, Any]]:
    """``(model in eval mode, tokenizer, config)`` from a run directory and one of its weights."""
    exp_dir = Path(exp_dir)
    config = yaml.safe_load((exp_dir / "config.yaml").read_text())
    tokenizer = load_tokenizer(exp_dir)
    cmvn_mean, cmvn_istd = load_cmvn(exp_dir / "cmvn.json")
    model = build({**config["model"], "cmvn_mean": cmvn_mean, "cmvn_istd": cmvn_istd})
    state = model_state_dict(safe_load(resolve_checkpoint(exp_dir, checkpoint)))
    model.load_state_dict(state)
    return model.eval(), tokenizer, config
