"""Checkpoint averaging, selection and the refusal of checkpoints that carry pickled code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from asr.bin.average import main as average_main
from asr.lightning.average import average_checkpoints, average_state_dicts
from asr.pretrained.checkpoints import model_state_dict, safe_load, select_checkpoints


def fake_lightning_checkpoint(path: Path, seed: int, step: int) -> dict[str, torch.Tensor]:
    """A Lightning-shaped checkpoint of a small model; returns its model weights."""
    g = torch.Generator().manual_seed(seed)
    weights = {
        "model.linear.weight": torch.randn(3, 4, generator=g),
        "model.linear.bias": torch.randn(3, generator=g),
        "model.norm.num_batches_tracked": torch.tensor(step),
    }
    torch.save({"state_dict": weights, "global_step": step, "epoch": seed}, path)
    return weights


def test_average_equals_elementwise_mean(tmp_path):
    paths = [tmp_path / f"c{i}.ckpt" for i in range(3)]
    weights = [fake_lightning_checkpoint(p, i, 10 * i) for i, p in enumerate(paths)]
    out = average_checkpoints(paths, tmp_path / "avg.pt")
    averaged = model_state_dict(safe_load(out))
    for key in ("linear.weight", "linear.bias"):
        mean = torch.stack([w[f"model.{key}"] for w in weights]).mean(dim=0)
        torch.testing.assert_close(averaged[key], mean, rtol=0, atol=1e-7)
        assert averaged[key].dtype == torch.float32
    assert torch.equal(averaged["norm.num_batches_tracked"], torch.tensor(0))
    assert safe_load(out)["averaged_from"] == [p.name for p in paths]


def test_average_rejects_mismatched_keys():
    with pytest.raises(ValueError, match="different keys"):
        average_state_dicts([{"a": torch.zeros(1)}, {"b": torch.zeros(1)}])


class Payload:
    """Unpickling this would run ``os.system``: the attack ``weights_only`` exists to stop."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_with_pickled_payload_is_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "epoch000-step0000010-val_loss1.0000.ckpt"
    torch.save({"state_dict": {"model.w": torch.zeros(1)}, "x": Payload(marker)}, bad)
    with pytest.raises(ValueError, match="refusing to load .*val_loss1.0000.ckpt"):
        safe_load(bad)
    with pytest.raises(ValueError, match="refusing"):
        average_checkpoints([bad], tmp_path / "avg.pt")
    assert not marker.exists()


def make_ckpt_dir(tmp_path: Path) -> Path:
    ckpts = tmp_path / "exp" / "checkpoints"
    ckpts.mkdir(parents=True)
    for epoch, (step, loss) in enumerate([(10, 3.0), (20, 1.5), (30, 2.0), (40, 2.5)]):
        name = f"epoch{epoch:03d}-step{step:07d}-val_loss{loss:.4f}.ckpt"
        fake_lightning_checkpoint(ckpts / name, epoch, step)
    fake_lightning_checkpoint(ckpts / "step0000045.ckpt", 9, 45)
    fake_lightning_checkpoint(ckpts / "last.ckpt", 9, 45)
    return ckpts


def test_select_best_by_val_loss_and_last_by_step(tmp_path):
    ckpts = make_ckpt_dir(tmp_path)
    best = [p.name for p in select_checkpoints(ckpts, 2, "best")]
    assert best == [
        "epoch001-step0000020-val_loss1.5000.ckpt",
        "epoch002-step0000030-val_loss2.0000.ckpt",
    ]
    last = [p.name for p in select_checkpoints(ckpts, 2, "last")]
    assert last == [
        "epoch003-step0000040-val_loss2.5000.ckpt",
        "epoch002-step0000030-val_loss2.0000.ckpt",
    ]
    # A run stopped by max_time may hold fewer than asked for: all four epoch checkpoints.
    assert select_checkpoints(ckpts, 5) == select_checkpoints(ckpts, 4)
    assert len(select_checkpoints(ckpts, 5)) == 4
    with pytest.raises(ValueError, match="no epoch checkpoints"):
        select_checkpoints(tmp_path / "empty", 1)


def test_asr_average_cli_writes_average_of_n_best(tmp_path):
    ckpts = make_ckpt_dir(tmp_path)
    average_main([str(tmp_path / "exp"), "--num", "2", "--mode", "best"])
    out = model_state_dict(safe_load(tmp_path / "exp" / "average.pt"))
    chosen = [safe_load(p)["state_dict"] for p in select_checkpoints(ckpts, 2, "best")]
    mean = (chosen[0]["model.linear.weight"] + chosen[1]["model.linear.weight"]) / 2
    torch.testing.assert_close(out["linear.weight"], mean)
