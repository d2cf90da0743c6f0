"""Length-bucketed dynamic batches and the DataLoader around them.

Batches hold a budget of audio seconds (``max_duration``), not a count of utterances, and
come from lhotse's ``DynamicBucketingSampler``: cuts of similar length share a batch, so
little of a batch is padding. Shuffling is reproducible from ``(seed, epoch)``; call
``sampler.set_epoch(epoch)`` before each epoch.

Distributed: each rank builds the same sampler with its ``rank``; lhotse draws
``world_size`` batches at a time and hands rank ``r`` the ``r``-th, so every rank gets the
same number of batches. With ``drop_last=False`` the final short round is split across ranks,
so each utterance is used exactly once per epoch (duplicates only appear when fewer cuts than
ranks remain). ``sampler.state_dict()`` / ``load_state_dict()`` resume mid-epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

import torch
from lhotse import CutSet
from lhotse.dataset import DynamicBucketingSampler

from asr.data.dataset import AsrDataset


@dataclass(frozen=True)
class _DurationWithin:
    """A picklable duration predicate (a lambda would not survive DataLoader workers)."""

    low: float
    high: float

    def __call__(self, cut) -> bool:
        return self.low <= cut.duration <= self.high


def filter_by_duration(
    cuts: CutSet, min_duration: float = 0.0, max_duration: float | None = None
) -> CutSet:
    """Keep cuts with ``min_duration <= duration <= max_duration`` (lazily for lazy cuts)."""
    upper = float("inf") if max_duration is None else max_duration
    return cuts.filter(_DurationWithin(min_duration, upper))


def make_sampler(
    cuts: CutSet,
    max_duration: float,
    num_buckets: int = 30,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
    quadratic_duration: float | None = None,
    world_size: int | None = None,
    rank: int | None = None,
    buffer_size: int = 20000,
) -> DynamicBucketingSampler:
    """A ``DynamicBucketingSampler`` with at most ``max_duration`` seconds of audio per batch.

    ``quadratic_duration`` (seconds) makes long cuts cost more, as attention does: a cut of
    duration d counts as ``d + d**2 / quadratic_duration``. ``world_size``/``rank`` default to
    torch.distributed's when it is initialised, else 1/0. A set with fewer cuts than
    ``num_buckets`` (a tiny dev set) gets one bucket per cut.
    """
    num_buckets = max(1, min(num_buckets, sum(1 for _ in islice(cuts, num_buckets))))
    return DynamicBucketingSampler(
        cuts,
        max_duration=max_duration,
        num_buckets=num_buckets,
        shuffle=shuffle,
        seed=seed,
        drop_last=drop_last,
        quadratic_duration=quadratic_duration,
        world_size=world_size,
        rank=rank,
        buffer_size=buffer_size,
    )


def make_dataloader(
    dataset: AsrDataset,
    sampler: DynamicBucketingSampler,
    num_workers: int = 2,
    prefetch_factor: int | None = 4,
) -> torch.utils.data.DataLoader:
    """DataLoader yielding one :class:`~asr.data.batch.Batch` per sampler batch."""
    return torch.utils.data.DataLoader(
        dataset,
        sampler=sampler,
        batch_size=None,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        prefetch_factor=prefetch_factor if num_workers > 0 else None,
    )
