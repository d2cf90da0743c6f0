"""The exported graphs as PyTorch modules: what ``asr-export`` traces, and the eager reference
that exported files are checked against.

``encoder``       waves (B, S) float32 in [-1, 1], wave_lens (B,) int64
                  → ctc_log_probs (B, T', V), memory (B, T', d), memory_lens (B,)
                  (fbank → CMVN → subsampling → encoder → CTC; no ctc_log_probs without a CTC head)
``decoder_init``  memory (N, T', d) → cross_k0, cross_v0, … (N, H, T', d_k): each decoder
                  layer's cross-attention keys and values, computed once per utterance
``decoder_step``  tokens (N, U) int64, memory_lens (N,), self_k0, self_v0, … (N, H, P, d_k),
                  cross_k0, cross_v0, … → logits (N, U, V), new_self_k0, new_self_v0, …
                  (N, H, P + U, d_k)

The decoder step appends U tokens after the P cached ones: U = 1 is one search step, and U
tokens from an empty cache (P = 0) are the teacher-forced logits that attention rescoring needs.
Caches are one tensor per layer and kind, not one stacked tensor: a graph slicing a stacked
cache copies every layer's keys and values at every step. Every graph is a thin wrapper over
the model's own methods, so it exports whatever encoder and front end the model's config built.
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

KV = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class GraphSpec:
    """Names of a graph's inputs and outputs, and the dynamic axes of its inputs (output axes
    follow from them)."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    axes: dict[str, dict[int, str]]


def kv_names(prefix: str, layers: int) -> tuple[str, ...]:
    """``prefix_k0, prefix_v0, prefix_k1, …``: one name per layer and kind."""
    return tuple(f"{prefix}_{kind}{i}" for i in range(layers) for kind in "kv")


def flatten_kv(kv: list[KV]) -> tuple[torch.Tensor, ...]:
    return tuple(t for pair in kv for t in pair)


def pair_kv(flat: tuple[torch.Tensor, ...] | list[torch.Tensor]) -> list[KV]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


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
    """Memory → every decoder layer's cross-attention keys and values."""

    def __init__(self, model: ASRModel):
        super().__init__()
        self.decoder = model.decoder

    def forward(self, memory: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return flatten_kv([layer.cross_attn.project_kv(memory) for layer in self.decoder.layers])


class DecoderStepGraph(nn.Module):
    """``TransformerDecoder.extend`` over explicit cache tensors, per layer."""

    def __init__(self, model: ASRModel):
        super().__init__()
        self.decoder = model.decoder

    def forward(
        self, tokens: torch.Tensor, memory_lens: torch.Tensor, *caches: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """``caches``: the self-attention keys/values of every layer, then the cross ones."""
        half = len(caches) // 2
        self_kv, cross_kv = pair_kv(caches[:half]), pair_kv(caches[half:])
        cached, new = self_kv[0][0].shape[2], tokens.shape[1]
        state = DecoderState(
            self_kv=self_kv,
            cross_kv=cross_kv,
            memory_allowed=key_padding_allowed(memory_lens, cross_kv[0][0].shape[2]),
            length=cached,
        )
        allowed = cached_causal_allowed(cached, new, tokens.device)
        logits, state = self.decoder.extend(tokens, state, allowed)
        return (logits, *flatten_kv(state.self_kv))


ENCODER = GraphSpec(
    inputs=("waves", "wave_lens"),
    outputs=("ctc_log_probs", "memory", "memory_lens"),
    axes={
        "waves": {0: "batch", 1: "samples"},
        "wave_lens": {0: "batch"},
    },
)
ENCODER_NO_CTC = GraphSpec(ENCODER.inputs, ENCODER.outputs[1:], ENCODER.axes)


def decoder_init_spec(layers: int) -> GraphSpec:
    return GraphSpec(("memory",), kv_names("cross", layers), {"memory": {0: "hyps", 1: "frames"}})


def decoder_step_spec(layers: int) -> GraphSpec:
    self_names, cross_names = kv_names("self", layers), kv_names("cross", layers)
    axes = {"tokens": {0: "hyps", 1: "new_tokens"}, "memory_lens": {0: "hyps"}}
    axes |= {name: {0: "hyps", 2: "cached_tokens"} for name in self_names}
    axes |= {name: {0: "hyps", 2: "frames"} for name in cross_names}
    return GraphSpec(
        ("tokens", "memory_lens", *self_names, *cross_names),
        ("logits", *kv_names("new_self", layers)),
        axes,
    )


def graph_modules(model: ASRModel, options: FbankOptions) -> dict[str, tuple[nn.Module, GraphSpec]]:
    """The graphs of ``model`` (eval mode), by name: the encoder, and the decoder's two if any."""
    model = model.eval()
    graphs: dict[str, tuple[nn.Module, GraphSpec]] = {
        "encoder": (EncoderGraph(model, options).eval(), ENCODER if model.ctc else ENCODER_NO_CTC)
    }
    if model.decoder is not None:
        layers = len(model.decoder.layers)
        graphs["decoder_init"] = (DecoderInitGraph(model).eval(), decoder_init_spec(layers))
        graphs["decoder_step"] = (DecoderStepGraph(model).eval(), decoder_step_spec(layers))
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
    cross = [
        torch.randn(hyps, attn.heads, frames, attn.d_k, generator=g) for _ in range(2 * layers)
    ]
    cache = [
        torch.randn(hyps, attn.heads, cached, attn.d_k, generator=g) for _ in range(2 * layers)
    ]
    tokens = torch.randint(0, model.vocab_size, (hyps, new), generator=g)
    return (tokens, torch.tensor([frames, 5, 3]), *cache, *cross)
