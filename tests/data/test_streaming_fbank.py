"""Fbank of audio fed in pieces equals fbank of the whole signal (snip_edges framing)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asr.data.features import fbank
from asr.data.streaming_fbank import StreamingFbank

from .fixtures import make_audio


@pytest.mark.parametrize(("rate", "bins"), [(16000, 80), (8000, 23)])
@pytest.mark.parametrize("samples", [399, 400, 561, 16000, 23457])
def test_pieces_give_the_frames_of_the_whole_signal(rate, bins, samples):
    rng = np.random.default_rng(samples)
    x = make_audio(rng, samples / rate, rate)
    whole = fbank(x, rate, num_mel_bins=bins)
    stream = StreamingFbank(rate, num_mel_bins=bins)
    pieces, start = [], 0
    while start < samples:  # pieces of 1 sample up to 0.2 s, shorter and longer than a frame
        n = int(rng.integers(1, rate // 5))
        pieces.append(stream.accept(x[start : start + n]))
        start += n
    streamed = torch.cat(pieces)
    assert streamed.shape == whole.shape
    torch.testing.assert_close(streamed, whole, atol=1e-4, rtol=1e-5)
    assert stream.frames == whole.shape[0]
    # what is kept is the audio from the next frame's first sample on
    assert stream.pending.numel() == samples - whole.shape[0] * stream.shift


def test_each_frame_appears_once_the_samples_it_covers_have_arrived():
    stream = StreamingFbank(16000, num_mel_bins=40)
    x = make_audio(np.random.default_rng(0), 0.1)
    assert stream.accept(x[:399]).shape == (0, 40)  # a 25 ms window is 400 samples
    assert stream.accept(x[399:400]).shape == (1, 40)
    assert stream.accept(x[400:559]).shape == (0, 40)  # the next starts 160 samples later
    assert stream.accept(x[559:560]).shape == (1, 40)


def test_stereo_input_is_refused():
    with pytest.raises(ValueError, match=r"mono samples \(N,\), got shape \(2, 10\)"):
        StreamingFbank().accept(np.zeros((2, 10), dtype=np.float32))


def test_take_waits_until_enough_frames_are_complete():
    stream = StreamingFbank(16000, num_mel_bins=40)
    x = make_audio(np.random.default_rng(1), 0.2)
    stream.add(x[:1000])  # 1 + (1000 - 400) // 160 = 4 complete frames
    assert stream.available() == 4
    assert stream.take(at_least=5).shape == (0, 40) and stream.available() == 4
    stream.add(x[1000:])
    frames = stream.take(at_least=5)
    torch.testing.assert_close(frames, fbank(x, 16000, num_mel_bins=40), atol=1e-4, rtol=1e-5)
    assert stream.available() == 0
