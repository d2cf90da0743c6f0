"""Regularization that starts late: no SpecAugment and no dropout for the first N steps.

A small model trained from scratch on a few hours of audio leaves CTC's blank plateau far
sooner without SpecAugment (egs/synth_en README, runs B-D: dev CER still 92-95 % after 720-900
steps with it, 66 % after 360 without), but later it overfits (training loss below dev loss
from epoch 7). This callback trains with SpecAugment and dropout off until ``start_step``,
then with the model's configured values.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from torch import nn

from asr.models.attention import MultiHeadAttention


class RegularizationWarmup(pl.Callback):
    """SpecAugment and every dropout rate are off before optimizer step ``start_step``.

    The state follows ``trainer.global_step`` at every training batch, so a resumed run is in
    the same state as an uninterrupted one. Neither SpecAugment nor a dropout rate is part of
    the state dict, so checkpoints are the same either way.
    """

    def __init__(self, start_step: int) -> None:
        if start_step < 0:
            raise ValueError(f"start_step must be >= 0, got {start_step}")
        self.start_step = start_step
        self._rates: dict[nn.Module, float] = {}
        self._specaug: nn.Module | None = None
        self._active: bool | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        model = pl_module.model
        self._specaug = model.specaug
        self._rates = {m: m.p for m in model.modules() if isinstance(m, nn.Dropout)}
        self._rates |= {m: m.dropout for m in model.modules() if isinstance(m, MultiHeadAttention)}
        self._active = None

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        active = trainer.global_step >= self.start_step
        if active != self._active:
            self._apply(pl_module, active)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Leave the model as configured (e.g. for a later fit or export)."""
        self._apply(pl_module, True)

    def _apply(self, pl_module: pl.LightningModule, active: bool) -> None:
        pl_module.model.specaug = self._specaug if active else None
        for module, rate in self._rates.items():
            setattr(module, "p" if isinstance(module, nn.Dropout) else "dropout", rate * active)
        self._active = active
