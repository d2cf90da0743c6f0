"""Attention rescoring of the CTC prefix-beam n-best (WeNet's two-pass decoding), batched.

All n-best candidates of all utterances go through the teacher-forced decoder in one forward
pass. The combined score is ``λ·log P_ctc(y) + (1 − λ)·log P_att(y, <eos>)`` with λ = ctc_weight,
the same mixture as joint decoding (WeNet writes ``att + w·ctc``; ``w = λ / (1 − λ)`` ranks alike).
"""

from __future__ import annotations

import torch

from asr.decode.ctc import NEG_INF, ctc_prefix_beam_tensors, nbest_lists
from asr.decode.hypothesis import Hypothesis


def attention_scores(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    tokens: torch.Tensor,
    lens: torch.Tensor,
) -> torch.Tensor:
    """log P_att(y, <eos> | x) for token rows (N, L) padded with anything, memory rows (N, T, d)."""
    N, L = tokens.shape
    sos_eos = model.sos_eos_id
    pos = torch.arange(L + 1, device=tokens.device)[None, :]
    body = torch.nn.functional.pad(tokens.clamp(min=0), (1, 0), value=sos_eos)  # (N, L + 1)
    target = torch.where(pos < lens[:, None], torch.roll(body, -1, dims=1), sos_eos)
    logits = model.decoder(memory, memory_lens, body, lens + 1)
    logp = logits.float().log_softmax(-1).gather(2, target[:, :, None])[..., 0]
    return logp.masked_fill(pos > lens[:, None], 0.0).sum(1)


def attention_rescoring(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    ctc_log_probs: torch.Tensor,
    beam: int,
    ctc_weight: float = 0.3,
) -> list[list[Hypothesis]]:
    """Rescore the ``beam``-best CTC prefixes with the attention decoder; best combined first."""
    if not 0.0 <= ctc_weight <= 1.0:
        raise ValueError(f"ctc_weight must be in [0, 1], got {ctc_weight}")
    tokens, lens, ctc = ctc_prefix_beam_tensors(ctc_log_probs, memory_lens, beam, model.blank_id)
    return rescore_nbest(model, memory, memory_lens, tokens, lens, ctc, ctc_weight)


def rescore_nbest(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    tokens: torch.Tensor,
    lens: torch.Tensor,
    ctc: torch.Tensor,
    ctc_weight: float = 0.3,
) -> list[list[Hypothesis]]:
    """A CTC n-best (tokens (B, K, L) padded with -1, lengths and CTC scores (B, K); ``-inf``
    marks an empty slot) ranked by ``λ·ctc + (1 − λ)·log P_att``; best first."""
    B, K, _ = tokens.shape
    L_used = max(int(lens.max()), 1)
    utt = torch.arange(B, device=tokens.device).repeat_interleave(K)
    att = attention_scores(
        model, memory[utt], memory_lens[utt], tokens[:, :, :L_used].flatten(0, 1), lens.flatten()
    ).view(B, K)
    valid = ctc > NEG_INF
    total = (ctc_weight * ctc.masked_fill(~valid, 0.0) + (1 - ctc_weight) * att).masked_fill(
        ~valid, NEG_INF
    )
    total, order = total.sort(dim=1, descending=True)
    tokens = tokens.gather(1, order[:, :, None].expand_as(tokens))
    return nbest_lists(tokens, lens.gather(1, order), total)
