"""Kaldi text files and the text-normalization hook applied before scoring.

A Kaldi text file holds one ``UTTID TEXT`` line per utterance; an id alone on its line is an
empty transcript. ``read_kaldi_text`` is the project's one Kaldi-table reader
(``asr.data.kaldi_dir.read_text``), so a BOM, tabs, CRLF, non-UTF-8 bytes and duplicate ids are
treated here as by every other command. Scoring compares *units*: words for WER, characters for
CER (whitespace is dropped for CER, the convention for Chinese and Japanese test sets).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

from asr.data.kaldi_dir import read_text as read_kaldi_text

Normalizer = Callable[[str], str]

_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def write_kaldi_text(path: str | Path, texts: Mapping[str, str]) -> None:
    """Write ``UTTID TEXT`` lines, ids sorted (the order Kaldi tools expect)."""
    with open(path, "w", encoding="utf-8") as f:
        for utt in sorted(texts):
            f.write(f"{utt} {texts[utt]}".rstrip() + "\n")


def make_normalizer(lowercase: bool = False, remove_punct: bool = False) -> Normalizer:
    """A text normalizer: optional case folding and punctuation removal, then whitespace collapse.

    Apostrophes inside words (``don't``) are kept; other Unicode punctuation is removed, so the
    same hook serves English and Chinese (full-width ``，。`` included).
    """

    def normalize(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        if lowercase:
            text = text.lower()
        if remove_punct:
            text = _PUNCT.sub(" ", text.replace("_", " "))
        return " ".join(text.split())

    return normalize


def to_units(text: str, cer: bool) -> list[str]:
    """Split a transcript into scoring units: words, or characters without whitespace."""
    if cer:
        return [c for c in text if not c.isspace()]
    return text.split()


__all__ = [
    "Normalizer",
    "make_normalizer",
    "read_kaldi_text",
    "to_units",
    "write_kaldi_text",
]
