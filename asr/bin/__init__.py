"""Command-line entry points (argparse CLIs and Hydra apps); the only place configs are read.

OpenMP threads that spin while waiting stall whenever another process (a DataLoader worker, a
second rank, another job) wants the same core: a training step measured 19 s instead of 3 s on
2 shared cores (bench/omp_wait.py). Passive waiting costs little on an idle
machine, so it is the default for every CLI; it must be set before torch is first imported, and
an explicit OMP_WAIT_POLICY in the environment wins.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
