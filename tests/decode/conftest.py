"""Fixtures for the decoding tests: a seeded tiny model and a padded batch."""

from __future__ import annotations

import pytest
import torch

from asr.models import ASRModel

from .helpers import FEAT, tiny_model


@pytest.fixture
def model() -> ASRModel:
    return tiny_model(eos_bias=3.2)


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three utterances of different lengths, padded with garbage that must not matter."""
    g = torch.Generator().manual_seed(1)
    lens = torch.tensor([64, 41, 27])
    x = torch.randn(3, 64, FEAT, generator=g)
    return x, lens
