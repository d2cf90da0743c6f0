"""Conformer encoder (Gulati et al. 2020): macaron FFNs, rel-pos self-attention, convolution.

The convolution module normalises with LayerNorm, not BatchNorm: batch statistics would mix
padded frames and other utterances into every frame, breaking "alone == inside a padded batch".
Padded frames are zeroed before the depthwise convolution, so they read as the convolution's own
zero padding and cannot leak into real frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from asr.models.attention import RelPositionMultiHeadAttention
from asr.models.dropout import Dropout
from asr.models.encoder import residual
from asr.models.feed_forward import FeedForward
from asr.models.mask import key_padding_allowed, make_pad_mask
from asr.models.positional import RelPositionalEncoding


class ConvolutionModule(nn.Module):
    """Pointwise conv + GLU → depthwise conv → LayerNorm → Swish → pointwise conv."""

    def __init__(self, d_model: int, kernel_size: int = 31, dropout: float = 0.1):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"conv kernel_size must be odd (symmetric context), got {kernel_size}")
        self.pointwise_in = nn.Linear(d_model, 2 * d_model)
        self.depthwise = nn.Conv1d(
            d_model, d_model, kernel_size, padding=kernel_size // 2, groups=d_model
        )
        self.norm = nn.LayerNorm(d_model)
        self.pointwise_out = nn.Linear(d_model, d_model)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        """x (B, T, d), pad (B, T) True at padding → (B, T, d)."""
        h = F.glu(self.pointwise_in(x), dim=-1).masked_fill(pad[..., None], 0.0)
        h = self.depthwise(h.transpose(1, 2)).transpose(1, 2)
        return self.dropout(self.pointwise_out(F.silu(self.norm(h))))


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
    ):
        super().__init__()
        self.ffn_macaron = FeedForward(d_model, ffn_dim, dropout, activation="swish")
        self.self_attn = RelPositionMultiHeadAttention(d_model, heads, attention_dropout)
        self.conv = ConvolutionModule(d_model, kernel_size, dropout)
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
    ):
        super().__init__()
        self.pos = RelPositionalEncoding(d_model, dropout)
        self.layers = nn.ModuleList(
            ConformerLayer(d_model, heads, ffn_dim, kernel_size, dropout, attention_dropout)
            for _ in range(layers)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pad = make_pad_mask(lengths, x.shape[1])
        allowed = key_padding_allowed(lengths, x.shape[1])
        x, pos_emb = self.pos(x)
        for layer in self.layers:
            x = layer(x, pos_emb, allowed, pad)
        return x.masked_fill(pad[..., None], 0.0), lengths
