"""WER/CER counts on hand-computed cases, and the normalization hook."""

from __future__ import annotations

import pytest

from asr.scoring import make_normalizer, read_kaldi_text, score, to_units, write_kaldi_text


def test_word_errors_by_hand():
    s = score({"u1": "the cat sat on the mat"}, {"u1": "the cat sit on the the mat"})
    assert (s.total("C"), s.total("S"), s.total("D"), s.total("I")) == (5, 1, 0, 1)
    assert s.ref_words == 6 and s.errors == 2
    assert s.error_rate == pytest.approx(100 * 2 / 6)
    ops = [op for op, _, _ in s.utts[0].ops]
    assert ops.count("C") == 5 and ("S", "sat", "sit") in s.utts[0].ops


def test_empty_hypothesis_is_all_deletions():
    s = score({"a": "one two three"}, {"a": ""})
    assert s.total("D") == 3 and s.errors == 3 and s.error_rate == 100.0
    assert s.sentence_errors == 1 and s.missing == []


def test_empty_reference_counts_insertions():
    s = score({"a": "", "b": "x y"}, {"a": "extra words", "b": "x y"})
    assert s.total("I") == 2 and s.ref_words == 2
    assert s.error_rate == 100.0  # 2 insertions over 2 reference words
    assert s.sentence_errors == 1
    only_empty = score({"a": ""}, {"a": "word"})
    assert only_empty.error_rate is None  # undefined: errors over zero reference words
    assert score({"a": ""}, {"a": ""}).error_rate == 0.0


def test_missing_hypothesis_ids_are_deletions_and_reported():
    s = score({"a": "hello world", "b": "good morning"}, {"a": "hello world", "z": "stray"})
    assert s.missing == ["b"] and s.extra == ["z"]
    assert s.total("D") == 2 and s.sentences == 2
    assert s.error_rate == 50.0
    assert s.utts[1].missing


def test_chinese_cer_counts_characters_without_spaces():
    s = score({"c": "今天 天气 很好"}, {"c": "今天天汽很"}, cer=True)
    assert s.metric == "cer" and s.ref_words == 6
    assert (s.total("S"), s.total("D"), s.total("I")) == (1, 1, 0)
    assert s.error_rate == pytest.approx(100 * 2 / 6)


def test_units():
    assert to_units("a  b c", cer=False) == ["a", "b", "c"]
    assert to_units("ab c", cer=True) == ["a", "b", "c"]


def test_normalizer_folds_case_and_drops_punctuation():
    norm = make_normalizer(lowercase=True, remove_punct=True)
    assert norm("Hello, WORLD! Don't  stop.") == "hello world don't stop"
    assert norm("你好，世界。") == "你好 世界"
    s = score({"a": "Hello, world."}, {"a": "hello world"}, normalize=norm)
    assert s.errors == 0
    assert score({"a": "Hello, world."}, {"a": "hello world"}).errors == 2


def test_kaldi_text_round_trip(tmp_path):
    texts = {"b": "x y", "a": "", "c": "多 字"}
    write_kaldi_text(tmp_path / "text", texts)
    assert read_kaldi_text(tmp_path / "text") == texts
    (tmp_path / "dup").write_text("a x\na y\n")
    with pytest.raises(ValueError, match=r"dup:2: duplicate id 'a' \(first seen at line 1\)"):
        read_kaldi_text(tmp_path / "dup")


def test_no_reference_is_an_error():
    with pytest.raises(ValueError, match="no reference utterances"):
        score({}, {"a": "x"})
