"""Attention greedy search, batched, one decoder step per token with the decoder's KV cache."""

from __future__ import annotations

import torch

from asr.decode.beam import max_lengths
from asr.decode.ctc import NEG_INF
from asr.decode.hypothesis import Hypothesis


def attention_greedy(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    max_len_ratio: float = 1.0,
) -> list[list[Hypothesis]]:
    """Most likely next token until ``<eos>``; the score sums decoder log-probs, ``<eos>`` included.

    Blank is never emitted, and ``<eos>`` is forced after ``max_len_ratio`` × encoder frames tokens
    (the same rules as ``beam_search``, so beam 1 gives the same result).
    """
    B, dev = memory.size(0), memory.device
    eos, blank = model.sos_eos_id, model.blank_id
    max_len = max_lengths(memory_lens, max_len_ratio)
    state = model.decoder.init_state(memory, memory_lens)
    last = torch.full((B,), eos, dtype=torch.long, device=dev)
    score = torch.zeros(B, device=dev)
    finished = torch.zeros(B, dtype=torch.bool, device=dev)
    steps = []
    non_eos = (torch.arange(model.vocab_size, device=dev) != eos)[None, :]
    for i in range(int(max_len.max()) + 1):
        logp, state = model.decoder.step(last, state)
        logp = logp.float().index_fill(1, torch.tensor([blank], device=dev), NEG_INF)
        logp = logp.masked_fill((i >= max_len)[:, None] & non_eos, NEG_INF)
        best, tok = logp.max(dim=1)
        score += best.masked_fill(finished, 0.0)
        tok = tok.masked_fill(finished, eos)
        steps.append(tok)
        finished |= tok == eos
        last = tok
        if bool(finished.all()):
            break
    out = torch.stack(steps, 1).tolist()
    return [
        [Hypothesis(seq[: seq.index(eos)] if eos in seq else seq, s)]
        for seq, s in zip(out, score.tolist(), strict=True)
    ]
