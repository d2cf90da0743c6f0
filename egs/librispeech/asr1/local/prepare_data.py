#!/usr/bin/env python3
"""LibriSpeech tree → Kaldi dirs, through lhotse's ``prepare_librispeech`` (no own parser).

Writes OUT/<part>/ for each part and, with --combine NAME=P1,P2,..., one dir for the union
(e.g. train_960). Transcripts stay as the corpus has them (upper case), as in ESPnet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhotse.recipes import prepare_librispeech

from asr.recipes.kaldi_export import write_kaldi_dir


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("corpus_dir", type=Path, help="the extracted LibriSpeech/ folder")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--parts", required=True, help="comma-separated subsets to prepare")
    p.add_argument("--combine", action="append", default=[], metavar="NAME=P1,P2")
    p.add_argument("--nj", type=int, default=2, help="threads reading audio headers")
    args = p.parse_args(argv)

    parts = list(dict.fromkeys(args.parts.split(",")))  # in order, without repeats
    missing = [part for part in parts if not (args.corpus_dir / part).is_dir()]
    if missing:
        print(f"error: {args.corpus_dir} has no {', '.join(missing)}", file=sys.stderr)
        return 1
    manifests = prepare_librispeech(args.corpus_dir, dataset_parts=parts, num_jobs=args.nj)
    pairs = {part: (m["recordings"], m["supervisions"]) for part, m in manifests.items()}
    for part in parts:
        n = write_kaldi_dir(args.out_dir / part, [pairs[part]])
        print(f"{part}: {n} utterances")
    for spec in args.combine:
        name, members = spec.split("=", 1)
        n = write_kaldi_dir(args.out_dir / name, [pairs[m] for m in members.split(",")])
        print(f"{name}: {n} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
