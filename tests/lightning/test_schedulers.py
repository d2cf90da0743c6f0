"""Noam and warmup-cosine schedules: shape of the curve and stepping per optimizer step."""

from __future__ import annotations

import math

import pytest
import torch

from asr.lightning.schedulers import (
    noam,
    noam_factor,
    warmup_cosine,
    warmup_cosine_budget,
    warmup_cosine_budget_factor,
    warmup_cosine_factor,
)


def test_noam_rises_linearly_peaks_at_warmup_then_decays_as_inverse_sqrt():
    warmup = 100
    assert noam_factor(50, warmup) == pytest.approx(0.5)
    assert noam_factor(warmup, warmup) == pytest.approx(1.0)
    assert noam_factor(4 * warmup, warmup) == pytest.approx(0.5)
    factors = [noam_factor(s, warmup) for s in range(1, 1000)]
    assert max(factors) == pytest.approx(1.0)
    assert factors.index(max(factors)) == warmup - 1


def test_warmup_cosine_reaches_peak_then_floor_and_stays():
    f = [warmup_cosine_factor(s, 10, 110, 0.1) for s in range(1, 200)]
    assert f[9] == pytest.approx(1.0)
    assert f[59] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert f[109] == pytest.approx(0.1) and f[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(f[9:], f[10:], strict=False))


@pytest.mark.parametrize(
    "bad", [dict(warmup_steps=0, total_steps=10), dict(warmup_steps=10, total_steps=10)]
)
def test_warmup_cosine_rejects_impossible_lengths(bad):
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine_factor(1, min_ratio=0.0, **bad)


def test_schedulers_give_the_lr_of_each_optimizer_step():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=2.0)
    sched = noam(opt, warmup_steps=4)
    seen = []
    for _ in range(8):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx([2.0 * noam_factor(s, 4) for s in range(1, 9)])

    opt = torch.optim.SGD([param], lr=1.0)
    sched = warmup_cosine(opt, warmup_steps=2, total_steps=6)
    lrs = []
    for _ in range(7):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[:2] == pytest.approx([0.5, 1.0]) and lrs[5] == pytest.approx(0.0, abs=1e-12)


def test_budget_schedule_follows_the_share_of_the_budget_spent_not_the_step():
    """The time-budget cosine: warmup by steps, decay by the progress the clock reports, so a
    slow machine (fewer steps) and a fast one (more) both end the decay with the budget."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    spent = [0.0]
    sched = warmup_cosine_budget(opt, warmup_steps=4, progress=lambda: spent[0], min_ratio=0.1)
    lrs = []
    for share in (0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.9, 1.0, 1.7):
        spent[0] = share
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[:4] == pytest.approx([0.5, 0.75, 1.0, 1.0])  # warmup steps 2, 3, 4, 5
    assert lrs[4] == lrs[5] == pytest.approx(0.1 + 0.9 * 0.5)  # half the budget: same lr
    assert lrs[6] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(0.9 * math.pi)))
    assert lrs[7] == lrs[8] == pytest.approx(0.1)  # the floor once the budget is spent
    assert warmup_cosine_budget_factor(1, 4, 0.5, 0.0) == pytest.approx(0.25 * 0.5)
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine_budget_factor(1, 0, 0.5, 0.0)
