#!/usr/bin/env python3
"""Download and extract AISHELL-1 (data_aishell) with lhotse's own recipe (needs a network)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lhotse.recipes import download_aishell


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("target_dir", type=Path, help="the tree lands in TARGET_DIR/aishell")
    args = p.parse_args()
    download_aishell(args.target_dir)


if __name__ == "__main__":
    main()
