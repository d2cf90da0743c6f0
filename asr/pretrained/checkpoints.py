"""Safe checkpoint loading and checkpoint selection (N best by validation loss, or last N).

Read by the run-directory loader and by ``asr-average``; nothing here needs Lightning.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from asr.errors import InputError

log = logging.getLogger(__name__)

MODEL_PREFIX = "model."
_VAL_LOSS = re.compile(r"val_loss([-+0-9.eE]+?)\.ckpt$")
_STEP = re.compile(r"step(\d+)")


def safe_load(path: str | Path) -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True`` on CPU; a file carrying pickled code is refused.

    Raises :class:`~asr.errors.InputError` naming the file and the reason instead of executing
    anything it contains (the CLIs print it as one line).
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise InputError(
            f"refusing to load {path}: it is not a plain tensor/state-dict checkpoint "
            f"(weights_only=True rejected it: {str(err).splitlines()[0]})"
        ) from err


def model_state_dict(checkpoint: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The ``ASRModel`` weights inside a Lightning checkpoint or an averaged model file."""
    state = checkpoint["state_dict"]
    if any(k.startswith(MODEL_PREFIX) for k in state):
        return {k[len(MODEL_PREFIX) :]: v for k, v in state.items() if k.startswith(MODEL_PREFIX)}
    return dict(state)


def val_loss_of(path: Path) -> float | None:
    """The validation loss written in a top-k checkpoint's file name, or None."""
    match = _VAL_LOSS.search(path.name)
    return float(match.group(1)) if match else None


def step_of(path: Path) -> int:
    """The global step written in a checkpoint's file name (-1 when absent)."""
    match = _STEP.search(path.name)
    return int(match.group(1)) if match else -1


def select_checkpoints(ckpt_dir: str | Path, num: int, mode: str = "best") -> list[Path]:
    """Pick up to ``num`` checkpoints: ``best`` = lowest val loss, ``last`` = highest global step.

    Only epoch-end checkpoints (those with a val loss in their name) take part, so a step-interval
    checkpoint is never averaged with the epoch checkpoint of the same step.
    """
    if mode not in ("best", "last"):
        raise ValueError(f"mode must be 'best' or 'last', got {mode!r}")
    candidates = [p for p in Path(ckpt_dir).glob("*.ckpt") if val_loss_of(p) is not None]
    if not candidates:
        raise InputError(f"{ckpt_dir} holds no epoch checkpoints (name with a val loss) to average")
    if len(candidates) < num:
        # A run stopped by time (trainer.max_time) may finish fewer epochs than asked for.
        log.warning(
            "asked for %d checkpoints but %s holds %d epoch checkpoints: averaging those",
            num, ckpt_dir, len(candidates),
        )  # fmt: skip
    if mode == "best":
        candidates.sort(key=lambda p: (val_loss_of(p), -step_of(p)))
    else:
        candidates.sort(key=step_of, reverse=True)
    return candidates[:num]
