"""egs/synth_en: the synthesized English corpus (Kaldi dirs, splits, determinism)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from asr.recipes import synth
from tests.recipes.conftest import REPO, local_module, read_table, run_script

SCRIPT = REPO / "egs" / "synth_en" / "asr1" / "local" / "synthesize.py"
SIZES = ("--train-utts", "24", "--dev-utts", "6", "--test-utts", "10")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth_en") / "data"
    run_script(SCRIPT, "--out", str(out), *SIZES, "--seed", "3")
    return out


def test_normalize_keeps_only_what_is_read_as_written():
    text = local_module("synth_en", "text")
    assert text.normalize("Don't panic -- it's only a test!") == "don't panic it's only a test"
    assert text.normalize("\u201cA glass of sweet wine\u201d") == "a glass of sweet wine"
    assert text.normalize("He paid $5 for it.") is None  # digits and symbols are read aloud
    assert text.normalize("The IBM machine was slow.") is None  # acronyms are spelled
    assert text.normalize("Too short") is None


def test_voice_split_holds_out_in_distribution_voices():
    voices = local_module("synth_en", "voices").voice_split()
    train, test = voices["train"], voices["test"]
    assert not {v.speaker for v in train} & {v.speaker for v in test}
    assert {v.speaker for v in train if v.engine != "espeak"} >= {"kal", "slt"}
    for v in test:
        kind = [t for t in train if t.engine == v.engine]
        assert kind, f"no training voice of {v.id}'s engine"
        if v.engine == "espeak":
            accent, variant = v.name.split("+")
            assert any(t.name.startswith(accent + "+") for t in kind)
            assert any(t.name.endswith("+" + variant) for t in kind)
    assert {v.gender for v in test} == {"f", "m"}
    assert {v.gender for v in train if v.engine != "espeak"} == {"f", "m"}


def test_kaldi_dirs_are_16k_mono_and_consistent(corpus: Path):
    for split, count in (("train", 24), ("dev", 6), ("test", 10)):
        d = corpus / split
        scp, text, u2s = (read_table(d / f) for f in ("wav.scp", "text", "utt2spk"))
        assert list(scp) == sorted(scp) and len(scp) == count
        assert set(scp) == set(text) == set(u2s)
        s2u = {spk: utts.split() for spk, utts in read_table(d / "spk2utt").items()}
        assert {u: s for s, us in s2u.items() for u in us} == u2s
        for utt, path in scp.items():
            assert utt.startswith(u2s[utt] + "-")
            info = sf.info(path)
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
            assert info.duration > 0.3
            assert text[utt] == " ".join(text[utt].split()) and text[utt].islower()


def test_test_voices_and_sentences_are_unseen_in_training(corpus: Path):
    voices = local_module("synth_en", "voices").voice_split()
    speaker_of = {v.id: v.speaker for v in voices["train"] + voices["test"]}
    spk = {s: set(read_table(corpus / s / "utt2spk").values()) for s in ("train", "dev", "test")}
    text = {s: set(read_table(corpus / s / "text").values()) for s in ("train", "dev", "test")}
    train_speakers = {speaker_of[v] for v in spk["train"]}
    assert not train_speakers & {speaker_of[v] for v in spk["test"]}
    assert spk["dev"] <= {v.id for v in voices["train"]}
    assert not text["train"] & text["test"] and not text["train"] & text["dev"]
    assert not text["dev"] & text["test"]


def test_summary_reports_the_test_oov_rate_against_the_training_text(corpus: Path):
    words = {s: read_table(corpus / s / "text").values() for s in ("train", "test")}
    heard = {w for t in words["train"] for w in t.split()}
    summary = json.loads((corpus / "synth_summary.json").read_text())["vocabulary"]
    assert summary["closed_words"] == 2000 and summary["train_words"] == len(heard)
    assert summary["test_oov_rate"] == round(synth.oov_rate(words["test"], heard), 4)


def test_closed_vocabulary_pools_hold_no_unheard_test_word():
    pools = {
        "train": ["the cat sat", "the dog sat", "a cat ran", "a dog ran", "the zebra sat"],
        "dev": ["the dog ran", "a dog flew"],
        "test": ["the cat ran", "the zebra ran", "a dog sat"],
    }
    closed = synth.closed_vocabulary(pools, 6)  # the, sat, a, cat, dog, ran (zebra: rare)
    assert closed["train"] == ["the cat sat", "the dog sat", "a cat ran", "a dog ran"]
    assert closed["dev"] == ["the dog ran"]  # "flew" is never heard in training
    assert closed["test"] == ["the cat ran", "a dog sat"]
    heard = {w for s in closed["train"] for w in s.split()}
    assert synth.oov_rate(closed["dev"] + closed["test"], heard) == 0.0


def test_vocabulary_helpers():
    sentences = ["a b c", "a b", "a d", "e a"]
    assert synth.frequent_words(sentences, 2) == {"a", "b"}
    assert synth.frequent_words(sentences, 3) == {"a", "b", "c"}  # ties: alphabetical
    assert synth.within_vocabulary(sentences, {"a", "b", "d"}) == ["a b", "a d"]
    assert synth.oov_rate(["a x", "b y z"], {"a", "b"}) == pytest.approx(3 / 5)
    assert synth.oov_rate([], {"a"}) == 0.0


def test_same_seed_gives_identical_bytes(corpus: Path, tmp_path: Path):
    again = tmp_path / "data"
    run_script(SCRIPT, "--out", str(again), *SIZES, "--seed", "3", "--nj", "1")
    for split in ("train", "dev", "test"):
        assert (again / split / "text").read_bytes() == (corpus / split / "text").read_bytes()
        for utt in read_table(corpus / split / "wav.scp"):
            a = (corpus / "wav" / f"{utt}.wav").read_bytes()
            assert a == (again / "wav" / f"{utt}.wav").read_bytes(), utt


def test_draw_is_seeded_and_follows_engine_shares():
    voices = local_module("synth_en", "voices").voice_split()["train"]
    pairs = [(f"sentence {i}", f"sentence {i}") for i in range(50)]
    share = {"espeak": 0.5, "flite": 0.5, "festival": 0.0}
    a = synth.draw_utterances("train", pairs, voices, 400, seed=1, engine_share=share)
    assert a == synth.draw_utterances("train", pairs, voices, 400, seed=1, engine_share=share)
    assert a != synth.draw_utterances("train", pairs, voices, 400, seed=2, engine_share=share)
    engines = [u.voice.engine for u in a]
    assert "festival" not in engines and 150 < engines.count("flite") < 250
    assert {u.text for u in a[:50]} == {t for _, t in pairs}  # all sentences before repeats
    for u in a:
        assert u.voice.speed[0] <= u.speed <= u.voice.speed[1]
        assert u.voice.pitch[0] <= u.pitch <= u.voice.pitch[1]


def test_missing_synthesizer_names_the_package(monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda b: None if b == "flite" else real_which(b))
    with pytest.raises(synth.MissingSynthesizerError, match=r"apt-get install -y flite"):
        synth.check_installed(["espeak", "flite"])
    missing_voice = {"voice_x": ("/nonexistent", "festvox-x")}
    monkeypatch.setattr(synth, "FESTIVAL_VOICE_PACKAGES", missing_voice)
    monkeypatch.setattr(shutil, "which", real_which)
    with pytest.raises(synth.MissingSynthesizerError, match=r"apt-get install -y festvox-x"):
        synth.check_installed(["festival"], ["voice_x"])


def test_split_by_hash_is_disjoint_and_independent_of_the_pool():
    sentences = [f"sentence number {w}" for w in "abcdefghijklmnopqrstuvwxyz" * 3]
    pools = synth.split_by_hash(sentences, dev=0.2, test=0.2)
    assert sum(map(len, pools.values())) == 26
    smaller = synth.split_by_hash(sentences[:10], dev=0.2, test=0.2)
    for split, items in smaller.items():
        assert set(items) <= set(pools[split])  # a sentence's split never depends on the others
