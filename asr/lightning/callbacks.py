"""Training callbacks: throughput, a one-line epoch summary, loss/WER curves, attention maps."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import TensorBoardLogger
from pytorch_lightning.utilities import rank_zero_only

from asr.data.batch import Batch
from asr.models.attention import MultiHeadAttention, rel_shift

log = logging.getLogger(__name__)


def _metric(trainer: pl.Trainer, name: str) -> float | None:
    value = trainer.callback_metrics.get(name)
    return None if value is None else float(value)


class Throughput(pl.Callback):
    """Utterances and feature frames per wall-clock second (data loading included), on the
    progress bar and in the logs."""

    def __init__(self) -> None:
        self._last: float | None = None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._last = time.perf_counter()

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Batch,
        batch_idx: int,
    ) -> None:
        now = time.perf_counter()
        if self._last is not None and len(batch) > 0:
            seconds = max(now - self._last, 1e-9)
            size = len(batch)
            pl_module.log("train/utt_per_s", size / seconds, prog_bar=True, batch_size=size)
            frames = float(batch.x_lens.sum())
            pl_module.log("train/frames_per_s", frames / seconds, prog_bar=True, batch_size=size)
        self._last = now


class EpochSummary(pl.Callback):
    """Logs one line per epoch: losses, dev CER/WER, learning rate, skipped steps, training
    utterances too short for CTC (trained by the decoder only), time."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    @rank_zero_only
    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        fields = [f"epoch {trainer.current_epoch}", f"step {trainer.global_step}"]
        for label, name, fmt in (
            ("train loss", "train/loss_epoch", "{:.3f}"),
            ("dev loss", "val/loss", "{:.3f}"),
            ("dev acc", "val/acc", "{:.3f}"),
            ("dev intermediate CTC loss", "val/loss_inter", "{:.3f}"),
            ("dev CER", "val/cer", "{:.2%}"),
            ("dev WER", "val/wer", "{:.2%}"),
            ("lr", "train/lr", "{:.2e}"),
            ("skipped", "train/skipped_steps", "{:.0f}"),
            ("too short for CTC", "train/ctc_infeasible", "{:.0f}"),
        ):
            value = _metric(trainer, name)
            if value is not None:
                fields.append(f"{label} {fmt.format(value)}")
        fields.append(f"{time.perf_counter() - self._start:.0f} s")
        log.info(" | ".join(fields))


class CurvePlot(pl.Callback):
    """Keeps per-epoch train/dev loss and dev WER (in checkpoints, so resumes keep the history)
    and draws them into a PNG after every epoch and at the end of training."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.history: list[dict[str, float | None]] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.history.append(
            {
                "epoch": float(trainer.current_epoch),
                "train_loss": _metric(trainer, "train/loss_epoch"),
                "val_loss": _metric(trainer, "val/loss"),
                "val_wer": _metric(trainer, "val/wer"),
            }
        )
        self.plot()

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.plot()

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict["history"])

    @rank_zero_only
    def plot(self) -> None:
        """Write the PNG (two panels: losses, dev WER); nothing before the first epoch ends."""
        if not self.history:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        epochs = [h["epoch"] for h in self.history]
        fig, (ax_loss, ax_wer) = plt.subplots(1, 2, figsize=(10, 4))
        for key, label in (("train_loss", "train"), ("val_loss", "dev")):
            points = [
                (e, h[key]) for e, h in zip(epochs, self.history, strict=True) if h[key] is not None
            ]
            if points:
                ax_loss.plot(*zip(*points, strict=True), marker="o", label=label)
        ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
        ax_loss.legend()
        points = [
            (e, h["val_wer"])
            for e, h in zip(epochs, self.history, strict=True)
            if h["val_wer"] is not None
        ]
        if points:
            ax_wer.plot(*zip(*points, strict=True), marker="o", color="tab:red")
        ax_wer.set(xlabel="epoch", ylabel="WER", title="dev WER")
        fig.tight_layout()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(self.path, dpi=100)
        plt.close(fig)


def tensorboard_of(trainer: pl.Trainer) -> TensorBoardLogger | None:
    """The trainer's TensorBoard logger, if it has one."""
    return next((lg for lg in trainer.loggers if isinstance(lg, TensorBoardLogger)), None)


def attention_maps(model: torch.nn.Module, batch: Batch) -> dict[str, torch.Tensor]:
    """Head-averaged attention weights of the last encoder self-attention and the last decoder
    cross-attention for a one-utterance ``batch`` (teacher-forced on its transcript).

    The attention modules compute weights inside ``scaled_dot_product_attention`` and never
    return them, so forward hooks catch their query/key (and relative-position) projections and
    the weights are recomputed from those; a single utterance needs no padding mask.
    """
    targets: dict[str, MultiHeadAttention] = {
        "encoder self-attention": model.encoder.layers[-1].self_attn
    }
    if getattr(model, "decoder", None) is not None:
        targets["decoder cross-attention"] = model.decoder.layers[-1].cross_attn
    captured: dict[tuple[str, str], torch.Tensor] = {}
    hooks = []
    for name, attn in targets.items():
        for proj in ("q_proj", "k_proj", "pos_proj"):
            if hasattr(attn, proj):
                hooks.append(
                    getattr(attn, proj).register_forward_hook(
                        lambda _m, _i, out, key=(name, proj): captured.__setitem__(key, out)
                    )
                )
    try:
        with torch.no_grad():
            model(*batch.model_args())
    finally:
        for hook in hooks:
            hook.remove()
    maps = {}
    for name, attn in targets.items():
        q = attn.split_heads(captured[name, "q_proj"]).float()
        k = attn.split_heads(captured[name, "k_proj"]).float()
        if (name, "pos_proj") in captured:  # Conformer: content + relative-position terms
            p = attn.split_heads(captured[name, "pos_proj"]).float()
            scores = torch.matmul(q + attn.pos_bias_u[:, None], k.transpose(-2, -1))
            scores = scores + rel_shift(
                torch.matmul(q + attn.pos_bias_v[:, None], p.transpose(-2, -1))
            )
        else:
            scores = torch.matmul(q, k.transpose(-2, -1))
        maps[name] = torch.softmax(scores / math.sqrt(attn.d_k), dim=-1).mean(dim=1)[0].cpu()
    return maps


class AttentionMaps(pl.Callback):
    """Each validation, logs attention maps of the first dev utterance to TensorBoard."""

    def __init__(self) -> None:
        self._example: Batch | None = None

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Batch,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if self._example is None and len(batch) > 0:
            self._example = batch.one(0)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        tensorboard = tensorboard_of(trainer)
        if trainer.sanity_checking or not trainer.is_global_zero or tensorboard is None:
            return
        if self._example is None:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        maps = attention_maps(pl_module.model, self._example.to(pl_module.device))
        fig, axes = plt.subplots(1, len(maps), figsize=(5 * len(maps), 4), squeeze=False)
        for ax, (name, weights) in zip(axes[0], maps.items(), strict=True):
            ax.imshow(weights.numpy(), aspect="auto", origin="lower", interpolation="nearest")
            ax.set(title=name, xlabel="key (encoder frame)", ylabel="query")
        fig.suptitle(self._example.ids[0] if self._example.ids else "")
        fig.tight_layout()
        tensorboard.experiment.add_figure("val/attention", fig, global_step=trainer.global_step)
        plt.close(fig)
