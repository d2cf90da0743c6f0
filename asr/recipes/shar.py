"""Export prepared cuts to lhotse Shar shards, for training that streams its data.

A Shar directory holds ``cuts.NNNNNN.jsonl.gz`` + ``recording.NNNNNN.tar`` pairs (audio as
flac inside the tars): sequential reads of a few large files, which suits object stores
and many nodes reading at once, where millions of small files do not. Read it back with
``lhotse.CutSet.from_shar(in_dir=DIR)``.
    python -m asr.recipes.shar data/train/cuts.jsonl.gz data/train/shar [--shard-size 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhotse import CutSet


def export_shar(cuts_path: str | Path, out_dir: str | Path, shard_size: int = 1000) -> int:
    """Write ``out_dir`` as Shar shards of ``shard_size`` cuts; returns the number of shards."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: remove it first (old shards would mix in)")
    out.mkdir(parents=True, exist_ok=True)
    cuts = CutSet.from_file(cuts_path)
    written = cuts.to_shar(out, fields={"recording": "flac"}, shard_size=shard_size, verbose=False)
    return len(written["cuts"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cuts", type=Path, help="cuts.jsonl.gz written by asr-prepare")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--shard-size", type=int, default=1000, help="cuts per shard")
    args = p.parse_args(argv)
    try:
        shards = export_shar(args.cuts, args.out_dir, args.shard_size)
    except FileExistsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {shards} shards to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
