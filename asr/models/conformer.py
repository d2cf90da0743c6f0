"""Conformer encoder (Gulati et al. 2020): macaron FFNs, rel-pos self-attention, convolution.

The convolution module normalises with LayerNorm, not BatchNorm: batch statistics would mix
padded frames and other utterances into every frame, breaking "alone == inside a padded batch".
Padded frames are zeroed before the depthwise convolution, so they read as the convolution's own
zero padding and cannot leak into real frames.

``causal=True`` (a streaming model) pads the depthwise convolution on the left only: a frame then
reads no later frame, and chunk-by-chunk encoding carries the last ``kernel − 1`` inputs instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from asr.models.attention import KV, RelPositionMultiHeadAttention
from asr.models.dropout import Dropout
from asr.models.encoder import residual
from asr.models.encoder_cache import EncoderCache
from asr.models.feed_forward import FeedForward
from asr.models.mask import encoder_self_allowed, make_pad_mask
from asr.models.positional import RelPositionalEncoding


class ConvolutionModule(nn.Module):
    """Pointwise conv + GLU → depthwise conv → LayerNorm → Swish → pointwise conv."""

    def __init__(
        self, d_model: int, kernel_size: int = 31, dropout: float = 0.1, causal: bool = False
    ):
        super().__init__()
        if kernel_size % 2 == 0 and not causal:
            raise ValueError(f"conv kernel_size must be odd (symmetric context), got {kernel_size}")
        self.causal = causal
        self.context = kernel_size - 1 if causal else 0  # left inputs a streaming chunk carries
        self.pointwise_in = nn.Linear(d_model, 2 * d_model)
        self.depthwise = nn.Conv1d(
            d_model, d_model, kernel_size, padding=0 if causal else kernel_size // 2, groups=d_model
        )
        self.norm = nn.LayerNorm(d_model)
        self.pointwise_out = nn.Linear(d_model, d_model)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """x (B, T, d), pad (B, T) True at padding → (B, T, d)."""
        h = F.glu(self.pointwise_in(x), dim=-1).masked_fill(pad[..., None], 0.0).transpose(1, 2)
        if self.causal:
            h = F.pad(h, (self.context, 0))
        return self._after_depthwise(self.depthwise(h))

    def forward_chunk(
        self, x: torch.Tensor, state: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A streaming chunk x (B, c, d) after the inputs ``state`` (B, d, kernel − 1) of the frames
        before it (zeros at the start) → output (B, c, d) and the next state."""
        if not self.causal:
            raise ValueError("chunk-by-chunk encoding needs the causal convolution (streaming)")
        h = torch.cat((state, F.glu(self.pointwise_in(x), dim=-1).transpose(1, 2)), dim=2)
        return self._after_depthwise(self.depthwise(h)), h[:, :, h.shape[2] - self.context :]

    def _after_depthwise(self, h: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.pointwise_out(F.silu(self.norm(h.transpose(1, 2)))))


class ConformerLayer(nn.Module):
    """½·FFN → rel-pos MHSA → conv module → ½·FFN → LayerNorm (pre-LN sub-layers)."""

    def __init__(
        self,
        d_model: int,
        heads: int,
        ffn_dim: int,
        kernel_size: int = 31,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        causal: bool = False,
    ):
        super().__init__()
        self.ffn_macaron = FeedForward(d_model, ffn_dim, dropout, activation="swish")
        self.self_attn = RelPositionMultiHeadAttention(d_model, heads, attention_dropout)
        self.conv = ConvolutionModule(d_model, kernel_size, dropout, causal)
        self.ffn = FeedForward(d_model, ffn_dim, dropout, activation="swish")
        self.norm_ffn_macaron = nn.LayerNorm(d_model)
        self.norm_attn = nn.LayerNorm(d_model)
        self.norm_conv = nn.LayerNorm(d_model)
        self.norm_ffn = nn.LayerNorm(d_model)
        self.norm_final = nn.LayerNorm(d_model)
        self.dropout = Dropout(dropout)

    def forward(
        self, x: torch.Tensor, pos_emb: torch.Tensor, allowed: torch.Tensor, pad: torch.Tensor
    ) -> torch.Tensor:
        x = residual(x, self.norm_ffn_macaron, self.ffn_macaron, self.dropout, True, 0.5)
        x = residual(
            x, self.norm_attn, lambda h: self.self_attn(h, pos_emb, allowed), self.dropout, True
        )
        x = residual(x, self.norm_conv, lambda h: self.conv(h, pad), nn.Identity(), True)
        x = residual(x, self.norm_ffn, self.ffn, self.dropout, True, 0.5)
        return self.norm_final(x)

    def forward_chunk(
        self, x: torch.Tensor, pos_emb: torch.Tensor, kv: KV, conv_state: torch.Tensor
    ) -> tuple[torch.Tensor, KV, torch.Tensor]:
        """A streaming chunk with its layer caches → output, new K/V, new convolution state."""
        new: list = []

        def attend(h: torch.Tensor) -> torch.Tensor:
            out, extended = self.self_attn.forward_chunk(h, pos_emb, kv)
            new.append(extended)
            return out

        def convolve(h: torch.Tensor) -> torch.Tensor:
            out, state = self.conv.forward_chunk(h, conv_state)
            new.append(state)
            return out

        x = residual(x, self.norm_ffn_macaron, self.ffn_macaron, self.dropout, True, 0.5)
        x = residual(x, self.norm_attn, attend, self.dropout, True)
        x = residual(x, self.norm_conv, convolve, nn.Identity(), True)
        x = residual(x, self.norm_ffn, self.ffn, self.dropout, True, 0.5)
        return self.norm_final(x), new[0], new[1]


class ConformerEncoder(nn.Module):
    """(B, T, d) subsampled frames + lengths → encoded (B, T, d), zero beyond the lengths."""

    def __init__(
        self,
        d_model: int = 256,
        heads: int = 4,
        ffn_dim: int = 1024,
        layers: int = 12,
        kernel_size: int = 31,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        causal: bool = False,
    ):
        super().__init__()
        self.causal = causal
        self.pos = RelPositionalEncoding(d_model, dropout)
        self.layers = nn.ModuleList(
            ConformerLayer(d_model, heads, ffn_dim, kernel_size, dropout, attention_dropout, causal)
            for _ in range(layers)
        )

    def forward(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor,
        chunk_size: int | None = None,
        left_chunks: int = -1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Full context, or chunked self-attention (``asr.models.mask.chunk_mask``; needs the
        causal convolution, else a frame would still read later chunks through it)."""
        if chunk_size is not None and not self.causal:
            raise ValueError(
                "chunked encoding needs a streaming Conformer (causal convolution); "
                "this one was built without model.streaming"
            )
        pad = make_pad_mask(lengths, x.shape[1])
        allowed = encoder_self_allowed(lengths, x.shape[1], chunk_size, left_chunks)
        x, pos_emb = self.pos(x)
        for layer in self.layers:
            x = layer(x, pos_emb, allowed, pad)
        return x.masked_fill(pad[..., None], 0.0), lengths

    def init_cache(self, batch: int, chunk_size: int, left_chunks: int = -1) -> EncoderCache:
        """The streaming cache before the first chunk of ``batch`` streams."""
        if not self.causal:
            raise ValueError(
                "chunk-by-chunk encoding needs a streaming Conformer (causal convolution); "
                "this one was built without model.streaming"
            )
        attn, conv = self.layers[0].self_attn, self.layers[0].conv
        weight = attn.k_proj.weight
        return EncoderCache.empty(
            len(self.layers), batch, attn.heads, attn.d_k, chunk_size, left_chunks,
            conv_shape=(conv.depthwise.in_channels, conv.context),
            device=weight.device, dtype=weight.dtype,
        )  # fmt: skip

    def forward_chunk(
        self, x: torch.Tensor, cache: EncoderCache
    ) -> tuple[torch.Tensor, EncoderCache]:
        """One chunk (B, c, d) of subsampled frames → its encoded frames and the next cache;
        chunk after chunk, equal to ``forward(..., chunk_size=c)`` on the whole input."""
        left = cache.kv[0][0].shape[2]
        x, pos_emb = self.pos(x, keys=left + x.shape[1])
        kv, conv = [], []
        for layer, layer_kv, state in zip(self.layers, cache.kv, cache.conv, strict=True):
            x, new_kv, new_state = layer.forward_chunk(x, pos_emb, layer_kv, state)
            kv.append(new_kv)
            conv.append(new_state)
        return x, cache.advance(x.shape[1], kv, conv)
