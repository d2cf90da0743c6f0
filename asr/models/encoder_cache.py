"""What a streaming encoder carries from one chunk to the next.

A chunk's frames attend their own chunk and ``left_chunks`` chunks before it (``asr.models.mask.
chunk_mask``); the keys/values of those earlier frames are kept here, per layer, instead of being
recomputed. A Conformer layer also keeps the last ``kernel − 1`` inputs of its causal depthwise
convolution. With these, encoding chunk after chunk gives the frames of the full chunk-masked
forward (tests/models/test_streaming_encoder.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from asr.models.attention import KV


@dataclass
class EncoderCache:
    """Per-layer state of a streaming encoder after ``offset`` encoder frames.

    ``kv[l]``: layer l's self-attention keys/values of the left context, each (B, H, P, d_k).
    ``conv[l]``: Conformer layer l's last depthwise-convolution inputs (B, d, kernel − 1); an empty
    list for the Transformer. ``left_frames``: how many frames of keys/values the next chunk may
    attend (``left_chunks · chunk_size``), None for all of them.
    """

    offset: int
    kv: list[KV]
    conv: list[torch.Tensor]
    left_frames: int | None

    @staticmethod
    def empty(
        layers: int,
        batch: int,
        heads: int,
        d_k: int,
        chunk_size: int,
        left_chunks: int,
        conv_shape: tuple[int, int] | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> EncoderCache:
        """The cache before the first chunk; ``conv_shape`` = (d, kernel − 1) for a Conformer."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        kv = torch.zeros(batch, heads, 0, d_k, device=device, dtype=dtype)
        conv = []
        if conv_shape is not None:
            conv = [torch.zeros(batch, *conv_shape, device=device, dtype=dtype)] * layers
        left = left_chunks * chunk_size if left_chunks >= 0 else None
        return EncoderCache(0, [(kv, kv)] * layers, conv, left)

    def keep_left(self, kv: KV) -> KV:
        """A layer's keys/values after a chunk, cut to the left context of the next chunk."""
        if self.left_frames is None:
            return kv
        start = max(kv[0].shape[2] - self.left_frames, 0)
        return kv[0][:, :, start:], kv[1][:, :, start:]

    def advance(self, frames: int, kv: list[KV], conv: list[torch.Tensor]) -> EncoderCache:
        """The cache after a chunk of ``frames`` frames whose layers returned ``kv``, ``conv``."""
        kv = [self.keep_left(layer_kv) for layer_kv in kv]
        return EncoderCache(self.offset + frames, kv, conv, self.left_frames)
