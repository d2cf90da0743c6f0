"""CTC greedy and prefix beam search on log-prob tensors."""

from __future__ import annotations

import itertools

import pytest
import torch

from asr.decode.ctc import CtcPrefixBeam, ctc_greedy, ctc_prefix_beam, nbest_lists

from .helpers import ctc_logprob


def random_log_probs(
    B: int, T: int, V: int, scale: float, seed: int, peak: float = 0.0
) -> torch.Tensor:
    """Random frame posteriors; ``peak`` is added to one random label per frame."""
    g = torch.Generator().manual_seed(seed)
    logits = scale * torch.randn(B, T, V, generator=g)
    logits.scatter_add_(2, torch.randint(V, (B, T, 1), generator=g), torch.full((B, T, 1), peak))
    return logits.log_softmax(-1)


def test_greedy_collapses_best_path():
    log_probs = random_log_probs(2, 12, 5, 2.0, 0)
    lens = torch.tensor([12, 7])
    hyps = ctc_greedy(log_probs, lens)
    for b in range(2):
        path = log_probs[b, : lens[b]].argmax(-1).tolist()
        collapsed = [p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1])]
        assert hyps[b][0].tokens == collapsed
        best = log_probs[b, : lens[b]].max(-1).values.sum()
        assert hyps[b][0].score == pytest.approx(float(best), abs=1e-5)


def test_prefix_beam_is_exact_when_the_beam_holds_every_prefix():
    """V=3, T=5: 63 label sequences; beam 64 keeps them all, so the n-best is the exact ranking."""
    log_probs = random_log_probs(1, 5, 3, 1.0, 3)[0]
    exact = {}
    for n in range(6):
        for seq in itertools.product([1, 2], repeat=n):
            exact[seq] = ctc_logprob(log_probs, 5, list(seq))
    hyps = ctc_prefix_beam(log_probs[None], torch.tensor([5]), beam=64)[0]
    feasible = {s: v for s, v in exact.items() if v > float("-inf")}
    assert len(hyps) == len(feasible)
    ranked = sorted(feasible.items(), key=lambda kv: -kv[1])
    assert [h.score for h in hyps] == pytest.approx([v for _, v in ranked], abs=1e-5)
    for h in hyps:
        assert h.score == pytest.approx(exact[tuple(h.tokens)], abs=1e-5)


def test_prefix_beam_scores_never_exceed_the_total_ctc_log_prob():
    """Pruning drops alignments through pruned prefixes: a lower bound that a wider beam raises."""
    log_probs = random_log_probs(2, 30, 6, 3.0, 4)
    lens = torch.tensor([30, 22])
    for b, nbest in enumerate(ctc_prefix_beam(log_probs, lens, beam=5)):
        assert len(nbest) == 5
        assert len({tuple(h.tokens) for h in nbest}) == 5
        assert [h.score for h in nbest] == sorted((h.score for h in nbest), reverse=True)
        exact = [ctc_logprob(log_probs[b], int(lens[b]), h.tokens) for h in nbest]
        assert 0 not in sum((h.tokens for h in nbest), [])
        assert all(h.score <= e + 1e-4 for h, e in zip(nbest, exact, strict=True))
        wide = ctc_prefix_beam(log_probs[b : b + 1], lens[b : b + 1], beam=50)[0]
        best_wide = next(h.score for h in wide if h.tokens == nbest[0].tokens)
        assert nbest[0].score <= best_wide <= exact[0] + 1e-4


def test_prefix_beam_1_equals_greedy_when_each_frame_is_peaked():
    """With the best label above probability 0.5 in every frame no prefix beats the best path."""
    log_probs = random_log_probs(3, 40, 7, 1.0, 5, peak=6.0)
    assert bool((log_probs.max(-1).values > torch.log(torch.tensor(0.5))).all())
    lens = torch.tensor([40, 33, 12])
    greedy = ctc_greedy(log_probs, lens)
    beam = ctc_prefix_beam(log_probs, lens, beam=1)
    assert [h[0].tokens for h in beam] == [h[0].tokens for h in greedy]
    assert any(len(h[0].tokens) > 3 for h in greedy)


@pytest.mark.parametrize("search", [ctc_greedy, lambda lp, n: ctc_prefix_beam(lp, n, beam=4)])
def test_batched_equals_one_at_a_time(search):
    log_probs = random_log_probs(3, 25, 6, 2.0, 6)
    lens = torch.tensor([25, 18, 9])
    log_probs[1, 18:] = torch.randn(7, 6)  # padding garbage must not matter
    batched = search(log_probs, lens)
    for b in range(3):
        alone = search(log_probs[b : b + 1, : lens[b]], lens[b : b + 1])[0]
        assert [h.tokens for h in batched[b]] == [h.tokens for h in alone]
        assert [h.score for h in batched[b]] == pytest.approx([h.score for h in alone], abs=1e-5)


def test_prefix_beam_rejects_a_bad_beam():
    with pytest.raises(ValueError, match="beam must be >= 1"):
        ctc_prefix_beam(random_log_probs(1, 3, 3, 1.0, 0), torch.tensor([3]), beam=0)


@pytest.mark.parametrize("pieces", [[40], [1] * 40, [7, 13, 1, 19], [16, 16, 8]])
def test_prefix_beam_carried_across_chunks_equals_one_pass(pieces):
    """A stream advancing the search chunk by chunk ends with the one-pass n-best, and after
    each chunk its partial n-best is the one-pass n-best of the frames so far."""
    log_probs = random_log_probs(2, 40, 6, 2.0, 8)
    search = CtcPrefixBeam(2, 4, 6)
    start = 0
    for n in pieces:
        search.advance(log_probs[:, start : start + n])
        start += n
        so_far = ctc_prefix_beam(log_probs[:, :start], torch.full((2,), start), beam=4)
        partial = nbest_lists(*search.nbest_tensors())
        assert [[h.tokens for h in n] for n in partial] == [[h.tokens for h in n] for n in so_far]
        for p, s in zip(partial, so_far, strict=True):
            assert [h.score for h in p] == pytest.approx([h.score for h in s], abs=1e-5)
