"""``asr-train-lm TEXT... --out LM.json [--order 3] [--unit char] [--plain]``: an n-gram LM.

Each TEXT is a Kaldi ``text`` file (``utt-id word word ...``), where every transcript counts once
per utterance it labels, or with ``--plain`` a text corpus of one sentence per line. The LM's
vocabulary is the words of these sentences (``--unit char``: their characters, spaces dropped,
for scripts written without spaces), and decoding with it (``asr-decode lm=LM.json``) spells
only those words.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.data.kaldi_dir import read_lines, read_text
from asr.lm import NgramLM
from asr.lm.ngram import UNITS

log = logging.getLogger(__name__)


@exits_on_bad_input("asr-train-lm")
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="asr-train-lm", description="Train a word or character n-gram LM on transcripts."
    )
    parser.add_argument("text", type=Path, nargs="+", help="Kaldi text file(s)")
    parser.add_argument(
        "--plain", action="store_true", help="TEXT files hold one sentence per line, no ids"
    )
    parser.add_argument("--out", type=Path, required=True, help="LM file to write (JSON)")
    parser.add_argument("--order", type=int, default=3, help="n-gram order (default 3)")
    parser.add_argument(
        "--unit", choices=UNITS, default="word", help="LM unit: word (default) or char"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    texts = [t for path in args.text for t in _sentences(path, args.plain)]
    sentences = [t.split() if args.unit == "word" else list("".join(t.split())) for t in texts]
    lm = NgramLM.train((s for s in sentences if s), order=args.order, unit=args.unit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    lm.save(args.out)
    log.info(
        "%d-gram %s LM on %d sentences, %d %ss -> %s",
        args.order, args.unit, len(sentences), len(lm.words), args.unit, args.out,
    )  # fmt: skip


def _sentences(path: Path, plain: bool) -> list[str]:
    if plain:
        return [line for _, line in read_lines(path)]
    return list(read_text(path).values())


if __name__ == "__main__":
    main()
