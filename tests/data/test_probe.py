"""Audio decoded end to end at prepare time: cut-off files are dropped as truncated_audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from asr.data.prepare import prepare_kaldi_dir
from asr.data.probe import AudioProbeError, declared_wav_frames, probe_audio

from .fixtures import make_audio, write_kaldi_dir

FRAMES = 27700  # 1.73 s at 16 kHz


def _audio(path, fmt: str = "WAV", subtype: str = "PCM_16", channels: int = 1):
    samples = make_audio(np.random.default_rng(0), FRAMES / 16000)
    if channels > 1:
        samples = np.stack([samples] * channels, axis=1)
    sf.write(path, samples, 16000, format=fmt, subtype=subtype)
    return path


def _cut_off(path, fraction: float):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


@pytest.mark.parametrize(
    ("fmt", "subtype", "channels"),
    [("WAV", "PCM_16", 1), ("WAV", "FLOAT", 2), ("WAVEX", "PCM_24", 2), ("FLAC", "PCM_16", 1)],
)
def test_whole_files_probe_to_their_frames(tmp_path, fmt, subtype, channels):
    path = _audio(tmp_path / f"a.{fmt.lower()}", fmt, subtype, channels)
    info = probe_audio(str(path))
    assert (info.num_samples, info.sample_rate, info.channels) == (FRAMES, 16000, channels)
    with path.open("rb") as f:
        assert declared_wav_frames(f) == (FRAMES if fmt.startswith("WAV") else None)


def test_a_wav_cut_off_partway_is_truncated(tmp_path):
    path = _cut_off(_audio(tmp_path / "a.wav"), 0.36)
    assert sf.info(str(path)).frames < FRAMES  # libsndfile alone shortens it without a word
    with pytest.raises(AudioProbeError, match=r"a.wav: header says 1.731 s, only 0.6\d\d s") as e:
        probe_audio(str(path))
    assert e.value.reason == "truncated_audio"


def test_a_flac_cut_off_partway_is_truncated(tmp_path):
    path = _cut_off(_audio(tmp_path / "a.flac", "FLAC"), 0.4)
    assert sf.info(str(path)).frames == FRAMES  # the header still promises the whole file
    with pytest.raises(AudioProbeError, match=r"a.flac: decoding fails after") as e:
        probe_audio(str(path))
    assert e.value.reason == "truncated_audio"


def test_a_wav_whose_writer_could_not_know_the_length_is_read_to_its_end(tmp_path):
    data = bytearray(_audio(tmp_path / "a.wav").read_bytes())
    size_at = data.index(b"data") + 4
    data[size_at : size_at + 4] = (0x7FFFF000).to_bytes(4, "little")  # sox writing to a pipe
    path = tmp_path / "piped.wav"
    path.write_bytes(bytes(data))
    with path.open("rb") as f:
        assert declared_wav_frames(f) is None
    assert probe_audio(str(path)).num_samples == FRAMES


def test_prepare_drops_and_counts_truncated_audio_with_its_path(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=0)
    wav = _cut_off(_audio(tmp_path / "cut.wav"), 0.36)
    flac = _cut_off(_audio(tmp_path / "cut.flac", "FLAC"), 0.4)
    with (data / "wav.scp").open("a") as scp, (data / "text").open("a") as text:
        for utt, path in (("x-wav", wav), ("x-flac", flac), ("x-pipe", f"cat {flac} |")):
            scp.write(f"{utt} {path}\n")
            text.write(f"{utt} words that audio no longer holds\n")
    cuts, report = prepare_kaldi_dir(data, progress=False)
    assert report.dropped == {"truncated_audio": 3}
    assert sorted(report.dropped_utts["truncated_audio"]) == ["x-flac", "x-pipe", "x-wav"]
    details = " ".join(report.examples["truncated_audio"])
    assert str(wav) in details and str(flac) in details
    assert report.kept == len(cuts) == 2 and report.entries == 5
