"""Label-synchronous beam search, batched as utterances × beams: attention and joint CTC/attention.

Every step scores, for each live hypothesis, ``<eos>`` and its ``pre_beam`` best next tokens under
the attention decoder (ESPnet's pre-beam: CTC prefix scores are computed for those candidates
only), then keeps the ``beam`` best of all candidates per utterance. Candidates ending in ``<eos>``
move to a per-utterance n-best of finished hypotheses; the others stay live, so beam 1 is greedy
search. The score of a hypothesis y is

    (1 − λ)·log P_att(y, <eos>) + λ·log P_ctc(y) + β·log P_lm(y)  +  length_penalty·|y|

(λ = ctc_weight; β = lm_weight, with an n-gram LM scorer, asr.decode.word_lm)

or, with ``length_norm``, the same without the penalty divided by |y| + 1. An utterance stops
when its n-best is full and no live hypothesis can still beat its worst entry (scores only fall
as tokens are added), or at ``max_len`` tokens, where ``<eos>`` is forced.
"""

from __future__ import annotations

import torch

from asr.decode.ctc import NEG_INF, nbest_lists
from asr.decode.ctc_prefix_score import CtcPrefixScorer
from asr.decode.hypothesis import Hypothesis
from asr.decode.word_lm import WordLMScorer


def max_lengths(memory_lens: torch.Tensor, max_len_ratio: float) -> torch.Tensor:
    """Most tokens allowed per utterance: ``max_len_ratio`` × encoder frames, at least 1."""
    return (memory_lens.double() * max_len_ratio).long().clamp(min=1)


def beam_search(
    model: torch.nn.Module,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    beam: int,
    ctc_log_probs: torch.Tensor | None = None,
    ctc_weight: float = 0.0,
    length_penalty: float = 0.0,
    length_norm: bool = False,
    pre_beam: int | None = None,
    max_len_ratio: float = 1.0,
    lm: WordLMScorer | None = None,
    lm_weight: float = 0.0,
) -> list[list[Hypothesis]]:
    """N-best lists (best first) for a batch of encoded utterances; see the module docstring."""
    if beam < 1:
        raise ValueError(f"beam must be >= 1, got {beam}")
    if not 0.0 <= ctc_weight < 1.0:
        raise ValueError(
            f"ctc_weight must be in [0, 1) for beam search, got {ctc_weight} "
            "(pure CTC search is ctc_prefix_beam)"
        )
    if length_norm and length_penalty:
        raise ValueError("use either length_penalty or length_norm, not both")
    use_ctc = ctc_weight > 0.0
    use_lm = lm is not None and lm_weight != 0.0
    if use_ctc and ctc_log_probs is None:
        raise ValueError("ctc_weight > 0 needs ctc_log_probs")
    B, dev = memory.size(0), memory.device
    K, V = beam, model.vocab_size
    eos, blank, lam = model.sos_eos_id, model.blank_id, ctc_weight
    C = min(pre_beam or (int(1.5 * K) if use_ctc else K), V - 2)  # blank, <eos> never candidates
    max_len = max_lengths(memory_lens, max_len_ratio)
    L_max = int(max_len.max())

    utt = torch.arange(B, device=dev).repeat_interleave(K)  # (N,) hypothesis → utterance
    dec_state = model.decoder.init_state(memory, memory_lens).select(utt)
    att = torch.full((B, K), NEG_INF, device=dev)
    att[:, 0] = 0.0  # one live hypothesis (the empty prefix) per utterance
    ctc = torch.zeros(B, K, device=dev)
    lm_score = torch.zeros(B, K, device=dev)
    if use_lm:
        lm_states = lm.init_state(B * K)
    if use_ctc:
        scorer = CtcPrefixScorer(ctc_log_probs, memory_lens, blank, eos)
        ctc_state = scorer.init_state(utt)
    tokens = torch.full((B, K, L_max), -1, dtype=torch.long, device=dev)
    last = torch.full((B * K,), eos, dtype=torch.long, device=dev)
    fin_score = torch.full((B, K), NEG_INF, device=dev)
    fin_tokens = torch.full((B, K, L_max), -1, dtype=torch.long, device=dev)
    fin_len = torch.zeros(B, K, dtype=torch.long, device=dev)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    special = torch.tensor([blank, eos], device=dev)

    for i in range(L_max + 1):  # live hypotheses hold i tokens
        logp, dec_state = model.decoder.step(last, dec_state)  # (N, V)
        logp = logp.float()
        att_eos = att.flatten() + logp[:, eos]
        cand_lp, cand = logp.index_fill(1, special, NEG_INF).topk(C, dim=1)
        att_c = att.flatten()[:, None] + cand_lp  # (N, C)
        if use_ctc:
            ctc_c = scorer.extend(ctc_state, utt, cand)
            tot_c = (1 - lam) * att_c + lam * ctc_c
            tot_eos = (1 - lam) * att_eos + lam * scorer.final(ctc_state, utt)
        else:
            tot_c, tot_eos = att_c, att_eos
        if use_lm:
            alive = att.flatten() > NEG_INF
            lm_c = lm.extend(lm_states, cand, alive)
            tot_c = tot_c + lm_weight * lm_c
            tot_eos = tot_eos + lm_weight * lm.final(lm_states, alive)
        stop = (done | (i >= max_len))[utt]
        tot_c = tot_c.masked_fill(stop[:, None], NEG_INF) + length_penalty * (i + 1)
        tot_eos = tot_eos.masked_fill(done[utt], NEG_INF) + length_penalty * i
        all_c = torch.cat([tot_c, tot_eos[:, None]], 1).view(B, K * (C + 1))
        top, idx = all_c.topk(K, dim=1)  # (B, K)
        row = (idx // (C + 1) + torch.arange(B, device=dev)[:, None] * K).flatten()
        col = (idx % (C + 1)).flatten()
        ended = (col == C).view(B, K)
        prefix = tokens.view(B * K, L_max)[row].view(B, K, L_max)

        # Finished: merge this step's <eos> candidates into each utterance's n-best.
        new_fin = top.masked_fill(~ended, NEG_INF)
        if length_norm:
            new_fin = new_fin / (i + 1)
        fin_score, order = torch.cat([fin_score, new_fin], 1).topk(K, dim=1)
        both_tokens = torch.cat([fin_tokens, prefix], 1)
        fin_tokens = both_tokens.gather(1, order[:, :, None].expand(B, K, L_max))
        fin_len = torch.cat([fin_len, torch.full_like(fin_len, i)], 1).gather(1, order)

        # Live: the chosen non-<eos> extensions.
        col_c = col.clamp(max=C - 1)
        live = ~ended & (top > NEG_INF)
        att = att_c[row, col_c].view(B, K).masked_fill(~live, NEG_INF)
        tok = cand[row, col_c]
        if use_ctc:
            ctc = ctc_c[row, col_c].view(B, K)
            ctc_state = scorer.advance(scorer.select(ctc_state, row), utt, tok)
        if use_lm:
            lm_score = lm_c[row, col_c].view(B, K)
            lm_states = lm.advance(lm_states, row.tolist(), tok.tolist())
        if i < L_max:
            tokens = prefix.clone()
            tokens[:, :, i] = tok.view(B, K)
        last = tok
        dec_state = dec_state.select(row, same_memory=True)  # rows stay in their utterance

        # An utterance is done when no live hypothesis can enter its n-best any more.
        best_live = ((1 - lam) * att + lam * ctc + lm_weight * lm_score).max(dim=1).values
        if length_norm:
            bound = best_live / (max_len + 1).to(best_live.dtype)
        else:
            bound = best_live + length_penalty * (max_len if length_penalty > 0 else i + 1)
        done |= (fin_score[:, -1] >= bound) | (best_live == NEG_INF)
        if bool(done.all()):
            break
    return nbest_lists(fin_tokens, fin_len, fin_score)
