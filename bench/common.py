"""Shared helpers for the benchmarks: batches, timing, FLOP counting, peak memory.

Every script in bench/ reports ratios measured in one process (ours ÷ a reference taken in the
same run, with the same threads), because absolute times on a shared 2-core machine move by
±20 % within a day and 2× between machines.
"""

from __future__ import annotations

import contextlib
import functools
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

REPO = Path(__file__).resolve().parent.parent
FRAME_SHIFT_S = 0.01  # Kaldi fbank frame shift: 100 frames per second of audio
PRESETS = ("tiny", "transformer", "conformer")


def preset_config(preset: str) -> dict[str, Any]:
    """conf/model/<preset>.yaml as a plain dict (``_target_`` and the nested specaug kept)."""
    from omegaconf import OmegaConf

    path = REPO / "conf" / "model" / f"{preset}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no model preset {path}")
    return OmegaConf.to_container(OmegaConf.load(path))


def build_ours(preset: str, vocab_size: int, **overrides: Any) -> torch.nn.Module:
    """Our ``ASRModel`` from a preset, exactly as Hydra builds it for training."""
    from hydra.utils import instantiate

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # lets the ESPnet venv import our package too
    cfg = preset_config(preset)
    cfg.update(vocab_size=vocab_size, **overrides)
    return instantiate(cfg)


def make_train_step(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, FakeBatch], torch.Tensor],
    batch: FakeBatch,
    precision: str = "fp32",
    lr: float = 1e-3,
    clip: float = 5.0,
) -> Callable[[], torch.Tensor]:
    """One training step as a closure: forward, backward, gradient clipping, Adam update.

    ``loss_fn(model, batch)`` returns the scalar loss, so the same step drives our model and a
    peer's. ``precision="bf16"`` runs the forward under bf16 autocast (weights stay float32).
    """
    device = batch.x.device
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    if precision == "bf16":
        autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16)  # noqa: E731
    elif precision == "fp32":
        autocast = contextlib.nullcontext
    else:
        raise ValueError(f"precision must be fp32 or bf16, got {precision!r}")

    def step() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        return loss.detach()

    return step


def our_loss(model: torch.nn.Module, batch: FakeBatch) -> torch.Tensor:
    return model(batch.x, batch.x_lens, batch.ys, batch.y_lens)["loss"]


def num_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@dataclass
class FakeBatch:
    """A padded fbank batch with random targets, shaped like `asr.data.batch.Batch`."""

    x: torch.Tensor  # (B, T, 80) float32
    x_lens: torch.Tensor  # (B,) int64
    ys: torch.Tensor  # (B, U) int64, padded with -1
    y_lens: torch.Tensor  # (B,) int64

    @property
    def audio_seconds(self) -> float:
        return float(self.x_lens.sum()) * FRAME_SHIFT_S

    def to(self, device: torch.device | str) -> FakeBatch:
        return FakeBatch(*(t.to(device) for t in (self.x, self.x_lens, self.ys, self.y_lens)))


def make_batch(
    batch_size: int,
    frames: int,
    tokens: int,
    vocab_size: int,
    feat_dim: int = 80,
    seed: int = 0,
) -> FakeBatch:
    """A realistic length-bucketed batch: frame and token lengths spread over 90–100 % of the max.

    Features look like log-mel fbank (mean ≈ 10, std ≈ 3); token ids avoid <blank>=0, <unk>=1
    and <sos/eos>=vocab_size-1, so they are valid targets for both CTC and the decoder.
    """
    g = torch.Generator().manual_seed(seed)
    x_lens = torch.randint(int(0.9 * frames), frames + 1, (batch_size,), generator=g)
    x_lens[0] = frames
    y_lens = torch.randint(max(1, int(0.9 * tokens)), tokens + 1, (batch_size,), generator=g)
    y_lens[0] = tokens
    x = 10.0 + 3.0 * torch.randn(batch_size, frames, feat_dim, generator=g)
    x = x.masked_fill(torch.arange(frames)[None, :, None] >= x_lens[:, None, None], 0.0)
    ys = torch.randint(2, vocab_size - 1, (batch_size, tokens), generator=g)
    ys = ys.masked_fill(torch.arange(tokens)[None, :] >= y_lens[:, None], -1)
    return FakeBatch(x, x_lens, ys, y_lens)


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_call(fn: Callable[[], object], device: torch.device | str = "cpu") -> float:
    """Wall seconds of one call, synchronising the GPU on both sides."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def interleaved_times(
    fns: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    device: torch.device | str = "cpu",
) -> dict[str, list[float]]:
    """Time several callables in alternation (a, b, a, b, ...) so machine noise hits all alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(time_call(fn, device))
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call as counted by torch (matmuls, convolutions, attention; fwd and bwd)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def matmul_reference(
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, n: int = 1024
) -> tuple[Callable[[], object], int]:
    """A plain square matmul, the machine's practical limit: ``(call, FLOPs per call)``.

    Time it interleaved with the model under test, so that both see the same machine load.
    """
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)

    def call(reps: int) -> None:
        for _ in range(reps):
            a @ b

    reps = 1
    call(1)  # warm-up: allocations, kernel selection
    while time_call(functools.partial(call, reps), device) < 0.2:
        reps *= 2
    return functools.partial(call, reps), 2 * n**3 * reps


@contextmanager
def peak_memory(device: torch.device | str = "cpu") -> Iterator[dict[str, float]]:
    """Peak tensor memory (MiB) the block adds above what is allocated at its entry.

    On CUDA from the caching allocator's statistics. On CPU from the profiler's allocation
    records (each op's own allocations and frees, in time order; frees of memory allocated before
    the block are not seen): unlike the resident set, this does not depend on what glibc keeps
    cached from earlier steps, so two models measured one after the other in one process are
    compared fairly.
    """
    result: dict[str, float] = {}
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        yield result
        torch.cuda.synchronize()
        result["peak_mib"] = (torch.cuda.max_memory_allocated() - base) / 2**20
        return
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities, profile_memory=True) as prof:
        yield result
    current = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        current += event.self_cpu_memory_usage
        peak = max(peak, current)
    result["peak_mib"] = peak / 2**20


def machine_line(device: torch.device | str = "cpu") -> str:
    """One line naming the machine, so a pasted table says where it was measured."""
    if torch.device(device).type == "cuda":
        hw = torch.cuda.get_device_name()
    else:
        hw = _cpu_model()
    return (
        f"{hw}; torch {torch.__version__}; {torch.get_num_threads()} threads; "
        f"Python {platform.python_version()}"
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            match = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
        return match.group(1).strip() if match else platform.processor()
    except OSError:
        return platform.processor()
