"""egs/synth_en/asr1/run.sh through every stage on a tiny corpus: a broken stage fails CI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from asr.decode.transcriber import Transcriber
from tests.recipes.conftest import (
    assert_trained_to_budget,
    copy_recipe,
    read_table,
    read_table_allow_empty,
    run_recipe,
)

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
    for n in range(8):
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
    # Training gets what stages 0-2 left of the run's 30 minutes (less 3 for stages 4-7), and
    # the cosine schedule decays over that.
    assert_trained_to_budget(first.stdout, exp, "00:00:24:00", "00:00:27:00")
    assert (recipe / "data" / "test" / "utt2family").is_file()
    assert "espeak % |" in table.splitlines()[0]  # WER per voice family beside the total

    # Stage 7 packs the averaged model with the joint + LM decoding as its default: the folder
    # alone transcribes a test utterance as asr-decode did.
    packed = exp / "packed"
    assert (packed / "model.safetensors").is_file() and (packed / "lm.json").is_file()
    assert "| test | joint_ctc_attention + n-gram LM |" in (packed / "README.md").read_text()
    utt, entry = next(iter(read_table(recipe / "data" / "test" / "wav.scp").items()))
    text = Transcriber.from_pretrained(packed, beam=2).transcribe([entry])[0]
    assert text == lm_hyp[utt]

    again = run_recipe(recipe, *TINY)
    assert again.stdout.count("already done, skipping") == 8


def decode_calls(calls: list[str]) -> set[tuple[str, str | None]]:
    """(method, chunk_size or None) of each logged asr-decode call."""
    out = set()
    for call in calls:
        if call.startswith("asr-decode "):
            args = dict(a.split("=", 1) for a in call.split()[1:] if "=" in a)
            out.add((args["method"], args.get("chunk_size")))
    return out


@pytest.mark.parametrize("streaming", [False, True])
def test_streaming_option_trains_its_experiment_and_decodes_chunk_by_chunk(tmp_path, streaming):
    """Stages 3-5 through stand-in CLIs that log their arguments: --streaming trains
    synth_en_streaming and decodes the streaming methods at chunks 8 and 16 and full context."""
    recipe = copy_recipe("synth_en", tmp_path)
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for cli in ("asr-train", "asr-average", "asr-decode"):
        (bin_dir / cli).write_text(f'#!/bin/sh\necho "{cli} $*" >> {log}\n')
        (bin_dir / cli).chmod(0o755)
    env = {**os.environ, "ASR_SKIP_SETUP": "1", "ASR_TCMALLOC": "0"}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    args = ["--stage", "3", "--stop-stage", "5"] + (["--streaming"] if streaming else [])
    proc = subprocess.run(
        ["bash", str(recipe / "run.sh"), *args], cwd=recipe, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = log.read_text().splitlines()
    name = "synth_en_streaming" if streaming else "synth_en"
    train = [c.split() for c in calls if c.startswith("asr-train ")]
    assert len(train) == 1
    assert f"experiment={name}" in train[0] and f"exp_dir=exp/{name}" in train[0]
    # no stage 0-2 markers here: all of the 30-minute budget but 3 minutes for stages 4-7
    assert "trainer.max_time=00:00:27:00" in train[0]
    assert all(f"exp_dir=exp/{name}" in c.split() for c in calls if c.startswith("asr-decode"))
    full = {"ctc_greedy", "attention_beam", "attention_rescoring", "joint_ctc_attention"}
    expected = {(m, None) for m in full}
    if streaming:
        streaming_methods = ("ctc_prefix_beam", "attention_rescoring")
        expected |= {("ctc_prefix_beam", None)}
        expected |= {(m, c) for m in streaming_methods for c in ("8", "16")}
    assert decode_calls(calls) == expected
