"""asr-score: score two Kaldi text files (ours or another toolkit's), sclite-style report.

asr-score REF HYP [--cer] [--json PATH] [--alignments PATH] [--lowercase] [--remove-punct]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.scoring import (
    alignment_text,
    make_normalizer,
    read_kaldi_text,
    score,
    summary_dict,
    summary_text,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-score", description=__doc__.splitlines()[0])
    p.add_argument("ref", type=Path, help="reference Kaldi text (UTTID TEXT per line)")
    p.add_argument("hyp", type=Path, help="hypothesis Kaldi text")
    p.add_argument("--cer", action="store_true", help="character error rate (whitespace dropped)")
    p.add_argument("--json", type=Path, help="write the summary as JSON here")
    p.add_argument("--alignments", type=Path, help="write per-utterance alignments here")
    p.add_argument("--lowercase", action="store_true", help="fold case before scoring")
    p.add_argument("--remove-punct", action="store_true", help="drop punctuation before scoring")
    return p


@exits_on_bad_input("asr-score")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    normalize = make_normalizer(lowercase=args.lowercase, remove_punct=args.remove_punct)
    scores = score(read_kaldi_text(args.ref), read_kaldi_text(args.hyp), args.cer, normalize)
    print(summary_text(scores, title=f"{args.hyp} vs {args.ref}"), end="")
    if args.json:
        args.json.write_text(json.dumps(summary_dict(scores), indent=2, ensure_ascii=False) + "\n")
    if args.alignments:
        args.alignments.write_text("\n".join(alignment_text(u) for u in scores.utts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
