"""Dropout whose CPU mask comes from a counter-based hash instead of torch's sequential RNG.

On CPU, ``torch.nn.Dropout`` draws its mask with ``bernoulli_``: one Mersenne-twister draw per
element on a single thread, ~7 ns per element on the 2-core machine, which made dropout about
a fifth of a training step of the offline recipe's model (bench/train_step.py --profile). Here
the mask is a hash of the element index and a key drawn from torch's generator, computed with a
few vectorised int32 ops that run on every thread (bench/dropout.py measures both). Seeding
(``torch.manual_seed``) still makes training reproducible. On other devices torch's own fused
dropout is used.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

# Multipliers of MurmurHash3's 32-bit finaliser (and the golden-ratio one for the counter), as
# signed int32: torch's int32 multiplication wraps like uint32 and the bits are all that matter.
_GOLDEN = -1640531535  # 0x9E3779B1
_MIX1 = -2048144789  # 0x85EBCA6B
_MIX2 = -1028477387  # 0xC2B2AE35
_INT32_MIN = -(2**31)


def _shift_xor(h: torch.Tensor, bits: int) -> torch.Tensor:
    """``h ^= h >>> bits`` (a logical shift: torch shifts int32 arithmetically)."""
    return h.bitwise_xor_(h.bitwise_right_shift(bits).bitwise_and_((1 << (32 - bits)) - 1))


def keep_mask(shape: torch.Size, p: float, key: tuple[int, int]) -> torch.Tensor:
    """A boolean mask of ``shape`` whose elements are True with probability ``1 - p``.

    Element ``i`` is kept when a 32-bit hash of ``(i, key)`` is at least ``p · 2³²``; the key
    is random (drawn per call). Its first half offsets the counter, its second enters between
    the mixing rounds: two calls whose counter ranges overlap (close first halves) would get
    shifted copies of one mask, and the second half makes them unrelated instead.
    """
    h = torch.arange(shape.numel(), dtype=torch.int32).mul_(_GOLDEN).add_(key[0])
    h = _shift_xor(h, 16).mul_(_MIX1).bitwise_xor_(key[1])
    h = _shift_xor(_shift_xor(h, 13).mul_(_MIX2), 16)
    threshold = min(_INT32_MIN + round(p * 2**32), 2**31 - 1)  # h is uniform over int32
    return h.ge(threshold).view(shape)


class Dropout(nn.Dropout):
    """``nn.Dropout`` with a hashed mask on CPU; a drop-in (``p`` and ``isinstance`` unchanged)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu" or self.p == 1.0:
            return F.dropout(x, self.p, True, self.inplace)
        key = torch.randint(_INT32_MIN, 2**31 - 1, (2,)).tolist()
        # A float mask, scaled once: forward and backward are then one plain multiply each
        # (autograd keeps just the mask), where a boolean mask costs a conversion in both.
        scale = keep_mask(x.shape, self.p, key).to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x.mul_(scale) if self.inplace else x * scale
