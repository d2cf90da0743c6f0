"""Attention greedy/beam, joint CTC/attention and attention rescoring on a tiny random model."""

from __future__ import annotations

import itertools

import pytest
import torch

from asr.decode import decode
from asr.decode.beam import beam_search
from asr.decode.ctc import ctc_prefix_beam

from .helpers import att_logprob, ctc_logprob, encode, tiny_model


def test_attention_beam_1_equals_greedy(model, batch):
    greedy = decode(model, *batch, method="attention_greedy")
    beam1 = decode(model, *batch, method="attention_beam", beam=1)
    assert [h[0].tokens for h in beam1] == [h[0].tokens for h in greedy]
    assert [h[0].score for h in beam1] == pytest.approx([h[0].score for h in greedy], abs=1e-4)
    _, memory_lens, _ = encode(model, *batch)
    ended_early = [len(h[0].tokens) < n for h, n in zip(greedy, memory_lens.tolist(), strict=True)]
    assert any(ended_early), "the test model should emit <eos> before the length limit"


@pytest.mark.parametrize("method", ["attention_greedy", "attention_beam"])
def test_attention_scores_are_teacher_forced_log_probs(model, batch, method):
    memory, memory_lens, _ = encode(model, *batch)
    for b, nbest in enumerate(decode(model, *batch, method=method, beam=4)):
        for h in nbest:
            expect = att_logprob(model, memory[b], int(memory_lens[b]), h.tokens)
            assert h.score == pytest.approx(expect, abs=1e-3)
            assert model.sos_eos_id not in h.tokens and model.blank_id not in h.tokens


def test_joint_scores_mix_ctc_and_attention(model, batch):
    lam = 0.4
    memory, memory_lens, log_probs = encode(model, *batch)
    for b, nbest in enumerate(decode(model, *batch, "joint_ctc_attention", beam=4, ctc_weight=lam)):
        assert [h.score for h in nbest] == sorted((h.score for h in nbest), reverse=True)
        for h in nbest:
            n = int(memory_lens[b])
            ctc = ctc_logprob(log_probs[b], n, h.tokens)
            att = att_logprob(model, memory[b], n, h.tokens)
            assert h.score == pytest.approx(lam * ctc + (1 - lam) * att, abs=1e-3)


def test_joint_with_ctc_weight_0_is_attention_beam(model, batch):
    att = decode(model, *batch, method="attention_beam", beam=3)
    joint = decode(model, *batch, method="joint_ctc_attention", beam=3, ctc_weight=0.0)
    assert [[h.tokens for h in n] for n in joint] == [[h.tokens for h in n] for n in att]
    assert [h.score for n in joint for h in n] == pytest.approx([h.score for n in att for h in n])


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_a_beam_holding_every_prefix_finds_the_exact_nbest(lam):
    """Vocabulary of 3 tokens, at most 3 tokens: 40 sequences; beam 40 must rank them exactly."""
    model = tiny_model(vocab_size=5, seed=2)
    x = torch.randn(1, 15, 20, generator=torch.Generator().manual_seed(3))
    memory, memory_lens, log_probs = encode(model, x, torch.tensor([15]))
    n = int(memory_lens[0])
    assert n == 3
    exact = {}
    for length in range(n + 1):
        for seq in itertools.product([1, 2, 3], repeat=length):
            score = att_logprob(model, memory[0], n, list(seq))
            if lam > 0:  # an infeasible sequence has P_ctc = 0
                score = lam * ctc_logprob(log_probs[0], n, list(seq)) + (1 - lam) * score
            exact[seq] = score
    with torch.inference_mode():
        nbest = beam_search(model, memory, memory_lens, beam=40, ctc_log_probs=log_probs,
                            ctc_weight=lam, pre_beam=3)[0]  # fmt: skip
    feasible = sorted((v for v in exact.values() if v > float("-inf")), reverse=True)
    assert len(nbest) == len(feasible)
    assert [h.score for h in nbest] == pytest.approx(feasible, abs=1e-3)
    assert all(h.score == pytest.approx(exact[tuple(h.tokens)], abs=1e-3) for h in nbest)


def test_length_penalty_and_normalization(model, batch):
    memory, memory_lens, _ = encode(model, *batch)
    plain = decode(model, *batch, method="attention_beam", beam=4)
    bonus = decode(model, *batch, method="attention_beam", beam=4, length_penalty=2.0)
    norm = decode(model, *batch, method="attention_beam", beam=4, length_norm=True)
    for b in range(len(plain)):
        n = int(memory_lens[b])
        h = bonus[b][0]
        assert h.score == pytest.approx(
            att_logprob(model, memory[b], n, h.tokens) + 2.0 * len(h.tokens), abs=1e-3
        )
        assert len(h.tokens) >= len(plain[b][0].tokens)
        h = norm[b][0]
        assert h.score == pytest.approx(
            att_logprob(model, memory[b], n, h.tokens) / (len(h.tokens) + 1), abs=1e-3
        )
    with pytest.raises(ValueError, match="either length_penalty or length_norm"):
        decode(model, *batch, method="attention_beam", length_penalty=1.0, length_norm=True)


def test_rescoring_returns_the_best_combined_candidate(model, batch):
    lam = 0.3
    memory, memory_lens, log_probs = encode(model, *batch)
    candidates = ctc_prefix_beam(log_probs, memory_lens, beam=5)
    rescored = decode(model, *batch, method="attention_rescoring", beam=5, ctc_weight=lam)
    for b in range(len(candidates)):
        n = int(memory_lens[b])
        combined = {
            tuple(c.tokens): lam * c.score + (1 - lam) * att_logprob(model, memory[b], n, c.tokens)
            for c in candidates[b]
        }
        ranked = sorted(combined, key=combined.get, reverse=True)
        assert [tuple(h.tokens) for h in rescored[b]] == ranked
        assert [h.score for h in rescored[b]] == pytest.approx(
            [combined[r] for r in ranked], abs=1e-3
        )
    assert any(r[0].tokens != c[0].tokens for r, c in zip(rescored, candidates, strict=True))
