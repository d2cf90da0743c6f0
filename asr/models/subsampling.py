"""Conv2d front-end that shortens the frame rate by 4, 6 or 8 and maps features to d_model."""

from __future__ import annotations

import math

import torch
from torch import nn

# (kernel, stride) per Conv2d layer, for each subsampling factor (ESPnet's conv2d/conv2d6/conv2d8).
_LAYOUTS: dict[int, tuple[tuple[int, int], ...]] = {
    4: ((3, 2), (3, 2)),
    6: ((3, 2), (5, 3)),
    8: ((3, 2), (3, 2), (3, 2)),
}


class Conv2dSubsampling(nn.Module):
    """Stacked unpadded Conv2d + ReLU over (time, freq), then a Linear to ``d_model``.

    ``channels`` is separate from ``d_model``: on CPU the front-end at d_model channels dominates a
    training step, and 32-64 channels cost little accuracy. ``depthwise``: every convolution
    after the first is depthwise (one filter per channel) followed by a pointwise 1x1 mix, as in
    NeMo's FastConformer front end (its "dw_striding"): a fraction of the full convolutions'
    cost, so wide front ends and x8 become cheap.

    Padding cannot leak into real frames: the convolutions are unpadded in time, so output frame
    ``t < out_len`` reads input frames ``[t*stride, t*stride + min_len - 1]`` (``stride`` the
    product of the strides, ``min_len`` the receptive field), all ``<= in_len - 1``. For the same
    reason the outputs of a chunk never depend on later input: a streaming encoder feeds the
    front end ``input_frames(n)`` frames for n outputs and keeps the last ``min_len - stride``
    frames of each chunk for the next.
    """

    def __init__(
        self,
        feat_dim: int,
        d_model: int,
        factor: int = 4,
        channels: int | None = None,
        depthwise: bool = False,
    ):
        super().__init__()
        if factor not in _LAYOUTS:
            raise ValueError(f"subsampling factor must be one of {sorted(_LAYOUTS)}, got {factor}")
        self.factor = factor
        self.layout = _LAYOUTS[factor]
        channels = channels or d_model
        layers: list[nn.Module] = []
        in_ch, freq = 1, feat_dim
        for i, (kernel, stride) in enumerate(self.layout):
            if depthwise and i > 0:
                layers += [
                    nn.Conv2d(channels, channels, kernel, stride, groups=channels),
                    nn.Conv2d(channels, channels, 1),
                ]
            else:
                layers.append(nn.Conv2d(in_ch, channels, kernel, stride))
            layers.append(nn.ReLU())
            in_ch, freq = channels, (freq - kernel) // stride + 1
        if freq < 1:
            raise ValueError(f"feat_dim={feat_dim} is too small for subsampling x{factor}")
        self.conv = nn.Sequential(*layers)
        self.out = nn.Linear(channels * freq, d_model)
        self.min_len = self.min_input_length()
        self.stride = math.prod(stride for _, stride in self.layout)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Exact output length for each input length (0 when the input is too short)."""
        for kernel, stride in self.layout:
            lengths = torch.div(lengths - kernel, stride, rounding_mode="floor") + 1
        return lengths.clamp(min=0)

    def min_input_length(self) -> int:
        """Fewest input frames that give one output frame."""
        length = 1
        for kernel, stride in reversed(self.layout):
            length = (length - 1) * stride + kernel
        return length

    def input_frames(self, outputs: int) -> int:
        """Input frames that ``outputs`` (>= 1) consecutive output frames read, from the first."""
        return (outputs - 1) * self.stride + self.min_len

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, feat_dim) → (B, T', d_model) and the output lengths."""
        if x.shape[1] < self.min_len:
            raise ValueError(
                f"input of {x.shape[1]} frames is shorter than the {self.min_len} frames "
                f"subsampling x{self.factor} needs"
            )
        h = self.conv(x.unsqueeze(1))  # (B, C, T', F')
        b, c, t, f = h.shape
        h = self.out(h.transpose(1, 2).reshape(b, t, c * f))
        return h, self.output_lengths(lengths)
