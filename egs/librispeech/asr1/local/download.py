#!/usr/bin/env python3
"""Download and extract LibriSpeech subsets with lhotse's own recipe (needs a network)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lhotse.recipes import download_librispeech


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("target_dir", type=Path, help="the tree lands in TARGET_DIR/LibriSpeech")
    p.add_argument("--parts", required=True, help="comma-separated, e.g. train-clean-100,dev-clean")
    args = p.parse_args()
    download_librispeech(args.target_dir, dataset_parts=list(dict.fromkeys(args.parts.split(","))))


if __name__ == "__main__":
    main()
