"""Kaldi dir → validated cuts: round trip and every bad-input case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.bin.prepare import main as prepare_main
from asr.data.audio import model_input
from asr.data.features import cut_features
from asr.data.kaldi_dir import KaldiDirError
from asr.data.prepare import aux_transcript, load_cuts, prepare_kaldi_dir, save_cuts
from tests.cli_helpers import bad_input_error

from .fixtures import write_kaldi_dir


def _prepare(data_dir: Path, **kwargs):
    return prepare_kaldi_dir(data_dir, progress=False, **kwargs)


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def test_round_trip_through_cuts_jsonl(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=5, seed=1)
    cuts, report = _prepare(data)
    assert report.kept == 5 and sum(report.dropped.values()) == 0
    save_cuts(cuts, tmp_path / "cuts.jsonl.gz")
    back = load_cuts(tmp_path / "cuts.jsonl.gz")
    assert back.is_lazy
    texts = dict(line.split(maxsplit=1) for line in (data / "text").read_text().splitlines())
    for cut in back:
        wav_path = tmp_path / "audio" / f"{cut.id}.wav"
        expected, sr = sf.read(wav_path, dtype="float32")
        assert cut.sampling_rate == sr
        assert cut.duration == pytest.approx(len(expected) / sr)
        assert cut.supervisions[0].text == texts[cut.id]
        assert cut.supervisions[0].speaker == cut.id.split("-")[0]
        np.testing.assert_allclose(cut.load_audio()[0], expected, atol=1e-6)


def test_missing_corrupt_and_empty_audio_are_dropped_and_counted(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=2)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00not really a wav file" * 10)
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    for utt, path in [
        ("x-missing", tmp_path / "nope.wav"),
        ("x-corrupt", tmp_path / "corrupt.wav"),
        ("x-empty", tmp_path / "empty.wav"),
    ]:
        _append(data / "wav.scp", f"{utt} {path}")
        _append(data / "text", f"{utt} some words")
    cuts, report = _prepare(data)
    assert sorted(c.id for c in cuts) == sorted(c for c in _ids(data) if not c.startswith("x-"))
    assert report.dropped == {"missing_audio": 1, "corrupt_audio": 1, "empty_audio": 1}
    assert "nope.wav" in report.examples["missing_audio"][0]


def _ids(data: Path) -> list[str]:
    return [line.split()[0] for line in (data / "wav.scp").read_text().splitlines()]


def test_duration_limits_and_empty_transcript(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=6, seed=3, min_seconds=0.2, max_seconds=3.0)
    durations = {c.id: c.duration for c in _prepare(data)[0]}
    first = _ids(data)[0]
    text = (data / "text").read_text().splitlines()
    text[0] = first  # key with no words
    (data / "text").write_text("\n".join(text) + "\n")
    cuts, report = _prepare(data, min_duration=1.0, max_duration=2.5)
    others = {k: d for k, d in durations.items() if k != first}
    assert report.dropped["empty_transcript"] == 1
    assert report.dropped["too_short"] == sum(d < 1.0 for d in others.values())
    assert report.dropped["too_long"] == sum(d > 2.5 for d in others.values())
    assert all(1.0 <= c.duration <= 2.5 for c in cuts)
    assert report.kept == len(cuts) == sum(1.0 <= d <= 2.5 for d in others.values())


def test_non_utf8_text_names_file_and_line(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=4)
    with (data / "text").open("ab") as f:
        f.write(b"bad-utt caf\xe9 latin-1\n")
    with pytest.raises(KaldiDirError, match=r"text:4: line is not valid UTF-8"):
        _prepare(data)


@pytest.mark.parametrize("name", ["wav.scp", "text", "utt2spk"])
def test_duplicate_id_names_file_and_line(tmp_path, name):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=5)
    first = (data / name).read_text().splitlines()[0]
    _append(data / name, first)
    with pytest.raises(KaldiDirError, match=rf"{name}:4: duplicate id .* \(first seen at line 1\)"):
        _prepare(data)


def test_ids_in_only_one_of_text_and_wav_scp_are_dropped(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=4, seed=6)
    lines = (data / "text").read_text().splitlines()
    (data / "text").write_text("\n".join(lines[1:]) + "\n")  # first utt: audio, no text
    _append(data / "text", "zz-text-only hello")
    cuts, report = _prepare(data)
    assert report.dropped == {"no_transcript": 1, "no_audio_entry": 1}
    assert len(cuts) == 3
    assert lines[0].split()[0] not in {c.id for c in cuts}


def test_piped_commands_ok_and_failing(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=7)
    wav = tmp_path / "audio" / f"{_ids(data)[0]}.wav"
    _append(data / "wav.scp", f"p-cat cat {wav} |")
    _append(data / "wav.scp", "p-fail sh -c 'echo boom >&2; exit 3' |")
    _append(data / "wav.scp", "p-junk echo not audio |")
    for utt in ("p-cat", "p-fail", "p-junk"):
        _append(data / "text", f"{utt} piped words")
    cuts, report = _prepare(data)
    assert report.dropped == {"command_failed": 2}
    assert any("exit 3" in e and "boom" in e for e in report.examples["command_failed"])
    piped = next(c for c in cuts if c.id == "p-cat")
    expected, _ = sf.read(wav, dtype="float32")
    np.testing.assert_allclose(piped.load_audio()[0], expected, atol=1e-6)


def test_other_sample_rate_stays_in_the_cuts_and_features_are_16k(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=8, sample_rate=8000)
    cuts, _ = _prepare(data)
    for cut in cuts:
        assert cut.sampling_rate == 8000
        samples, _ = sf.read(tmp_path / "audio" / f"{cut.id}.wav", dtype="float32")
        assert cut.load_audio().shape == (1, len(samples))
        n16 = 2 * len(samples)  # resampled to 16 kHz, then 25 ms windows every 10 ms
        assert cut_features(cut).shape == (1 + (n16 - 400) // 160, 80)


def test_multichannel_keeps_every_channel_and_the_model_hears_their_mean(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=9, channels=2)
    cuts, _ = _prepare(data)
    for cut in cuts:
        stereo, sr = sf.read(tmp_path / "audio" / f"{cut.id}.wav", dtype="float32")
        audio = cut.load_audio()
        assert audio.shape == (2, stereo.shape[0])
        np.testing.assert_allclose(audio, stereo.T, atol=1e-6)
        np.testing.assert_allclose(model_input(audio, sr), stereo.mean(axis=1), atol=1e-6)
    save_cuts(cuts, tmp_path / "cuts.jsonl.gz")
    assert [c.load_audio().shape[0] for c in load_cuts(tmp_path / "cuts.jsonl.gz")] == [2, 2]


def test_segments_cut_recordings(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=1, seed=10, min_seconds=3.0, max_seconds=3.0)
    rec = _ids(data)[0]
    (data / "segments").write_text(
        f"a-1 {rec} 0.00 1.00\na-2 {rec} 1.50 -1\na-3 {rec} 2.50 9.00\na-4 nowhere 0 1\n"
    )
    (data / "text").write_text("a-1 one\na-2 two\na-3 three\na-4 four\n")
    (data / "utt2spk").write_text("a-1 a\na-2 a\na-3 a\na-4 a\n")
    cuts, report = _prepare(data)
    assert report.dropped == {"bad_segment": 1, "no_audio_entry": 1}
    by_id = {c.id: c for c in cuts}
    full, sr = sf.read(tmp_path / "audio" / f"{rec}.wav", dtype="float32")
    assert by_id["a-1"].duration == pytest.approx(1.0)
    assert by_id["a-2"].duration == pytest.approx(len(full) / sr - 1.5)
    np.testing.assert_allclose(by_id["a-2"].load_audio()[0], full[int(1.5 * sr) :], atol=1e-6)


def test_cli_writes_cuts_report_cmvn_and_features(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=11)
    _append(data / "wav.scp", f"x-missing {tmp_path / 'nope.wav'}")
    _append(data / "text", "x-missing words")
    out = tmp_path / "out"
    argv = [
        str(data),
        str(out),
        "--speed-perturb",
        "0.9,1.0",
        "--cmvn",
        "--precompute-features",
        "--no-progress",
    ]
    assert prepare_main(argv) == 0
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["kept"] == 3 and report["dropped"] == {"missing_audio": 1}
    cuts = list(load_cuts(out / "cuts.jsonl.gz"))
    assert len(cuts) == 6 and all(c.has_features for c in cuts)
    assert sum(c.id.endswith("_sp0.9") for c in cuts) == 3
    cmvn = json.loads((out / "cmvn.json").read_text())
    assert cmvn["frames"] == sum(c.load_features().shape[0] for c in cuts)


def test_cli_reports_malformed_dir(tmp_path, capsys):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=12)
    (data / "text").unlink()
    err = bad_input_error(prepare_main, [str(data), str(tmp_path / "out"), "--no-progress"], capsys)
    assert err == f"asr-prepare: error: {data / 'text'}: missing (a Kaldi data dir needs it)"


def test_relative_wav_paths_resolve_against_current_directory(tmp_path, monkeypatch):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=13)
    lines = (data / "wav.scp").read_text().splitlines()
    rel = [f"{u} {Path(p).relative_to(tmp_path)}" for u, p in (ln.split() for ln in lines)]
    (data / "wav.scp").write_text("\n".join(rel) + "\n")
    monkeypatch.chdir(tmp_path)
    cuts, report = _prepare(data)
    assert report.kept == 2
    monkeypatch.chdir(tmp_path.parent)  # stored paths are absolute: loading works from anywhere
    for cut in cuts:
        assert Path(cut.recording.sources[0].source).is_absolute()
        assert cut.load_audio().shape[1] == cut.recording.num_samples


def test_aux_transcripts_ride_in_the_cuts_and_utterances_without_one_are_dropped(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=4, seed=2)
    utts = sorted(line.split()[0] for line in (data / "text").read_text().splitlines())
    (data / "text_phn").write_text(f"{utts[0]} t ian1\n{utts[1]}\n{utts[3]}  sh  i4 \n")
    cuts, report = _prepare(data, aux_text="text_phn")
    assert {c.id: aux_transcript(c) for c in cuts} == {utts[0]: "t ian1", utts[3]: "sh i4"}
    assert report.dropped_utts == {"empty_aux_transcript": [utts[1]],
                                   "no_aux_transcript": [utts[2]]}  # fmt: skip
    assert str(data / "text_phn") in report.examples["no_aux_transcript"][0]
    save_cuts(cuts, tmp_path / "cuts.jsonl.gz")
    assert [aux_transcript(c) for c in load_cuts(tmp_path / "cuts.jsonl.gz")] == ["t ian1", "sh i4"]
    assert all(aux_transcript(c) is None for c in _prepare(data)[0])  # not asked for: not read
    with pytest.raises(KaldiDirError, match="text_missing: no such file"):
        _prepare(data, aux_text="text_missing")
