"""Data-pipeline speed and batching quality.

1. Loader throughput, in seconds of audio delivered per wall second (× real time), for
   on-the-fly fbank and precomputed features with 0, 1 and 2 DataLoader workers, on generated
   audio written as a Kaldi dir, beside the in-process cost of decode + fbank alone (the
   reference: a ratio ≈ 1 means the loader adds nothing to the feature work).
2. Padding efficiency (real ÷ padded frames) of the bucketing sampler on a LibriSpeech-like
   1-35 s duration distribution (durations only, no audio), for several sampler settings.

    .venv/bin/python bench/data.py                 # both parts, 5 min of audio, ~1.5 min
    .venv/bin/python bench/data.py --minutes 10 --part loader
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lhotse import CutSet, MonoCut  # noqa: E402

from asr.data.dataset import AsrDataset  # noqa: E402
from asr.data.features import cut_features, precompute_features  # noqa: E402
from asr.data.loader import make_dataloader, make_sampler  # noqa: E402
from asr.data.prepare import prepare_kaldi_dir  # noqa: E402
from asr.data.tokenizer import CharTokenizer  # noqa: E402
from tests.data.fixtures import write_kaldi_dir  # noqa: E402


def librispeech_like(n: int, seed: int = 0) -> np.ndarray:
    """Durations 1-35 s, mode near 12-15 s, mean ≈ 14 s: the shape of LibriSpeech train."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.gamma(shape=6.0, scale=2.2, size=n) + 1.0, 1.0, 35.0).round(2)


def timed_epoch(loader, epoch: int) -> tuple[float, float]:
    """(audio seconds, wall seconds) of one pass; frames → seconds at 100 frames/s."""
    loader.sampler.set_epoch(epoch)
    start = time.perf_counter()
    frames = sum(int(b.x_lens.sum()) for b in loader)
    return frames / 100, time.perf_counter() - start


def bench_loader(minutes: float, max_duration: float, workers: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        n = max(4, int(minutes * 60 / 10))
        data = write_kaldi_dir(tmp, n_utts=n, seed=0, min_seconds=2.0, max_seconds=18.0)
        cuts, _ = prepare_kaldi_dir(data, progress=False)
        audio_s = sum(c.duration for c in cuts)
        tokenizer = CharTokenizer.train(c.supervisions[0].text for c in cuts)
        precomputed = precompute_features(cuts, Path(tmp) / "feats", progress=False)

        start = time.perf_counter()
        for cut in cuts:
            cut_features(cut)
        ref = audio_s / (time.perf_counter() - start)
        print(
            f"\n# loader: {len(cuts)} utterances, {audio_s / 60:.1f} min of 16 kHz wav, "
            f"max_duration={max_duration}, torch threads={torch.get_num_threads()}"
        )
        print(f"reference, decode + fbank in-process, no loader: {ref:8.0f}x real time")
        print(f"{'features':<12} {'workers':>7} {'x real time':>12} {'÷ reference':>12}")
        for name, cs in (("on-the-fly", cuts), ("precomputed", precomputed)):
            for w in workers:
                sampler = make_sampler(cs, max_duration=max_duration, num_buckets=10, seed=0)
                loader = make_dataloader(AsrDataset(tokenizer), sampler, num_workers=w)
                timed_epoch(loader, 0)  # warm-up: worker start, page cache, resamplers
                seconds, wall = timed_epoch(loader, 1)
                speed = seconds / wall
                print(f"{name:<12} {w:>7} {speed:>12.0f} {speed / ref:>12.2f}")
                del loader


def padding_efficiency(batches: list[CutSet]) -> float:
    real = sum(sum(round(c.duration * 100) for c in b) for b in batches)
    padded = sum(len(b) * max(round(c.duration * 100) for c in b) for b in batches)
    return real / padded


def bench_padding(num_cuts: int) -> None:
    durations = librispeech_like(num_cuts)
    cuts = CutSet.from_cuts(
        MonoCut(id=f"c{i}", start=0.0, duration=float(d), channel=0)
        for i, d in enumerate(durations)
    )
    lo, hi, mean = durations.min(), durations.max(), durations.mean()
    print(f"\n# padding efficiency: {num_cuts} cuts, {lo:.1f}-{hi:.1f} s, mean {mean:.1f} s")
    print(
        f"{'max_duration':>12} {'num_buckets':>11} {'quadratic':>9} {'batches':>7} "
        f"{'cuts/batch':>10} {'efficiency':>10}"
    )
    for max_duration in (200.0, 600.0, 1200.0):
        for num_buckets in (10, 30, 50):
            for quadratic in (None, 15.0):
                sampler = make_sampler(
                    cuts, max_duration, num_buckets, seed=0, quadratic_duration=quadratic
                )
                batches = list(sampler)
                eff = padding_efficiency(batches)
                per_batch = num_cuts / len(batches)
                q = quadratic or "-"
                print(
                    f"{max_duration:>12.0f} {num_buckets:>11} {q:>9} {len(batches):>7} "
                    f"{per_batch:>10.1f} {eff:>10.3f}"
                )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["all", "loader", "padding"], default="all")
    p.add_argument("--minutes", type=float, default=5.0, help="generated audio for the loader")
    p.add_argument("--max-duration", type=float, default=200.0, help="loader batch budget (s)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--num-cuts", type=int, default=30000, help="cuts for the padding part")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads in this process (workers always use 1, as DataLoader sets)",
    )
    args = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    if args.part in ("all", "loader"):
        bench_loader(args.minutes, args.max_duration, args.workers)
    if args.part in ("all", "padding"):
        bench_padding(args.num_cuts)


if __name__ == "__main__":
    main()
