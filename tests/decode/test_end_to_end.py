"""Run directory → asr-transcribe / Transcriber / asr-decode, random tiny model (plumbing)."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest
import soundfile
import torch
from hydra import compose, initialize_config_dir

from asr.bin.average import main as average_main
from asr.bin.decode import CONF_DIR, run
from asr.bin.decode import main as decode_main
from asr.bin.train_lm import main as train_lm_main
from asr.bin.transcribe import main as transcribe_main
from asr.data.cmvn import CmvnStats
from asr.data.features import cut_features, fbank
from asr.data.prepare import prepare_kaldi_dir
from asr.data.tokenizer import CharTokenizer
from asr.decode import decode
from asr.decode.transcriber import Transcriber
from asr.lightning.run_dir import write_run_dir
from asr.models import ASRModel
from tests.cli_helpers import bad_input_error
from tests.data.fixtures import write_kaldi_dir

RATE = 16000


def tone(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    wave = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 400) * t) + 0.05 * rng.standard_normal(t.size)
    return wave.astype(np.float32)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run directory as asr-train leaves it: config, tokenizer, cmvn.json, average.pt."""
    root = tmp_path_factory.mktemp("run")
    tokenizer = CharTokenizer.train(["hello world", "good morning"])
    tokenizer.save(root / "lang")
    stats = CmvnStats(80)
    for seed in range(3):
        stats.accumulate(fbank(tone(1.0, seed), RATE))
    stats.save(root / "cmvn.json")
    model_cfg = {
        "_target_": "asr.models.ASRModel", "vocab_size": tokenizer.vocab_size, "feat_dim": 80,
        "d_model": 32, "heads": 2, "encoder_layers": 1, "encoder_ffn_dim": 64,
        "decoder_layers": 1, "decoder_ffn_dim": 64, "subsampling_channels": 8, "dropout": 0.0,
        "specaug": None,
    }  # fmt: skip
    exp = write_run_dir(root / "exp", {"model": model_cfg}, root / "lang", root / "cmvn.json")
    torch.manual_seed(0)
    model = ASRModel(**{k: v for k, v in model_cfg.items() if k != "_target_"})
    torch.save({"state_dict": model.state_dict()}, exp / "average.pt")
    for i, seconds in enumerate([1.2, 0.7]):
        soundfile.write(root / f"utt{i}.wav", tone(seconds, 10 + i), RATE)
    return root


def reference_texts(root, paths, **options) -> list[str]:
    """Decode each file alone with ``decode`` on the run's weights (what the tools must match)."""
    t = Transcriber.from_run_dir(root / "exp")
    out = []
    for path in paths:
        feats = fbank(soundfile.read(path, dtype="float32")[0], RATE)
        nbest = decode(t.model, feats[None], torch.tensor([feats.shape[0]]), **options)
        out.append(t.tokenizer.decode(nbest[0][0].tokens))
    return out


def test_transcribe_cli_prints_file_tab_text(run_dir, capsys):
    wavs = [str(run_dir / "utt0.wav"), str(run_dir / "utt1.wav")]
    rc = transcribe_main(
        ["--exp", str(run_dir / "exp"), "--method", "attention_beam", "--beam", "3", *wavs]
    )
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    expected = reference_texts(run_dir, wavs, method="attention_beam", beam=3)
    assert lines == [f"{w}\t{t}" for w, t in zip(wavs, expected, strict=True)]
    assert any(expected)


def test_transcriber_api_takes_paths_and_arrays(run_dir):
    t = Transcriber.from_run_dir(run_dir / "exp", method="ctc_prefix_beam", beam=4)
    samples = tone(1.2, 10)
    by_path = t.transcribe([run_dir / "utt0.wav", run_dir / "utt1.wav"])
    assert by_path == reference_texts(
        run_dir, [run_dir / "utt0.wav", run_dir / "utt1.wav"], method="ctc_prefix_beam", beam=4
    )
    assert t.transcribe([samples])[0] == by_path[0]
    resampled = soundfile.read(run_dir / "utt0.wav", dtype="float32")[0][::2]  # 8 kHz
    assert isinstance(t.transcribe([resampled], sample_rate=8000)[0], str)
    with pytest.raises(ValueError, match="nope.wav: cannot read audio"):
        t.transcribe([run_dir / "nope.wav"])


def test_transcribe_wav_scp_prints_kaldi_text_and_skips_bad_entries(run_dir, tmp_path, capsys):
    scp = tmp_path / "wav.scp"
    scp.write_text(
        f"a {run_dir / 'utt0.wav'}\nb cat {run_dir / 'utt1.wav'} |\nc {tmp_path / 'missing.wav'}\n"
    )
    rc = transcribe_main(
        ["--exp", str(run_dir / "exp"), "--method", "ctc_greedy", "--wav-scp", str(scp)]
    )
    out = capsys.readouterr()
    expected = reference_texts(
        run_dir, [run_dir / "utt0.wav", run_dir / "utt1.wav"], method="ctc_greedy"
    )
    assert out.out.splitlines() == [f"a {expected[0]}".rstrip(), f"b {expected[1]}".rstrip()]
    assert rc == 1 and "skipping c" in out.err and "missing.wav" in out.err


@pytest.mark.slow
def test_asr_decode_writes_the_set_report(run_dir, tmp_path):
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(
        f"u0 {run_dir / 'utt0.wav'}\nu1 {run_dir / 'utt1.wav'}\nu2 {tmp_path / 'gone.wav'}\n"
    )
    (kaldi / "text").write_text("u0 hello world\nu1 good morning\nu2 lost\n")
    overrides = [
        f"exp_dir={run_dir / 'exp'}", f"test_sets={{test: {kaldi}}}", f"out_dir={tmp_path / 'out'}",
        "method=joint_ctc_attention", "beam=3", "num_workers=0", "progress=false",
    ]  # fmt: skip
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("decode", overrides=overrides)
    summary = run(cfg)["test"]
    out = tmp_path / "out" / "test_joint_ctc_attention"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["alignments.txt", "hyp", "ref", "summary.json", "summary.txt"]
    expected = reference_texts(
        run_dir, [run_dir / "utt0.wav", run_dir / "utt1.wav"], method="joint_ctc_attention", beam=3
    )
    assert (out / "hyp").read_text().splitlines() == [
        f"u{i} {t}".rstrip() for i, t in enumerate(expected)
    ]
    assert (out / "ref").read_text() == "u0 hello world\nu1 good morning\n"  # u2 dropped by prepare
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary["sentences"] == 2 and summary["ref_words"] == 4 and summary["metric"] == "wer"
    assert summary["rtf"] > 0 and summary["audio_seconds"] == pytest.approx(1.9)
    assert summary["method"] == "joint_ctc_attention" and summary["beam"] == 3
    assert "Sum/Avg" in (out / "summary.txt").read_text()


def test_asr_decode_with_a_word_lm_spells_only_its_words(run_dir, tmp_path):
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"u0 {run_dir / 'utt0.wav'}\nu1 {run_dir / 'utt1.wav'}\n")
    (kaldi / "text").write_text("u0 hello world\nu1 good morning\n")
    (tmp_path / "lm_text").write_text("a hello world\nb good morning\nc hello\n")
    train_lm_main([str(tmp_path / "lm_text"), "--order", "2", "--out", str(tmp_path / "lm.json")])
    overrides = [
        f"exp_dir={run_dir / 'exp'}", f"test_sets={{test: {kaldi}}}", f"out_dir={tmp_path / 'out'}",
        "method=joint_ctc_attention", "beam=4", "pre_beam=100", "num_workers=0",
        "progress=false", f"lm={tmp_path / 'lm.json'}", "lm_weight=0.5",
    ]  # fmt: skip
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        summary = run(compose("decode", overrides=overrides))["test"]
    hyp = (tmp_path / "out" / "test_joint_ctc_attention_lm" / "hyp").read_text().split()
    words = set(hyp) - {"u0", "u1"}  # pre_beam 100: every token is a candidate at every step
    assert words and words <= {"hello", "world", "good", "morning"}
    assert summary["lm"] == str(tmp_path / "lm.json") and summary["lm_weight"] == 0.5


def test_transcriber_hears_a_stereo_44k_file_as_training_and_decoding_do(run_dir, tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=1, seed=5, sample_rate=44100, channels=2)
    cut = next(iter(prepare_kaldi_dir(data, progress=False)[0]))
    t = Transcriber.from_run_dir(run_dir / "exp")
    torch.testing.assert_close(t.features(tmp_path / "audio" / f"{cut.id}.wav"), cut_features(cut))


class Payload:
    def __reduce__(self):
        return (print, ("unpickled!",))


@pytest.fixture
def refused_run(run_dir, tmp_path):
    """A copy of the run directory whose average.pt carries a pickled object."""
    exp = tmp_path / "exp"
    shutil.copytree(run_dir / "exp", exp)
    torch.save({"state_dict": {}, "x": Payload()}, exp / "average.pt")
    return exp


def test_every_tool_names_a_refused_checkpoint_in_one_line(refused_run, run_dir, capsys):
    refused = f"error: refusing to load {refused_run / 'average.pt'}: it is not a plain"
    argv = ["--exp", str(refused_run), str(run_dir / "utt0.wav")]
    assert bad_input_error(transcribe_main, argv, capsys).startswith(f"asr-transcribe: {refused}")
    (refused_run / "checkpoints").mkdir()
    for name in (
        "epoch000-step0000001-val_loss1.0000.ckpt",
        "epoch001-step0000002-val_loss0.9.ckpt",
    ):
        shutil.copyfile(refused_run / "average.pt", refused_run / "checkpoints" / name)
    err = bad_input_error(average_main, [str(refused_run), "--num", "2"], capsys)
    assert err.startswith("asr-average: error: refusing to load ") and "val_loss" in err
    assert "unpickled!" not in capsys.readouterr().out


def test_asr_decode_reports_bad_input_in_one_line(
    refused_run, run_dir, tmp_path, monkeypatch, capsys
):
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"u0 {run_dir / 'utt0.wav'}\n")
    (kaldi / "text").write_bytes(b"u0 hello w\xf6rld\n")
    for exp, expected in (
        (run_dir / "exp", f"asr-decode: error: {kaldi / 'text'}:1: line is not valid UTF-8"),
        (refused_run, f"asr-decode: error: refusing to load {refused_run / 'average.pt'}"),
    ):
        argv = [f"exp_dir={exp}", f"test_sets={{test: {kaldi}}}", f"out_dir={tmp_path / 'out'}"]
        monkeypatch.setattr(sys, "argv", ["asr-decode", *argv, "num_workers=0", "progress=false"])
        assert bad_input_error(lambda _: decode_main(), [], capsys).startswith(expected)
