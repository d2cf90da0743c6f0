"""DDP with two CPU processes (gloo): equal batch counts, disjoint shards, one run directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from asr.data.prepare import load_cuts
from asr.lightning.average import safe_load
from tests.lightning.helpers import REPO, train_overrides
from tests.lightning.record import read_records


@pytest.mark.slow
def test_two_process_ddp_shards_the_epoch(tiny_corpus, tmp_path):
    exp, record = tmp_path / "exp", tmp_path / "ids"
    overrides = train_overrides(
        tiny_corpus,
        exp,
        "trainer=ddp",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        "trainer.precision=32-true",
        "data.max_duration=3",
        "+callbacks.record._target_=tests.lightning.record.RecordBatchIds",
        f"+callbacks.record.path={record}",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "asr.bin.train", *overrides],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    ranks = [read_records(f"{record}.rank{r}") for r in range(2)]
    assert len(ranks[0]) == len(ranks[1]) > 1  # equal batch counts: no rank waits on another
    ids = [[i for _, batch in rank for i in batch] for rank in ranks]
    assert not set(ids[0]) & set(ids[1])  # disjoint shards
    assert sorted(ids[0] + ids[1]) == sorted(c.id for c in load_cuts(tiny_corpus["train"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp", "ids.rank0", "ids.rank1"]
    assert safe_load(exp / "checkpoints" / "last.ckpt")["global_step"] == len(ranks[0])
    assert (exp / "config.yaml").is_file() and (exp / "meta.json").is_file()
