"""egs/synth_en/asr1/run.sh through every stage on a tiny corpus: a broken stage fails CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.recipes.conftest import copy_recipe, read_table, read_table_allow_empty, run_recipe

TINY = [
    "--size", "24", "--dev-size", "6", "--test-size", "6", "--nj", "1", "--seed", "5",
    "--token-type", "char", "--beam", "2", "--average-num", "2",
    # Hydra overrides for asr-train: a very small model, a few steps, no workers.
    "model.d_model=32", "model.heads=2", "model.encoder_layers=1", "model.decoder_layers=1",
    "model.encoder_ffn_dim=64", "model.decoder_ffn_dim=64", "model.subsampling_channels=8",
    "data.max_duration=20", "data.num_workers=0", "trainer.max_epochs=2",
    "+trainer.limit_train_batches=3", "callbacks.step_checkpoint.every_n_train_steps=2",
    "optim.scheduler.warmup_steps=2",  # the epochs end this run long before its time budget
]  # fmt: skip
METHODS = ("ctc_greedy", "attention_beam", "attention_rescoring", "joint_ctc_attention")


@pytest.mark.slow
def test_every_stage_runs_and_a_second_run_is_a_no_op(tmp_path: Path):
    recipe = copy_recipe("synth_en", tmp_path)

    first = run_recipe(recipe, *TINY)
    for n in range(7):
        assert f"== stage {n} (" in first.stdout and "FAILED" not in first.stdout

    exp = recipe / "exp" / "synth_en"
    ref = read_table(recipe / "data" / "test" / "text")
    for method in METHODS:
        out = exp / "decode" / f"test_{method}"
        hyp = read_table_allow_empty(out / "hyp")
        assert set(hyp) == set(ref)  # every test utterance decoded, none invented
        summary = json.loads((out / "summary.json").read_text())
        assert summary["sentences"] == len(ref) and summary["rtf"] > 0
        assert 0 <= summary["wer"]
    table = (exp / "results.md").read_text()
    assert all(f"| test | {m} |" in table for m in METHODS)
    # Stage 2's word 3-gram, fused in one more decode: it spells training-text words only.
    train_text = read_table(recipe / "data" / "train" / "text").values()
    vocabulary = {w for t in train_text for w in t.split()}
    lm_hyp = read_table_allow_empty(exp / "decode" / "test_joint_ctc_attention_lm" / "hyp")
    assert set(lm_hyp) == set(ref)
    assert {w for t in lm_hyp.values() for w in t.split()} <= vocabulary
    assert "| test | joint_ctc_attention + n-gram LM |" in table
    assert (exp / "average.pt").is_file() and (exp / "config.yaml").is_file()
    # The cosine schedule decays over the experiment's time budget.
    assert (
        "schedule over the time budget trainer.max_time=00:00:25:00"
        in (exp / "train.log").read_text()
    )
    assert (recipe / "data" / "test" / "utt2family").is_file()
    assert "espeak % |" in table.splitlines()[0]  # WER per voice family beside the total

    again = run_recipe(recipe, *TINY)
    assert again.stdout.count("already done, skipping") == 7
