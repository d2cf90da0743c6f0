"""Training-step time of model variants against a baseline, timed in alternation in one process.

For the levers of a CPU budget (front end, subsampling, width, depth): each variant is the
baseline model config with some keys changed, trained on the same padded batch with the same
step (forward, backward, clip, Adam). Steps are timed in rounds (baseline, variant 1, ...), so
machine load hits every variant alike, and each variant's time is printed as a ratio to the
baseline's: the number of steps a time budget buys, relative to the baseline.

    .venv/bin/python bench/variants.py                  # the synth_en recipe's model and batch
    .venv/bin/python bench/variants.py --variant x8:subsampling=8 --variant wide:d_model=192
"""

from __future__ import annotations

import argparse
import statistics

import torch
import yaml
from common import (
    build_ours,
    interleaved_times,
    machine_line,
    make_batch,
    make_train_step,
    num_params,
    our_loss,
)

# The synth_en experiment's model (conf/experiment/synth_en.yaml over the tiny preset).
RECIPE_MODEL = {"subsampling": 6, "dropout": 0.0, "specaug": None}
DEFAULT_VARIANTS = [
    "x8:subsampling=8",
    "x8dw64:subsampling=8,subsampling_depthwise=true,subsampling_channels=64",
    "x8dw144:subsampling=8,subsampling_depthwise=true,subsampling_channels=144",
    "x6dw64:subsampling_depthwise=true,subsampling_channels=64",
]


def parse_variant(text: str) -> tuple[str, dict]:
    """``name:key=value,key=value`` -> (name, overrides), values read as YAML scalars."""
    name, _, assignments = text.partition(":")
    overrides = {}
    for item in filter(None, assignments.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{text!r}: expected key=value, got {item!r}")
        overrides[key] = yaml.safe_load(value)
    return name, overrides


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", action="append", type=parse_variant, help="name:key=value,...")
    p.add_argument("--batch", type=int, default=25, help="utterances (50 s batches of ~2 s)")
    p.add_argument("--seconds", type=float, default=2.2, help="longest utterance")
    p.add_argument("--tokens", type=int, default=18, help="longest transcript")
    p.add_argument("--vocab", type=int, default=256)
    p.add_argument("--repeats", type=int, default=8)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    variants = [("baseline", {})] + (args.variant or [parse_variant(v) for v in DEFAULT_VARIANTS])
    batch = make_batch(args.batch, round(args.seconds * 100), args.tokens, args.vocab)
    steps, params = {}, {}
    for name, overrides in variants:
        torch.manual_seed(0)
        model = build_ours("tiny", args.vocab, **{**RECIPE_MODEL, **overrides})
        steps[name] = make_train_step(model, our_loss, batch)
        params[name] = num_params(model)
    times = interleaved_times(steps, args.repeats)
    base = times["baseline"]
    print(f"# {machine_line('cpu')}; batch {args.batch} x {args.seconds:g} s, {args.tokens} tok")
    print("| variant | overrides | params | best s/step | ratio (best) | ratio (median paired) |")
    print("|---|---|---|---|---|---|")
    for name, overrides in variants:
        paired = statistics.median(t / b for t, b in zip(times[name], base, strict=True))
        change = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "synth_en model"
        print(
            f"| {name} | {change} | {params[name] / 1e6:.2f} M | {min(times[name]):.3f} "
            f"| {min(times[name]) / min(base):.2f} | {paired:.2f} |"
        )


if __name__ == "__main__":
    main()
