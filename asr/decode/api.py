"""``decode``: the one entry to every decoding method, from padded features to n-best lists.

Scores by method (all log-probabilities, summed over the sequence):

- ``ctc_greedy``: the best CTC path; ``ctc_prefix_beam``: log P_ctc(y) over all alignments;
- ``attention_greedy`` / ``attention_beam``: log P_att(y, <eos>) (+ length terms for beam);
- ``joint_ctc_attention``: λ·log P_ctc(y) + (1 − λ)·log P_att(y, <eos>) (+ length terms);
- ``attention_rescoring``: the same mixture over the CTC prefix-beam n-best.

The two label-synchronous beam searches also take an n-gram LM (``lm``, ``asr.decode.word_lm``)
whose log-probability enters with weight ``lm_weight`` (shallow fusion).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from asr.decode.beam import beam_search
from asr.decode.ctc import ctc_greedy, ctc_prefix_beam
from asr.decode.greedy import attention_greedy
from asr.decode.hypothesis import Hypothesis
from asr.decode.rescoring import attention_rescoring
from asr.decode.word_lm import WordLMScorer

METHODS = (
    "ctc_greedy",
    "attention_greedy",
    "attention_beam",
    "ctc_prefix_beam",
    "attention_rescoring",
    "joint_ctc_attention",
)
_CTC_METHODS = ("ctc_greedy", "ctc_prefix_beam", "attention_rescoring")  # all need CTC scores


def decode(
    model: torch.nn.Module,
    x: torch.Tensor,
    x_lens: torch.Tensor,
    method: str = "joint_ctc_attention",
    beam: int = 10,
    ctc_weight: float = 0.3,
    length_penalty: float = 0.0,
    length_norm: bool = False,
    pre_beam: int | None = None,
    max_len_ratio: float = 1.0,
    lm: WordLMScorer | None = None,
    lm_weight: float = 0.0,
    chunk_size: int | None = None,
    left_chunks: int = -1,
) -> list[list[Hypothesis]]:
    """Decode a padded batch of fbank features (B, T, d) with lengths (B,); n-best, best first.

    Runs in inference mode with the model in eval mode (its mode is restored afterwards).
    ``length_penalty``/``length_norm``/``pre_beam`` apply to the label-synchronous beam searches
    (``attention_beam``, ``joint_ctc_attention``); greedy methods return one hypothesis.
    ``chunk_size`` (encoder frames; ``left_chunks`` before each, -1 all) encodes as a stream
    would: ``ctc_prefix_beam`` and ``attention_rescoring`` then give what chunk-by-chunk
    streaming (``asr.decode.streaming``) gives, batched.
    ``model`` is an ``ASRModel`` or anything with its search interface, such as the exported
    graphs of ``asr.export.runtime.GraphModel`` (whose ``x`` is then 16 kHz samples (B, S)).
    """
    if method not in METHODS:
        raise ValueError(f"unknown decoding method {method!r}; choose one of {', '.join(METHODS)}")
    with torch.inference_mode(), _eval_mode(model):
        chunking = () if chunk_size is None else (chunk_size, left_chunks)
        memory, memory_lens, ctc_log_probs = model.encode_with_ctc(x, x_lens, *chunking)
        return decode_encoded(
            model,
            memory,
            memory_lens,
            method,
            beam,
            ctc_weight,
            length_penalty,
            length_norm,
            pre_beam,
            max_len_ratio,
            lm,
            lm_weight,
            ctc_log_probs,
        )


def decode_encoded(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    method: str,
    beam: int = 10,
    ctc_weight: float = 0.3,
    length_penalty: float = 0.0,
    length_norm: bool = False,
    pre_beam: int | None = None,
    max_len_ratio: float = 1.0,
    lm: WordLMScorer | None = None,
    lm_weight: float = 0.0,
    ctc_log_probs: torch.Tensor | None = None,
) -> list[list[Hypothesis]]:
    """``decode`` from encoder output (B, T', d) and its lengths, e.g. to try several methods.

    ``ctc_log_probs`` (B, T', V): the CTC head's output when already computed (exported encoder
    graphs return it with the memory); by default ``model.ctc_log_probs(memory)``.
    """
    if method not in ("ctc_greedy", "ctc_prefix_beam") and model.decoder is None:
        raise ValueError(f"method {method!r} needs an attention decoder; this model has none")
    if lm is not None and method not in ("attention_beam", "joint_ctc_attention"):
        raise ValueError(f"an n-gram LM fuses into attention_beam or joint_ctc_attention: {method}")
    if lm_weight < 0:
        raise ValueError(f"lm_weight must be >= 0, got {lm_weight}")
    if method == "attention_greedy":
        return attention_greedy(model, memory, memory_lens, max_len_ratio)
    needs_ctc = method in _CTC_METHODS or (method == "joint_ctc_attention" and ctc_weight > 0)
    if needs_ctc and ctc_log_probs is None:
        ctc_log_probs = model.ctc_log_probs(memory)
    if method in ("attention_beam", "joint_ctc_attention"):
        lam = ctc_weight if method == "joint_ctc_attention" else 0.0
        return beam_search(
            model, memory, memory_lens, beam,
            ctc_log_probs=ctc_log_probs if lam > 0 else None,
            ctc_weight=lam, length_penalty=length_penalty, length_norm=length_norm,
            pre_beam=pre_beam, max_len_ratio=max_len_ratio, lm=lm, lm_weight=lm_weight,
        )  # fmt: skip
    if method == "ctc_greedy":
        return ctc_greedy(ctc_log_probs, memory_lens, model.blank_id)
    if method == "ctc_prefix_beam":
        return ctc_prefix_beam(ctc_log_probs, memory_lens, beam, model.blank_id)
    if method == "attention_rescoring":
        return attention_rescoring(model, memory, memory_lens, ctc_log_probs, beam, ctc_weight)
    raise ValueError(f"unknown decoding method {method!r}; choose one of {', '.join(METHODS)}")


@contextlib.contextmanager
def _eval_mode(model: torch.nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
