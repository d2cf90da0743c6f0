"""``asr-average EXP [--num N] [--mode best|last] [--out PATH]``: average checkpoint weights.

``best`` takes the N epoch checkpoints with the lowest validation loss, ``last`` the N with the
highest global step; the result is a weights-only model file that decoding loads by default.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.lightning.average import average_checkpoints
from asr.pretrained.checkpoints import select_checkpoints

log = logging.getLogger(__name__)


@exits_on_bad_input("asr-average")
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="asr-average",
        description="Average the weights of a run's N best or last N epoch checkpoints.",
    )
    parser.add_argument("exp_dir", type=Path, help="run directory written by asr-train")
    parser.add_argument("--num", type=int, default=10, help="how many checkpoints (default 10)")
    parser.add_argument("--mode", choices=("best", "last"), default="best")
    parser.add_argument("--out", type=Path, help="output file (default EXP/average.pt)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    paths = select_checkpoints(args.exp_dir / "checkpoints", args.num, args.mode)
    out = average_checkpoints(paths, args.out or args.exp_dir / "average.pt")
    log.info("averaged %d checkpoints (%s) into %s", len(paths), args.mode, out)
    for path in paths:
        log.info("  %s", path.name)


if __name__ == "__main__":
    main()
