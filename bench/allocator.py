"""Memory allocator: training-step time under glibc's malloc vs tcmalloc (as the recipes run).

The allocator is chosen when a process starts (LD_PRELOAD), so each configuration runs in a
fresh process, in alternation, with bench/omp_wait.py's tiny-preset step on one
realistic batch (80 × 2.5 s, 15 tokens). Prints the best time of each and its ratio to glibc.

    .venv/bin/python bench/allocator.py [--rounds 3] [--steps 3] [--allocators tcmalloc jemalloc]
"""

from __future__ import annotations

import argparse
import ctypes.util
import os

from omp_wait import step_time

# Preloaded as the allocator (its default settings), and the Debian package that has it.
LIBRARIES = {"tcmalloc": "tcmalloc_minimal", "jemalloc": "jemalloc"}
PACKAGES = {"tcmalloc": "libtcmalloc-minimal4", "jemalloc": "libjemalloc2"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per process")
    parser.add_argument("--rounds", type=int, default=3, help="processes per allocator")
    parser.add_argument(
        "--allocators", nargs="+", default=["tcmalloc"], choices=list(LIBRARIES),
        help="compared with glibc's malloc (default: tcmalloc, which the recipes use)",
    )  # fmt: skip
    args = parser.parse_args()
    configs = {"glibc": {"LD_PRELOAD": ""}}
    for name in args.allocators:
        library = ctypes.util.find_library(LIBRARIES[name])
        if library is None:
            parser.error(f"lib{LIBRARIES[name]} not found: apt-get install {PACKAGES[name]}")
        configs[name] = {"LD_PRELOAD": library}
    times: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(args.rounds):
        for name, env in configs.items():
            times[name].append(step_time(env, args.threads, args.steps, competitor=False))
    glibc = min(times["glibc"])
    print(f"tiny preset, batch 80 x 2.5 s, {args.threads} threads, {os.cpu_count()} cores")
    print("| allocator | best s/step | ÷ glibc |")
    print("|---|---|---|")
    for name, ts in times.items():
        print(f"| {name} | {min(ts):.3f} | {min(ts) / glibc:.2f} |")


if __name__ == "__main__":
    main()
