"""NgramLM: distributions that sum to one, prefix-range sums, back-off, save/load, errors."""

from __future__ import annotations

import json
import math
import random

import pytest

from asr.lm import NgramLM

SENTENCES = [
    "the cat sat on the mat",
    "the cat ate",
    "a cat sat",
    "the dog sat on a log",
    "a dog ate the cat food",
    "on the mat the dog sat",
]


def lm_of(order: int) -> NgramLM:
    return NgramLM.train([s.split() for s in SENTENCES], order=order)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_history_gives_a_distribution_over_words_and_eos(order):
    lm = lm_of(order)
    v = len(lm.words)
    rng = random.Random(0)
    histories = [[lm.bos_id] * (order - 1), [lm.ids["the"], lm.ids["cat"]]]
    histories += [[rng.randrange(v) for _ in range(order - 1)] for _ in range(20)]  # mostly unseen
    for h in histories:
        singles = [lm.range_prob(h, w, w + 1) for w in range(v + 1)]
        assert all(p > 0 for p in singles)
        assert sum(singles) == pytest.approx(1.0, abs=1e-9)
        assert lm.range_prob(h, 0, v + 1) == pytest.approx(1.0, abs=1e-9)


def test_prefix_range_sums_the_words_that_begin_with_the_prefix():
    lm = lm_of(3)
    h = [lm.bos_id, lm.ids["the"]]
    for prefix in ["", "c", "ca", "d", "o", "th", "z", "cat"]:
        lo, hi = lm.prefix_range(prefix)
        expected = [w for w in lm.words if w.startswith(prefix)]
        assert lm.words[lo:hi] == expected, prefix
        total = sum(math.exp(lm.log_prob(h, lm.ids[w])) for w in expected)
        assert lm.range_prob(h, lo, hi) == pytest.approx(total)
        log_total = math.log(total) if total else -math.inf
        assert lm.prefix_log_prob(h, prefix) == pytest.approx(log_total)
    assert lm.prefix_log_prob(h, "z") == -math.inf


def test_seen_continuations_beat_unseen_ones_and_unseen_histories_back_off():
    lm = lm_of(3)
    the, cat, dog, log = (lm.ids[w] for w in ("the", "cat", "dog", "log"))
    assert lm.log_prob([lm.bos_id, the], cat) > lm.log_prob([lm.bos_id, the], log)
    unseen = [lm.ids["food"], log]  # "food log" never occurs: the bigram "log ·" decides
    assert lm.log_prob(unseen, cat) == pytest.approx(lm.log_prob([log], cat))
    assert lm.log_prob(unseen, cat) != pytest.approx(lm.log_prob([], cat))
    assert lm.log_prob([lm.bos_id, lm.bos_id], the) > lm.log_prob([lm.bos_id, lm.bos_id], dog)


def test_sentence_log_prob_is_the_chain_of_word_log_probs():
    lm = lm_of(2)
    words = "the dog ate".split()
    h, total = [lm.bos_id], 0.0
    for w in [*(lm.ids[x] for x in words), lm.eos_id]:
        total += lm.log_prob(h, w)
        h = [w]
    assert lm.sentence_log_prob(words) == pytest.approx(total)
    assert lm.sentence_log_prob("the cat sat".split()) > lm.sentence_log_prob("sat cat the".split())


def test_save_and_load_round_trip(tmp_path):
    lm = lm_of(3)
    lm.save(tmp_path / "lm.json")
    loaded = NgramLM.load(tmp_path / "lm.json")
    assert loaded.words == lm.words and loaded.order == 3 and loaded.unit == "word"
    assert loaded.source == str(tmp_path / "lm.json")
    for s in SENTENCES + ["cat the log"]:
        assert loaded.sentence_log_prob(s.split()) == pytest.approx(lm.sentence_log_prob(s.split()))


def test_the_unit_survives_save_and_load_and_older_files_are_word_lms(tmp_path):
    chars = NgramLM.train([list("天下大同"), list("大同")], order=2, unit="char")
    chars.save(tmp_path / "c.json")
    assert NgramLM.load(tmp_path / "c.json").unit == "char"
    data = json.loads((tmp_path / "c.json").read_text())
    del data["unit"]  # written before units existed
    (tmp_path / "old.json").write_text(json.dumps(data))
    assert NgramLM.load(tmp_path / "old.json").unit == "word"


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="unit"):
        NgramLM.train([["a"]], order=1, unit="phone")
    with pytest.raises(ValueError, match="single characters"):
        NgramLM.train([["ab", "c"]], order=1, unit="char")
    with pytest.raises(ValueError, match="sorted"):
        NgramLM(["b", "a"], 1, [{}])
    with pytest.raises(ValueError, match="order"):
        NgramLM.train([["a"]], order=0)
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="x.json"):
        NgramLM.load(tmp_path / "x.json")
