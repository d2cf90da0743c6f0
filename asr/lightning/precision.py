"""``trainer.precision=auto``: bf16 autocast where the hardware computes in bf16 natively,
float32 elsewhere.

A CPU with bf16 dot-product instructions (x86 AVX512_BF16 or AMX-BF16, Arm BF16) runs oneDNN's
bf16 matmuls at about 4x the float32 rate, and a tiny-preset step on 16 x 10 s takes 0.45 of a
float32 one. On the synth_en recipe's small batches the training loop gained nothing, so that
recipe stays in float32 (docs/benchmarks.md). Without those instructions torch emulates bf16 and
a step gets slower. So the choice depends on the machine a run lands on, and is made there.
"""

from __future__ import annotations

from pathlib import Path

import torch

AUTO = "auto"
BF16 = "bf16-mixed"
FP32 = "32-true"
# /proc/cpuinfo names of the instructions that make a bf16 matmul native: x86, then Arm.
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first CPU's instruction-set flags (x86 ``flags``, Arm ``Features``); empty where
    ``cpuinfo`` does not exist (not Linux), so that ``auto`` falls back to float32 there."""
    if not cpuinfo.is_file():
        return frozenset()
    for line in cpuinfo.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def auto_precision(accelerator: str, flags: frozenset[str] | None = None) -> str:
    """What ``trainer.precision=auto`` means on ``accelerator``: ``bf16-mixed`` on a CPU with
    native bf16 (``flags``, default: this machine's) or a GPU that supports bf16; else
    ``32-true`` on a CPU and ``16-mixed`` on a GPU."""
    if accelerator == "cpu":
        native = NATIVE_BF16_FLAGS & (cpu_flags() if flags is None else flags)
        return BF16 if native else FP32
    if accelerator in ("gpu", "cuda"):
        return BF16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "16-mixed"
    raise ValueError(
        f"trainer.precision=auto needs trainer.accelerator cpu or gpu, got {accelerator!r}: "
        "set trainer.precision explicitly"
    )
