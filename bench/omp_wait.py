"""OpenMP wait policy: training-step time with spinning (ACTIVE) vs sleeping (PASSIVE) threads.

Each configuration runs in a fresh process (libgomp reads the policy when torch loads), with
the tiny preset on one realistic batch (80 x 2.5 s, 15 tokens), on an idle machine and beside
one busy competitor process, as a DataLoader worker or a second job would be.

    python bench/omp_wait.py [--threads 2] [--steps 3]
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
                 specaug=SpecAugment())
B, T, U = 80, 250, 15
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


def step_time(env_vars: dict[str, str], threads: int, steps: int, competitor: bool) -> float:
    """Seconds per step of the tiny preset in a fresh process with ``env_vars`` set."""
    env = {**os.environ, **env_vars}
    stop = mp.Event()
    busy = mp.Process(target=_busy, args=(stop,)) if competitor else None
    if busy:
        busy.start()
        time.sleep(0.5)
    try:
        code = CHILD.format(threads=threads, steps=steps)
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
    args = parser.parse_args()
    print(f"tiny preset, batch 80 x 2.5 s, {args.threads} threads, {os.cpu_count()} cores")
    print("| competitor | ACTIVE s/step | PASSIVE s/step | ACTIVE / PASSIVE |")
    print("|---|---|---|---|")
    for competitor in (False, True):
        active = step_time({"OMP_WAIT_POLICY": "ACTIVE"}, args.threads, args.steps, competitor)
        passive = step_time({"OMP_WAIT_POLICY": "PASSIVE"}, args.threads, args.steps, competitor)
        label = "one busy process" if competitor else "none"
        print(f"| {label} | {active:.2f} | {passive:.2f} | {active / passive:.2f} |")


if __name__ == "__main__":
    main()
