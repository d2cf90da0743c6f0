"""egs/synth_en: the synthesized English corpus (Kaldi dirs, splits, determinism)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import soundfile as sf

from asr.recipes import synth
from tests.recipes.conftest import REPO, local_module, read_table, run_script, setup_packages

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
    assert not {v.speaker for v in train} & {v.speaker for v in test}  # one side each
    assert len({v.id for v in train + test}) == len(train + test)
    recorded = {s: [v for v in vs if v.family == "recorded"] for s, vs in voices.items()}
    speakers = {s: {v.speaker for v in vs} for s, vs in recorded.items()}
    assert len(speakers["train"] | speakers["test"]) >= 15
    assert len(speakers["test"]) >= 4 and {"kal", "slt", "us2"} <= speakers["train"]
    for side in ("train", "test"):  # both genders among the recorded speakers of each side
        assert {v.gender for v in recorded[side]} == {"f", "m"}
    for v in test:
        kind = [t for t in train if t.engine == v.engine and t.family == v.family]
        assert kind, f"no training voice of {v.id}'s engine and family"
        if v.family == "espeak":
            accent, variant = v.name.split("+")
            assert any(t.name.startswith(accent + "+") for t in kind)
            assert any(t.name.endswith("+" + variant) for t in kind)
        else:  # a recorded test speaker has a training speaker of its gender on its engine
            assert any(t.gender == v.gender for t in kind), v.id
    assert {v.gender for v in test if v.family == "espeak"} == {"f", "m"}


def test_default_test_set_gives_no_voice_more_than_15_percent():
    voices = local_module("synth_en", "voices").voice_split()["test"]
    pairs = [(f"sentence {i}", f"sentence {i}") for i in range(300)]
    for count in (400, 130, 1000):
        drawn = synth.draw_utterances("test", pairs, voices, count, seed=0)
        per_speaker = Counter(u.voice.speaker for u in drawn)
        assert len(per_speaker) == len({v.speaker for v in voices})
        assert max(per_speaker.values()) - min(per_speaker.values()) <= 1  # speakers take turns
        assert max(per_speaker.values()) <= 0.15 * count
        assert {u.voice.family for u in drawn} == {"espeak", "recorded"}


def test_every_voice_needs_only_packages_that_setup_installs():
    voices = local_module("synth_en", "voices").voice_split()
    needed = {pkg for v in voices["train"] + voices["test"] for _, pkg in synth.requirements(v)}
    assert needed - setup_packages() == set()
    assert {f"mbrola-{v.mbrola_db}" for v in voices["test"] if v.mbrola_db} == {
        "mbrola-us1", "mbrola-en1", "mbrola-de5", "mbrola-sw1"
    }  # fmt: skip


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


def test_draw_is_seeded_and_follows_family_shares():
    voices = local_module("synth_en", "voices").voice_split()["train"]
    pairs = [(f"sentence {i}", f"sentence {i}") for i in range(50)]
    share = {"espeak": 0.25, "recorded": 0.75}
    a = synth.draw_utterances("train", pairs, voices, 800, seed=1, family_share=share)
    assert a == synth.draw_utterances("train", pairs, voices, 800, seed=1, family_share=share)
    assert a != synth.draw_utterances("train", pairs, voices, 800, seed=2, family_share=share)
    families = Counter(u.voice.family for u in a)
    assert 520 < families["recorded"] < 680
    # Within a family speakers are equally likely, whatever their number of engine voices
    # (kal has three, awb one): 22 recorded training speakers share ~600 utterances.
    recorded = Counter(u.voice.speaker for u in a if u.voice.family == "recorded")
    assert len(recorded) == 22 and 15 < min(recorded.values()) <= max(recorded.values()) < 45
    kal = {u.voice.id for u in a if u.voice.speaker == "kal"}
    assert kal == {"flite-kal", "flite-kal16", "festival-kal"}
    only = synth.draw_utterances("train", pairs, voices, 50, 1, {"espeak": 0.0, "recorded": 1})
    assert {u.voice.family for u in only} == {"recorded"}
    assert {u.text for u in a[:50]} == {t for _, t in pairs}  # all sentences before repeats
    for u in a:
        assert u.voice.speed[0] <= u.speed <= u.voice.speed[1]
        assert u.voice.pitch[0] <= u.pitch <= u.voice.pitch[1]


def test_missing_synthesizer_names_the_package(monkeypatch):
    voices = {v.id: v for v in local_module("synth_en", "voices").voice_split()["train"]}
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda b: None if b == "flite" else real_which(b))
    with pytest.raises(synth.MissingSynthesizerError, match=r"`apt-get install -y .*flite`"):
        synth.check_installed([voices["espeak-en-us-m1"], voices["flite-kal"]])
    monkeypatch.setattr(shutil, "which", real_which)
    monkeypatch.setattr(synth, "MBROLA_DIR", Path("/nonexistent"))
    # A missing mbrola voice (Debian non-free) names the command that enables non-free too.
    with pytest.raises(synth.MissingSynthesizerError) as err:
        synth.check_installed([voices["mbrola-de1-en"], voices["festival-us2"]])
    message = str(err.value)
    assert "mbrola-de1 (/nonexistent/de1/de1)" in message and "mbrola-us2" in message
    assert "bash tools/setup.sh" in message and "contrib and non-free" in message
    assert "apt-get install -y --no-install-recommends mbrola-de1 mbrola-us2" in message


def test_split_by_hash_is_disjoint_and_independent_of_the_pool():
    sentences = [f"sentence number {w}" for w in "abcdefghijklmnopqrstuvwxyz" * 3]
    pools = synth.split_by_hash(sentences, dev=0.2, test=0.2)
    assert sum(map(len, pools.values())) == 26
    smaller = synth.split_by_hash(sentences[:10], dev=0.2, test=0.2)
    for split, items in smaller.items():
        assert set(items) <= set(pools[split])  # a sentence's split never depends on the others
