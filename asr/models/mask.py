"""Every mask in the model is made here, from lengths, and nowhere else.

Two polarities, each chosen for where it is used:

* ``make_pad_mask`` is **True at padded positions** (the thing to blank out:
  ``x.masked_fill(pad[..., None], 0)``).
* ``causal_mask`` and the attention masks below are **True where attention is allowed**, the
  polarity ``F.scaled_dot_product_attention`` takes for a boolean ``attn_mask``.

At an attention call they combine into one "allowed" mask that broadcasts over heads::

    allowed = ~pad_mask[:, None, None, :] & causal_mask(U)[None, None]   # (B, 1, U, U)

Streaming encoders use a chunked self-attention mask instead (``chunk_allowed``): frames are
grouped into chunks of ``chunk_size`` counted from the utterance's first frame, and a frame
sees its own chunk and ``left_chunks`` chunks before it (all of them when negative), never a
later chunk. Chunks start at frame 0 of every utterance, so padding a batch moves no boundary.

Build these once per batch and pass them down through the layers.
"""

from __future__ import annotations

import torch


def make_pad_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """(B, T) bool mask, True at positions ``t >= lengths[b]`` (padding).

    ``max_len`` defaults to ``lengths.max()``; pass the padded tensor's size to avoid a host sync.
    """
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() else 0
    positions = torch.arange(max_len, device=lengths.device)
    return positions[None, :] >= lengths[:, None]


def causal_mask(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """(size, size) bool mask, True where query i may attend key j, i.e. j <= i."""
    return torch.ones(size, size, dtype=torch.bool, device=device).tril()


def cached_causal_allowed(
    cached: int, new: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """(1, 1, new, cached + new) allowed mask for ``new`` tokens that follow ``cached`` ones:
    new token i (position ``cached + i``) attends keys j <= cached + i."""
    keys = torch.arange(cached + new, device=device)
    queries = torch.arange(new, device=device) + cached
    return (keys[None, :] <= queries[:, None])[None, None]


def key_padding_allowed(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B, 1, 1, T) allowed mask: every query may attend every real key of its utterance."""
    return ~make_pad_mask(lengths, max_len)[:, None, None, :]


def decoder_self_allowed(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B, 1, U, U) allowed mask for decoder self-attention: causal ∧ not padding."""
    causal = causal_mask(max_len, device=lengths.device)
    return key_padding_allowed(lengths, max_len) & causal[None, None]


def chunk_mask(
    size: int, chunk_size: int, left_chunks: int = -1, device: torch.device | str | None = None
) -> torch.Tensor:
    """(size, size) bool mask, True where query i may attend key j: chunk(j) <= chunk(i) and,
    when ``left_chunks >= 0``, chunk(j) >= chunk(i) − left_chunks (chunk(t) = t // chunk_size).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    chunk = torch.arange(size, device=device) // chunk_size
    allowed = chunk[None, :] <= chunk[:, None]
    if left_chunks >= 0:
        allowed &= chunk[None, :] >= chunk[:, None] - left_chunks
    return allowed


def chunk_allowed(
    lengths: torch.Tensor, max_len: int, chunk_size: int, left_chunks: int = -1
) -> torch.Tensor:
    """(B, 1, T, T) allowed mask for chunked encoder self-attention: chunks ∧ not padding."""
    chunks = chunk_mask(max_len, chunk_size, left_chunks, device=lengths.device)
    return key_padding_allowed(lengths, max_len) & chunks[None, None]


def encoder_self_allowed(
    lengths: torch.Tensor, max_len: int, chunk_size: int | None = None, left_chunks: int = -1
) -> torch.Tensor:
    """Encoder self-attention mask: full context (B, 1, 1, T) when ``chunk_size`` is None,
    else ``chunk_allowed`` (B, 1, T, T)."""
    if chunk_size is None:
        return key_padding_allowed(lengths, max_len)
    return chunk_allowed(lengths, max_len, chunk_size, left_chunks)
