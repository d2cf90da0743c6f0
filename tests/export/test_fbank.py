"""The exportable batched fbank computes torchaudio's Kaldi fbank (the project's settings)."""

from __future__ import annotations

import pytest
import torch
import torchaudio.compliance.kaldi as kaldi

from asr.data.features import INT16_SCALE, FbankOptions, fbank
from asr.export.fbank import KaldiFbank
from asr.export.parity import probe_waves
from tests.pretrained.helpers import tone

OPTIONS = FbankOptions()


def waves() -> list[torch.Tensor]:
    """Tones under noise and the parity check's gliding harmonics, 0.03 to 2.1 s."""
    probes = probe_waves(OPTIONS, min_input_frames=7, seed=3)
    return [torch.from_numpy(tone(s, i)) for i, s in enumerate((0.03, 0.5, 1.7))] + probes


def reference(wave: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """torchaudio's fbank as asr.data.features calls it, evaluated in ``dtype``."""
    return kaldi.fbank(
        wave.to(dtype)[None] * INT16_SCALE, num_mel_bins=OPTIONS.num_mel_bins, dither=0.0,
        energy_floor=0.0, sample_frequency=OPTIONS.sample_rate,
    )  # fmt: skip


def test_matches_torchaudio_fbank_batched_and_alone():
    ws = waves()
    lens = torch.tensor([w.numel() for w in ws])
    feats, frames = KaldiFbank(OPTIONS)(torch.nn.utils.rnn.pad_sequence(ws, batch_first=True), lens)
    assert frames.tolist() == [OPTIONS.num_frames(n) for n in lens.tolist()]
    worst64 = worst32 = own32 = 0.0
    for i, w in enumerate(ws):
        n = int(frames[i])
        alone, alone_frames = KaldiFbank(OPTIONS)(w[None], lens[i : i + 1])
        assert int(alone_frames) == n and torch.equal(alone[0, :n], feats[i, :n])
        assert not feats[i, n:].any()  # frames past the utterance are zero
        if n == 0:
            assert fbank(w, OPTIONS.sample_rate).shape == (0, OPTIONS.num_mel_bins)
            continue
        exact, ours32 = reference(w, torch.float64), fbank(w, OPTIONS.sample_rate)
        worst64 = max(worst64, float((feats[i, :n].double() - exact).abs().max()))
        worst32 = max(worst32, float((feats[i, :n] - ours32).abs().max()))
        own32 = max(own32, float((ours32.double() - exact).abs().max()))
    print(f"max |KaldiFbank - torchaudio float64| {worst64:.2e}; "
          f"vs torchaudio float32 {worst32:.2e} (its own float32 error {own32:.2e})")  # fmt: skip
    assert worst64 <= 1e-5  # the float32 rounding of the output, nothing more
    # Against the float32 features training uses: their own rounding error, and no more.
    assert worst32 <= own32 + 1e-5


@pytest.mark.parametrize("num_mel_bins", [23, 80])
def test_other_bin_counts_and_a_constant_input(num_mel_bins):
    options = FbankOptions(num_mel_bins=num_mel_bins)
    w = torch.from_numpy(tone(0.4, 7))
    feats, _ = KaldiFbank(options)(w[None], torch.tensor([w.numel()]))
    exact = kaldi.fbank(w.double()[None] * INT16_SCALE, num_mel_bins=num_mel_bins, dither=0.0,
                        energy_floor=0.0)  # fmt: skip
    assert float((feats[0].double() - exact).abs().max()) <= 1e-5
    silence, _ = KaldiFbank(options)(torch.zeros(1, 800), torch.tensor([800]))
    floor = torch.log(torch.tensor(torch.finfo(torch.float32).eps))
    assert torch.allclose(silence, floor.expand_as(silence))  # torchaudio's floor, not -inf
