"""Transformer encoder: positions, then self-attention + FFN layers (pre-LN by default)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from asr.models.attention import KV, MultiHeadAttention
from asr.models.dropout import Dropout
from asr.models.encoder_cache import EncoderCache
from asr.models.feed_forward import FeedForward
from asr.models.mask import encoder_self_allowed, make_pad_mask
from asr.models.positional import PositionalEncoding


def residual(
    x: torch.Tensor,
    norm: nn.LayerNorm,
    fn: Callable[[torch.Tensor], torch.Tensor],
    dropout: nn.Dropout,
    pre_norm: bool,
    scale: float = 1.0,
) -> torch.Tensor:
    """One residual sub-layer: pre-LN ``x + s·drop(fn(norm(x)))`` or post-LN ``norm(x + …)``."""
    if pre_norm:
        return x + scale * dropout(fn(norm(x)))
    return norm(x + scale * dropout(fn(x)))


class TransformerEncoderLayer(nn.Module):
    """Self-attention and feed-forward sub-layers, each with a residual connection."""

    def __init__(
        self,
        d_model: int,
        heads: int,
        ffn_dim: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        pre_norm: bool = True,
    ):
        super().__init__()
        self.pre_norm = pre_norm
        self.self_attn = MultiHeadAttention(d_model, heads, attention_dropout)
        self.ffn = FeedForward(d_model, ffn_dim, dropout)
        self.norm_attn = nn.LayerNorm(d_model)
        self.norm_ffn = nn.LayerNorm(d_model)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        x = residual(
            x, self.norm_attn, lambda h: self.self_attn(h, h, allowed), self.dropout, self.pre_norm
        )
        return residual(x, self.norm_ffn, self.ffn, self.dropout, self.pre_norm)

    def forward_chunk(self, x: torch.Tensor, kv: KV) -> tuple[torch.Tensor, KV]:
        """A streaming chunk (B, c, d) with the cached K/V of its left context → output, new K/V."""
        new_kv: list[KV] = []

        def attend(h: torch.Tensor) -> torch.Tensor:
            out, extended = self.self_attn.forward_chunk(h, kv)
            new_kv.append(extended)
            return out

        x = residual(x, self.norm_attn, attend, self.dropout, self.pre_norm)
        return residual(x, self.norm_ffn, self.ffn, self.dropout, self.pre_norm), new_kv[0]


class TransformerEncoder(nn.Module):
    """(B, T, d) subsampled frames + lengths → encoded (B, T, d), zero beyond the lengths."""

    def __init__(
        self,
        d_model: int = 256,
        heads: int = 4,
        ffn_dim: int = 2048,
        layers: int = 12,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        pre_norm: bool = True,
    ):
        super().__init__()
        self.pos = PositionalEncoding(d_model, dropout)
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(d_model, heads, ffn_dim, dropout, attention_dropout, pre_norm)
            for _ in range(layers)
        )
        self.final_norm = nn.LayerNorm(d_model) if pre_norm else nn.Identity()

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        chunk_size: int | None = None,
        left_chunks: int = -1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Full context, or chunked self-attention (``asr.models.mask.chunk_mask``)."""
        pad = make_pad_mask(lengths, x.shape[1])
        allowed = encoder_self_allowed(lengths, x.shape[1], chunk_size, left_chunks)
        x = self.pos(x)
        for layer in self.layers:
            x = layer(x, allowed)
        return self.final_norm(x).masked_fill(pad[..., None], 0.0), lengths

    def init_cache(self, batch: int, chunk_size: int, left_chunks: int = -1) -> EncoderCache:
        """The streaming cache before the first chunk of ``batch`` streams."""
        attn = self.layers[0].self_attn
        weight = attn.k_proj.weight
        return EncoderCache.empty(
            len(self.layers), batch, attn.heads, attn.d_k, chunk_size, left_chunks,
            device=weight.device, dtype=weight.dtype,
        )  # fmt: skip

    def forward_chunk(
        self, x: torch.Tensor, cache: EncoderCache
    ) -> tuple[torch.Tensor, EncoderCache]:
        """One chunk (B, c, d) of subsampled frames → its encoded frames and the next cache;
        chunk after chunk, equal to ``forward(..., chunk_size=c)`` on the whole input."""
        x = self.pos(x, offset=cache.offset)
        kv = []
        for layer, layer_kv in zip(self.layers, cache.kv, strict=True):
            x, new_kv = layer.forward_chunk(x, layer_kv)
            kv.append(new_kv)
        return self.final_norm(x), cache.advance(x.shape[1], kv, [])
