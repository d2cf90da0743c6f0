"""The one batch type that flows from the data pipeline into models, training and decoding."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Batch:
    """Padded features and targets; every time axis travels with its lengths.

    x: (B, T, d) float32, zero beyond ``x_lens``; x_lens: (B,) int64;
    ys: (B, U) int64, -1 beyond ``y_lens``; y_lens: (B,) int64; ids: utterance ids.
    dropped: ids of cuts left out because their audio or features failed to load. A batch
    with ``len(batch) == 0`` (every cut failed) is a marker the training loop skips.
    """

    x: torch.Tensor
    x_lens: torch.Tensor
    ys: torch.Tensor
    y_lens: torch.Tensor
    ids: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, feat_dim: int, dropped: list[str] | None = None) -> Batch:
        """The marker batch of zero utterances (``x`` is ``(0, 0, feat_dim)``)."""
        return cls(
            torch.zeros(0, 0, feat_dim),
            torch.zeros(0, dtype=torch.int64),
            torch.zeros(0, 0, dtype=torch.int64),
            torch.zeros(0, dtype=torch.int64),
            [],
            list(dropped or []),
        )

    def to(self, device: torch.device | str) -> Batch:
        """Move every tensor to ``device`` (ids stay on the host)."""
        return Batch(
            self.x.to(device),
            self.x_lens.to(device),
            self.ys.to(device),
            self.y_lens.to(device),
            self.ids,
            self.dropped,
        )

    def __len__(self) -> int:
        return self.x.shape[0]
