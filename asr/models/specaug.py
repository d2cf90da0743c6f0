"""SpecAugment (Park et al. 2019) on padded batches, vectorised and length-aware.

Masks and warps are drawn per utterance from its own length, and frames at or beyond ``x_lens``
are never modified. Applied inside the model after CMVN, so a masked value of 0 is the global
mean. Active only in training mode.
"""

from __future__ import annotations

import torch
from torch import nn

from asr.models.mask import make_pad_mask


def _band_mask(
    size: int, starts: torch.Tensor, widths: torch.Tensor, device: torch.device
) -> torch.Tensor:
    """(B, K) bands [start, start + width) on an axis of ``size`` → (B, size), True inside any."""
    axis = torch.arange(size, device=device)[None, None, :]
    inside = (axis >= starts[..., None]) & (axis < (starts + widths)[..., None])
    return inside.any(dim=1)


class SpecAugment(nn.Module):
    """Time warp (optional), frequency masks and time masks.

    Args:
        freq_masks: number of frequency bands masked per utterance.
        freq_width: maximum band width in bins (drawn uniformly from 0 … freq_width).
        time_masks: number of time bands masked per utterance.
        time_width_ratio: maximum band width as a fraction of the utterance's own length.
        time_warp: maximum shift W of the warp centre in frames (0 disables it); the centre lies
            in [W, len − W) and moves by up to ±W, linear interpolation on both sides.
    """

    def __init__(
        self,
        freq_masks: int = 2,
        freq_width: int = 27,
        time_masks: int = 5,
        time_width_ratio: float = 0.05,
        time_warp: int = 5,
    ):
        super().__init__()
        if not 0.0 <= time_width_ratio <= 1.0:
            raise ValueError(f"time_width_ratio must lie in [0, 1], got {time_width_ratio}")
        self.freq_masks = freq_masks
        self.freq_width = freq_width
        self.time_masks = time_masks
        self.time_width_ratio = time_width_ratio
        self.time_warp = time_warp

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """x (B, T, F) with lengths (B,) → augmented copy; identity in eval mode."""
        if not self.training:
            return x
        b, t, f = x.shape
        valid = ~make_pad_mask(lengths, t)
        if self.time_warp > 0:
            x = self._warp(x, lengths, valid)
        masked = torch.zeros(b, t, f, dtype=torch.bool, device=x.device)
        if self.freq_masks > 0 and self.freq_width > 0:
            widths = torch.randint(0, self.freq_width + 1, (b, self.freq_masks), device=x.device)
            widths = widths.clamp(max=f)
            starts = (torch.rand(b, self.freq_masks, device=x.device) * (f - widths + 1)).long()
            masked |= _band_mask(f, starts, widths, x.device)[:, None, :]
        if self.time_masks > 0 and self.time_width_ratio > 0:
            max_width = (lengths.float() * self.time_width_ratio).floor()[:, None]
            widths = (torch.rand(b, self.time_masks, device=x.device) * (max_width + 1)).long()
            room = (lengths[:, None] - widths + 1).clamp(min=1)
            starts = (torch.rand(b, self.time_masks, device=x.device) * room).long()
            masked |= _band_mask(t, starts, widths, x.device)[:, :, None]
        return x.masked_fill(masked & valid[..., None], 0.0)

    def _warp(self, x: torch.Tensor, lengths: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Piecewise-linear time warp of each utterance within its own length."""
        b, t, f = x.shape
        w = self.time_warp
        last = (lengths - 1).clamp(min=1).float()[:, None]  # index of the last real frame
        warpable = (lengths > 2 * w + 2)[:, None]
        centre = (w + torch.rand(b, 1, device=x.device) * (lengths[:, None] - 2 * w)).floor()
        shift = torch.randint(-w, w + 1, (b, 1), device=x.device)
        new_centre = (centre + shift).clamp(min=1.0)
        new_centre = torch.minimum(new_centre, last - 1).clamp(min=1.0)
        out_pos = torch.arange(t, device=x.device, dtype=torch.float32)[None, :]
        left = out_pos * centre / new_centre
        right = centre + (out_pos - new_centre) * (last - centre) / (last - new_centre).clamp(min=1)
        src = torch.where(out_pos <= new_centre, left, right)
        src = torch.minimum(src.clamp(min=0.0), last)
        src = torch.where(valid & warpable, src, out_pos)
        lo = src.floor().long().clamp(max=t - 1)
        hi = torch.minimum(lo + 1, torch.maximum(lo, last.long()))
        frac = (src - lo.float())[..., None].to(x.dtype)
        x_lo = x.gather(1, lo[..., None].expand(b, t, f))
        x_hi = x.gather(1, hi[..., None].expand(b, t, f))
        warped = x_lo * (1 - frac) + x_hi * frac
        return torch.where((valid & warpable)[..., None], warped, x)
