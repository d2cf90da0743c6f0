"""``python -m asr.bin.train`` from the shell: multirun, and a recipe's own config folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from tests.lightning.helpers import REPO, train_overrides


@pytest.mark.slow
def test_multirun_with_a_recipe_config_dir(tiny_corpus, tmp_path):
    recipe = tmp_path / "egs" / "conf"
    (recipe / "experiment").mkdir(parents=True)
    (recipe / "experiment" / "recipe_exp.yaml").write_text(
        "# @package _global_\ntrainer:\n  gradient_clip_val: 1.5\n"
    )
    exp = tmp_path / "exp"
    overrides = train_overrides(
        tiny_corpus,
        exp,
        "experiment=recipe_exp",
        "trainer.fast_dev_run=true",
        "optim.optimizer.lr=0.001,0.002",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "asr.bin.train", "-m", "--config-dir", str(recipe), *overrides],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for job, lr in (("0", 0.001), ("1", 0.002)):
        cfg = yaml.safe_load((exp / job / "config.yaml").read_text())
        assert cfg["optim"]["optimizer"]["lr"] == lr
        assert cfg["exp_dir"] == str(exp / job)
        assert cfg["trainer"]["gradient_clip_val"] == 1.5  # from the recipe's folder
        assert cfg["callbacks"]["checkpoint"]["dirpath"] == str(exp / job / "checkpoints")
