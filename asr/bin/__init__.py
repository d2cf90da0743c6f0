"""Command-line entry points (argparse CLIs and Hydra apps); the only place configs are read.

OpenMP threads that spin while waiting stall whenever another process (a DataLoader worker, a
second rank, another job) wants the same core: beside one busy process a 2-thread training step
took 4.6 s spinning and 3.0 s sleeping, and 20 s against 2.9 s on a heavily shared machine
(bench/omp_wait.py, docs/benchmarks.md). So passive waiting is the default for every CLI; it must
be set before torch is first imported, and an explicit OMP_WAIT_POLICY in the environment wins.
A process with its cores to itself trains small batches faster spinning (a synth_en step: 0.24-0.31
s against 0.42 s), so the recipes, which run alone, set ACTIVE (egs/tools/recipe.sh).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
