"""Transformer decoder: teacher-forced forward for training, KV-cached ``step`` for search."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asr.models.attention import MultiHeadAttention
from asr.models.dropout import Dropout
from asr.models.encoder import residual
from asr.models.feed_forward import FeedForward
from asr.models.mask import decoder_self_allowed, key_padding_allowed, make_pad_mask
from asr.models.positional import PositionalEncoding

KV = tuple[torch.Tensor, torch.Tensor]


@dataclass
class DecoderState:
    """Everything a decoding step needs, for N hypotheses that all hold ``length`` tokens.

    ``self_kv[l]``: layer l's self-attention keys/values of the tokens so far, (N, H, length, d_k).
    ``cross_kv[l]``: layer l's projected encoder memory, (N, H, T', d_k), computed once.
    ``memory_allowed``: (N, 1, 1, T') True at real encoder frames.
    """

    self_kv: list[KV]
    cross_kv: list[KV]
    memory_allowed: torch.Tensor
    length: int

    def select(self, index: torch.Tensor, same_memory: bool = False) -> DecoderState:
        """Reorder / repeat hypotheses: row i of the result is row ``index[i]`` of this state.

        ``same_memory=True`` promises that row ``index[i]`` attends to the same encoder memory as
        row i (a beam search reordering hypotheses within each utterance), so the cross-attention
        keys/values are kept as they are instead of being copied at every step.
        """
        self_kv = [(k.index_select(0, index), v.index_select(0, index)) for k, v in self.self_kv]
        if same_memory:
            if index.numel() != self.memory_allowed.shape[0]:
                raise ValueError("same_memory=True needs as many rows as the state has")
            return DecoderState(self_kv, self.cross_kv, self.memory_allowed, self.length)
        return DecoderState(
            self_kv,
            [(k.index_select(0, index), v.index_select(0, index)) for k, v in self.cross_kv],
            self.memory_allowed.index_select(0, index),
            self.length,
        )


class TransformerDecoderLayer(nn.Module):
    """Causal self-attention, cross-attention to the encoder, feed-forward."""

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
        self.cross_attn = MultiHeadAttention(d_model, heads, attention_dropout)
        self.ffn = FeedForward(d_model, ffn_dim, dropout)
        self.norm_self = nn.LayerNorm(d_model)
        self.norm_cross = nn.LayerNorm(d_model)
        self.norm_ffn = nn.LayerNorm(d_model)
        self.dropout = Dropout(dropout)

    def forward(
        self,
        x: torch.Tensor,
        self_allowed: torch.Tensor | None,
        cross_kv: KV,
        memory_allowed: torch.Tensor,
        self_kv: KV | None = None,
    ) -> tuple[torch.Tensor, KV]:
        """Returns the layer output and this layer's self-attention K/V (cache included).

        With ``self_kv`` (a cache of earlier tokens), ``x`` holds only the new tokens and their
        keys/values are appended to the cache.
        """
        h = self.norm_self(x) if self.pre_norm else x
        k, v = self.self_attn.project_kv(h)
        if self_kv is not None:
            k, v = torch.cat((self_kv[0], k), dim=2), torch.cat((self_kv[1], v), dim=2)
        x = x + self.dropout(self.self_attn.attend(h, k, v, self_allowed))
        if not self.pre_norm:
            x = self.norm_self(x)
        x = residual(
            x,
            self.norm_cross,
            lambda h: self.cross_attn.attend(h, *cross_kv, memory_allowed),
            self.dropout,
            self.pre_norm,
        )
        x = residual(x, self.norm_ffn, self.ffn, self.dropout, self.pre_norm)
        return x, (k, v)


class TransformerDecoder(nn.Module):
    """Token embedding + sinusoidal positions → layers → LayerNorm → Linear to the vocabulary."""

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 256,
        heads: int = 4,
        ffn_dim: int = 2048,
        layers: int = 6,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        pre_norm: bool = True,
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = PositionalEncoding(d_model, dropout)
        self.layers = nn.ModuleList(
            TransformerDecoderLayer(d_model, heads, ffn_dim, dropout, attention_dropout, pre_norm)
            for _ in range(layers)
        )
        self.final_norm = nn.LayerNorm(d_model) if pre_norm else nn.Identity()
        self.out = nn.Linear(d_model, vocab_size)

    def forward(
        self,
        memory: torch.Tensor,
        memory_lens: torch.Tensor,
        ys_in: torch.Tensor,
        ys_in_lens: torch.Tensor,
    ) -> torch.Tensor:
        """Teacher forcing: ``ys_in`` (B, U) starting with <sos/eos> → logits (B, U, V).

        Ids beyond ``ys_in_lens`` may be anything (e.g. -1); they are never looked at.
        """
        u = ys_in.shape[1]
        tokens = ys_in.masked_fill(make_pad_mask(ys_in_lens, u), 0)
        self_allowed = decoder_self_allowed(ys_in_lens, u)
        memory_allowed = key_padding_allowed(memory_lens, memory.shape[1])
        x = self.pos(self.embed(tokens))
        for layer in self.layers:
            x, _ = layer(x, self_allowed, layer.cross_attn.project_kv(memory), memory_allowed)
        return self.out(self.final_norm(x))

    def init_state(self, memory: torch.Tensor, memory_lens: torch.Tensor) -> DecoderState:
        """Empty self-attention caches and each layer's cross-attention K/V of ``memory``."""
        n = memory.shape[0]
        heads, d_k = self.layers[0].self_attn.heads, self.layers[0].self_attn.d_k
        empty = memory.new_zeros(n, heads, 0, d_k)
        return DecoderState(
            self_kv=[(empty, empty) for _ in self.layers],
            cross_kv=[layer.cross_attn.project_kv(memory) for layer in self.layers],
            memory_allowed=key_padding_allowed(memory_lens, memory.shape[1]),
            length=0,
        )

    def step(self, tokens: torch.Tensor, state: DecoderState) -> tuple[torch.Tensor, DecoderState]:
        """Feed one token per hypothesis, (N,) → next-token log-probs (N, V) and the new state.

        The first call takes <sos/eos>. Equal to the teacher-forced forward at the same position.
        """
        logits, new_state = self.extend(tokens[:, None], state)
        return logits[:, 0].float().log_softmax(dim=-1), new_state

    def extend(
        self,
        tokens: torch.Tensor,
        state: DecoderState,
        self_allowed: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, DecoderState]:
        """Feed U tokens per hypothesis after the state's ``length``: (N, U) → logits (N, U, V)
        and the state with their keys/values appended (what an exported decoder step computes).

        ``self_allowed`` is ``mask.cached_causal_allowed(length, U)``; None only for U = 1 (one
        new token sees every cached one). From an empty state, U tokens give the teacher-forced
        logits at their positions.
        """
        x = self.pos(self.embed(tokens), offset=state.length)
        self_kv = []
        for layer, kv, cross in zip(self.layers, state.self_kv, state.cross_kv, strict=True):
            x, new_kv = layer(x, self_allowed, cross, state.memory_allowed, self_kv=kv)
            self_kv.append(new_kv)
        length = state.length + tokens.shape[1]
        new_state = DecoderState(self_kv, state.cross_kv, state.memory_allowed, length)
        return self.out(self.final_norm(x)), new_state
