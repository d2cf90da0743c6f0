"""The run directory, read side: the model, tokenizer and config ``asr-train`` left there.

``exp_dir/{config.yaml, cmvn.json, tokenizer.*, checkpoints/*.ckpt[, average.pt]}``; the written
side (``asr.lightning.run_dir``) belongs to training.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
import yaml

from asr.data.cmvn import load_cmvn
from asr.data.tokenizer import Tokenizer, load_tokenizer
from asr.pretrained.checkpoints import model_state_dict, safe_load, select_checkpoints


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
