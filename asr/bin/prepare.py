"""asr-prepare: turn a Kaldi data directory into validated lhotse cuts (+ CMVN, features).

    asr-prepare KALDI_DIR OUT_DIR [--min-duration S] [--max-duration S]
                [--speed-perturb 0.9,1.0,1.1] [--cmvn] [--precompute-features]
                [--aux-text NAME]

Writes OUT_DIR/cuts.jsonl.gz and OUT_DIR/prepare_report.json (kept and dropped-by-reason
counts, every dropped utterance named); with --cmvn OUT_DIR/cmvn.json, with
--precompute-features OUT_DIR/feats/. --aux-text NAME reads KALDI_DIR/NAME, a second
transcript table (phones, pinyin units) kept in each cut for an auxiliary CTC.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.data.augment import speed_perturb
from asr.data.cmvn import compute_cmvn
from asr.data.features import precompute_features
from asr.data.prepare import CUTS_NAME, REPORT_NAME, prepare_kaldi_dir, save_cuts


def _factors(text: str) -> list[float]:
    try:
        return [float(f) for f in text.split(",") if f.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-prepare", description=__doc__.splitlines()[0])
    p.add_argument(
        "kaldi_dir", type=Path, help="Kaldi data dir: wav.scp, text[, utt2spk, segments]"
    )
    p.add_argument("out_dir", type=Path, help="where cuts.jsonl.gz and the report go")
    p.add_argument("--min-duration", type=float, default=0.1, help="drop shorter utterances (s)")
    p.add_argument("--max-duration", type=float, default=None, help="drop longer utterances (s)")
    p.add_argument(
        "--speed-perturb",
        type=_factors,
        default=None,
        metavar="F1,F2,...",
        help="add speed-perturbed copies, e.g. 0.9,1.0,1.1 (training sets only)",
    )
    p.add_argument("--cmvn", action="store_true", help="write global CMVN stats (training set)")
    p.add_argument("--precompute-features", action="store_true", help="store fbank on disk")
    p.add_argument("--num-mel-bins", type=int, default=80)
    p.add_argument(
        "--aux-text",
        default=None,
        metavar="NAME",
        help="a second transcript table in KALDI_DIR (e.g. text_phn) for an auxiliary CTC",
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


@exits_on_bad_input("asr-prepare")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    progress = not args.no_progress
    cuts, report = prepare_kaldi_dir(
        args.kaldi_dir,
        min_duration=args.min_duration,
        max_duration=args.max_duration,
        progress=progress,
        aux_text=args.aux_text,
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    report.save(args.out_dir / REPORT_NAME)
    if report.kept == 0:
        print(f"asr-prepare: error: no usable utterance in {args.kaldi_dir}", file=sys.stderr)
        return 1
    if args.speed_perturb:
        cuts = speed_perturb(cuts, args.speed_perturb)
    if args.precompute_features:
        cuts = precompute_features(cuts, args.out_dir / "feats", args.num_mel_bins, progress)
    if args.cmvn:
        compute_cmvn(cuts, args.num_mel_bins, progress).save(args.out_dir / "cmvn.json")
    save_cuts(cuts, args.out_dir / CUTS_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
