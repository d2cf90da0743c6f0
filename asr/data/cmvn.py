"""Global CMVN statistics: streaming float64 sums over frames, saved as ``cmvn.json``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from lhotse.cut import Cut
from tqdm import tqdm

from asr.data.features import cut_features

log = logging.getLogger(__name__)


class CmvnStats:
    """Accumulates per-dimension sum and sum of squares in float64, one matrix at a time.

    float64 keeps the variance exact enough over thousands of hours of frames, where float32
    sums of squares lose most of their digits.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.frames = 0
        self.sum = np.zeros(dim, dtype=np.float64)
        self.sum_sq = np.zeros(dim, dtype=np.float64)

    def accumulate(self, feats: np.ndarray | torch.Tensor) -> None:
        """Add a ``(T, dim)`` feature matrix."""
        x = feats.detach().cpu().numpy() if isinstance(feats, torch.Tensor) else np.asarray(feats)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"expected features of shape (T, {self.dim}), got {x.shape}")
        x = x.astype(np.float64, copy=False)
        self.frames += x.shape[0]
        self.sum += x.sum(axis=0)
        self.sum_sq += np.square(x).sum(axis=0)

    @property
    def mean(self) -> np.ndarray:
        self._check_nonempty()
        return self.sum / self.frames

    @property
    def var(self) -> np.ndarray:
        """Population variance (``ddof=0``)."""
        self._check_nonempty()
        return np.maximum(self.sum_sq / self.frames - np.square(self.mean), 0.0)

    def istd(self, floor: float = 1e-20) -> np.ndarray:
        """Inverse standard deviation, with the variance floored to avoid division by zero."""
        return 1.0 / np.sqrt(np.maximum(self.var, floor))

    def save(self, path: str | Path) -> None:
        """Write ``{"mean", "istd", "frames"}`` (plus the raw sums, so stats can be merged)."""
        data = {
            "mean": self.mean.tolist(),
            "istd": self.istd().tolist(),
            "frames": self.frames,
            "sum": self.sum.tolist(),
            "sum_sq": self.sum_sq.tolist(),
        }
        Path(path).write_text(json.dumps(data))

    @classmethod
    def load(cls, path: str | Path) -> CmvnStats:
        data = json.loads(Path(path).read_text())
        stats = cls(len(data["mean"]))
        stats.frames = int(data["frames"])
        stats.sum = np.asarray(data["sum"], dtype=np.float64)
        stats.sum_sq = np.asarray(data["sum_sq"], dtype=np.float64)
        return stats

    def _check_nonempty(self) -> None:
        if self.frames == 0:
            raise ValueError("CMVN statistics are empty: no frames were accumulated")


def load_cmvn(path: str | Path) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean, istd)`` float32 tensors of shape ``(d,)`` from ``cmvn.json``, for the model."""
    data = json.loads(Path(path).read_text())
    mean = torch.tensor(data["mean"], dtype=torch.float32)
    istd = torch.tensor(data["istd"], dtype=torch.float32)
    return mean, istd


def compute_cmvn(cuts: Iterable[Cut], num_mel_bins: int = 80, progress: bool = True) -> CmvnStats:
    """Global statistics of the (undithered) features of ``cuts``, one pass, streaming.

    A cut that fails to load is skipped and logged: statistics over the rest are still valid.
    """
    stats = CmvnStats(num_mel_bins)
    for cut in tqdm(cuts, desc="cmvn", disable=not progress):
        try:
            stats.accumulate(cut_features(cut, num_mel_bins))
        except Exception as e:  # a bad cut must not sink a pass over the whole training set
            log.warning("cmvn: skipping cut %s: %s", cut.id, e)
    return stats
