"""Dynamic chunk training (WeNet's U2): one model for full-context and streaming recognition.

Per training batch the encoder runs either with full context (probability
``full_context_prob``) or with a chunked self-attention mask whose chunk size, in encoder
frames, is drawn uniformly from ``chunk_sizes``. The same weights then decode at any of those
chunk sizes, or with full context. Draws use torch's generator, so a seeded run repeats them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


class DynamicChunk:
    """Draws the encoder's attention context for one training batch.

    Args:
        full_context_prob: probability of a full-context batch.
        chunk_sizes: chunk sizes (encoder frames) drawn from uniformly otherwise.
        left_chunks: chunks before its own that a frame sees in training (-1: all of them).
    """

    def __init__(
        self,
        full_context_prob: float = 0.5,
        chunk_sizes: Sequence[int] = (4, 8, 12, 16),
        left_chunks: int = -1,
    ):
        if not 0.0 <= full_context_prob <= 1.0:
            raise ValueError(f"full_context_prob must lie in [0, 1], got {full_context_prob}")
        sizes = [int(c) for c in chunk_sizes]
        if not sizes or min(sizes) < 1:
            raise ValueError(f"chunk_sizes must be positive frame counts, got {list(chunk_sizes)}")
        self.full_context_prob = float(full_context_prob)
        self.chunk_sizes = sizes
        self.left_chunks = int(left_chunks)

    def draw(self) -> tuple[int | None, int]:
        """``(chunk_size, left_chunks)`` for one batch; chunk_size None means full context."""
        if float(torch.rand(())) < self.full_context_prob:
            return None, -1
        return self.chunk_sizes[int(torch.randint(len(self.chunk_sizes), ()))], self.left_chunks

    def __repr__(self) -> str:
        return (
            f"DynamicChunk(full_context_prob={self.full_context_prob}, "
            f"chunk_sizes={self.chunk_sizes}, left_chunks={self.left_chunks})"
        )
