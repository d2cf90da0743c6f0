"""Memory allocator: training-step time under glibc's malloc vs tcmalloc (as the recipes run).

The allocator is chosen when a process starts (LD_PRELOAD), so each configuration runs in a
fresh process, the two in alternation, with bench/omp_wait.py's tiny-preset step on one
realistic batch (80 × 2.5 s, 15 tokens). Prints the best time of each and tcmalloc ÷ glibc.

    .venv/bin/python bench/allocator.py [--rounds 3] [--steps 3]
"""

from __future__ import annotations

import argparse
import ctypes.util
import os

from omp_wait import step_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per allocator")
    args = parser.parse_args()
    tcmalloc = ctypes.util.find_library("tcmalloc_minimal")
    if tcmalloc is None:
        parser.error("libtcmalloc_minimal not found: apt-get install libtcmalloc-minimal4")
    configs = {"glibc": {"LD_PRELOAD": ""}, "tcmalloc": {"LD_PRELOAD": tcmalloc}}
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, env in configs.items():
            times[name].append(step_time(env, args.threads, args.steps, competitor=False))
    glibc, tc = min(times["glibc"]), min(times["tcmalloc"])
    print(f"tiny preset, batch 80 x 2.5 s, {args.threads} threads, {os.cpu_count()} cores")
    print("| glibc s/step | tcmalloc s/step | tcmalloc / glibc |")
    print("|---|---|---|")
    print(f"| {glibc:.3f} | {tc:.3f} | {tc / glibc:.2f} |")


if __name__ == "__main__":
    main()
