"""The LightningModule: greedy CTC metrics, and skipping non-finite losses and gradients."""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest
import pytorch_lightning as pl
import torch

from asr.data.batch import Batch
from asr.data.tokenizer import CharTokenizer
from asr.lightning.module import ASRLightningModule, ctc_greedy, error_counts
from asr.lightning.schedulers import noam, noam_factor
from asr.models import ASRModel


def test_ctc_greedy_merges_repeats_drops_blanks_and_respects_lengths():
    paths = torch.tensor([[0, 3, 3, 0, 3, 4, 4, 2], [5, 5, 0, 0, 6, 6, 6, 6]])
    log_probs = torch.nn.functional.one_hot(paths, 8).float().log()
    assert ctc_greedy(log_probs, torch.tensor([8, 5])) == [[3, 3, 4, 2], [5, 6]]


def test_error_counts_add_up_across_batches_to_corpus_wer():
    refs, hyps = ["the cat sat", "on a mat", ""], ["the bat sat", "on mat", "noise"]
    whole = error_counts(refs, hyps)
    split = error_counts(refs[:1], hyps[:1]) + error_counts(refs[1:], hyps[1:])
    assert torch.equal(whole, split)
    assert whole[0] / whole[1] == pytest.approx(2 / 6)  # 1 substitution + 1 deletion, 6 words
    assert whole[2] / whole[3] == pytest.approx(3 / 19)  # c→b, "a " deleted; spaces count


FEAT = 16


def tiny_module(**model_options: Any) -> tuple[ASRLightningModule, CharTokenizer]:
    """A seeded d16 module over the characters "abc"; ``model_options`` go to ``ASRModel``.

    16 feature bins, not fewer: oneDNN's bf16 convolution on AMX CPUs (torch 2.14) returns NaN
    for the front end's second convolution when the input has only 8 bins."""
    torch.manual_seed(0)
    tokenizer = CharTokenizer(list("abc"))
    model = ASRModel(
        tokenizer.vocab_size,
        feat_dim=FEAT,
        d_model=16,
        heads=2,
        encoder_layers=1,
        encoder_ffn_dim=16,
        decoder_layers=1,
        decoder_ffn_dim=16,
        subsampling_channels=4,
        **model_options,
    )
    optimizer = functools.partial(torch.optim.AdamW, lr=1e-2, weight_decay=0.1)
    return ASRLightningModule(model, tokenizer, optimizer), tokenizer


def make_batch(seed: int, nan: bool = False) -> Batch:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 40, FEAT, generator=g)
    if nan:
        x[0, 5] = math.nan
    return Batch(
        x,
        torch.tensor([40, 30]),
        torch.tensor([[2, 3, 4], [3, 2, -1]]),
        torch.tensor([3, 2]),
        ids=[f"u{seed}a", f"u{seed}b"],
    )


def fit(
    module: ASRLightningModule,
    batches: list[Batch],
    accumulate: int = 1,
    callbacks: list[pl.Callback] | None = None,
    **trainer_options: Any,
) -> pl.Trainer:
    loader = torch.utils.data.DataLoader(batches, batch_size=None, collate_fn=lambda b: b)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=1,
        accumulate_grad_batches=accumulate,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=callbacks,
        **trainer_options,
    )
    trainer.fit(module, train_dataloaders=loader)
    return trainer


def snapshot(module: ASRLightningModule) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.model.state_dict().items()}


def test_non_finite_loss_is_skipped_counted_and_not_applied():
    module, _ = tiny_module()
    before = snapshot(module)
    fit(module, [make_batch(0, nan=True)])
    assert module.skipped_batches == 1 and module.skipped_steps == 0
    for key, value in module.model.state_dict().items():
        assert torch.equal(value, before[key]), f"{key} changed by a skipped batch"


def test_a_good_batch_after_a_skipped_one_trains():
    module, _ = tiny_module()
    before = snapshot(module)
    fit(module, [make_batch(0, nan=True), make_batch(1)])
    assert module.skipped_batches == 1
    assert any(not torch.equal(v, before[k]) for k, v in module.model.state_dict().items())


def test_non_finite_gradient_step_is_skipped_counted_and_not_applied():
    module, _ = tiny_module()
    before = snapshot(module)
    weight = module.model.encoder.layers[0].self_attn.q_proj.weight
    weight.register_hook(lambda grad: grad * math.inf)
    fit(module, [make_batch(0)])
    assert module.skipped_steps == 1 and module.skipped_batches == 0
    for key, value in module.model.state_dict().items():
        assert torch.equal(value, before[key]), f"{key} changed by a non-finite step"


class GradNormAtStep(pl.Callback):
    """Records the gradient norm the optimizer steps with (after any clipping)."""

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        def record(optimizer: torch.optim.Optimizer, *_: Any) -> None:
            grads = [p.grad for group in optimizer.param_groups for p in group["params"]]
            norm = torch.nn.utils.get_total_norm([g for g in grads if g is not None])
            self.norms.append(float(norm))

        trainer.optimizers[0].register_step_post_hook(record)  # the closure runs in step


@pytest.mark.parametrize("precision", ["32-true", "bf16-mixed"])
def test_gradients_are_clipped_with_a_fused_optimizer_in_float32_and_bf16(precision):
    module, _ = tiny_module()
    module.optimizer_factory = functools.partial(torch.optim.AdamW, lr=1e-2, fused=True)
    unclipped, clipped = GradNormAtStep(), GradNormAtStep()
    fit(module, [make_batch(0)], callbacks=[unclipped], precision=precision)
    module, _ = tiny_module()
    module.optimizer_factory = functools.partial(torch.optim.AdamW, lr=1e-2, fused=True)
    fit(module, [make_batch(0)], callbacks=[clipped], precision=precision, gradient_clip_val=0.1)
    assert unclipped.norms[0] > 0.5
    assert clipped.norms[0] == pytest.approx(0.1, rel=1e-3)


def test_schedule_steps_once_per_optimizer_step_under_accumulation():
    module, _ = tiny_module()
    module.scheduler_factory = functools.partial(noam, warmup_steps=10)
    trainer = fit(module, [make_batch(i) for i in range(6)], accumulate=3)
    assert trainer.global_step == 2
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(1e-2 * noam_factor(3, 10))
