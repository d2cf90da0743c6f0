"""Kill a training run with SIGKILL mid-epoch, resume it, and check the epoch was seen once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from asr.bin.train import find_resume_checkpoint
from asr.bin.train import main as train_main
from asr.data.prepare import load_cuts
from asr.lightning.average import safe_load
from tests.cli_helpers import bad_input_error
from tests.lightning.helpers import REPO, train_overrides
from tests.lightning.record import read_records


def launch(corpus, exp: Path, record: Path, *extra: str) -> subprocess.Popen:
    overrides = train_overrides(
        corpus,
        exp,
        "data.max_duration=3",  # about a dozen batches in the epoch
        "callbacks.step_checkpoint.every_n_train_steps=3",
        "+callbacks.record._target_=tests.lightning.record.RecordBatchIds",
        f"+callbacks.record.path={record}",
        *extra,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "asr.bin.train", *overrides],
        cwd=exp.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_sees_every_utterance_once(tiny_corpus, tmp_path):
    exp, before, after = tmp_path / "exp", tmp_path / "before", tmp_path / "after"
    proc = launch(tiny_corpus, exp, before, "+callbacks.record.delay=0.4")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        records = read_records(f"{before}.rank0")
        if (exp / "checkpoints" / "step0000003.ckpt").exists() and records and records[-1][0] >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"run ended before it could be killed:\n{proc.stdout.read()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    ckpts = list((exp / "checkpoints").glob("*.ckpt"))
    resumed_step = max(int(safe_load(p)["global_step"]) for p in ckpts)
    seen_before = read_records(f"{before}.rank0")
    assert resumed_step >= 3 and len(seen_before) >= resumed_step  # killed after a checkpoint

    proc = launch(tiny_corpus, exp, after, "resume=auto")
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    seen_after = read_records(f"{after}.rank0")
    assert seen_after[0][0] == resumed_step  # global step continues
    assert [s for s, _ in seen_after] == list(range(resumed_step, resumed_step + len(seen_after)))

    trained = [i for step, ids in seen_before if step < resumed_step for i in ids]
    trained += [i for _, ids in seen_after for i in ids]
    all_ids = sorted(c.id for c in load_cuts(tiny_corpus["train"]))
    assert sorted(trained) == all_ids  # each utterance exactly once in the epoch
    last = safe_load(exp / "checkpoints" / "last.ckpt")
    assert last["global_step"] == resumed_step + len(seen_after)


def test_resume_argument(tmp_path):
    assert find_resume_checkpoint(None, tmp_path) is None
    assert find_resume_checkpoint("auto", tmp_path) is None  # nothing yet: a fresh start
    with pytest.raises(FileNotFoundError, match="resume=nope.ckpt"):
        find_resume_checkpoint("nope.ckpt", tmp_path)
    ckpts = tmp_path / "checkpoints"
    ckpts.mkdir()
    for name, step in (
        ("last.ckpt", 8),
        ("step0000010.ckpt", 10),
        ("epoch000-step0000008-val_loss1.0000.ckpt", 8),
    ):
        torch.save({"global_step": step}, ckpts / name)
    assert find_resume_checkpoint("auto", tmp_path) == str(ckpts / "step0000010.ckpt")


class Payload:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_asr_train_names_a_refused_resume_checkpoint_in_one_line(
    tiny_corpus, tmp_path, monkeypatch, capsys
):
    bad = tmp_path / "pickled.ckpt"
    torch.save({"global_step": 3, "x": Payload()}, bad)
    overrides = train_overrides(tiny_corpus, tmp_path / "exp", f"resume={bad}")
    monkeypatch.setattr(sys, "argv", ["asr-train", *overrides])
    err = bad_input_error(lambda _: train_main(), [], capsys)
    assert err.startswith(f"asr-train: error: refusing to load {bad}: it is not a plain")
    assert "unpickled!" not in capsys.readouterr().out
