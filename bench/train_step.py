"""Training-step speed of each model preset, measured against the machine's own matmul limit.

For each preset: forward + backward + clip + Adam on a fixed, realistic padded batch. Prints
seconds per step, audio seconds trained per wall second, FLOPs per step (torch's FlopCounterMode:
matmuls, convolutions, attention, forward and backward), the achieved FLOP/s as a fraction of a
plain square matmul's FLOP/s (timed in alternation with the steps, same threads and dtype, so
both see the same machine load), and the peak memory a step adds.

    .venv/bin/python bench/train_step.py                       # CPU, all presets, fp32
    .venv/bin/python bench/train_step.py --presets tiny --profile
    .venv/bin/python bench/train_step.py --presets tiny --dropout 0 [--compile]
    .venv/bin/python bench/train_step.py --device cuda --precision bf16 --batch 64
    .venv/bin/python bench/train_step.py --presets tiny --dropout 0 --precision fp32 bf16
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import torch
from common import (
    PRESETS,
    FakeBatch,
    build_ours,
    count_flops,
    interleaved_times,
    machine_line,
    make_batch,
    make_train_step,
    matmul_reference,
    median,
    num_params,
    our_loss,
    peak_memory,
)

# Default batch per preset on 2 CPU cores: the tiny preset gets the realistic 16 × 10 s batch;
# the 30 M-parameter presets a smaller one so that the whole run takes minutes. Vocabularies are
# those of the recipes: characters for the offline recipe, 5000 BPE units for LibriSpeech-100.
DEFAULT_BATCH = {
    "tiny": dict(batch=16, seconds=10.0, tokens=50, vocab=64),
    "transformer": dict(batch=4, seconds=10.0, tokens=50, vocab=5000),
    "conformer": dict(batch=4, seconds=10.0, tokens=50, vocab=5000),
}
GPU_BATCH = dict(batch=64, seconds=15.0, tokens=75)


@dataclass
class StepResult:
    preset: str
    precision: str
    params: int
    batch: str
    seconds_per_step: float
    per_round: list[float]
    audio_per_second: float
    flops: int
    matmul_flops_per_s: float
    flop_ratio: float
    peak_mib: float
    profile: str | None


def bench_preset(
    preset: str,
    batch: FakeBatch,
    vocab: int,
    device: str,
    precisions: list[str],
    repeats: int,
    profile: bool,
    dropout: float | None = None,
    compile_model: bool = False,
) -> list[StepResult]:
    """One row per precision; the precisions' steps and their matmul references are all timed
    in alternation, so their ratios are measured under the same load."""
    torch.manual_seed(0)
    overrides = {} if dropout is None else {"dropout": dropout}
    model = build_ours(preset, vocab, **overrides).to(device)
    # torch.compile (inductor) of the whole model; the first steps below compile it.
    runnable = torch.compile(model) if compile_model else model
    fns, flops, peaks, matmul_flops = {}, {}, {}, {}
    for precision in precisions:
        flops[precision] = count_flops(make_train_step(model, our_loss, batch, precision))
        step = make_train_step(runnable, our_loss, batch, precision)
        step()  # warm-up: allocations, Adam state (and compilation)
        with peak_memory(device) as mem:
            step()
        peaks[precision] = mem["peak_mib"]
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        matmul, matmul_flops[precision] = matmul_reference(
            device, dtype, 8192 if device == "cuda" else 1024
        )
        fns[precision], fns[f"matmul {precision}"] = step, matmul
    times = interleaved_times(fns, repeats, warmup=0, device=device)
    b, t = batch.x.shape[:2]
    results = []
    for precision in precisions:
        seconds = min(times[precision])  # the least-disturbed repeat, as timeit reports
        reference = matmul_flops[precision] / min(times[f"matmul {precision}"])
        results.append(
            StepResult(
                preset=preset,
                precision=precision,
                params=num_params(model),
                batch=f"{b}×{t / 100:g}s/{batch.ys.shape[1]}tok",
                seconds_per_step=seconds,
                per_round=times[precision],
                audio_per_second=batch.audio_seconds / seconds,
                flops=flops[precision],
                matmul_flops_per_s=reference,
                flop_ratio=flops[precision] / seconds / reference,
                peak_mib=peaks[precision],
                profile=top_ops(fns[precision], device) if profile else None,
            )
        )
    return results


def top_ops(step: Callable[[], object], device: str, top: int = 12) -> str:
    """The ops that dominate one step (self time), to say where a missed goal goes."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        step()
    key = "self_device_time_total" if device == "cuda" else "self_cpu_time_total"
    return prof.key_averages().table(sort_by=key, row_limit=top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument(
        "--precision",
        nargs="+",
        default=["fp32"],
        choices=("fp32", "bf16"),
        help="one row each, timed in alternation; the first is the ratios' base",
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--batch", type=int, help="utterances per batch (default: per preset)")
    parser.add_argument("--seconds", type=float, help="longest utterance in seconds")
    parser.add_argument("--tokens", type=int, help="longest transcript in tokens")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per preset")
    parser.add_argument("--profile", action="store_true", help="print the top ops of one step")
    parser.add_argument("--dropout", type=float, help="override the presets' dropout rate")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible")

    extra = (f"; dropout {args.dropout:g}" if args.dropout is not None else "") + (
        "; torch.compile" if args.compile else ""
    )
    print(f"# {machine_line(args.device)}{extra}")
    print()
    print(
        "| preset | precision | params | batch | best s/step | audio s / wall s | GFLOP/step "
        "| matmul GFLOP/s | FLOP ratio | peak MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    profiles, ratios = [], []
    for preset in args.presets:
        defaults = dict(DEFAULT_BATCH[preset])
        if args.device == "cuda":
            defaults.update(GPU_BATCH)
        b = args.batch or defaults["batch"]
        seconds = args.seconds or defaults["seconds"]
        tokens = args.tokens or defaults["tokens"]
        vocab = defaults["vocab"]
        batch = make_batch(b, round(seconds * 100), tokens, vocab).to(args.device)
        results = bench_preset(
            preset, batch, vocab, args.device, args.precision, args.repeats, args.profile,
            args.dropout, args.compile,
        )  # fmt: skip
        for r in results:
            print(
                f"| {r.preset} | {r.precision} | {r.params / 1e6:.1f} M | {r.batch} "
                f"| {r.seconds_per_step:.2f} | {r.audio_per_second:.1f} | {r.flops / 1e9:.0f} "
                f"| {r.matmul_flops_per_s / 1e9:.0f} | {r.flop_ratio:.2f} | {r.peak_mib:.0f} |",
                flush=True,
            )
            if r.profile:
                profiles.append(f"\nTop ops of one {preset} {r.precision} step:\n{r.profile}")
        base = results[0]
        for r in results[1:]:
            per_round = median([t / t0 for t, t0 in zip(r.per_round, base.per_round, strict=True)])
            ratios.append(
                f"{preset}: {r.precision} step ÷ {base.precision} step = "
                f"{r.seconds_per_step / base.seconds_per_step:.2f} (best of each), "
                f"{per_round:.2f} (median of the per-round ratios)"
            )
    print("\n".join(["", *ratios] if ratios else []))
    print("\n".join(profiles))


if __name__ == "__main__":
    main()
