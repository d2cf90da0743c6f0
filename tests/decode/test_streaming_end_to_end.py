"""Streaming from a run directory: Transcriber.stream, asr-transcribe --streaming, asr-decode
chunk_size; each equals batch decoding of the whole file with the same chunks."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import soundfile
import torch
from hydra import compose, initialize_config_dir

from asr.bin.decode import CONF_DIR, run
from asr.bin.decode import main as decode_main
from asr.bin.transcribe import main as transcribe_main
from asr.data.cmvn import CmvnStats, load_cmvn
from asr.data.features import fbank
from asr.data.tokenizer import CharTokenizer
from asr.decode import decode
from asr.decode.transcriber import Transcriber
from asr.lightning.run_dir import write_run_dir
from asr.pretrained.run_dir import build
from tests.cli_helpers import bad_input_error

RATE = 16000

MODEL = {
    "_target_": "asr.models.ASRModel", "feat_dim": 80, "encoder": "conformer", "d_model": 32,
    "heads": 2, "encoder_layers": 1, "encoder_ffn_dim": 64, "decoder_layers": 1,
    "decoder_ffn_dim": 64, "conv_kernel": 5, "subsampling_channels": 8, "dropout": 0.0,
    "specaug": None,
}  # fmt: skip
STREAMING = {"_target_": "asr.models.DynamicChunk", "chunk_sizes": [4, 8]}


def babble(seconds: float, seed: int) -> np.ndarray:
    """100 ms tones of random pitch and loudness in noise: frames that differ, so that a
    random model's hypotheses depend on how much context it sees."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE // 10) / RATE
    pieces = [
        rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(80, 3000) * t)
        + 0.05 * rng.standard_normal(t.size)
        for _ in range(round(seconds * 10))
    ]
    return np.concatenate(pieces).astype(np.float32)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two run directories: a streaming Conformer (exp) and a full-context one (exp_full)."""
    root = tmp_path_factory.mktemp("stream_run")
    tokenizer = CharTokenizer.train(["hello world", "good morning"])
    tokenizer.save(root / "lang")
    stats = CmvnStats(80)
    for seed in range(3):
        stats.accumulate(fbank(babble(1.0, seed), RATE))
    stats.save(root / "cmvn.json")
    for name, streaming in (("exp", STREAMING), ("exp_full", None)):
        cfg = {**MODEL, "vocab_size": tokenizer.vocab_size, "streaming": streaming}
        exp = write_run_dir(root / name, {"model": cfg}, root / "lang", root / "cmvn.json")
        torch.manual_seed(0)
        mean, istd = load_cmvn(root / "cmvn.json")
        model = build({**cfg, "cmvn_mean": mean, "cmvn_istd": istd})
        with torch.no_grad():  # peakier than at init, so that searches disagree
            model.ctc.proj.weight.mul_(4.0)
            model.decoder.out.weight.mul_(4.0)
        torch.save({"state_dict": model.state_dict()}, exp / "average.pt")
    for i, seconds in enumerate([1.3, 0.8]):
        soundfile.write(root / f"utt{i}.wav", babble(seconds, 20 + i), RATE)
    return root


def reference(root, path, chunk: int | None, method: str = "attention_rescoring", beam: int = 10):
    t = Transcriber.from_run_dir(root / "exp")
    feats = fbank(soundfile.read(path, dtype="float32")[0], RATE)
    nbest = decode(t.model, feats[None], torch.tensor([feats.shape[0]]), method, beam=beam,
                   chunk_size=chunk)  # fmt: skip
    return t.tokenizer.decode(nbest[0][0].tokens)


def test_transcriber_stream_gives_partials_then_the_batch_result(runs):
    t = Transcriber.from_run_dir(runs / "exp", beam=4)
    wave = soundfile.read(runs / "utt0.wav", dtype="float32")[0]
    stream = t.stream(chunk_size=4)
    partials = [stream.feed(wave[i : i + 800]) for i in range(0, wave.size, 800)]
    assert all(isinstance(p, str) for p in partials) and any(partials)
    final = stream.finish()
    assert final == reference(runs, runs / "utt0.wav", 4, beam=4)
    assert final != reference(runs, runs / "utt0.wav", None, beam=4)  # chunks matter here
    prefix_only = t.stream(chunk_size=8, method="ctc_prefix_beam")
    prefix_only.feed(wave)
    assert prefix_only.finish() == reference(runs, runs / "utt0.wav", 8, "ctc_prefix_beam", 4)


def test_transcribe_cli_streams_each_file(runs, capsys):
    wavs = [str(runs / "utt0.wav"), str(runs / "utt1.wav")]
    rc = transcribe_main(
        ["--exp", str(runs / "exp"), "--streaming", "--chunk", "4", "--partials", *wavs]
    )
    out = capsys.readouterr()
    assert rc == 0
    expected = [reference(runs, w, 4) for w in wavs]
    assert out.out.splitlines() == [f"{w}\t{t}" for w, t in zip(wavs, expected, strict=True)]
    assert f"{wavs[0]} (partial)\t" in out.err


def test_transcribe_cli_refuses_a_full_context_model_and_other_methods(runs, capsys):
    wav = str(runs / "utt0.wav")
    err = bad_input_error(transcribe_main, ["--exp", str(runs / "exp_full"), "--streaming", wav],
                          capsys)  # fmt: skip
    assert err.startswith(f"asr-transcribe: error: {runs / 'exp_full'}: chunk-by-chunk encoding")
    assert "needs a streaming Conformer" in err
    with pytest.raises(SystemExit) as exit_info:
        transcribe_main(["--exp", str(runs / "exp"), "--streaming", "--method", "ctc_greedy", wav])
    assert exit_info.value.code == 2
    assert "--streaming decodes with ctc_prefix_beam or attention_rescoring" in (
        capsys.readouterr().err
    )


def test_asr_decode_with_chunk_size_writes_a_streaming_decode_dir(runs, tmp_path):
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"u0 {runs / 'utt0.wav'}\nu1 {runs / 'utt1.wav'}\n")
    (kaldi / "text").write_text("u0 hello world\nu1 good morning\n")
    overrides = [
        f"exp_dir={runs / 'exp'}", f"test_sets={{test: {kaldi}}}", f"out_dir={tmp_path / 'out'}",
        "method=attention_rescoring", "beam=10", "num_workers=0", "progress=false",
        "chunk_size=8",
    ]  # fmt: skip
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        summary = run(compose("decode", overrides=overrides))["test"]
    out = tmp_path / "out" / "test_attention_rescoring_chunk8"
    expected = [reference(runs, runs / f"utt{i}.wav", 8) for i in range(2)]
    assert (out / "hyp").read_text().splitlines() == [
        f"u{i} {t}".rstrip() for i, t in enumerate(expected)
    ]
    assert summary["chunk_size"] == 8 and summary["left_chunks"] == -1
    assert json.loads((out / "summary.json").read_text())["chunk_size"] == 8


def test_asr_decode_refuses_chunks_for_a_full_context_model_in_one_line(
    runs, tmp_path, monkeypatch, capsys
):
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"u0 {runs / 'utt0.wav'}\n")
    (kaldi / "text").write_text("u0 hello world\n")
    argv = [f"exp_dir={runs / 'exp_full'}", f"test_sets={{test: {kaldi}}}", "chunk_size=8",
            f"out_dir={tmp_path / 'out'}", "num_workers=0", "progress=false"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["asr-decode", *argv])
    err = bad_input_error(lambda _: decode_main(), [], capsys)
    assert err.startswith(f"asr-decode: error: chunk_size=8: {runs / 'exp_full'}: ")
    assert "needs a streaming Conformer" in err
    assert not list((tmp_path / "out").glob("test_*"))  # refused before any decoding
