"""asr-train-lm: a word n-gram from Kaldi transcripts, loadable for decoding."""

from __future__ import annotations

from asr.bin.train_lm import main
from asr.lm import NgramLM
from tests.cli_helpers import bad_input_error


def test_trains_on_kaldi_text_files(tmp_path):
    (tmp_path / "a").write_text("u1 the cat sat\nu2 the dog\n")
    (tmp_path / "b").write_text("u3 a cat\nu4\n")  # an empty transcript is skipped
    out = tmp_path / "lm" / "x"
    main([str(tmp_path / "a"), str(tmp_path / "b"), "--order", "2", "--out", str(out)])
    lm = NgramLM.load(out)
    assert lm.order == 2 and lm.words == ["a", "cat", "dog", "sat", "the"]
    assert lm.log_prob([lm.ids["the"]], lm.ids["cat"]) > lm.log_prob([lm.ids["the"]], lm.ids["a"])


def test_a_missing_text_file_is_named(tmp_path, capsys):
    argv = [str(tmp_path / "nope"), "--out", str(tmp_path / "lm.json")]
    err = bad_input_error(main, argv, capsys)
    assert err == f"asr-train-lm: error: {tmp_path / 'nope'}: no such file"


def test_unit_char_counts_characters_without_the_spaces(tmp_path):
    (tmp_path / "text").write_text("u1 天下 大同\nu2 大同\n")
    out = tmp_path / "lm.json"
    main([str(tmp_path / "text"), "--order", "2", "--unit", "char", "--out", str(out)])
    lm = NgramLM.load(out)
    assert lm.unit == "char" and lm.words == sorted("天下大同")
    assert lm.sentence_log_prob(list("大同")) > lm.sentence_log_prob(list("同大"))


def test_plain_text_has_no_utterance_ids(tmp_path):
    (tmp_path / "corpus.txt").write_text("the cat sat\n\nthe dog\n")
    out = tmp_path / "lm.json"
    main([str(tmp_path / "corpus.txt"), "--plain", "--order", "2", "--out", str(out)])
    assert NgramLM.load(out).words == ["cat", "dog", "sat", "the"]


def test_bad_bytes_in_a_plain_corpus_are_named_with_their_line(tmp_path, capsys):
    (tmp_path / "corpus.txt").write_bytes(b"the cat\nthe d\xf6g\n")  # latin-1
    argv = [str(tmp_path / "corpus.txt"), "--plain", "--out", str(tmp_path / "lm.json")]
    err = bad_input_error(main, argv, capsys)
    assert err.startswith(f"asr-train-lm: error: {tmp_path / 'corpus.txt'}:2: line is not valid")
