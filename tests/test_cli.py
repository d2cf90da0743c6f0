"""The rule every command line tool follows on bad input: one line on stderr, exit status 2."""

from __future__ import annotations

import pytest

from asr.bin.cli import exits_on_bad_input
from asr.data.kaldi_dir import KaldiDirError
from tests.cli_helpers import bad_input_error


@exits_on_bad_input("asr-demo")
def demo_main(argv: list[str]) -> int:
    kind = argv[0]
    if kind == "input":
        raise KaldiDirError("data/text:3: first line\n  second line")
    if kind == "missing":
        raise FileNotFoundError("cuts manifest not found: data/cuts.jsonl.gz")
    if kind == "bug":
        raise KeyError("a programming error")
    return 0


def test_bad_input_becomes_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.delenv("ASR_DEBUG", raising=False)
    err = bad_input_error(demo_main, ["input"], capsys)
    assert err == "asr-demo: error: data/text:3: first line; second line"
    err = bad_input_error(demo_main, ["missing"], capsys)
    assert err == "asr-demo: error: cuts manifest not found: data/cuts.jsonl.gz"
    assert demo_main(["fine"]) == 0


def test_a_programming_error_still_shows_its_traceback(monkeypatch):
    monkeypatch.delenv("ASR_DEBUG", raising=False)
    with pytest.raises(KeyError):
        demo_main(["bug"])


def test_asr_debug_shows_the_traceback_of_bad_input(monkeypatch):
    monkeypatch.setenv("ASR_DEBUG", "1")
    with pytest.raises(KaldiDirError, match="data/text:3"):
        demo_main(["input"])
