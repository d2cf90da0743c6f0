"""Fixtures for the training tests: a tiny prepared corpus shared by the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.lightning.helpers import make_corpus


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny models here run faster on one thread than fighting over shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
