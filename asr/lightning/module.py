"""LightningModule around :class:`asr.models.ASRModel`: losses, metrics, optimizer, fault skips.

A batch whose loss is not finite (or that is empty) contributes zero gradient and is counted
(``train/skipped_batches``); an optimizer step whose gradient is not finite is not applied and
is counted (``train/skipped_steps``). Both decisions keep every DDP rank in step: a skipped
batch still runs backward through every parameter, and gradients are checked after all-reduce.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jiwer
import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import MixedPrecision, Precision
from pytorch_lightning.utilities import GradClipAlgorithmType
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from asr.data.batch import Batch
from asr.data.tokenizer import Tokenizer

log = logging.getLogger(__name__)

LOSS_PARTS = ("loss_ctc", "loss_inter", "loss_att", "acc")


def ctc_greedy(
    log_probs: torch.Tensor, lengths: torch.Tensor, blank_id: int = 0
) -> list[list[int]]:
    """Best path per utterance: argmax per frame, merge repeats, drop blanks."""
    best = log_probs.argmax(dim=-1).cpu()
    hyps = []
    for path, n in zip(best, lengths.cpu().tolist(), strict=True):
        merged = torch.unique_consecutive(path[:n])
        hyps.append(merged[merged != blank_id].tolist())
    return hyps


def error_counts(refs: Sequence[str], hyps: Sequence[str]) -> torch.Tensor:
    """``[word errors, reference words, char errors, reference chars]`` (float64) via jiwer.

    Counts, not rates, so shards from several ranks or batches add up to the corpus WER/CER.
    """
    counts = torch.zeros(4, dtype=torch.float64)
    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    if not pairs:
        return counts
    refs, hyps = zip(*pairs, strict=True)
    words = jiwer.process_words(list(refs), list(hyps))
    chars = jiwer.process_characters(list(refs), list(hyps))
    for i, out in enumerate((words, chars)):
        counts[2 * i] = out.substitutions + out.deletions + out.insertions
        counts[2 * i + 1] = out.hits + out.substitutions + out.deletions
    return counts


class ASRLightningModule(pl.LightningModule):
    """Trains ``model`` (an ``ASRModel``); ``optimizer(params)`` and ``scheduler(optimizer)`` are
    factories (e.g. ``functools.partial``), the scheduler stepped once per optimizer step."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Tokenizer,
        optimizer: Callable[[Iterable[nn.Parameter]], Optimizer],
        scheduler: Callable[[Optimizer], LRScheduler] | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.skipped_batches = 0
        self.skipped_steps = 0
        self._good_batches = 0  # in the current optimizer step (several with accumulation)
        self._val_counts = torch.zeros(4, dtype=torch.float64)

    def _skip_batch(self, batch: Batch, reason: str) -> torch.Tensor:
        """A zero loss that still reaches every parameter (DDP needs each rank's backward)."""
        self.skipped_batches += 1
        log.warning("skipping batch %s: %s", batch.ids[:4], reason)
        return sum(p.sum() for p in self.model.parameters() if p.requires_grad) * 0.0

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        if len(batch) == 0:
            loss = self._skip_batch(batch, "empty batch (every utterance failed to load)")
        else:
            out = self.model(*batch.model_args())
            loss = out["loss"]
            if torch.isfinite(loss):
                self._good_batches += 1
                self.log("train/loss", loss, on_epoch=True, prog_bar=True, batch_size=len(batch))
                self._log_parts("train", out, len(batch))
                if out.get("ctc_infeasible") is not None:  # an epoch's sum, in the epoch line
                    infeasible = out["ctc_infeasible"].float()
                    self.log("train/ctc_infeasible", infeasible, on_step=False, on_epoch=True,
                             reduce_fx="sum", batch_size=1)  # fmt: skip
            else:
                loss = self._skip_batch(batch, f"non-finite loss {loss.item()}")
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], batch_size=max(len(batch), 1))
        self.log("train/skipped_batches", float(self.skipped_batches), batch_size=1)
        self.log("train/skipped_steps", float(self.skipped_steps), batch_size=1)
        return loss

    def _log_parts(self, prefix: str, out: dict, batch_size: int, **kwargs: Any) -> None:
        """Log loss_ctc, loss_inter, loss_att and acc (a part the model lacks is None)."""
        for key in LOSS_PARTS:
            if out.get(key) is not None:
                self.log(f"{prefix}/{key}", out[key], batch_size=batch_size, **kwargs)

    def on_before_optimizer_step(self, optimizer: Optimizer) -> None:
        """Drop the step when every batch in it was skipped or any gradient is inf/NaN.

        Dropping = clearing the gradients: the optimizer leaves a parameter without gradient
        untouched (no update, no weight decay, no moment update). Under 16-mixed the grad
        scaler already skips non-finite steps and needs the gradients, so they are left alone.
        """
        good, self._good_batches = self._good_batches, 0
        if self.trainer.world_size > 1:  # every rank must take the same decision
            good = int(
                self.trainer.strategy.reduce(
                    torch.tensor(good, device=self.device), reduce_op="sum"
                )
            )
        if getattr(self.trainer.precision_plugin, "scaler", None) is not None:
            return
        if good > 0:
            grads = [p.grad for p in self.model.parameters() if p.grad is not None]
            if not grads or torch.isfinite(torch.nn.utils.get_total_norm(grads)):
                return
            self.skipped_steps += 1
            log.warning("skipping optimizer step %d: non-finite gradient", self.global_step)
        for p in self.model.parameters():
            p.grad = None

    def configure_gradient_clipping(
        self,
        optimizer: Optimizer,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Clip as ``trainer.gradient_clip_*`` say, under bf16-mixed too.

        Lightning's mixed-precision plugin refuses to clip for a fused optimizer (conf/optim's
        AdamW is fused) because fp16's grad scaler would unscale the gradients inside it.
        bf16-mixed has no scaler: its gradients are already unscaled, so they are clipped as in
        float32.
        """
        plugin = self.trainer.precision_plugin
        if isinstance(plugin, MixedPrecision) and plugin.scaler is None and gradient_clip_val:
            algorithm = GradClipAlgorithmType(gradient_clip_algorithm or "norm")
            Precision.clip_gradients(plugin, optimizer, gradient_clip_val, algorithm)
            return
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def on_validation_epoch_start(self) -> None:
        self._val_counts.zero_()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        if len(batch) == 0:
            return
        out = self.model(*batch.model_args())
        self.log("val/loss", out["loss"], sync_dist=True, batch_size=len(batch))
        self._log_parts("val", out, len(batch), sync_dist=True)
        if getattr(self.model, "ctc", None) is None:
            return
        memory, memory_lens = self.model.encode(batch.x, batch.x_lens)
        hyps = ctc_greedy(self.model.ctc_log_probs(memory), memory_lens, self.model.blank_id)
        refs = [
            self.tokenizer.decode(y[:n].tolist())
            for y, n in zip(batch.ys.cpu(), batch.y_lens, strict=True)
        ]
        self._val_counts += error_counts(refs, [self.tokenizer.decode(h) for h in hyps])

    def on_validation_epoch_end(self) -> None:
        counts = self._val_counts.to(self.device)
        if self.trainer.world_size > 1:
            counts = self.all_gather(counts).sum(dim=0)
        if counts[1] > 0:
            self.log("val/wer", (counts[0] / counts[1]).float())
            self.log("val/cer", (counts[2] / counts[3]).float())

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.model.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["skipped"] = {"batches": self.skipped_batches, "steps": self.skipped_steps}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        skipped = checkpoint.get("skipped", {})
        self.skipped_batches = int(skipped.get("batches", 0))
        self.skipped_steps = int(skipped.get("steps", 0))
