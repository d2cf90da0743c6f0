"""Global CMVN: streaming float64 statistics equal numpy's over all frames."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from asr.data.cmvn import CmvnStats, compute_cmvn, load_cmvn
from asr.data.features import cut_features
from asr.data.prepare import prepare_kaldi_dir

from .fixtures import write_kaldi_dir


def test_streaming_stats_equal_numpy():
    rng = np.random.default_rng(0)
    chunks = [
        rng.normal(5.0, 3.0, size=(rng.integers(1, 300), 8)).astype(np.float32) for _ in range(10)
    ]
    stats = CmvnStats(8)
    for c in chunks[:5]:
        stats.accumulate(c)
    for c in chunks[5:]:
        stats.accumulate(torch.from_numpy(c))
    allx = np.concatenate(chunks).astype(np.float64)
    assert stats.frames == allx.shape[0]
    np.testing.assert_allclose(stats.mean, allx.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.var, allx.var(0), rtol=1e-9)
    np.testing.assert_allclose(stats.istd(), 1 / allx.std(0), rtol=1e-9)


def test_save_load_round_trip(tmp_path):
    stats = CmvnStats(3)
    stats.accumulate(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 5.0]]))
    stats.save(tmp_path / "cmvn.json")
    data = json.loads((tmp_path / "cmvn.json").read_text())
    assert data["frames"] == 2
    np.testing.assert_allclose(data["mean"], [2.0, 2.0, 4.0])
    back = CmvnStats.load(tmp_path / "cmvn.json")
    np.testing.assert_array_equal(back.sum_sq, stats.sum_sq)
    mean, istd = load_cmvn(tmp_path / "cmvn.json")
    assert mean.dtype == istd.dtype == torch.float32 and mean.shape == (3,)
    assert istd[0].item() == pytest.approx(1.0)
    assert istd[1].item() == pytest.approx(1e10)  # zero variance is floored, not inf


def test_errors_on_empty_stats_and_wrong_dim():
    stats = CmvnStats(4)
    with pytest.raises(ValueError, match="empty"):
        _ = stats.mean
    with pytest.raises(ValueError, match=r"\(T, 4\)"):
        stats.accumulate(np.zeros((5, 3)))


def test_compute_cmvn_over_cuts_matches_concatenated_features(tmp_path):
    cuts, _ = prepare_kaldi_dir(write_kaldi_dir(tmp_path, 3, seed=1), progress=False)
    stats = compute_cmvn(cuts, progress=False)
    allx = torch.cat([cut_features(c) for c in cuts]).double().numpy()
    assert stats.frames == allx.shape[0]
    np.testing.assert_allclose(stats.mean, allx.mean(0), rtol=1e-9)
    np.testing.assert_allclose(stats.var, allx.var(0), rtol=1e-6)
