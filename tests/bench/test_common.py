"""The measuring helpers behind bench/: batches, FLOP counts, peak memory, step closure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from common import (  # noqa: E402
    build_ours,
    count_flops,
    interleaved_times,
    make_batch,
    make_train_step,
    our_loss,
    peak_memory,
)


def test_make_batch_is_a_valid_padded_batch():
    b = make_batch(6, 200, 12, vocab_size=30, seed=3)
    assert b.x.shape == (6, 200, 80) and b.ys.shape == (6, 12)
    assert int(b.x_lens.max()) == 200 and int(b.y_lens.max()) == 12
    assert bool((b.x_lens >= 180).all()) and bool((b.y_lens >= 10).all())
    for i in range(6):
        n, u = int(b.x_lens[i]), int(b.y_lens[i])
        assert bool((b.x[i, n:] == 0).all()) and bool((b.x[i, :n] != 0).any())
        assert bool((b.ys[i, u:] == -1).all())
        real = b.ys[i, :u]
        assert bool(((real >= 2) & (real <= 28)).all())  # no <blank>, <unk>, <sos/eos>
    assert b.audio_seconds == pytest.approx(float(b.x_lens.sum()) / 100)
    again = make_batch(6, 200, 12, vocab_size=30, seed=3)
    assert torch.equal(b.x, again.x) and torch.equal(b.ys, again.ys)


def test_count_flops_of_a_matmul():
    a, w = torch.randn(8, 16), torch.randn(16, 32)
    assert count_flops(lambda: a @ w) == 2 * 8 * 16 * 32


def test_peak_memory_is_the_transient_peak_above_entry():
    kept = torch.ones(32 * 2**20 // 4)  # allocated before: not counted
    with peak_memory() as mem:
        x = torch.ones(16 * 2**20 // 4)
        y = torch.ones(32 * 2**20 // 4)  # peak: 48 MiB above entry
        del x, y, kept  # frees after the peak do not lower it
        torch.ones(8 * 2**20 // 4)
    assert mem["peak_mib"] == pytest.approx(48, abs=0.5)


def test_interleaved_times_alternates_the_callables():
    calls = []
    times = interleaved_times(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=2, warmup=1
    )
    assert calls == ["a", "b"] * 3
    assert [len(v) for v in times.values()] == [2, 2]


def test_train_step_updates_our_model_and_rejects_unknown_precision():
    torch.manual_seed(0)
    model = build_ours("tiny", 20, encoder_layers=1, decoder_layers=1)
    batch = make_batch(2, 120, 5, vocab_size=20)
    before = [p.detach().clone() for p in model.parameters()]
    loss = make_train_step(model, our_loss, batch)()
    assert torch.isfinite(loss)
    changed = sum(not torch.equal(p0, p) for p0, p in zip(before, model.parameters(), strict=True))
    assert changed > len(before) // 2
    with pytest.raises(ValueError, match="precision"):
        make_train_step(model, our_loss, batch, precision="fp8")
