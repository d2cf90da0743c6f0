"""OpenMP wait policy: training-step time with threads that spin (ACTIVE), sleep at once
(PASSIVE), or spin a while and then sleep (libgomp's default: OMP_WAIT_POLICY unset).

Each configuration runs in a fresh process (libgomp reads the policy when torch loads), with
the tiny preset on one batch (default 80 x 2.5 s, 15 tokens; the synth_en recipe's batches are
about 24 x 2.4 s at subsampling 6), on an idle machine and beside one busy competitor process,
as a DataLoader worker or a second job would be.

    python bench/omp_wait.py [--threads 2] [--steps 3]
    python bench/omp_wait.py --batch 24 --frames 240 --subsampling 6 --steps 20
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time

CHILD = """
import time, torch
from asr.models import ASRModel, SpecAugment
torch.manual_seed(0)
torch.set_num_threads({threads})
model = ASRModel(256, encoder="conformer", d_model=144, encoder_layers=6, encoder_ffn_dim=576,
                 decoder_layers=3, decoder_ffn_dim=576, conv_kernel=15, subsampling_channels=32,
                 subsampling={subsampling}, specaug=SpecAugment())
B, T, U = {batch}, {frames}, 15
x, xl = torch.randn(B, T, 80), torch.full((B,), T)
ys, yl = torch.randint(1, 255, (B, U)), torch.full((B,), U)
opt = torch.optim.AdamW(model.parameters(), 1e-3)
def step():
    opt.zero_grad(); model(x, xl, ys, yl)["loss"].backward(); opt.step()
step()
t = time.perf_counter()
for _ in range({steps}):
    step()
print((time.perf_counter() - t) / {steps})
"""


def _busy(stop: mp.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


POLICIES = {"ACTIVE": "ACTIVE", "PASSIVE": "PASSIVE", "default": None}  # None: unset


def step_time(policy: str | None, shape: dict[str, int], competitor: bool) -> float:
    """Seconds per step of the tiny preset in a fresh process under OpenMP wait ``policy``
    (None: unset); ``shape`` holds the child's threads, steps, batch, frames, subsampling."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    stop = mp.Event()
    busy = mp.Process(target=_busy, args=(stop,)) if competitor else None
    if busy:
        busy.start()
        time.sleep(0.5)
    try:
        code = CHILD.format(**shape)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)  # fmt: skip
    finally:
        if busy:
            stop.set()
            busy.join()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=80, help="utterances per batch")
    parser.add_argument("--frames", type=int, default=250, help="fbank frames per utterance")
    parser.add_argument("--subsampling", type=int, default=4, choices=(4, 6, 8))
    args = parser.parse_args()
    shape = dict(threads=args.threads, steps=args.steps, batch=args.batch, frames=args.frames,
                 subsampling=args.subsampling)  # fmt: skip
    print(
        f"tiny preset, batch {args.batch} x {args.frames / 100:g} s, subsampling "
        f"{args.subsampling}, {args.threads} threads, {os.cpu_count()} cores"
    )
    print("| competitor | ACTIVE s/step | PASSIVE s/step | default s/step | ACTIVE / PASSIVE "
          "| default / PASSIVE |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for competitor in (False, True):
        t = {name: step_time(policy, shape, competitor) for name, policy in POLICIES.items()}
        label = "one busy process" if competitor else "none"
        print(
            f"| {label} | {t['ACTIVE']:.3f} | {t['PASSIVE']:.3f} | {t['default']:.3f} "
            f"| {t['ACTIVE'] / t['PASSIVE']:.2f} | {t['default'] / t['PASSIVE']:.2f} |"
        )


if __name__ == "__main__":
    main()
