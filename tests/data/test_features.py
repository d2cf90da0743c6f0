"""Kaldi fbank: frame count, equality with torchaudio, dither, precomputed == on the fly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio.compliance.kaldi as kaldi

from asr.data.features import INT16_SCALE, cut_features, fbank, precompute_features
from asr.data.prepare import prepare_kaldi_dir

from .fixtures import make_audio, write_kaldi_dir


@pytest.mark.parametrize("n", [400, 401, 559, 560, 16000, 23457])
def test_frame_count(n):
    x = make_audio(np.random.default_rng(n), n / 16000)
    assert fbank(x, 16000).shape == (1 + (n - 400) // 160, 80)


def test_shorter_than_one_window_gives_zero_frames():
    assert fbank(np.zeros(399, dtype=np.float32), 16000).shape == (0, 80)


def test_values_equal_torchaudio_on_int16_scale():
    x = make_audio(np.random.default_rng(0), 1.3)
    ours = fbank(x, 16000, num_mel_bins=40)
    ref = kaldi.fbank(
        torch.from_numpy(x)[None] * INT16_SCALE,
        num_mel_bins=40,
        frame_length=25.0,
        frame_shift=10.0,
        dither=0.0,
        energy_floor=0.0,
        sample_frequency=16000,
    )
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)
    # accepts (1, N) tensors too
    torch.testing.assert_close(fbank(torch.from_numpy(x)[None], 16000, num_mel_bins=40), ours)


def test_dither_is_off_by_default_and_changes_values_when_on():
    x = make_audio(np.random.default_rng(1), 0.5)
    torch.testing.assert_close(fbank(x, 16000), fbank(x, 16000))
    torch.manual_seed(0)
    dithered = fbank(x, 16000, dither=1.0)
    assert dithered.shape == fbank(x, 16000).shape
    assert not torch.equal(dithered, fbank(x, 16000))


def test_rejects_multichannel_input():
    with pytest.raises(ValueError, match="mono"):
        fbank(np.zeros((2, 1000), dtype=np.float32), 16000)


def test_precomputed_features_equal_on_the_fly(tmp_path):
    data = write_kaldi_dir(tmp_path, n_utts=3, seed=0)
    cuts, _ = prepare_kaldi_dir(data, progress=False)
    stored = precompute_features(cuts, tmp_path / "feats", progress=False)
    assert len(stored) == 3
    for raw, pre in zip(cuts, stored, strict=True):
        assert pre.has_features and not raw.has_features
        n = raw.load_audio().shape[1]
        on_the_fly = cut_features(raw)
        assert on_the_fly.shape == (1 + (n - 400) // 160, 80)
        torch.testing.assert_close(cut_features(pre), on_the_fly)
