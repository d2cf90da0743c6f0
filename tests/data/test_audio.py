"""The one audio → model input function: channels averaged, 16 kHz; and audio reading."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF

from asr.data.audio import SAMPLE_RATE, AudioError, model_input, read_audio
from asr.data.features import audio_features, cut_features, fbank
from asr.data.prepare import prepare_kaldi_dir

from .fixtures import make_audio, write_kaldi_dir


def test_channels_are_averaged_and_mono_passes_through():
    rng = np.random.default_rng(0)
    left, right = make_audio(rng, 0.5), make_audio(rng, 0.5)
    stereo = np.stack([left, right])
    torch.testing.assert_close(
        model_input(stereo, SAMPLE_RATE), torch.from_numpy((left + right) / 2)
    )
    torch.testing.assert_close(model_input(left, SAMPLE_RATE), torch.from_numpy(left))
    torch.testing.assert_close(model_input(left[None], SAMPLE_RATE), torch.from_numpy(left))
    with pytest.raises(ValueError, match=r"expected samples \(channels, N\) or \(N,\)"):
        model_input(stereo[None], SAMPLE_RATE)


def test_other_rates_are_resampled_to_16k_after_mixing():
    rng = np.random.default_rng(1)
    stereo = np.stack([make_audio(rng, 0.5, 8000), make_audio(rng, 0.5, 8000)])
    out = model_input(stereo, 8000)
    assert out.shape == (2 * stereo.shape[1],)
    expected = AF.resample(torch.from_numpy(stereo.mean(axis=0)), 8000, SAMPLE_RATE)
    torch.testing.assert_close(out, expected)


def test_read_audio_gives_channels_first_for_files_and_commands(tmp_path):
    stereo = np.stack([make_audio(np.random.default_rng(2), 0.3)] * 2, axis=1) * [1.0, 0.5]
    sf.write(tmp_path / "a.wav", stereo, 22050, subtype="FLOAT")
    for entry in (tmp_path / "a.wav", f"cat {tmp_path / 'a.wav'} |"):
        samples, rate = read_audio(entry)
        assert rate == 22050 and samples.shape == (2, stereo.shape[0])
        np.testing.assert_allclose(samples, stereo.T, atol=1e-7)
    with pytest.raises(AudioError, match=r"nope.wav: cannot read audio"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match=r"exit 3: exit 3"):
        read_audio("exit 3 |")


def test_training_features_are_those_of_the_file_as_any_reader_hears_it(tmp_path):
    """A 44.1 kHz stereo utterance with different channels: the cut's features (training,
    asr-decode) equal audio_features of the file (asr-transcribe), and differ from channel 0's."""
    data = write_kaldi_dir(tmp_path, n_utts=2, seed=3, sample_rate=44100, channels=2)
    cuts, report = prepare_kaldi_dir(data, progress=False)
    assert report.kept == 2
    for cut in cuts:
        samples, rate = read_audio(tmp_path / "audio" / f"{cut.id}.wav")
        assert rate == 44100 and not np.allclose(samples[0], samples[1])
        feats = cut_features(cut)
        torch.testing.assert_close(feats, audio_features(samples, rate))
        channel0 = fbank(AF.resample(torch.from_numpy(samples[0]), rate, SAMPLE_RATE), SAMPLE_RATE)
        assert feats.shape == channel0.shape and not torch.allclose(feats, channel0, atol=1e-2)
