"""``asr-train-lm TEXT... --out LM.json [--order 3]``: a word n-gram LM from Kaldi transcripts.

Each TEXT is a Kaldi ``text`` file (``utt-id word word ...``); every distinct transcript line
counts once per utterance it labels. The LM's vocabulary is the words of these transcripts, and
decoding with it (``asr-decode lm=LM.json``) spells only those words.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from asr.lm import NgramLM
from asr.scoring.text import read_kaldi_text

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="asr-train-lm", description="Train a word n-gram LM on Kaldi transcripts."
    )
    parser.add_argument("text", type=Path, nargs="+", help="Kaldi text file(s)")
    parser.add_argument("--out", type=Path, required=True, help="LM file to write (JSON)")
    parser.add_argument("--order", type=int, default=3, help="n-gram order (default 3)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    sentences = [t.split() for path in args.text for t in read_kaldi_text(path).values()]
    lm = NgramLM.train((s for s in sentences if s), order=args.order)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lm.save(args.out)
    log.info(
        "%d-gram LM on %d sentences, %d words -> %s",
        args.order, len(sentences), len(lm.words), args.out,
    )  # fmt: skip


if __name__ == "__main__":
    main()
