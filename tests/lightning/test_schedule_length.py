"""asr-train's ``total_steps: null``: a schedule as long as the epochs it trains."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from asr.bin.train import schedule_length

COSINE = {"_target_": "asr.lightning.schedulers.warmup_cosine", "total_steps": None}


def cfg(scheduler: dict | None = COSINE, **trainer):
    return OmegaConf.create({"optim": {"scheduler": scheduler}, "trainer": trainer})


@pytest.mark.parametrize(
    ("trainer", "steps"),
    [
        ({"max_epochs": 3}, 30),
        ({"max_epochs": 3, "limit_train_batches": 4}, 12),
        ({"max_epochs": 3, "limit_train_batches": 0.5}, 15),
        ({"max_epochs": 3, "accumulate_grad_batches": 2}, 15),
        ({"max_epochs": 3, "max_steps": 20}, 20),
        ({"max_epochs": 3, "max_steps": -1}, 30),
    ],
)
def test_total_steps_is_max_epochs_times_the_optimizer_steps_of_an_epoch(trainer, steps):
    assert schedule_length(cfg(**trainer), lambda: 10) == {"total_steps": steps}


def test_other_schedules_are_left_as_configured():
    def never() -> int:
        raise AssertionError("the epoch was counted for nothing")

    assert schedule_length(cfg({**COSINE, "total_steps": 500}, max_epochs=3), never) == {}
    noam = {"_target_": "asr.lightning.schedulers.noam", "warmup_steps": 5}
    assert schedule_length(cfg(noam, max_epochs=3), never) == {}
    assert schedule_length(cfg(None, max_epochs=3), never) == {}


def test_open_ended_epochs_take_max_steps_and_no_limit_at_all_is_an_error():
    assert schedule_length(cfg(max_epochs=-1, max_steps=100), lambda: 10) == {"total_steps": 100}
    with pytest.raises(ValueError, match="max_epochs or max_steps"):
        schedule_length(cfg(max_epochs=-1, max_steps=-1), lambda: 10)
