"""The hashed CPU dropout: keep rate, independence, scaling, gradients, seeding, drop-in use."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from asr.models.dropout import Dropout, keep_mask

N = 1 << 20


@pytest.mark.parametrize("p", [0.05, 0.1, 0.3, 0.5, 0.9])
def test_keep_rate_is_one_minus_p(p: float) -> None:
    rate = keep_mask(torch.Size([N]), p, (123, -456)).float().mean().item()
    assert rate == pytest.approx(1 - p, abs=5 / N**0.5)  # 5 standard deviations at most


def test_neighbours_and_strides_are_independent() -> None:
    keep = keep_mask(torch.Size([N]), 0.5, (7, 11)).float()
    for lag in (1, 2, 144, 576, 1 << 16):  # next element, next channel row, next 64k block
        both = (keep[:-lag] * keep[lag:]).mean().item()
        assert both == pytest.approx(0.25, abs=0.005), lag


def test_random_keys_give_unrelated_masks() -> None:
    g = torch.Generator().manual_seed(0)
    k0, k1, other = torch.randint(-(2**31), 2**31 - 1, (3,), generator=g).tolist()
    a = keep_mask(torch.Size([N]), 0.5, (k0, k1)).float()
    for key in [(k0, other), (other, k1)]:  # one half equal, the other not
        b = keep_mask(torch.Size([N]), 0.5, key).float()
        for shift in (0, 1, 77):  # nor a shifted copy
            agree = (a[shift:] == b[: N - shift]).float().mean().item()
            assert agree == pytest.approx(0.5, abs=0.005), (key, shift)


def test_mask_has_the_input_shape_and_is_deterministic_for_a_key() -> None:
    a = keep_mask(torch.Size([3, 5, 7]), 0.2, (1, 2))
    assert a.shape == (3, 5, 7) and a.dtype == torch.bool
    assert torch.equal(a, keep_mask(torch.Size([3, 5, 7]), 0.2, (1, 2)))


def test_kept_elements_are_scaled_so_the_mean_is_unchanged() -> None:
    torch.manual_seed(0)
    drop = Dropout(0.25).train()
    x = torch.randn(64, 100, 32)
    y = drop(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    assert drop(torch.ones(N)).mean().item() == pytest.approx(1.0, abs=0.005)


def test_gradient_flows_through_kept_elements_only() -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 50, 16, requires_grad=True)
    y = Dropout(0.3).train()(x)
    y.backward(torch.ones_like(y))
    assert torch.allclose(x.grad, (y != 0).float() / 0.7)


def test_seeded_runs_repeat_and_successive_calls_differ() -> None:
    drop = Dropout(0.1).train()
    x = torch.ones(1000, 64)
    torch.manual_seed(3)
    first, second = drop(x), drop(x)
    torch.manual_seed(3)
    assert torch.equal(drop(x), first)
    assert not torch.equal(first, second)


def test_eval_and_zero_rate_are_the_identity_and_one_drops_all() -> None:
    x = torch.randn(4, 10, 8)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x
    assert torch.count_nonzero(Dropout(1.0).train()(x)) == 0


def test_is_a_drop_in_for_nn_dropout_whose_rate_can_be_changed() -> None:
    drop = Dropout(0.1)
    assert isinstance(drop, nn.Dropout)
    drop.p = 0.6  # as RegularizationWarmup does
    rate = (drop.train()(torch.ones(N)) != 0).float().mean().item()
    assert rate == pytest.approx(0.4, abs=0.005)


def test_inplace_dropout_writes_into_its_input() -> None:
    torch.manual_seed(0)
    x = torch.ones(64, 32)
    y = Dropout(0.5, inplace=True).train()(x)
    assert y.data_ptr() == x.data_ptr()
    assert set(x.unique().tolist()) == {0.0, 2.0}
