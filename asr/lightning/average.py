"""Checkpoint averaging: the element-wise mean of several checkpoints' model weights."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from asr.pretrained.checkpoints import model_state_dict, safe_load


def average_state_dicts(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of floating tensors (accumulated in float64); others from the first."""
    if not states:
        raise ValueError("nothing to average")
    keys = states[0].keys()
    for i, state in enumerate(states[1:], start=1):
        if state.keys() != keys:
            raise ValueError(f"state dict {i} has different keys from state dict 0")
    averaged = {}
    for key in keys:
        first = states[0][key]
        if first.is_floating_point():
            total = sum(s[key].to(torch.float64) for s in states)
            averaged[key] = (total / len(states)).to(first.dtype)
        else:
            averaged[key] = first.clone()
    return averaged


def average_checkpoints(paths: Sequence[str | Path], out: str | Path) -> Path:
    """Average the model weights of ``paths`` into ``out`` (a plain, weights-only model file)."""
    states = [model_state_dict(safe_load(p)) for p in paths]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    torch.save(
        {"state_dict": average_state_dicts(states), "averaged_from": [Path(p).name for p in paths]},
        tmp,
    )
    tmp.replace(out)
    return out
