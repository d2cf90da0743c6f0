"""LightningDataModule: cut manifests + tokenizer → lhotse-bucketed train and dev loaders.

Distributed training shards batches in the lhotse sampler (rank-aware, equal batch counts per
rank), so the Trainer must run with ``use_distributed_sampler=False``.

Resuming mid-epoch: the checkpoint stores the epoch and how many batches of it were trained.
Skipping that many batches of the reproducible ``(seed, epoch)`` batch stream puts the sampler
back where training stopped. The count comes from the training loop, not from the sampler,
because DataLoader workers and Lightning's prefetch draw batches before they are trained on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl
import torch
from lhotse import CutSet
from lhotse.dataset import DynamicBucketingSampler

from asr.data.dataset import AsrDataset
from asr.data.loader import filter_by_duration, make_dataloader, make_sampler
from asr.data.prepare import load_cuts, require_aux_transcripts
from asr.data.tokenizer import Tokenizer


class ResumableSampler(torch.utils.data.Sampler):
    """A lhotse sampler whose next epoch can start after the first ``n`` batches."""

    def __init__(self, sampler: DynamicBucketingSampler) -> None:
        self.sampler = sampler
        self.epoch = 0
        self._skip: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.sampler.set_epoch(epoch)

    def skip(self, epoch: int, num_batches: int) -> None:
        """Drop the first ``num_batches`` batches of ``epoch`` when it is next iterated (once)."""
        self._skip = (epoch, num_batches)

    def __iter__(self) -> Iterator[CutSet]:
        # A lhotse sampler is its own iterator and ``iter()`` restarts it, so it is advanced
        # with ``next`` only (``yield from`` or ``for`` would call ``iter`` again).
        batches = iter(self.sampler)
        skip = self._skip[1] if self._skip is not None and self._skip[0] == self.epoch else 0
        self._skip = None
        while (batch := next(batches, None)) is not None:
            if skip > 0:
                skip -= 1
                continue
            yield batch

    def state_dict(self) -> dict[str, Any]:
        return self.sampler.state_dict()


class ASRDataModule(pl.LightningDataModule):
    """Train/dev DataLoaders of :class:`~asr.data.batch.Batch` from ``cuts.jsonl.gz`` files.

    ``max_duration`` is the audio seconds per batch (per rank); ``seed`` fixes the shuffling.
    Cuts outside ``[min_duration, max_utt_duration]`` are left out of training.
    ``aux_tokenizer`` (for an auxiliary CTC) encodes the cuts' auxiliary transcripts.
    """

    def __init__(
        self,
        train_cuts: str,
        dev_cuts: str,
        tokenizer: Tokenizer,
        max_duration: float = 200.0,
        num_buckets: int = 30,
        num_workers: int = 2,
        seed: int = 0,
        num_mel_bins: int = 80,
        dither: float = 0.0,
        min_duration: float = 0.0,
        max_utt_duration: float | None = None,
        quadratic_duration: float | None = None,
        buffer_size: int = 20000,
        aux_tokenizer: Tokenizer | None = None,
    ) -> None:
        super().__init__()
        self.aux_tokenizer = aux_tokenizer
        self.train_cuts_path = train_cuts
        self.dev_cuts_path = dev_cuts
        self.tokenizer = tokenizer
        self.max_duration = max_duration
        self.num_buckets = num_buckets
        self.num_workers = num_workers
        self.seed = seed
        self.num_mel_bins = num_mel_bins
        self.dither = dither
        self.min_duration = min_duration
        self.max_utt_duration = max_utt_duration
        self.quadratic_duration = quadratic_duration
        self.buffer_size = buffer_size
        self.train_sampler: ResumableSampler | None = None
        self._resume: tuple[int, int] | None = None

    def setup(self, stage: str) -> None:
        """With an auxiliary tokenizer, refuse cuts without auxiliary transcripts up front."""
        if self.aux_tokenizer is not None:
            for path in (self.train_cuts_path, self.dev_cuts_path):
                require_aux_transcripts(path)

    def _world(self) -> tuple[int, int]:
        trainer = self.trainer
        return (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)

    def _make_train_sampler(self, world_size: int, rank: int) -> DynamicBucketingSampler:
        cuts = filter_by_duration(
            load_cuts(self.train_cuts_path), self.min_duration, self.max_utt_duration
        )
        return make_sampler(
            cuts,
            self.max_duration,
            num_buckets=self.num_buckets,
            shuffle=True,
            seed=self.seed,
            quadratic_duration=self.quadratic_duration,
            world_size=world_size,
            rank=rank,
            buffer_size=self.buffer_size,
        )

    def batches_per_epoch(self, world_size: int = 1) -> int:
        """Training batches in epoch 0 on rank 0 (other epochs' shuffles differ by a batch or
        so): the length that a learning-rate schedule over whole epochs needs."""
        sampler = self._make_train_sampler(world_size, 0)
        sampler.set_epoch(0)
        batches, count = iter(sampler), 0  # advanced with next only, see ResumableSampler
        while next(batches, None) is not None:
            count += 1
        return count

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        world_size, rank = self._world()
        self.train_sampler = ResumableSampler(self._make_train_sampler(world_size, rank))
        # Lightning draws the first batch before its own set_epoch call, so set it here.
        epoch = self._next_epoch()
        self.train_sampler.set_epoch(epoch)
        if self._resume is not None and self._resume[0] == epoch:
            self.train_sampler.skip(*self._resume)
        self._resume = None
        dataset = AsrDataset(self.tokenizer, self.num_mel_bins, self.dither, self.aux_tokenizer)
        return make_dataloader(dataset, self.train_sampler, self.num_workers)

    def val_dataloader(self) -> torch.utils.data.DataLoader:
        world_size, rank = self._world()
        sampler = make_sampler(
            load_cuts(self.dev_cuts_path),
            self.max_duration,
            num_buckets=self.num_buckets,
            shuffle=False,
            world_size=world_size,
            rank=rank,
            buffer_size=self.buffer_size,
        )
        dataset = AsrDataset(self.tokenizer, self.num_mel_bins, 0.0, self.aux_tokenizer)
        return make_dataloader(dataset, sampler, self.num_workers)

    def _next_epoch(self) -> int:
        """The epoch training starts with: the restored loop's (a checkpoint written at the end
        of an epoch resumes with the next one), or the saved one outside a Trainer."""
        if self.trainer is not None:
            return self.trainer.fit_loop.epoch_progress.current.processed
        return self._resume[0] if self._resume is not None else 0

    def state_dict(self) -> dict[str, Any]:
        """Where the training epoch stands: saved into every Lightning checkpoint."""
        trainer = self.trainer
        if trainer is None or self.train_sampler is None:
            return {}
        return {
            "epoch": trainer.current_epoch,
            "batches_done": trainer.fit_loop.epoch_loop.batch_progress.current.processed,
            "sampler": self.train_sampler.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Remember the saved position; ``train_dataloader`` (called after restore) applies it."""
        if state_dict:
            self._resume = (int(state_dict["epoch"]), int(state_dict["batches_done"]))
