"""The exported graphs as PyTorch modules: what ``asr-export`` traces, and the eager reference
that exported files are checked against.

``encoder``       waves (B, S) float32 in [-1, 1], wave_lens (B,) int64
                  → ctc_log_probs (B, T', V), memory (B, T', d), memory_lens (B,)
                  (fbank → CMVN → subsampling → encoder → CTC; no ctc_log_probs without a CTC head)
``decoder_init``  memory (N, T', d) → cross_kv (L, 2, N, H, T', d_k): each decoder layer's
                  cross-attention keys and values, computed once per utterance
``decoder_step``  tokens (N, U) int64, self_cache (L, 2, N, H, P, d_k), cross_kv, memory_lens (N,)
                  → logits (N, U, V), new_self_cache (L, 2, N, H, P + U, d_k)

The decoder step appends U tokens after the P cached ones: U = 1 is one search step, and U
tokens from an empty cache (P = 0) are the teacher-forced logits that attention rescoring needs.
Every graph is a thin wrapper over the model's own methods, so it exports whatever encoder and
front end the model's config built.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asr.data.features import FbankOptions
from asr.export.fbank import KaldiFbank
from asr.models import ASRModel
from asr.models.decoder import DecoderState
from asr.models.mask import cached_causal_allowed, key_padding_allowed


@dataclass(frozen=True)
class GraphSpec:
    """Names of a graph's inputs and outputs, and the dynamic axes of its inputs (output axes
    follow from them)."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    axes: dict[str, dict[int, str]]


def _stack_kv(kv: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    return torch.stack([torch.stack(pair) for pair in kv])  # (L, 2, N, H, T, d_k)


def _unstack_kv(cache: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(cache[i, 0], cache[i, 1]) for i in range(cache.shape[0])]


class EncoderGraph(nn.Module):
    """Samples → fbank (``KaldiFbank``) → ``ASRModel.encode_with_ctc``."""

    def __init__(self, model: ASRModel, options: FbankOptions):
        super().__init__()
        self.model = model
        self.fbank = KaldiFbank(options)

    def forward(self, waves: torch.Tensor, wave_lens: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats, frames = self.fbank(waves, wave_lens)
        memory, memory_lens, log_probs = self.model.encode_with_ctc(feats, frames)
        if log_probs is None:
            return memory, memory_lens
        return log_probs, memory, memory_lens


class DecoderInitGraph(nn.Module):
    """Memory → every decoder layer's cross-attention keys/values, stacked."""

    def __init__(self, model: ASRModel):
        super().__init__()
        self.decoder = model.decoder

    def forward(self, memory: torch.Tensor) -> torch.Tensor:
        return _stack_kv([layer.cross_attn.project_kv(memory) for layer in self.decoder.layers])


class DecoderStepGraph(nn.Module):
    """``TransformerDecoder.extend`` over explicit cache tensors."""

    def __init__(self, model: ASRModel):
        super().__init__()
        self.decoder = model.decoder

    def forward(
        self,
        tokens: torch.Tensor,
        self_cache: torch.Tensor,
        cross_kv: torch.Tensor,
        memory_lens: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cached, new = self_cache.shape[4], tokens.shape[1]
        state = DecoderState(
            self_kv=_unstack_kv(self_cache),
            cross_kv=_unstack_kv(cross_kv),
            memory_allowed=key_padding_allowed(memory_lens, cross_kv.shape[4]),
            length=cached,
        )
        allowed = cached_causal_allowed(cached, new, tokens.device)
        logits, state = self.decoder.extend(tokens, state, allowed)
        return logits, _stack_kv(state.self_kv)


ENCODER = GraphSpec(
    inputs=("waves", "wave_lens"),
    outputs=("ctc_log_probs", "memory", "memory_lens"),
    axes={
        "waves": {0: "batch", 1: "samples"},
        "wave_lens": {0: "batch"},
    },
)
ENCODER_NO_CTC = GraphSpec(ENCODER.inputs, ENCODER.outputs[1:], ENCODER.axes)
DECODER_INIT = GraphSpec(
    inputs=("memory",),
    outputs=("cross_kv",),
    axes={"memory": {0: "hyps", 1: "frames"}},
)
DECODER_STEP = GraphSpec(
    inputs=("tokens", "self_cache", "cross_kv", "memory_lens"),
    outputs=("logits", "new_self_cache"),
    axes={
        "tokens": {0: "hyps", 1: "new_tokens"},
        "self_cache": {2: "hyps", 4: "cached_tokens"},
        "cross_kv": {2: "hyps", 4: "frames"},
        "memory_lens": {0: "hyps"},
    },
)


def graph_modules(model: ASRModel, options: FbankOptions) -> dict[str, tuple[nn.Module, GraphSpec]]:
    """The graphs of ``model`` (eval mode), by name: the encoder, and the decoder's two if any."""
    model = model.eval()
    graphs: dict[str, tuple[nn.Module, GraphSpec]] = {
        "encoder": (EncoderGraph(model, options).eval(), ENCODER if model.ctc else ENCODER_NO_CTC)
    }
    if model.decoder is not None:
        graphs["decoder_init"] = (DecoderInitGraph(model).eval(), DECODER_INIT)
        graphs["decoder_step"] = (DecoderStepGraph(model).eval(), DECODER_STEP)
    return graphs


def example_inputs(name: str, model: ASRModel, options: FbankOptions) -> tuple[torch.Tensor, ...]:
    """Inputs to trace graph ``name`` with: every dynamic axis > 1 and unequal to the others,
    so that no size is specialised or two axes tied by accident."""
    g = torch.Generator().manual_seed(0)
    samples = options.window + 40 * options.shift
    if name == "encoder":
        waves = 0.1 * torch.randn(2, samples, generator=g)
        return waves, torch.tensor([samples, samples - 9 * options.shift])
    d_model = model.decoder.embed.embedding_dim
    layers = len(model.decoder.layers)
    attn = model.decoder.layers[0].self_attn
    hyps, frames, cached, new = 3, 7, 4, 2
    memory = torch.randn(hyps, frames, d_model, generator=g)
    if name == "decoder_init":
        return (memory,)
    cross = torch.randn(layers, 2, hyps, attn.heads, frames, attn.d_k, generator=g)
    cache = torch.randn(layers, 2, hyps, attn.heads, cached, attn.d_k, generator=g)
    tokens = torch.randint(0, model.vocab_size, (hyps, new), generator=g)
    return tokens, cache, cross, torch.tensor([frames, 5, 3])
