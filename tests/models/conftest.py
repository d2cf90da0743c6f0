"""Small models and padded batches shared by the model tests."""

from __future__ import annotations

import pytest
import torch

from asr.models import ASRModel

VOCAB = 12
FEAT = 20


def _build_model(encoder: str = "transformer", **overrides) -> ASRModel:
    """A seeded model small enough for CPU unit tests."""
    torch.manual_seed(0)
    args = dict(
        vocab_size=VOCAB,
        feat_dim=FEAT,
        encoder=encoder,
        d_model=32,
        heads=4,
        encoder_layers=2,
        encoder_ffn_dim=64,
        decoder_layers=2,
        decoder_ffn_dim=64,
        conv_kernel=7,
        subsampling_channels=8,
        ctc_weight=0.3,
    )
    args.update(overrides)
    return ASRModel(**args)


def _make_batch(x_lens: list[int], y_lens: list[int], seed: int = 0):
    """Random features zero-padded beyond x_lens, random tokens padded with -1 beyond y_lens."""
    gen = torch.Generator().manual_seed(seed)
    b, t, u = len(x_lens), max(x_lens), max(y_lens)
    x = torch.randn(b, t, FEAT, generator=gen)
    xl = torch.tensor(x_lens)
    x = x.masked_fill(torch.arange(t)[None, :, None] >= xl[:, None, None], 0.0)
    ys = torch.randint(2, VOCAB - 1, (b, u), generator=gen)
    yl = torch.tensor(y_lens)
    ys = ys.masked_fill(torch.arange(u)[None] >= yl[:, None], -1)
    return x, xl, ys, yl


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny models gain nothing from a second thread, and on a shared, loaded machine OpenMP's
    spin-waiting makes them up to 10× slower; restored after each test."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def build_model():
    return _build_model


@pytest.fixture
def make_batch():
    return _make_batch


@pytest.fixture(params=["transformer", "conformer"])
def encoder_type(request) -> str:
    return request.param
