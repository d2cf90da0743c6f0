"""``asr-train`` (also ``python -m asr.bin.train``): Hydra config → Lightning training run.

Config objects become Python objects here and only here (``hydra.utils.instantiate``); the
library below takes plain arguments. See conf/train.yaml for the command line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Timer
from pytorch_lightning.utilities import rank_zero_only

from asr.bin.cli import exits_on_bad_input
from asr.data.cmvn import load_cmvn
from asr.data.tokenizer import load_tokenizer
from asr.lightning.average import safe_load
from asr.lightning.checkpoint_io import AtomicCheckpointIO
from asr.lightning.datamodule import ASRDataModule
from asr.lightning.module import ASRLightningModule
from asr.lightning.precision import AUTO, auto_precision
from asr.lightning.run_dir import write_run_dir

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
NOT_DATAMODULE_ARGS = ("tokenizer", "aux_tokenizer", "cmvn")

log = logging.getLogger(__name__)


def vocab_size(tokenizer: str | None) -> int | None:
    """``${vocab_size:PATH}``: the vocabulary size of the saved tokenizer at PATH (None for a
    null PATH: no auxiliary tokenizer)."""
    return None if tokenizer is None else load_tokenizer(tokenizer).vocab_size


OmegaConf.register_new_resolver("vocab_size", vocab_size, replace=True)


def find_resume_checkpoint(resume: str | None, exp_dir: Path) -> str | None:
    """``None`` → fresh run; ``auto`` → the checkpoint with the highest global step in
    ``exp_dir/checkpoints`` (None when there is none); anything else is a path that must exist."""
    if resume is None:
        return None
    if resume != "auto":
        if not Path(resume).is_file():
            raise FileNotFoundError(f"resume={resume}: no such checkpoint")
        safe_load(resume)  # refuse a pickled checkpoint here, naming it, not deep in Lightning
        return str(resume)
    candidates = sorted((exp_dir / "checkpoints").glob("*.ckpt"))
    if not candidates:
        log.info("resume=auto: no checkpoint in %s/checkpoints, starting afresh", exp_dir)
        return None
    steps = {path: int(safe_load(path)["global_step"]) for path in candidates}
    newest = max(candidates, key=lambda p: (steps[p], p.stat().st_mtime))
    log.info("resume=auto: resuming from %s (step %d)", newest, steps[newest])
    return str(newest)


def schedule_length(cfg: DictConfig, batches_per_epoch: Callable[[], int]) -> dict[str, int]:
    """``{"total_steps": N}`` for a scheduler configured with ``total_steps: null``: the
    optimizer steps of ``trainer.max_epochs`` epochs (less with ``max_steps``,
    ``limit_train_batches`` or ``accumulate_grad_batches``), or ``max_steps`` when the epochs
    are open-ended; ``{}`` for any other scheduler."""
    scheduler = cfg.optim.get("scheduler")
    if scheduler is None or "total_steps" not in scheduler or scheduler.total_steps is not None:
        return {}
    trainer = cfg.trainer
    max_epochs, max_steps = trainer.get("max_epochs") or -1, trainer.get("max_steps") or -1
    if max_epochs < 1 and max_steps < 1:
        raise ValueError("optim.scheduler.total_steps=null needs trainer.max_epochs or max_steps")
    if max_epochs < 1:
        log.info("schedule over trainer.max_steps = %d optimizer steps", max_steps)
        return {"total_steps": max_steps}
    batches = batches_per_epoch()
    limit = trainer.get("limit_train_batches")
    if isinstance(limit, int) and not isinstance(limit, bool):
        batches = min(batches, limit)
    elif isinstance(limit, float):
        batches = int(batches * limit)
    steps = max_epochs * (batches // max(1, trainer.get("accumulate_grad_batches") or 1))
    if max_steps > 0:
        steps = min(steps, max_steps)
    log.info("schedule over %d optimizer steps (%d batches per epoch)", steps, batches)
    return {"total_steps": steps}


class TimeBudgetProgress:
    """The share of ``trainer.max_time`` spent so far (0..1), read from Lightning's Timer, which
    counts validation too and carries its count across a resumed run."""

    def __init__(self, timer: Timer) -> None:
        self.timer = timer

    def __call__(self) -> float:
        elapsed, remaining = self.timer.time_elapsed(), self.timer.time_remaining()
        total = elapsed + (remaining or 0.0)
        return min(1.0, elapsed / total) if total > 0 else 0.0


def schedule_progress(cfg: DictConfig, trainer: pl.Trainer) -> dict[str, TimeBudgetProgress]:
    """``{"progress": ...}`` for a scheduler configured with ``progress: null``: the share of
    the ``trainer.max_time`` budget spent; ``{}`` for any other scheduler."""
    scheduler = cfg.optim.get("scheduler")
    if scheduler is None or "progress" not in scheduler or scheduler.progress is not None:
        return {}
    timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
    if not cfg.trainer.get("max_time") or not timers:
        raise ValueError(
            "optim.scheduler.progress=null (a time-budget schedule) needs trainer.max_time"
        )
    log.info("schedule over the time budget trainer.max_time=%s", cfg.trainer.max_time)
    return {"progress": TimeBudgetProgress(timers[0])}


def train(cfg: DictConfig) -> Path:
    """Build everything from ``cfg``, write the run directory, fit; return the run directory."""
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        cfg.exp_dir = HydraConfig.get().runtime.output_dir  # one run directory per job
    exp_dir = Path(cfg.exp_dir)
    if cfg.trainer.get("precision") == AUTO:  # the run directory records what it became
        cfg.trainer.precision = auto_precision(cfg.trainer.accelerator)
        log.info("trainer.precision=auto: %s on this machine", cfg.trainer.precision)
    resolved = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    ckpt_path = find_resume_checkpoint(cfg.resume, exp_dir)
    rank_zero_only(write_run_dir)(exp_dir, resolved, cfg.data.tokenizer, cfg.data.cmvn)

    pl.seed_everything(cfg.seed, workers=True)
    tokenizer = load_tokenizer(cfg.data.tokenizer)
    cmvn_mean, cmvn_istd = load_cmvn(cfg.data.cmvn)
    model = instantiate(cfg.model, cmvn_mean=cmvn_mean, cmvn_istd=cmvn_istd)
    data_args = {k: v for k, v in resolved["data"].items() if k not in NOT_DATAMODULE_ARGS}
    aux = cfg.data.get("aux_tokenizer")
    aux_tokenizer = load_tokenizer(aux) if aux is not None else None
    datamodule = ASRDataModule(tokenizer=tokenizer, aux_tokenizer=aux_tokenizer, **data_args)
    callbacks = [instantiate(c) for c in cfg.callbacks.values() if c is not None]
    loggers = [instantiate(c) for c in cfg.logger.values() if c is not None]
    trainer = instantiate(
        cfg.trainer,
        callbacks=callbacks,
        logger=loggers,
        plugins=[AtomicCheckpointIO()],
        default_root_dir=exp_dir,
    )
    scheduler = None
    if cfg.optim.get("scheduler"):
        length = schedule_length(cfg, lambda: datamodule.batches_per_epoch(trainer.world_size))
        scheduler = instantiate(cfg.optim.scheduler, **length, **schedule_progress(cfg, trainer))
    module = ASRLightningModule(model, tokenizer, instantiate(cfg.optim.optimizer), scheduler)
    params = sum(p.numel() for p in model.parameters())
    log.info("model: %.2f M parameters; run directory %s", params / 1e6, exp_dir)
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    return exp_dir


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="train")
@exits_on_bad_input("asr-train")
def main(cfg: DictConfig) -> None:
    train(cfg)


if __name__ == "__main__":
    main()
