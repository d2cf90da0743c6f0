"""The one Kaldi-table reader: BOM, separators, line endings, bad bytes, and its callers."""

from __future__ import annotations

import pytest

from asr.data.kaldi_dir import KaldiDirError, read_lines, read_table, read_text
from asr.data.prepare import prepare_kaldi_dir

from .fixtures import write_kaldi_dir

BOM = "\ufeff".encode()


def test_bom_crlf_and_tabs_read_like_plain_lines(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(b"u1 hello world\nu2 good  morning\nu3\n")
    odd = tmp_path / "odd"
    odd.write_bytes(BOM + b"u1\thello world\r\nu2 \t good\tmorning \r\n\r\nu3\r\n")
    expected = {"u1": "hello world", "u2": "good morning", "u3": ""}
    assert read_text(odd) == read_text(plain) == expected
    assert list(read_table(odd)) == ["u1", "u2", "u3"]


def test_a_bom_starting_a_later_line_is_dropped_too(tmp_path):
    path = tmp_path / "text"  # `cat a/text b/text` where each file starts with a BOM
    path.write_bytes(BOM + b"u1 one\n" + BOM + b"u2 two\n")
    assert read_text(path) == {"u1": "one", "u2": "two"}


def test_a_bom_cannot_hide_a_duplicate_id(tmp_path):
    path = tmp_path / "text"
    path.write_bytes(BOM + b"u1 the first transcript\nu2 x\nu1 another line's transcript\n")
    with pytest.raises(KaldiDirError, match=r"text:3: duplicate id 'u1' \(first seen at line 1\)"):
        read_text(path)


def test_non_utf8_names_file_and_line_for_plain_lines_too(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"fine\n\ncaf\xe9\n")
    with pytest.raises(KaldiDirError, match=r"corpus.txt:3: line is not valid UTF-8"):
        list(read_lines(path))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(KaldiDirError, match=rf"^{tmp_path / 'nope'}: no such file$"):
        read_table(tmp_path / "nope")


def test_prepare_keeps_the_bom_first_utterance_and_the_counts_add_up(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=0)
    clean = {c.id: c.supervisions[0].text for c in prepare_kaldi_dir(data, progress=False)[0]}
    for name in ("text", "wav.scp", "utt2spk"):
        (data / name).write_bytes(BOM + (data / name).read_bytes().replace(b" ", b"\t", 1))
    cuts, report = prepare_kaldi_dir(data, progress=False)
    assert {c.id: c.supervisions[0].text for c in cuts} == clean
    assert report.entries == report.kept == 3 and not report.dropped
    assert all(c.supervisions[0].speaker == c.id.split("-")[0] for c in cuts)
