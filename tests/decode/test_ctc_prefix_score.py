"""The vectorized CTC prefix scorer against brute-force sums over label sequences."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from asr.decode.ctc_prefix_score import CtcPrefixScorer

from .helpers import ctc_logprob

BLANK, EOS = 0, 3  # prefixes use labels 1, 2; CTC frames may also emit label 3


def prefix_logprob(log_probs: torch.Tensor, length: int, prefix: tuple[int, ...]) -> float:
    """log Σ P_ctc(y) over every label sequence y that starts with ``prefix`` (any label after)."""
    total = 0.0
    for n in range(len(prefix), length + 1):
        for tail in itertools.product([1, 2, 3], repeat=n - len(prefix)):
            total += math.exp(ctc_logprob(log_probs, length, [*prefix, *tail]))
    return math.log(total) if total > 0 else float("-inf")


def test_prefix_and_final_scores_match_brute_force_in_a_padded_batch():
    g = torch.Generator().manual_seed(0)
    log_probs = torch.randn(2, 5, 4, generator=g).log_softmax(-1)
    lens = torch.tensor([5, 3])
    scorer = CtcPrefixScorer(log_probs, lens, BLANK, EOS)
    cand = torch.tensor([[1, 2, 0, 3]] * 2)  # blank and <eos> are never prefix candidates
    for b in range(2):
        n = int(lens[b])
        utt = torch.tensor([b])
        for prefix in [(), (1,), (2,), (1, 1), (2, 1), (1, 2, 2)]:
            state = scorer.init_state(utt)
            for tok in prefix:
                state = scorer.advance(state, utt, torch.tensor([tok]))
            final = scorer.final(state, utt)[0]
            assert float(final) == pytest.approx(
                ctc_logprob(log_probs[b], n, list(prefix)), abs=1e-5
            )
            psi = scorer.extend(state, utt, cand[:1])[0]
            for j, c in enumerate([1, 2]):
                expect = prefix_logprob(log_probs[b], n, (*prefix, c))
                assert float(psi[j]) == pytest.approx(expect, abs=1e-5)
            assert psi[2] == float("-inf") and psi[3] == float("-inf")
