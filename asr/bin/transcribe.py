"""``asr-transcribe``: transcribe audio files, or a Kaldi ``wav.scp``, with a trained run directory.

    asr-transcribe --exp EXP [--method M] [--beam N] FILE...     → FILE<TAB>TEXT per file
    asr-transcribe --exp EXP --wav-scp PATH                      → UTTID TEXT (Kaldi text)

A file that cannot be read is reported on stderr and skipped; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.data.kaldi_dir import read_table
from asr.decode.api import METHODS
from asr.decode.transcriber import Transcriber


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-transcribe", description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", help="audio files (wav, flac, ogg)")
    p.add_argument("--exp", required=True, type=Path, help="run directory written by asr-train")
    p.add_argument("--wav-scp", type=Path, help="Kaldi wav.scp instead of FILE arguments")
    p.add_argument("--checkpoint", help="weights in the run dir (default: average.pt or best)")
    p.add_argument("--method", default="joint_ctc_attention", choices=METHODS)
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--ctc-weight", type=float, default=0.3)
    p.add_argument("--length-penalty", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=8, help="utterances decoded together")
    p.add_argument("--device", default="cpu")
    return p


@exits_on_bad_input("asr-transcribe")
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.files) == bool(args.wav_scp):
        parser.error("give audio FILEs or --wav-scp, not both and not neither")
    if args.wav_scp:
        entries = read_table(args.wav_scp, min_fields=2)
    else:
        entries = {f: f for f in args.files}
    transcriber = Transcriber.from_run_dir(
        args.exp,
        args.checkpoint,
        method=args.method,
        beam=args.beam,
        ctc_weight=args.ctc_weight,
        length_penalty=args.length_penalty,
        batch_size=args.batch_size,
        device=args.device,
    )
    feats, failed = {}, 0
    for key, entry in entries.items():
        try:
            feats[key] = transcriber.features(entry)
        except ValueError as e:
            print(f"asr-transcribe: skipping {key}: {e}", file=sys.stderr)
            failed += 1
    texts = transcriber.texts(transcriber.decode_features(list(feats.values())))
    sep = " " if args.wav_scp else "\t"
    for key, text in zip(feats, texts, strict=True):
        print(f"{key}{sep}{text}".rstrip(" "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
