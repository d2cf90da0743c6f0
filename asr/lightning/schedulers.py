"""Learning-rate schedules stepped once per optimizer step (not per batch, not per epoch)."""

from __future__ import annotations

import math
from collections.abc import Callable

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def noam_factor(step: int, warmup_steps: int) -> float:
    """Noam / inverse-square-root schedule, scaled so the peak factor is 1.0 at ``warmup_steps``.

    Linear rise for ``step <= warmup_steps`` then decay ``sqrt(warmup / step)``; the optimizer's
    ``lr`` is therefore the peak learning rate (WeNet's ``WarmupLR`` convention).
    """
    if warmup_steps <= 0:
        raise ValueError(f"warmup_steps must be positive, got {warmup_steps}")
    step = max(step, 1)
    return min(step / warmup_steps, math.sqrt(warmup_steps / step))


def warmup_cosine_factor(step: int, warmup_steps: int, total_steps: int, min_ratio: float) -> float:
    """Linear warmup to 1.0, then cosine decay to ``min_ratio`` at ``total_steps`` (held after)."""
    if warmup_steps <= 0 or total_steps <= warmup_steps:
        raise ValueError(
            f"need 0 < warmup_steps < total_steps, got warmup_steps={warmup_steps}, "
            f"total_steps={total_steps}"
        )
    step = max(step, 1)
    if step <= warmup_steps:
        return step / warmup_steps
    return cosine_decay((step - warmup_steps) / (total_steps - warmup_steps), min_ratio)


def cosine_decay(progress: float, min_ratio: float) -> float:
    """Half a cosine from 1.0 at ``progress`` 0 to ``min_ratio`` at 1 (held beyond)."""
    progress = min(max(progress, 0.0), 1.0)
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def warmup_cosine_budget_factor(
    step: int, warmup_steps: int, progress: float, min_ratio: float
) -> float:
    """Linear warmup over ``warmup_steps``, times a cosine decay over ``progress``: the share of
    a training budget spent (wall time, say), so the decay ends when the budget does."""
    if warmup_steps <= 0:
        raise ValueError(f"warmup_steps must be positive, got {warmup_steps}")
    return min(max(step, 1) / warmup_steps, 1.0) * cosine_decay(progress, min_ratio)


def noam(optimizer: Optimizer, warmup_steps: int = 25000) -> LambdaLR:
    """Noam schedule on ``optimizer`` (peak lr = the optimizer's lr, reached at warmup_steps)."""
    return LambdaLR(optimizer, lambda step: noam_factor(step + 1, warmup_steps))


def warmup_cosine(
    optimizer: Optimizer, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> LambdaLR:
    """Linear warmup then cosine decay to ``min_ratio`` of the peak learning rate."""
    return LambdaLR(
        optimizer, lambda step: warmup_cosine_factor(step + 1, warmup_steps, total_steps, min_ratio)
    )


def warmup_cosine_budget(
    optimizer: Optimizer,
    warmup_steps: int,
    progress: Callable[[], float],
    min_ratio: float = 0.0,
) -> LambdaLR:
    """Linear warmup, then cosine decay to ``min_ratio`` of the peak as ``progress()`` (the share
    of the budget spent, 0..1) goes to 1. asr-train passes the share of ``trainer.max_time``
    elapsed, so the schedule completes within the time budget on any machine's speed."""
    return LambdaLR(
        optimizer,
        lambda step: warmup_cosine_budget_factor(step + 1, warmup_steps, progress(), min_ratio),
    )
