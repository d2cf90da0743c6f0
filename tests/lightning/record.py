"""A callback for subprocess tests: appends ``<global_step> <utt ids...>`` per training batch."""

from __future__ import annotations

import os
import time

import pytorch_lightning as pl

from asr.data.batch import Batch


class RecordBatchIds(pl.Callback):
    """Writes one line per batch to ``<path>.rank<R>`` (flushed at once, so a SIGKILL keeps it);
    ``delay`` seconds of sleep per batch let a test kill the run mid-epoch."""

    def __init__(self, path: str, delay: float = 0.0) -> None:
        self.path = path
        self.delay = delay

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Batch, batch_idx: int
    ) -> None:
        with open(f"{self.path}.rank{trainer.global_rank}", "a") as f:
            f.write(f"{trainer.global_step} {' '.join(batch.ids)}\n")
            f.flush()
            os.fsync(f.fileno())
        time.sleep(self.delay)


def read_records(path: str) -> list[tuple[int, list[str]]]:
    """``[(global_step, ids), ...]`` in the order the batches were trained."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    return [(int(row[0]), row[1:]) for row in rows]
