"""Kaldi fbank as a batched module made of plain tensor ops, so that it exports to ONNX and
TorchScript with dynamic batch and time axes.

``torchaudio.compliance.kaldi.fbank`` itself exports with torch 2.14's ``torch.onnx.export(dynamo=
True)`` (its FFT becomes ONNX's DFT), but for one utterance only, no batch and no lengths, and
ONNX Runtime's float32 DFT differs from torch's FFT by up to 7e-4 (one second of noise). This
computes the same function for a padded batch: frames gathered by index, DC offset removed,
pre-emphasis, Povey window, a real DFT as a matrix product (the FFT of torchaudio, zero-padded to
a power of two), torchaudio's own mel filters, log. Every frame reads only its own samples, so
padding cannot change the frames of an utterance.

Precision: the whole chain runs in float64. torchaudio in float32 (what ``asr.data.features``
trains on) is off from its own float64 result by up to 2e-3 on espeak-ng speech, in the weakest
bins of loud frames (~90 dB below the frame's peak, where the float32 rounding noise of the
windowed samples leaks in), and any other float32 implementation is off by as much in its own
way, so no float32 port can match it to 1e-4 everywhere. In float64 this module matches
torchaudio evaluated in float64 (the exact Kaldi definition) to ~1e-6, and torchaudio's float32
features to their own rounding error (tests/export/test_fbank.py measures both).
"""

from __future__ import annotations

import math

import torch
import torchaudio.compliance.kaldi as kaldi
from torch import nn

from asr.data.features import INT16_SCALE, FbankOptions

# torchaudio.compliance.kaldi.fbank defaults that asr.data.features.fbank keeps.
PREEMPHASIS = 0.97
POVEY_POWER = 0.85
LOW_FREQ = 20.0
HIGH_FREQ = 0.0  # 0: the Nyquist frequency
LOG_FLOOR = torch.finfo(torch.float32).eps  # torchaudio's floor before the log


class KaldiFbank(nn.Module):
    """Waveforms (B, S) in [-1, 1] with lengths (B,) → log-mel fbank (B, T, d) and frames (B,).

    Frames beyond an utterance's length are zero; ``T = 1 + (S - window) // shift``.
    """

    def __init__(self, options: FbankOptions):
        super().__init__()
        self.options = options
        window, shift = options.window, options.shift
        n_fft = 1 << (window - 1).bit_length()
        bins = n_fft // 2 + 1
        n = torch.arange(window, dtype=torch.float64)[:, None]
        k = torch.arange(bins, dtype=torch.float64)[None, :]
        angle = 2 * math.pi * n * k / n_fft
        mel, _ = kaldi.get_mel_banks(
            options.num_mel_bins, n_fft, float(options.sample_rate), LOW_FREQ, HIGH_FREQ,
            100.0, -500.0, 1.0,  # VTLN off (warp 1.0), as fbank() leaves it
        )  # fmt: skip
        mel = nn.functional.pad(mel, (0, 1))  # the Nyquist bin, which torchaudio leaves out too
        window_fn = torch.hann_window(window, periodic=False, dtype=torch.float64)
        self.register_buffer("frame_offsets", torch.arange(window), persistent=False)
        self.register_buffer("window_fn", window_fn.pow(POVEY_POWER), persistent=False)
        self.register_buffer("dft", torch.cat((angle.cos(), -angle.sin()), 1), persistent=False)
        self.register_buffer("mel", mel.T.to(torch.float64).contiguous(), persistent=False)
        self.window, self.shift, self.bins = window, shift, bins

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames of each utterance of ``lengths`` samples (0 when shorter than one window)."""
        return (torch.div(lengths - self.window, self.shift, rounding_mode="floor") + 1).clamp(
            min=0
        )

    def forward(
        self, waves: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        frames_total = (waves.shape[1] - self.window) // self.shift + 1
        starts = torch.arange(frames_total, device=waves.device) * self.shift
        index = starts[:, None] + self.frame_offsets[None, :]  # (T, window)
        x = waves.to(torch.float64)[:, index] * INT16_SCALE  # (B, T, window)
        x = x - x.mean(dim=-1, keepdim=True)
        previous = torch.cat((x[..., :1], x[..., :-1]), dim=-1)  # x[-1] = x[0], as torchaudio
        x = (x - PREEMPHASIS * previous) * self.window_fn
        spectrum = x @ self.dft
        power = spectrum[..., : self.bins].square() + spectrum[..., self.bins :].square()
        feats = (power @ self.mel).clamp(min=LOG_FLOOR).log().to(torch.float32)
        frames = self.frame_lengths(lengths)
        pad = torch.arange(frames_total, device=waves.device)[None, :] >= frames[:, None]
        return feats.masked_fill(pad[..., None], 0.0), frames
