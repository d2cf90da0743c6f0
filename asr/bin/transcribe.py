"""``asr-transcribe``: transcribe audio files, or a Kaldi ``wav.scp``, with a trained model.

    asr-transcribe --model MODEL [--method M] [--beam N] FILE...  → FILE<TAB>TEXT per file
    asr-transcribe --model MODEL --wav-scp PATH                   → UTTID TEXT (Kaldi text)
    asr-transcribe --model MODEL --backend onnx FILE...           → the graphs of asr-export
    asr-transcribe --model MODEL --streaming --chunk 16 [--partials] FILE...

MODEL is a packed folder (asr-pack), a run directory, or a Hugging Face repo id (``--exp`` is
the same option); a packed model's decoding defaults apply to the options not given.

``--streaming`` decodes each file chunk by chunk as if its audio arrived in ``--packet-ms``
pieces (a model trained with ``model.streaming``); ``--partials`` prints every new partial
transcript to stderr. A file that cannot be read is reported on stderr and skipped; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.data.kaldi_dir import read_table
from asr.decode.api import METHODS
from asr.decode.streaming import STREAMING_METHODS
from asr.decode.transcriber import Transcriber
from asr.errors import InputError
from asr.pretrained.loading import BACKENDS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-transcribe", description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", help="audio files (wav, flac, ogg)")
    p.add_argument(
        "--model", "--exp", dest="model", required=True,
        help="packed model folder, run directory or Hugging Face repo id",
    )  # fmt: skip
    p.add_argument("--backend", default="torch", choices=BACKENDS)
    p.add_argument("--wav-scp", type=Path, help="Kaldi wav.scp instead of FILE arguments")
    p.add_argument("--checkpoint", help="weights in the run dir (default: average.pt or best)")
    p.add_argument(
        "--method", choices=METHODS, help="default: the packed model's, else joint_ctc_attention; "
        "--streaming takes attention_rescoring (its default with a decoder) or ctc_prefix_beam",
    )  # fmt: skip
    p.add_argument("--beam", type=int, help="default: the packed model's, else 10")
    p.add_argument("--ctc-weight", type=float, help="default: the packed model's, else 0.3")
    p.add_argument("--length-penalty", type=float, help="default: the packed model's, else 0")
    p.add_argument("--no-lm", action="store_true", help="leave a packed model's n-gram LM out")
    p.add_argument("--batch-size", type=int, default=8, help="utterances decoded together")
    p.add_argument("--device", default="cpu")
    p.add_argument("--streaming", action="store_true", help="decode chunk by chunk")
    p.add_argument("--chunk", type=int, default=16, help="streaming chunk, encoder frames")
    p.add_argument("--left-chunks", type=int, default=-1, help="chunks attended (-1: all)")
    p.add_argument("--packet-ms", type=float, default=100.0, help="streaming audio piece, ms")
    p.add_argument("--partials", action="store_true", help="print partial transcripts to stderr")
    return p


@exits_on_bad_input("asr-transcribe")
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.files) == bool(args.wav_scp):
        parser.error("give audio FILEs or --wav-scp, not both and not neither")
    if args.streaming and args.method not in (None, *STREAMING_METHODS):
        choices = " or ".join(STREAMING_METHODS)
        parser.error(f"--streaming decodes with {choices}, not {args.method}")
    if args.streaming and (args.chunk < 1 or args.packet_ms <= 0):
        parser.error("--chunk must be >= 1 and --packet-ms > 0")
    if args.wav_scp:
        entries = read_table(args.wav_scp, min_fields=2)
    else:
        entries = {f: f for f in args.files}
    given = dict(
        method=args.method,
        beam=args.beam,
        ctc_weight=args.ctc_weight,
        length_penalty=args.length_penalty,
    )
    options = {k: v for k, v in given.items() if v is not None}
    if args.no_lm:
        options["lm"] = None
    transcriber = Transcriber.from_pretrained(
        args.model,
        args.backend,
        args.checkpoint,
        batch_size=args.batch_size,
        device=args.device,
        **options,
    )
    sep = " " if args.wav_scp else "\t"
    if args.streaming:
        return stream_entries(transcriber, entries, args, sep)
    feats, failed = {}, 0
    for key, entry in entries.items():
        try:
            feats[key] = transcriber.features(entry)
        except ValueError as e:
            print(f"asr-transcribe: skipping {key}: {e}", file=sys.stderr)
            failed += 1
    texts = transcriber.texts(transcriber.decode_features(list(feats.values())))
    for key, text in zip(feats, texts, strict=True):
        print(f"{key}{sep}{text}".rstrip(" "))
    return 1 if failed else 0


def stream_entries(
    transcriber: Transcriber, entries: dict[str, str], args: argparse.Namespace, sep: str
) -> int:
    """Decode each entry chunk by chunk, its audio fed in ``--packet-ms`` pieces."""
    try:
        transcriber.stream(args.chunk, args.left_chunks, args.method)  # a model that cannot stream
    except ValueError as e:
        raise InputError(f"{args.model}: {e}") from None
    step = max(1, round(transcriber.sample_rate * args.packet_ms / 1000))
    failed = 0
    for key, entry in entries.items():
        try:
            wave = transcriber.waveform(entry)
        except ValueError as e:
            print(f"asr-transcribe: skipping {key}: {e}", file=sys.stderr)
            failed += 1
            continue
        stream = transcriber.stream(args.chunk, args.left_chunks, args.method)
        shown = ""
        for start in range(0, wave.numel(), step):
            partial = stream.feed(wave[start : start + step])
            if args.partials and partial != shown:
                print(f"{key} (partial){sep}{partial}", file=sys.stderr)
                shown = partial
        text = stream.finish()
        if stream.frames == 0:
            print(f"asr-transcribe: skipping {key}: audio too short to decode", file=sys.stderr)
            failed += 1
            continue
        print(f"{key}{sep}{text}".rstrip(" "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
