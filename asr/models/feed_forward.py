"""Position-wise feed-forward block shared by encoder, Conformer and decoder layers."""

from __future__ import annotations

import torch
from torch import nn

from asr.models.dropout import Dropout

ACTIVATIONS = {"relu": nn.ReLU, "swish": nn.SiLU, "gelu": nn.GELU}


class FeedForward(nn.Module):
    """Linear(d → ffn) → activation → dropout → Linear(ffn → d)."""

    def __init__(self, d_model: int, ffn_dim: int, dropout: float = 0.1, activation: str = "relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.net = nn.Sequential(
            nn.Linear(d_model, ffn_dim),
            ACTIVATIONS[activation](),
            Dropout(dropout),
            nn.Linear(ffn_dim, d_model),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
