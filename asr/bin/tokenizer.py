"""asr-tokenizer: train a character, unit or SentencePiece tokenizer from training text.

    asr-tokenizer --text FILE_OR_CUTS --type char|unit|bpe|unigram [--vocab-size N] --out DIR

FILE_OR_CUTS is a cuts manifest (*.jsonl[.gz]), a Kaldi ``text`` file (``UTTID words``), or
plain text (one sentence per line); --text-format overrides the guess from the name.
``unit`` makes one token of every whitespace-separated unit (phones, pinyin initials/finals:
the targets of an auxiliary CTC, ``asr-prepare --aux-text``).
Writes DIR/tokenizer.json (char, unit) or DIR/tokenizer.model + DIR/tokenizer.json (sentencepiece).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.data.kaldi_dir import read_lines, read_text
from asr.data.prepare import load_cuts
from asr.data.tokenizer import CharTokenizer, SentencePieceTokenizer, UnitTokenizer


def guess_format(path: Path) -> str:
    """``cuts`` for *.jsonl[.gz], ``kaldi`` for a file named ``text``, else ``plain``."""
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return "cuts"
    return "kaldi" if path.name == "text" else "plain"


def read_texts(path: Path, fmt: str = "auto") -> Iterator[str]:
    """Transcripts from cuts, a Kaldi ``text`` file or plain lines (UTF-8), blank ones left out.

    Text files go through the one Kaldi-table reader (``asr.data.kaldi_dir``).
    """
    fmt = guess_format(path) if fmt == "auto" else fmt
    if fmt == "cuts":
        for cut in load_cuts(path):
            yield " ".join(s.text or "" for s in cut.supervisions)
        return
    if fmt == "kaldi":
        yield from (text for text in read_text(path).values() if text)
        return
    for _, line in read_lines(path):
        yield line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-tokenizer", description=__doc__.splitlines()[0])
    p.add_argument("--text", type=Path, required=True, help="cuts manifest, Kaldi text or plain")
    p.add_argument("--text-format", choices=["auto", "cuts", "kaldi", "plain"], default="auto")
    p.add_argument("--type", choices=["char", "unit", "bpe", "unigram"], required=True)
    p.add_argument("--vocab-size", type=int, default=None, help="sentencepiece: total vocab size")
    p.add_argument(
        "--space",
        choices=["auto", "keep", "drop"],
        default="auto",
        help="char: keep spaces as '▁' (English) or drop them (Chinese); auto decides from text",
    )
    p.add_argument("--out", type=Path, required=True, help="output directory")
    return p


@exits_on_bad_input("asr-tokenizer")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    texts = read_texts(args.text, args.text_format)
    if args.type == "char":
        keep_space = {"auto": None, "keep": True, "drop": False}[args.space]
        tokenizer = CharTokenizer.train(texts, keep_space=keep_space)
    elif args.type == "unit":
        tokenizer = UnitTokenizer.train(texts)
    else:
        if args.vocab_size is None:
            print("asr-tokenizer: error: --vocab-size is required for bpe/unigram", file=sys.stderr)
            return 2
        tokenizer = SentencePieceTokenizer.train(list(texts), args.vocab_size, args.type)
    tokenizer.save(args.out)
    print(f"asr-tokenizer: {args.type} tokenizer, vocab_size={tokenizer.vocab_size} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
