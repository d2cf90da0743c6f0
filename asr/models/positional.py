"""Sinusoidal absolute positions (Transformer) and relative positions (Conformer)."""

from __future__ import annotations

import math

import torch
from torch import nn

from asr.models.dropout import Dropout


def sinusoid(positions: torch.Tensor, d_model: int) -> torch.Tensor:
    """(N,) positions → (N, d_model) table: sin at even dims, cos at odd, as in Vaswani et al."""
    if d_model % 2:
        raise ValueError(f"d_model must be even for sinusoidal positions, got {d_model}")
    inv_freq = torch.exp(
        torch.arange(0, d_model, 2, device=positions.device, dtype=torch.float32)
        * (-math.log(10000.0) / d_model)
    )
    angles = positions.float()[:, None] * inv_freq[None, :]
    return torch.stack((angles.sin(), angles.cos()), dim=-1).flatten(-2)


class PositionalEncoding(nn.Module):
    """x·√d + PE(offset … offset+T−1), then dropout. Computed on the fly: no length limit."""

    def __init__(self, d_model: int, dropout: float = 0.1):
        super().__init__()
        self.d_model = d_model
        self.scale = math.sqrt(d_model)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        positions = torch.arange(offset, offset + x.shape[1], device=x.device)
        return self.dropout(x * self.scale + sinusoid(positions, self.d_model).to(x.dtype))


class RelPositionalEncoding(nn.Module):
    """Scales x by √d and returns the table of relative positions ``Tk−1 … −(Tq−1)``.

    For T queries attending T keys (the full forward) that is T−1 … −(T−1), (1, 2T−1, d). A
    streaming chunk of Tq frames attends its ``keys`` = Tk cached and own frames, the last Tq of
    which are the queries: relative positions then run from Tk−1 down to −(Tq−1), (1, Tq+Tk−1, d).
    Index k of the table stands for ``i − j = Tk − 1 − k`` (query i, key j, in key positions).
    Relative positions do not depend on T, so padding a batch does not change them.
    """

    def __init__(self, d_model: int, dropout: float = 0.1):
        super().__init__()
        self.d_model = d_model
        self.scale = math.sqrt(d_model)
        self.dropout = Dropout(dropout)

    def forward(
        self, x: torch.Tensor, keys: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, Tq, d) → (x·√d, table (1, Tq + Tk − 1, d)); ``keys`` = Tk defaults to Tq."""
        t = x.shape[1]
        positions = torch.arange((keys or t) - 1, -t, -1, device=x.device)
        pos_emb = sinusoid(positions, self.d_model).to(x.dtype)[None]
        return self.dropout(x * self.scale), self.dropout(pos_emb)
