"""CTC head: a Linear to the vocabulary (blank = 0) and its summed loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def min_frames(ys: torch.Tensor, y_lens: torch.Tensor) -> torch.Tensor:
    """(B,) fewest encoder frames a CTC path of each target needs: one per token, plus a blank
    between each pair of equal neighbours (``a a`` needs ``a ∅ a``)."""
    u = ys.shape[1]
    real = torch.arange(u, device=ys.device)[None, :] < y_lens[:, None]
    repeats = (ys[:, 1:] == ys[:, :-1]) & real[:, 1:]
    return y_lens + repeats.sum(dim=1)


class CTCHead(nn.Module):
    """Projects encoder output to per-frame log-probabilities over the vocabulary."""

    def __init__(self, d_model: int, vocab_size: int, blank_id: int = 0):
        super().__init__()
        self.proj = nn.Linear(d_model, vocab_size)
        self.blank_id = blank_id

    def log_probs(self, memory: torch.Tensor) -> torch.Tensor:
        """(B, T', d) → (B, T', V) float32 log-softmax (float32 also under autocast)."""
        return self.proj(memory).float().log_softmax(dim=-1)

    def loss(
        self,
        memory: torch.Tensor,
        memory_lens: torch.Tensor,
        ys: torch.Tensor,
        y_lens: torch.Tensor,
    ) -> torch.Tensor:
        """Sum over utterances of −log p(y | x); infeasible utterances (T' too short) count 0."""
        log_probs = self.log_probs(memory).transpose(0, 1)  # (T', B, V)
        targets = ys.clamp(min=0)  # ids beyond y_lens are ignored; -1 is not a valid index
        with torch.autocast(device_type=memory.device.type, enabled=False):
            return F.ctc_loss(
                log_probs,
                targets,
                memory_lens,
                y_lens,
                blank=self.blank_id,
                reduction="sum",
                zero_infinity=True,
            )
