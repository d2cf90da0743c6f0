"""egs/synth_zh: the synthesized Mandarin corpus (pinyin audio, character transcripts)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from tests.recipes.conftest import REPO, local_module, read_table, run_script, setup_packages

pytest.importorskip("pypinyin")
SCRIPT = REPO / "egs" / "synth_zh" / "asr1" / "local" / "synthesize.py"
FORTUNES_ZH = Path("/usr/share/games/fortunes/chinese")


def test_pinyin_and_sentence_cleaning(tmp_path: Path):
    zh_text = local_module("synth_zh", "zh_text")
    assert zh_text.to_pinyin("我们去北京了") == "wo3 men5 qu4 bei3 jing1 le5"
    assert zh_text.pinyin_units("zhong1 shi4 wo3 er2 ai4 n2 chuang2") == (
        "zh ong1 sh i4 w o3 er2 ai4 n2 ch uang2"
    )  # initial + toned final; no initial: one unit
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
        units = read_table(out / split / "text_pinyin")  # the intermediate CTC's targets
        zh_text = local_module("synth_zh", "zh_text")
        assert units == {u: zh_text.pinyin_units(zh_text.to_pinyin(t)) for u, t in text.items()}
        texts[split] = set(text.values())
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["dev"]
    lm_text = set((out / "lm_text").read_text(encoding="utf-8").splitlines())
    assert texts["train"] < lm_text and not lm_text & (texts["dev"] | texts["test"])
    voices = {s: set(read_table(out / s / "utt2spk").values()) for s in ("train", "test")}
    assert voices["test"] and not voices["train"] & voices["test"]


def test_cn1_spells_pinyin_in_its_own_units():
    cn1 = local_module("synth_zh", "cn1")
    words = "hao3 huan2 biao1 xuan2 yuan2 zhi1 zi3 ye4 lv4 guo2 er2 a1 qu4".split()
    spelled = {s: cn1.spell(s) for s in words}
    assert spelled == {
        "hao3": (["h", "ao"], 3), "huan2": (["hu", "an"], 2), "biao1": (["bi", "ao"], 1),
        "xuan2": (["xu", "an"], 2), "yuan2": (["yu", "an"], 2), "zhi1": (["zh", "ll"], 1),
        "zi3": (["z", "ii"], 3), "ye4": (["ie"], 4), "lv4": (["l", "v"], 4),
        "guo2": (["gu", "o"], 2), "er2": (["er"], 2), "a1": (["a"], 1), "qu4": (["q", "v"], 4),
    }  # fmt: skip
    pho = cn1.to_pho("ni3 hao3").splitlines()
    assert pho[0].startswith("_ ") and pho[-1].startswith("_ ") and "_ 15" in pho
    assert pho[2].split()[0] == "i" and pho[2].split()[2:] == [
        "0",
        "200",
        "50",
        "165",
        "100",
        "205",
    ]
    with pytest.raises(ValueError, match="no cn1 final"):
        cn1.spell("xyz1")


def test_pho_scaling_changes_durations_and_pitch_only():
    from asr.recipes.synth import scale_pho

    pho = "; a comment\n_ 100\nh 110 0 200\nao 280 0 200 50 165 100 205\n"
    faster_higher = scale_pho(pho, speed=1.25, cents=1200).splitlines()
    assert faster_higher == ["; a comment", "_ 80", "h 88 0 400", "ao 224 0 400 50 330 100 410"]
    assert scale_pho(pho, 1.0, 0.0).splitlines() == pho.splitlines()


@pytest.mark.skipif(not Path("/usr/share/mbrola/cn1/cn1").is_file(), reason="needs mbrola-cn1")
def test_cn1_renders_real_sentences_with_diphones_it_has(tmp_path: Path):
    cn1, zh_text = local_module("synth_zh", "cn1"), local_module("synth_zh", "zh_text")
    sentences = ["春眠不觉晓处处闻啼鸟", "我们去北京了", "床前明月光疑是地上霜", "学而时习之"]
    syllables = unknown = 0
    for k, sentence in enumerate(sentences):
        pinyin = zh_text.to_pinyin(sentence)
        syllables += len(pinyin.split())
        (tmp_path / "s.pho").write_text(cn1.to_pho(pinyin))
        wav = tmp_path / f"s{k}.wav"
        proc = subprocess.run(["mbrola", "-e", "/usr/share/mbrola/cn1/cn1", str(tmp_path / "s.pho"),
                               str(wav)], capture_output=True, text=True, check=True)  # fmt: skip
        unknown += proc.stderr.count("unknown")
        assert sf.info(wav).duration > 0.2 * len(pinyin.split())  # ~0.3 s a syllable
    assert syllables == 31 and unknown == 0


def test_every_voice_needs_only_packages_that_setup_installs():
    from asr.recipes.synth import requirements

    voices = local_module("synth_zh", "synthesize").voice_split()
    needed = {pkg for v in voices["train"] + voices["test"] for _, pkg in requirements(v)}
    assert "mbrola-cn1" in needed and needed - setup_packages() == set()
