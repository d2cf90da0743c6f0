"""The one batch type that flows from the data pipeline into models, training and decoding."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Batch:
    """Padded features and targets; every time axis travels with its lengths.

    x: (B, T, d) float32, zero beyond ``x_lens``; x_lens: (B,) int64;
    ys: (B, U) int64, -1 beyond ``y_lens``; y_lens: (B,) int64; ids: utterance ids.
    aux_ys, aux_lens: the auxiliary CTC's targets, padded the same way (None without one).
    dropped: ids of cuts left out because their audio or features failed to load. A batch
    with ``len(batch) == 0`` (every cut failed) is a marker the training loop skips.
    """

    x: torch.Tensor
    x_lens: torch.Tensor
    ys: torch.Tensor
    y_lens: torch.Tensor
    ids: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    aux_ys: torch.Tensor | None = None
    aux_lens: torch.Tensor | None = None

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

    def model_args(self) -> tuple[torch.Tensor | None, ...]:
        """What ``ASRModel.forward`` takes, in order: every caller computes losses alike."""
        return (self.x, self.x_lens, self.ys, self.y_lens, self.aux_ys, self.aux_lens)

    def one(self, i: int) -> Batch:
        """Utterance ``i`` alone, on the host, its padding trimmed."""
        n, u = int(self.x_lens[i]), int(self.y_lens[i])
        aux_ys = aux_lens = None
        if self.aux_ys is not None and self.aux_lens is not None:
            aux_ys = self.aux_ys[i : i + 1, : int(self.aux_lens[i])].cpu()
            aux_lens = self.aux_lens[i : i + 1].cpu()
        return Batch(
            self.x[i : i + 1, :n].cpu(),
            self.x_lens[i : i + 1].cpu(),
            self.ys[i : i + 1, :u].cpu(),
            self.y_lens[i : i + 1].cpu(),
            self.ids[i : i + 1],
            aux_ys=aux_ys,
            aux_lens=aux_lens,
        )

    def to(self, device: torch.device | str) -> Batch:
        """Move every tensor to ``device`` (ids stay on the host)."""

        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return Batch(
            self.x.to(device),
            self.x_lens.to(device),
            self.ys.to(device),
            self.y_lens.to(device),
            self.ids,
            self.dropped,
            move(self.aux_ys),
            move(self.aux_lens),
        )

    def __len__(self) -> int:
        return self.x.shape[0]
