"""RegularizationWarmup: SpecAugment and dropout off before a step, as configured after it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
from torch import nn

from asr.lightning.module import ASRLightningModule
from asr.lightning.regularization import RegularizationWarmup
from asr.models import SpecAugment
from asr.models.attention import MultiHeadAttention
from tests.lightning.test_module import fit, make_batch, tiny_module


def regularized_module() -> ASRLightningModule:
    specaug = SpecAugment(freq_masks=1, freq_width=3, time_masks=1, time_warp=0)
    return tiny_module(dropout=0.1, attention_dropout=0.2, specaug=specaug)[0]


def rates(module: ASRLightningModule) -> set[float]:
    model = module.model
    return {m.p for m in model.modules() if isinstance(m, nn.Dropout)} | {
        m.dropout for m in model.modules() if isinstance(m, MultiHeadAttention)
    }


class Record(pl.Callback):
    def __init__(self) -> None:
        self.seen: list[tuple[int, bool, set[float]]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.seen.append((trainer.global_step, pl_module.model.specaug is None, rates(pl_module)))


def test_off_before_the_start_step_then_as_configured_and_restored_at_the_end():
    module = regularized_module()
    record = Record()
    fit(module, [make_batch(i) for i in range(4)], callbacks=[RegularizationWarmup(2), record])
    assert record.seen == [
        (0, True, {0.0}),
        (1, True, {0.0}),
        (2, False, {0.1, 0.2}),
        (3, False, {0.1, 0.2}),
    ]
    assert isinstance(module.model.specaug, SpecAugment) and rates(module) == {0.1, 0.2}


def test_training_is_deterministic_before_the_start_step_and_random_after():
    module = regularized_module()
    callback = RegularizationWarmup(start_step=100)
    batch = make_batch(0)
    module.train()

    def loss() -> float:
        return module.model(batch.x, batch.x_lens, batch.ys, batch.y_lens)["loss"].item()

    callback.on_fit_start(SimpleNamespace(), module)
    callback.on_train_batch_start(SimpleNamespace(global_step=99), module, batch, 0)
    assert loss() == loss()  # nothing random is left in training mode
    keys = set(module.state_dict())
    callback.on_train_batch_start(SimpleNamespace(global_step=100), module, batch, 0)
    assert loss() != loss()
    assert set(module.state_dict()) == keys  # checkpoints do not depend on the state


def test_a_run_resumed_past_the_start_step_is_regularized_from_its_first_batch():
    module = regularized_module()
    callback = RegularizationWarmup(start_step=100)
    callback.on_fit_start(SimpleNamespace(), module)
    callback.on_train_batch_start(SimpleNamespace(global_step=250), module, make_batch(0), 0)
    assert rates(module) == {0.1, 0.2} and isinstance(module.model.specaug, SpecAugment)


def test_negative_start_step_is_refused():
    with pytest.raises(ValueError, match="start_step"):
        RegularizationWarmup(start_step=-1)
