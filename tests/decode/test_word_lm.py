"""Word-LM shallow fusion: prefix scores that telescope, vocabulary-only spellings, exact scores."""

from __future__ import annotations

import pytest

from asr.decode import decode
from asr.decode.word_lm import WordLMScorer
from asr.lm import NgramLM

from .helpers import att_logprob, ctc_logprob, encode

# The tiny model's 8 ids as pieces: two word starts, two continuations, a bare word boundary.
PIECES = ["<blank>", "<unk>", "▁a", "b", "▁c", "d", "▁", "<sos/eos>"]
INVALID = {0, 1, 7}
SENTENCES = [["ab", "c"], ["a", "cd"], ["c"], ["cd", "ab", "a"], ["bd"]]  # "bd": spelled ▁ b d


@pytest.fixture
def scorer() -> WordLMScorer:
    return WordLMScorer(NgramLM.train(SENTENCES, order=2), PIECES, INVALID)


def words_of(tokens: list[int]) -> list[str]:
    return "".join(PIECES[t] for t in tokens).replace("▁", " ").split()


def test_scores_fall_along_a_spelling_and_end_at_the_sentence_log_prob(scorer):
    state, scores = scorer.init_state(1)[0], [0.0]
    for token in [2, 3, 4, 5, 6, 3, 5]:  # ▁a b ▁c d ▁ b d = "ab cd bd"
        state = scorer.step(state, token)
        scores.append(scorer.score(state))
    assert scores == sorted(scores, reverse=True)
    final = scorer.final_score(state)
    assert final <= scores[-1]
    assert final == pytest.approx(scorer.lm.sentence_log_prob(["ab", "cd", "bd"]))


def test_spellings_outside_the_vocabulary_are_impossible(scorer):
    state = scorer.step(scorer.init_state(1)[0], 2)  # "a": a word, and the prefix of "ab"
    assert scorer.step(state, 5) is None  # "ad" begins no word
    assert scorer.step(scorer.step(state, 3), 3) is None  # "abb" neither
    assert scorer.step(state, 1) is None  # <unk> spells nothing
    b = scorer.step(scorer.init_state(1)[0], 3)  # a bare "b" begins "bd" only ...
    assert scorer.final_score(b) == float("-inf")  # ... so it cannot end there


def test_a_tokenizer_without_word_boundaries_is_refused():
    lm = NgramLM.train([["ab"]], order=1)
    with pytest.raises(ValueError, match="word boundaries"):
        WordLMScorer(lm, ["<blank>", "<unk>", "a", "b", "<sos/eos>"], {0, 1, 4})


def test_fused_scores_add_beta_times_the_sentence_log_prob(model, batch, scorer):
    lam, beta = 0.3, 0.7
    memory, memory_lens, log_probs = encode(model, *batch)
    nbests = decode(model, *batch, "joint_ctc_attention", beam=6, ctc_weight=lam, pre_beam=5,
                    lm=scorer, lm_weight=beta)  # fmt: skip
    assert any(nbests)
    for b, nbest in enumerate(nbests):
        for h in nbest:
            n = int(memory_lens[b])
            ctc = ctc_logprob(log_probs[b], n, h.tokens)
            att = att_logprob(model, memory[b], n, h.tokens)
            lm = scorer.lm.sentence_log_prob(words_of(h.tokens))  # KeyError if not a word
            assert h.score == pytest.approx(lam * ctc + (1 - lam) * att + beta * lm, abs=1e-3)


def test_weight_zero_is_search_without_lm(model, batch, scorer):
    plain = decode(model, *batch, "joint_ctc_attention", beam=4)
    fused = decode(model, *batch, "joint_ctc_attention", beam=4, lm=scorer, lm_weight=0.0)
    assert [[h.tokens for h in n] for n in fused] == [[h.tokens for h in n] for n in plain]


def test_lm_fusion_errors_are_named(model, batch, scorer):
    with pytest.raises(ValueError, match="ctc_greedy"):
        decode(model, *batch, "ctc_greedy", lm=scorer, lm_weight=0.5)
    with pytest.raises(ValueError, match="lm_weight"):
        decode(model, *batch, "attention_beam", lm=scorer, lm_weight=-1.0)
