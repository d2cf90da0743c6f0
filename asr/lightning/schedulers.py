"""Learning-rate schedules stepped once per optimizer step (not per batch, not per epoch)."""

from __future__ import annotations

import math

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
    progress = min(1.0, (step - warmup_steps) / (total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


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
