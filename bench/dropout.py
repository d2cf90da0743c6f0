"""Dropout on CPU: torch's ``nn.Dropout`` (``bernoulli_`` mask) vs ours (hashed mask).

Times forward + backward of one dropout on activations of the sizes the offline recipe and the
tiny preset produce, the two implementations in alternation in one process, and prints the
milliseconds per million elements and our time ÷ torch's. A plain multiply of the same tensor
is the floor: what applying any mask costs.

    .venv/bin/python bench/dropout.py [--p 0.1] [--repeats 20]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial

import torch
from common import REPO, interleaved_times, machine_line
from torch import nn

sys.path.insert(0, str(REPO))
from asr.models.dropout import Dropout  # noqa: E402

# (batch, frames, channels): synth_en's 50 s batches of ~2 s utterances after ×6 subsampling,
# model and FFN width; the tiny bench preset's 16 × 10 s batch after ×4.
SHAPES = [(25, 33, 144), (25, 33, 576), (16, 250, 144), (16, 250, 576)]


def forward_backward(drop: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> None:
    torch.autograd.grad(drop(x), x, torch.ones_like(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=float, default=0.1, help="dropout rate")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"# {machine_line('cpu')}; p = {args.p}, forward + backward, best of {args.repeats}")
    print()
    print("| activation | elements | torch ms/M | ours ms/M | multiply ms/M | ours / torch |")
    print("|---|---|---|---|---|---|")
    for shape in SHAPES:
        x = torch.randn(shape, requires_grad=True)
        fns = {
            "torch": partial(forward_backward, nn.Dropout(args.p), x),
            "ours": partial(forward_backward, Dropout(args.p), x),
            "multiply": partial(forward_backward, partial(torch.mul, other=1.1), x),
        }
        times = interleaved_times(fns, args.repeats, warmup=2)
        per_m = {name: min(ts) * 1e3 / (x.numel() / 1e6) for name, ts in times.items()}
        print(
            f"| {'×'.join(map(str, shape))} | {x.numel():,} | {per_m['torch']:.2f} "
            f"| {per_m['ours']:.2f} | {per_m['multiply']:.2f} "
            f"| {per_m['ours'] / per_m['torch']:.2f} |"
        )


if __name__ == "__main__":
    main()
