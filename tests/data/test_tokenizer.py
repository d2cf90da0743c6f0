"""Tokenizers: fixed special ids, round trips, <unk> counting, save/load, CLI."""

from __future__ import annotations

import random

import pytest

from asr.bin.tokenizer import main as tokenizer_main
from asr.data.tokenizer import (
    SPACE,
    CharTokenizer,
    SentencePieceTokenizer,
    UnitTokenizer,
    load_tokenizer,
)
from tests.cli_helpers import bad_input_error

from .fixtures import WORDS

EN = ["the cat sat on the mat", "a dog ran far away", "red cat and red dog"]
ZH = ["今天 天气 很 好", "我们 去 公园 散步", "天气 好 我们 去"]


def _english_corpus(n: int = 300) -> list[str]:
    rng = random.Random(0)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(n)]


def _check_special_ids(tok):
    assert tok.blank_id == 0 and tok.unk_id == 1 and tok.sos_eos_id == tok.vocab_size - 1
    ids = tok.encode(EN[0])
    assert ids and all(2 <= i < tok.vocab_size - 1 for i in ids)


def test_char_english_round_trip_and_space_token():
    tok = CharTokenizer.train(EN)
    _check_special_ids(tok)
    assert tok.keep_space and SPACE in tok.tokens
    for text in EN:
        assert tok.decode(tok.encode(text)) == text
    assert tok.decode(tok.encode("  the   cat ")) == "the cat"  # whitespace normalised
    assert tok.encode("a a").count(tok.tokens.index(SPACE)) == 1


def test_char_chinese_drops_spaces_and_round_trips():
    tok = CharTokenizer.train(ZH)
    assert not tok.keep_space and SPACE not in tok.tokens
    assert len(tok.encode("今天 天气")) == 4
    for text in ZH:
        assert tok.decode(tok.encode(text)) == text.replace(" ", "")


def test_decode_drops_blank_and_sos_eos():
    tok = CharTokenizer.train(EN)
    ids = tok.encode("cat")
    assert tok.decode([tok.sos_eos_id, 0, *ids, 0, tok.sos_eos_id]) == "cat"


def test_unknown_characters_become_unk_and_are_counted():
    tok = CharTokenizer.train(EN)
    ids = tok.encode("cat ZZ q")
    assert ids.count(tok.unk_id) == 3
    assert tok.unk_counts == {"Z": 2, "q": 1}


@pytest.mark.parametrize("model_type, vocab_size", [("bpe", 40), ("unigram", 30)])
def test_sentencepiece_round_trip(model_type, vocab_size):
    tok = SentencePieceTokenizer.train(_english_corpus(), vocab_size, model_type=model_type)
    assert tok.vocab_size == vocab_size
    _check_special_ids(tok)
    for text in EN[:2] + _english_corpus(5):
        assert tok.decode(tok.encode(text)) == text


@pytest.mark.parametrize("kind", ["char", "sentencepiece"])
def test_pieces_spell_the_text_with_word_starts_marked(kind):
    corpus = _english_corpus()
    if kind == "char":
        tok = CharTokenizer.train(corpus)
    else:
        tok = SentencePieceTokenizer.train(corpus, vocab_size=30, model_type="unigram")
    pieces = tok.pieces
    assert len(pieces) == tok.vocab_size and pieces[tok.sos_eos_id] == "<sos/eos>"
    for text in corpus[:20]:
        spelled = "".join(pieces[i] for i in tok.encode(text))
        assert spelled.replace(SPACE, " ").split() == text.split()
        assert spelled.count(SPACE) in (len(text.split()), len(text.split()) - 1)


def test_sentencepiece_counts_unknown_characters():
    tok = SentencePieceTokenizer.train(_english_corpus(), vocab_size=40)
    ids = tok.encode("cat QQ")
    assert tok.unk_id in ids
    assert tok.unk_counts["Q"] == 2


@pytest.mark.parametrize("kind", ["char", "bpe"])
def test_save_load_round_trip(tmp_path, kind):
    if kind == "char":
        tok = CharTokenizer.train(EN + ZH)
    else:
        tok = SentencePieceTokenizer.train(_english_corpus(), vocab_size=30)
    tok.save(tmp_path / "tok")
    for path in (tmp_path / "tok", tmp_path / "tok" / "tokenizer.json"):
        back = load_tokenizer(path)
        assert type(back) is type(tok) and back.vocab_size == tok.vocab_size
        for text in EN:
            assert back.encode(text) == tok.encode(text)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer"):
        load_tokenizer(tmp_path)
    (tmp_path / "tokenizer.json").write_text('{"type": "words"}')
    with pytest.raises(ValueError, match="unknown tokenizer type 'words'"):
        load_tokenizer(tmp_path)


def test_cli_from_kaldi_text(tmp_path):
    text = tmp_path / "text"
    text.write_text("".join(f"u{i} {t}\n" for i, t in enumerate(_english_corpus(200))))
    base = ["--text", str(text), "--out"]
    assert tokenizer_main([*base, str(tmp_path / "c"), "--type", "char"]) == 0
    char = load_tokenizer(tmp_path / "c")
    assert set(char.tokens[2:-1]) == {SPACE} | set("".join(WORDS))  # utterance ids stripped
    assert tokenizer_main([*base, str(tmp_path / "b"), "--type", "bpe", "--vocab-size", "35"]) == 0
    assert load_tokenizer(tmp_path / "b").vocab_size == 35
    assert tokenizer_main([*base, str(tmp_path / "x"), "--type", "bpe"]) == 2  # no vocab size


def test_cli_reads_kaldi_text_through_the_one_reader(tmp_path, capsys):
    text = tmp_path / "text"  # a BOM, a tab separator, CRLF: the ids must not become characters
    text.write_bytes("\ufeffu1\tab ba\r\nu2 ba\r\n".encode())
    assert (
        tokenizer_main(["--text", str(text), "--out", str(tmp_path / "c"), "--type", "char"]) == 0
    )
    assert set(load_tokenizer(tmp_path / "c").tokens[2:-1]) == {SPACE, "a", "b"}
    text.write_bytes(b"u1 ab\nu2 caf\xe9\n")
    argv = ["--text", str(text), "--out", str(tmp_path / "d"), "--type", "char"]
    err = bad_input_error(tokenizer_main, argv, capsys)
    assert err.startswith(f"asr-tokenizer: error: {text}:2: line is not valid UTF-8")
    plain = tmp_path / "corpus.txt"
    plain.write_bytes(b"\xff\n")
    argv = ["--text", str(plain), "--out", str(tmp_path / "e"), "--type", "char"]
    assert f"{plain}:1: line is not valid UTF-8" in bad_input_error(tokenizer_main, argv, capsys)


def test_unit_tokenizer_takes_whitespace_separated_units_whole(tmp_path):
    tok = UnitTokenizer.train(["t ian1 w ai4", "t a1 zh ong1", "zh ong1 w en2"])
    assert tok.blank_id == 0 and tok.unk_id == 1 and tok.sos_eos_id == tok.vocab_size - 1
    assert tok.pieces[2:5] == ["ong1", "t", "w"]  # by frequency, then spelling
    ids = tok.encode("zh ong1  t ian1")
    assert [tok.pieces[i] for i in ids] == ["zh", "ong1", "t", "ian1"]
    assert tok.decode([0, *ids, tok.sos_eos_id]) == "zh ong1 t ian1"
    assert tok.encode("t xyz9") == [tok.encode("t")[0], tok.unk_id]
    assert tok.unk_counts == {"xyz9": 1}
    tok.save(tmp_path / "u")
    back = load_tokenizer(tmp_path / "u")
    assert type(back) is UnitTokenizer and back.pieces == tok.pieces
    text = tmp_path / "text_phn"
    text.write_text("u1 t ian1\nu2 t a1 t\n", encoding="utf-8")
    args = ["--text", str(text), "--text-format", "kaldi", "--type", "unit", "--out"]
    assert tokenizer_main([*args, str(tmp_path / "cli")]) == 0
    assert load_tokenizer(tmp_path / "cli").pieces == ["<blank>", "<unk>", "t", "a1", "ian1",
                                                       "<sos/eos>"]  # fmt: skip
