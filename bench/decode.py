"""Decoding speed of the CPU-tiny preset: real-time factor and utterances/s per method, beam, batch.

    python bench/decode.py [--threads 2] [--utts 8] [--seconds 10] [--batch 1,4,8] [--beam 1,4,10]
    python bench/decode.py --backends torch,onnx [--beam 10] [--batch 8]   # audio → hypotheses

``--backends`` compares whole transcribers on the same audio, model and threads in one run:
eager PyTorch (torchaudio fbank in Python, then the model) against the graphs ``asr-export``
writes (fbank inside the encoder graph; ONNX Runtime or TorchScript), with the same search code;
features are included here. The backends are timed in alternation, best of ``--rounds``; the last
column is the backend's speed relative to the first backend (torch).

Random weights never emit <eos>, so every utterance decodes ``--max-len-ratio`` × encoder frames
tokens (0.2 → 50 tokens for 10 s, a typical BPE transcript). RTF = wall time / audio seconds,
features excluded (fbank costs RTF ≈ 0.001, see docs). The ratio columns compare with batch 1 in
the same run: absolute times vary between machines, ratios carry. On a machine shared with other
busy processes, 2 threads can be many times slower than 1 (the threads wait for each other at
every small operation): run both ``--threads 1`` and ``--threads 2`` and report the load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import yaml

from asr.data.features import FbankOptions
from asr.decode import decode
from asr.decode.transcriber import Transcriber
from asr.export.parity import probe_waves
from asr.export.runtime import GraphModel
from asr.export.writers import export_model
from asr.models import ASRModel

PRESET = Path(__file__).resolve().parents[1] / "conf" / "model" / "tiny.yaml"


def tiny_model(vocab_size: int) -> torch.nn.Module:
    cfg = yaml.safe_load(PRESET.read_text())
    cfg.update(vocab_size=vocab_size, specaug=None)
    del cfg["_target_"]
    torch.manual_seed(0)
    return ASRModel(**cfg).eval()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--utts", type=int, default=8, help="utterances decoded per configuration")
    p.add_argument("--seconds", type=float, default=10.0, help="duration of each utterance")
    p.add_argument("--vocab", type=int, default=500)
    p.add_argument("--max-len-ratio", type=float, default=0.2)
    p.add_argument("--methods", default="ctc_greedy,ctc_prefix_beam,attention_greedy,"
                   "attention_beam,attention_rescoring,joint_ctc_attention")  # fmt: skip
    p.add_argument("--beam", default="4,10")
    p.add_argument("--batch", default="1,4,8")
    p.add_argument("--backends", help="e.g. torch,onnx: compare transcribers from audio instead")
    p.add_argument("--rounds", type=int, default=3, help="with --backends: best of N, alternated")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = tiny_model(args.vocab)
    if args.backends:
        compare_backends(model, args)
        return
    frames = int(args.seconds * 100)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.utts, frames, model.cmvn_mean.numel(), generator=g)
    lens = torch.full((args.utts,), frames)
    audio = args.utts * args.seconds
    print(f"tiny preset, {model.num_params() / 1e6:.1f} M params, vocab {args.vocab}, "
          f"{args.utts} × {args.seconds:g} s, {args.threads} threads, "
          f"{args.max_len_ratio:g} tokens/frame")  # fmt: skip
    print(f"{'method':<22}{'beam':>5}{'batch':>6}{'RTF':>9}{'utt/s':>8}{'× batch 1':>11}")
    for method in args.methods.split(","):
        beams = (
            [1] if method in ("ctc_greedy", "attention_greedy") else map(int, args.beam.split(","))
        )
        for beam in beams:
            base = None
            for bs in map(int, args.batch.split(",")):
                decode(model, x[:bs, :200], torch.full((bs,), 200), method, beam=beam)  # warm up
                start = time.perf_counter()
                for i in range(0, args.utts, bs):
                    decode(model, x[i : i + bs], lens[i : i + bs], method, beam=beam,
                           max_len_ratio=args.max_len_ratio)  # fmt: skip
                wall = time.perf_counter() - start
                base = base or wall
                print(f"{method:<22}{beam:>5}{bs:>6}{wall / audio:>9.4f}{args.utts / wall:>8.2f}"
                      f"{base / wall:>11.2f}", flush=True)  # fmt: skip


def compare_backends(model: ASRModel, args: argparse.Namespace) -> None:
    """RTF of each backend's transcriber on the same utterances, method by method."""
    options = FbankOptions()
    one = probe_waves(options, model.min_input_frames)[-1]  # 1.7 s of gliding harmonics
    reps = int(args.seconds * options.sample_rate) // one.numel() + 1
    waves = [one.repeat(reps)[: int(args.seconds * options.sample_rate)] for _ in range(args.utts)]
    audio = args.utts * args.seconds
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        models = {"torch": model}
        for backend in backends:
            if backend != "torch":
                export_model(model, options, Path(tmp) / backend, backend)
                models[backend] = GraphModel.load(Path(tmp) / backend, backend, args.threads)
        beam, batch = int(args.beam.split(",")[-1]), int(args.batch.split(",")[-1])
        print(f"tiny preset, {model.num_params() / 1e6:.1f} M params, vocab {args.vocab}, "
              f"{args.utts} × {args.seconds:g} s, {args.threads} threads, beam {beam}, "
              f"batch {batch}, {args.max_len_ratio:g} tokens/frame, features included")  # fmt: skip
        print(f"{'method':<22}{'backend':>12}{'RTF':>9}{'× torch':>9}")
        for method in args.methods.split(","):
            transcribers = {
                backend: Transcriber(models[backend], None, method=method, beam=beam,
                                     batch_size=batch, max_len_ratio=args.max_len_ratio)
                for backend in backends
            }  # fmt: skip
            best = dict.fromkeys(backends, float("inf"))
            for t in transcribers.values():
                t.decode_features([t.features(w[:8000]) for w in waves[:batch]])  # warm up
            for _ in range(args.rounds):  # in alternation: load changes hit every backend alike
                for backend, t in transcribers.items():
                    start = time.perf_counter()
                    t.decode_features([t.features(w) for w in waves])
                    best[backend] = min(best[backend], time.perf_counter() - start)
            for backend in backends:
                print(f"{method:<22}{backend:>12}{best[backend] / audio:>9.4f}"
                      f"{best[backends[0]] / best[backend]:>9.2f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
