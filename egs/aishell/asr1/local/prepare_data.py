#!/usr/bin/env python3
"""AISHELL-1 tree → data/{train,dev,test} Kaldi dirs, through lhotse's ``prepare_aishell``.

CORPUS_DIR holds ``data_aishell/{wav,transcript}``. lhotse drops utterances without a
transcript line and joins the words of each transcript into one string of characters.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhotse.recipes import prepare_aishell

from asr.recipes.kaldi_export import write_kaldi_dir


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("corpus_dir", type=Path, help="the folder that contains data_aishell/")
    p.add_argument("out_dir", type=Path)
    args = p.parse_args(argv)

    transcript = args.corpus_dir / "data_aishell" / "transcript" / "aishell_transcript_v0.8.txt"
    if not transcript.is_file():
        print(f"error: {transcript} not found (is CORPUS_DIR the parent of data_aishell?)",
              file=sys.stderr)  # fmt: skip
        return 1
    manifests = prepare_aishell(args.corpus_dir)
    for part in ("train", "dev", "test"):
        m = manifests[part]
        n = write_kaldi_dir(args.out_dir / part, [(m["recordings"], m["supervisions"])])
        print(f"{part}: {n} utterances")
    return 0


if __name__ == "__main__":
    sys.exit(main())
