"""Dynamic chunk training: per batch, full context or a drawn chunk size, seeded."""

from __future__ import annotations

import pytest
import torch

from asr.models import DynamicChunk

from .conftest import FEAT


def test_draws_follow_the_probability_and_the_sizes_and_repeat_under_a_seed():
    schedule = DynamicChunk(full_context_prob=0.3, chunk_sizes=[2, 8], left_chunks=1)
    torch.manual_seed(7)
    draws = [schedule.draw() for _ in range(2000)]
    torch.manual_seed(7)
    assert [schedule.draw() for _ in range(2000)] == draws
    full = sum(c is None for c, _ in draws) / len(draws)
    assert 0.26 < full < 0.34
    chunked = [(c, left) for c, left in draws if c is not None]
    assert {c for c, _ in chunked} == {2, 8} and {left for _, left in chunked} == {1}
    assert 0.45 < sum(c == 2 for c, _ in chunked) / len(chunked) < 0.55
    assert all(left == -1 for c, left in draws if c is None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"full_context_prob": 1.5}, "full_context_prob must lie in"),
        ({"chunk_sizes": []}, "chunk_sizes must be positive"),
        ({"chunk_sizes": [4, 0]}, "chunk_sizes must be positive"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DynamicChunk(**kwargs)


@pytest.mark.parametrize("prob", [0.0, 1.0])
def test_training_encodes_with_the_drawn_context(build_model, encoder_type, prob):
    """Training forward (dropout 0) = eval encode with the drawn chunk: chunk 2 always when
    full-context probability is 0, full context when it is 1."""
    schedule = DynamicChunk(full_context_prob=prob, chunk_sizes=[2])
    model = build_model(encoder_type, streaming=schedule, specaug=None, dropout=0.0)
    x, lens = torch.randn(2, 50, FEAT), torch.tensor([50, 33])
    with torch.no_grad():
        trained, _ = model.train().encode(x, lens)
        expected, _ = model.eval().encode(x, lens, chunk_size=None if prob else 2)
    torch.testing.assert_close(trained, expected)


def test_a_streaming_model_trains_and_its_gradient_is_finite(build_model, make_batch):
    model = build_model("conformer", streaming=DynamicChunk(full_context_prob=0.0)).train()
    out = model(*make_batch([60, 41, 7], [5, 3, 1]))
    out["loss"].backward()
    assert torch.isfinite(out["loss"])
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
