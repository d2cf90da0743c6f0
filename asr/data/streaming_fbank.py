"""Kaldi fbank of audio that arrives in pieces, equal to ``fbank`` of the whole signal.

With ``snip_edges`` (the project's framing, ``asr.data.features.fbank``) frame i covers samples
``[i·shift, i·shift + window)`` and every step of torchaudio's Kaldi fbank (DC removal,
pre-emphasis, windowing, FFT, mel) reads that frame's samples only. So the frames that a piece
completes can be computed as soon as it arrives, from the samples kept since the next frame's
start (tests/data/test_streaming_fbank.py compares with the whole signal's).
"""

from __future__ import annotations

import numpy as np
import torch

from asr.data.features import fbank


class StreamingFbank:
    """Feed mono samples in [-1, 1] with ``accept``; get the fbank frames they complete.

    ``add`` + ``take(at_least=n)`` does the same in two steps, so that a caller that needs n
    frames at a time computes them once per n instead of once per piece of audio (each call
    to torchaudio's fbank rebuilds its mel filters and window).
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        num_mel_bins: int = 80,
        frame_length_ms: float = 25.0,
        frame_shift_ms: float = 10.0,
    ):
        self.sample_rate = sample_rate
        self.num_mel_bins = num_mel_bins
        self.frame_length_ms = frame_length_ms
        self.frame_shift_ms = frame_shift_ms
        # the sizes torchaudio.compliance.kaldi derives from the same arguments
        self.window = int(sample_rate * frame_length_ms * 0.001)
        self.shift = int(sample_rate * frame_shift_ms * 0.001)
        self.pending = torch.zeros(0)  # samples from the next frame's first one on
        self.frames = 0

    def accept(self, samples: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Mono samples (N,) → the (n, num_mel_bins) frames they complete (n may be 0)."""
        self.add(samples)
        return self.take()

    def add(self, samples: np.ndarray | torch.Tensor) -> None:
        """Append mono samples (N,); their frames wait for ``take``."""
        wave = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
        if wave.dim() != 1:
            raise ValueError(f"expected mono samples (N,), got shape {tuple(wave.shape)}")
        self.pending = torch.cat((self.pending, wave))

    def available(self) -> int:
        """Complete frames in the samples not taken yet."""
        n = self.pending.numel()
        return 0 if n < self.window else 1 + (n - self.window) // self.shift

    def take(self, at_least: int = 1) -> torch.Tensor:
        """Every complete frame not taken yet, (n, num_mel_bins); none while fewer than
        ``at_least`` are complete."""
        if self.available() < max(at_least, 1):
            return torch.zeros(0, self.num_mel_bins)
        feats = fbank(
            self.pending,
            self.sample_rate,
            num_mel_bins=self.num_mel_bins,
            frame_length_ms=self.frame_length_ms,
            frame_shift_ms=self.frame_shift_ms,
        )
        self.pending = self.pending[feats.shape[0] * self.shift :]
        self.frames += feats.shape[0]
        return feats
