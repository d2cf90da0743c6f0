"""egs/synth_zh/asr1/run.sh through every stage on a tiny corpus, the character LM included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.recipes.conftest import (
    assert_trained_to_budget,
    copy_recipe,
    read_table,
    read_table_allow_empty,
    run_recipe,
)
from tests.recipes.test_synth_en_run import TINY
from tests.recipes.test_synth_zh import FORTUNES_ZH

pytest.importorskip("pypinyin")


@pytest.mark.slow
@pytest.mark.skipif(not FORTUNES_ZH.is_file(), reason="needs apt-get install fortunes-zh")
def test_every_stage_runs_and_the_lm_decode_spells_pool_characters(tmp_path: Path):
    recipe = copy_recipe("synth_zh", tmp_path)
    # two encoder layers, so that the pinyin CTC (layer 3 of the recipe's 6) has one below the last
    tiny = [a if a != "model.encoder_layers=1" else "model.encoder_layers=2" for a in TINY]
    out = run_recipe(recipe, *tiny, "model.intermediate_ctc_layer=1")
    for n in range(7):
        assert f"== stage {n} (" in out.stdout and "FAILED" not in out.stdout
    exp = recipe / "exp" / "synth_zh"
    ref = read_table(recipe / "data" / "test" / "text")
    hyp = read_table_allow_empty(exp / "decode" / "test_joint_ctc_attention_lm" / "hyp")
    assert set(hyp) == set(ref)
    pool = set((recipe / "data" / "lm_text").read_text(encoding="utf-8").replace("\n", ""))
    assert set("".join(hyp.values()).replace(" ", "")) <= pool  # the LM spells its characters
    assert "| test | joint_ctc_attention + n-gram LM | cer |" in (exp / "results.md").read_text()
    config = (exp / "config.yaml").read_text()  # layer 3's CTC learned the pinyin units
    units = (recipe / "data" / "tokenizer_pinyin" / "tokenizer.json").read_text()
    assert f"intermediate_ctc_vocab_size: {len(json.loads(units)['tokens'])}" in config
    # Training gets what stages 0-2 left of the run's 30 minutes, less 2 for stages 4-6, and
    # the cosine schedule decays over that.
    assert_trained_to_budget(out.stdout, exp, "00:00:25:00", "00:00:28:00")
