"""egs/synth_zh: the synthesized Mandarin corpus (pinyin audio, character transcripts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf

from tests.recipes.conftest import REPO, local_module, read_table, run_script

pytest.importorskip("pypinyin")
SCRIPT = REPO / "egs" / "synth_zh" / "asr1" / "local" / "synthesize.py"
FORTUNES_ZH = Path("/usr/share/games/fortunes/chinese")


def test_pinyin_and_sentence_cleaning(tmp_path: Path):
    zh_text = local_module("synth_zh", "zh_text")
    assert zh_text.to_pinyin("我们去北京了") == "wo3 men5 qu4 bei3 jing1 le5"
    (tmp_path / "chinese").write_text(
        "\x1b[32m《标题》\x1b[m\n春眠不觉晓，处处闻啼鸟。\nDebian 是一个项目\n"
        "%\n夜来风雨声\n    -- 作者\n",
        encoding="utf-8",
    )
    assert zh_text.zh_sentences(tmp_path) == ["处处闻啼鸟", "夜来风雨声", "春眠不觉晓"]
    assert zh_text.common_only(["甲乙丙丁", "甲乙丙戊", "甲乙丙丁"], top=4) == ["甲乙丙丁"] * 2
    with pytest.raises(FileNotFoundError, match="apt-get install -y fortunes-zh"):
        zh_text.zh_sentences(tmp_path / "missing")


@pytest.mark.slow
@pytest.mark.skipif(not FORTUNES_ZH.is_file(), reason="needs apt-get install fortunes-zh")
def test_corpus_has_han_transcripts_and_unseen_test_voices(tmp_path: Path):
    out = tmp_path / "data"
    run_script(SCRIPT, "--out", str(out), "--train-utts", "12", "--dev-utts", "4",
               "--test-utts", "6")  # fmt: skip
    texts = {}
    for split in ("train", "dev", "test"):
        scp, text = read_table(out / split / "wav.scp"), read_table(out / split / "text")
        assert set(scp) == set(text)
        for utt, path in scp.items():
            assert re.fullmatch(r"[\u4e00-\u9fff]+", text[utt]), text[utt]
            assert sf.info(path).samplerate == 16000
        texts[split] = set(text.values())
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["dev"]
    lm_text = set((out / "lm_text").read_text(encoding="utf-8").splitlines())
    assert texts["train"] < lm_text and not lm_text & (texts["dev"] | texts["test"])
    voices = {s: set(read_table(out / s / "utt2spk").values()) for s in ("train", "test")}
    assert voices["test"] and not voices["train"] & voices["test"]
