"""Atomic checkpoint writes: a failed save leaves the previous file whole and no debris."""

from __future__ import annotations

import pytest
import torch

from asr.lightning.average import safe_load
from asr.lightning.checkpoint_io import AtomicCheckpointIO


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("disk full (simulated)")


def test_failed_save_keeps_the_previous_checkpoint(tmp_path):
    io = AtomicCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    io.save_checkpoint({"global_step": 1, "w": torch.ones(3)}, path)
    assert safe_load(path)["global_step"] == 1

    with pytest.raises(RuntimeError, match="disk full"):
        io.save_checkpoint({"global_step": 2, "w": torch.zeros(3), "x": Unpicklable()}, path)
    assert safe_load(path)["global_step"] == 1
    assert torch.equal(safe_load(path)["w"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]

    io.save_checkpoint({"global_step": 3}, path)
    assert safe_load(path)["global_step"] == 3
