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
    with pytest.raises(ValueError, match="word boundaries.*--unit char"):
        WordLMScorer(lm, ["<blank>", "<unk>", "a", "b", "<sos/eos>"], {0, 1, 4})


# A character LM over a tokenizer without word boundaries; "大同" is one two-character piece.
CHAR_PIECES = ["<blank>", "<unk>", "天", "下", "大", "同", "大同", "<sos/eos>"]
CHAR_SENTENCES = ["天下大同", "大同", "天下", "下大"]


@pytest.fixture
def char_scorer() -> WordLMScorer:
    lm = NgramLM.train([list(s) for s in CHAR_SENTENCES], order=3, unit="char")
    return WordLMScorer(lm, CHAR_PIECES, {0, 1, 7})


def test_a_char_lm_scores_each_character_as_it_is_spelled(char_scorer):
    lm, state, scores = char_scorer.lm, char_scorer.init_state(1)[0], [0.0]
    for token in [2, 3, 6]:  # 天 下 大同
        state = char_scorer.step(state, token)
        scores.append(char_scorer.score(state))
    assert scores == sorted(scores, reverse=True)
    assert char_scorer.final_score(state) == pytest.approx(lm.sentence_log_prob(list("天下大同")))
    two = char_scorer.step(char_scorer.step(char_scorer.init_state(1)[0], 4), 5)  # 大 同
    one = char_scorer.step(char_scorer.init_state(1)[0], 6)  # 大同
    assert char_scorer.final_score(two) == pytest.approx(char_scorer.final_score(one))


def test_a_char_lm_refuses_characters_outside_its_vocabulary():
    lm = NgramLM.train([list("天下")], order=2, unit="char")
    scorer = WordLMScorer(lm, CHAR_PIECES, {0, 1, 7})
    assert scorer.step(scorer.init_state(1)[0], 2) is not None  # 天
    assert scorer.step(scorer.init_state(1)[0], 6) is None  # 大同: not in the LM's characters


def lm_units(pieces: list[str], tokens: list[int], unit: str) -> list[str]:
    """The LM units that ``tokens`` spell: words, or characters for a character LM."""
    text = "".join(pieces[t] for t in tokens)
    return text.replace("▁", " ").split() if unit == "word" else list(text)


@pytest.mark.parametrize("unit", ["word", "char"])
def test_fused_scores_add_beta_times_the_sentence_log_prob(model, batch, request, unit):
    lm_scorer = request.getfixturevalue("scorer" if unit == "word" else "char_scorer")
    pieces = PIECES if unit == "word" else CHAR_PIECES
    lam, beta = 0.3, 0.7
    memory, memory_lens, log_probs = encode(model, *batch)
    nbests = decode(model, *batch, "joint_ctc_attention", beam=6, ctc_weight=lam, pre_beam=5,
                    lm=lm_scorer, lm_weight=beta)  # fmt: skip
    assert any(nbests)
    for b, nbest in enumerate(nbests):
        for h in nbest:
            n = int(memory_lens[b])
            ctc = ctc_logprob(log_probs[b], n, h.tokens)
            att = att_logprob(model, memory[b], n, h.tokens)
            units = lm_units(pieces, h.tokens, unit)
            lm = lm_scorer.lm.sentence_log_prob(units)  # KeyError if not in the vocabulary
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
