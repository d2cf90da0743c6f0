"""``asr-export MODEL_DIR --format onnx|torchscript``: a packed model's graphs, checked.

    asr-export exp/synth_en/packed --format onnx      # → exp/synth_en/packed/onnx/*.onnx

Writes the encoder (samples → fbank → CMVN → encoder → CTC log-probs), the decoder's
cross-attention init and its cached step as separate graphs with dynamic batch and time axes and
the model's metadata inside, then compares them with the eager model on utterances of several
lengths, batched and alone: it prints the largest absolute difference of every output and
whether CTC greedy, attention rescoring and joint CTC/attention give identical hypotheses, and
exits 1 when a difference exceeds --tolerance or a hypothesis differs (2 on bad input). The
encoder graph is the full-context one, for a streaming model too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from asr.bin.cli import exits_on_bad_input
from asr.errors import InputError
from asr.export.parity import TOLERANCE, check_parity, probe_waves
from asr.export.runtime import GraphModel, ModuleRunner
from asr.export.writers import FORMATS, export_model
from asr.pretrained.loading import load_model
from asr.pretrained.packed import PackedConfig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-export", description=__doc__.splitlines()[0])
    p.add_argument("model_dir", type=Path, help="packed model folder written by asr-pack")
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--out", type=Path, help="output folder (default: MODEL_DIR/FORMAT)")
    p.add_argument("--tolerance", type=float, default=TOLERANCE, help="largest |Δ| allowed")
    p.add_argument("--optimize", action="store_true", help="run onnxscript's optimiser (slower)")
    p.add_argument("--no-check", action="store_true", help="skip the parity check")
    return p


@exits_on_bad_input("asr-export")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = PackedConfig.read(args.model_dir)
    model = load_model(args.model_dir).model
    out = args.out or args.model_dir / args.format
    try:
        files = export_model(
            model, config.features, out, args.format, config.weights_sha256, args.optimize
        )
    except ImportError as e:  # torch.onnx's exporter needs onnx and onnxscript
        raise InputError(f"{e}: pip install 'asr[export]'") from None
    for path in files.values():
        print(f"asr-export: wrote {path}")
    if args.no_check:
        return 0
    eager = GraphModel(ModuleRunner.eager(model, config.features))
    exported = GraphModel.load(out, args.format, threads=torch.get_num_threads())
    report = check_parity(eager, exported, probe_waves(config.features, model.min_input_frames))
    for line in report.lines():
        print(f"asr-export: {line}")
    if not report.ok(args.tolerance):
        print(f"asr-export: parity check FAILED (tolerance {args.tolerance:g})", file=sys.stderr)
        return 1
    print(f"asr-export: parity check passed (tolerance {args.tolerance:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
