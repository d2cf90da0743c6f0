"""Multi-head attention through ``F.scaled_dot_product_attention`` with boolean "allowed" masks.

A query row with no allowed key (e.g. an utterance of length 0) yields zeros, never NaN: such rows
are opened to every key for the kernel and their output is zeroed afterwards, so no backend is
asked to normalise an all-masked row and no NaN reaches the backward pass.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

KV = tuple[torch.Tensor, torch.Tensor]


def _attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    allowed: torch.Tensor | None,
    dropout: float,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """softmax(q·kᵀ/√d_k + bias, masked) · v on (B, H, T, d_k) tensors; ``allowed`` broadcasts."""
    if allowed is None:
        mask = bias
        empty = None
    else:
        empty = ~allowed.any(dim=-1, keepdim=True)
        allowed = allowed | empty
        mask = allowed if bias is None else bias.masked_fill(~allowed, float("-inf"))
    if mask is not None and mask.dtype != torch.bool:
        mask = mask.to(q.dtype)
    if mask is not None and torch.compiler.is_exporting():
        # ONNX's Attention op (asr.export) broadcasts a mask over batch and heads, not queries.
        mask = mask.expand(*mask.shape[:-2], q.shape[-2], k.shape[-2])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
    return out if empty is None else out.masked_fill(empty, 0.0)


class MultiHeadAttention(nn.Module):
    """Standard multi-head attention; ``project_kv`` is exposed so a decoder can cache K/V."""

    def __init__(self, d_model: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model={d_model} is not divisible by heads={heads}")
        self.heads = heads
        self.d_k = d_model // heads
        self.dropout = dropout
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, d_model) → (B, H, T, d_k)."""
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.d_k).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, T, d_k) → (B, T, d_model)."""
        b, _, t, _ = x.shape
        return x.transpose(1, 2).reshape(b, t, self.heads * self.d_k)

    def project_kv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values of ``x``, each (B, H, T, d_k)."""
        return self.split_heads(self.k_proj(x)), self.split_heads(self.v_proj(x))

    def attend(
        self,
        query: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        allowed: torch.Tensor | None,
    ) -> torch.Tensor:
        """Attend from ``query`` (B, Tq, d_model) to projected ``k``, ``v``; → (B, Tq, d_model)."""
        q = self.split_heads(self.q_proj(query))
        dropout = self.dropout if self.training else 0.0
        return self.out_proj(self.merge_heads(_attend(q, k, v, allowed, dropout)))

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, allowed: torch.Tensor | None
    ) -> torch.Tensor:
        """``allowed`` (B, 1, Tq or 1, Tk) bool, True = attend (see ``asr.models.mask``)."""
        return self.attend(query, *self.project_kv(memory), allowed)

    def forward_chunk(self, x: torch.Tensor, cache: KV) -> tuple[torch.Tensor, KV]:
        """Self-attention of a streaming chunk x (B, Tq, d) to the cached keys/values of earlier
        frames (B, H, P, d_k) and to its own frames; → output and the K/V with x's appended."""
        k, v = self.project_kv(x)
        k, v = torch.cat((cache[0], k), dim=2), torch.cat((cache[1], v), dim=2)
        return self.attend(x, k, v, None), (k, v)


def rel_shift(scores: torch.Tensor) -> torch.Tensor:
    """(B, H, Tq, Tq+Tk−1) scores against relative positions Tk−1 … −(Tq−1) → (B, H, Tq, Tk).

    The Tq queries are the last Tq of the Tk keys (Tq = Tk in the full forward; a streaming chunk
    also attends cached keys). ``out[..., i, j] = scores[..., i, Tq − 1 − i + j]``, the score for
    relative position ``(Tk − Tq + i) − j``. That element sits at flat offset
    ``(Tq − 1) + i·(n − 1) + j`` of a row-major (Tq, n) block, n = Tq + Tk − 1, so the result is a
    strided view: no gather, no copy (3× faster than pad-and-reshape forward + backward on CPU).
    """
    b, h, t, n = scores.shape
    scores = scores.contiguous()
    return scores.as_strided(
        (b, h, t, n - t + 1), (h * t * n, t * n, n - 1, 1), scores.storage_offset() + t - 1
    )


class RelPositionMultiHeadAttention(MultiHeadAttention):
    """Self-attention with relative positions (Transformer-XL / Conformer, Dai et al. 2019).

    score(i, j) = (q_i + u)·k_j + (q_i + v)·p_{i−j}, scaled by 1/√d_k. The position term enters
    ``scaled_dot_product_attention`` as an additive float mask (−inf where not allowed).
    """

    def __init__(self, d_model: int, heads: int, dropout: float = 0.0):
        super().__init__(d_model, heads, dropout)
        self.pos_proj = nn.Linear(d_model, d_model, bias=False)
        self.pos_bias_u = nn.Parameter(torch.empty(heads, self.d_k))
        self.pos_bias_v = nn.Parameter(torch.empty(heads, self.d_k))
        nn.init.xavier_uniform_(self.pos_bias_u)
        nn.init.xavier_uniform_(self.pos_bias_v)

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, pos_emb: torch.Tensor, allowed: torch.Tensor | None
    ) -> torch.Tensor:
        """x (B, T, d), pos_emb (1, 2T−1, d) from ``RelPositionalEncoding``; → (B, T, d)."""
        return self._attend_rel(x, *self.project_kv(x), pos_emb, allowed)

    def forward_chunk(  # type: ignore[override]
        self, x: torch.Tensor, pos_emb: torch.Tensor, cache: KV
    ) -> tuple[torch.Tensor, KV]:
        """A streaming chunk x (B, Tq, d) attends the cached K/V of the P frames before it and
        its own; pos_emb (1, 2Tq+P−1, d) is ``RelPositionalEncoding(x, keys=P+Tq)``'s table, so
        query and key positions are those of the full forward. → output and the extended K/V."""
        k, v = self.project_kv(x)
        k, v = torch.cat((cache[0], k), dim=2), torch.cat((cache[1], v), dim=2)
        return self._attend_rel(x, k, v, pos_emb, None), (k, v)

    def _attend_rel(
        self,
        x: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        pos_emb: torch.Tensor,
        allowed: torch.Tensor | None,
    ) -> torch.Tensor:
        q = self.split_heads(self.q_proj(x))
        p = self.split_heads(self.pos_proj(pos_emb))  # (1, H, Tq+Tk-1, d_k)
        q_v = ((q + self.pos_bias_v[:, None]) / math.sqrt(self.d_k)).to(p.dtype)
        bias = rel_shift(torch.matmul(q_v, p.transpose(-2, -1)))
        q_u = (q + self.pos_bias_u[:, None]).to(k.dtype)
        dropout = self.dropout if self.training else 0.0
        return self.out_proj(self.merge_heads(_attend(q_u, k, v, allowed, dropout, bias)))
