"""Kaldi filterbank features: one function, used on the fly and for precomputing to disk.

:func:`audio_features` is what the model sees of any audio (training cuts, decoding, the
transcription API): :func:`asr.data.audio.model_input` (mono, 16 kHz), then :func:`fbank`.
Samples are scaled to the 16-bit integer range before ``torchaudio.compliance.kaldi.fbank``,
as Kaldi's ``compute-fbank-feats`` sees them, so features (and the meaning of ``dither``, in
16-bit units) match Kaldi, ESPnet and WeNet recipes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchaudio.compliance.kaldi as kaldi
from lhotse import CutSet
from lhotse.cut import Cut
from lhotse.features import Features, NumpyFilesWriter
from lhotse.utils import fastcopy
from tqdm import tqdm

from asr.data.audio import SAMPLE_RATE, model_input

log = logging.getLogger(__name__)

INT16_SCALE = 32768.0


def fbank(
    samples: np.ndarray | torch.Tensor,
    sample_rate: int,
    num_mel_bins: int = 80,
    dither: float = 0.0,
    frame_length_ms: float = 25.0,
    frame_shift_ms: float = 10.0,
) -> torch.Tensor:
    """Log-mel filterbank ``(T, num_mel_bins)`` float32 of mono ``samples`` in [-1, 1].

    ``samples`` is ``(N,)`` or ``(1, N)``. ``T = 1 + (N - window) // shift`` (Kaldi's
    ``snip_edges``), zero when the audio is shorter than one window. Set ``dither`` > 0 only
    in training.
    """
    wave = torch.as_tensor(samples, dtype=torch.float32)
    if wave.dim() == 1:
        wave = wave.unsqueeze(0)
    if wave.dim() != 2 or wave.shape[0] != 1:
        raise ValueError(
            f"fbank expects mono samples (N,) or (1, N), got shape {tuple(wave.shape)}"
        )
    window = int(sample_rate * frame_length_ms / 1000)
    if wave.shape[1] < window:
        return torch.zeros(0, num_mel_bins)
    return kaldi.fbank(
        wave * INT16_SCALE,
        num_mel_bins=num_mel_bins,
        frame_length=frame_length_ms,
        frame_shift=frame_shift_ms,
        dither=dither,
        energy_floor=0.0,
        sample_frequency=sample_rate,
    )


def audio_features(
    samples: np.ndarray | torch.Tensor,
    sample_rate: int,
    num_mel_bins: int = 80,
    dither: float = 0.0,
) -> torch.Tensor:
    """``(T, num_mel_bins)`` fbank of ``(C, N)`` or ``(N,)`` samples at ``sample_rate``, as the
    model hears them: channels averaged and resampled to 16 kHz by ``model_input``."""
    return fbank(model_input(samples, sample_rate), SAMPLE_RATE, num_mel_bins, dither)


@dataclass(frozen=True)
class FbankOptions:
    """The :func:`fbank` settings a model was trained with, kept with a packed model
    (``config.json``) and inside exported graphs so that inference computes the same features."""

    sample_rate: int = SAMPLE_RATE
    num_mel_bins: int = 80
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0

    @property
    def window(self) -> int:
        """Samples per frame (torchaudio's rounding)."""
        return int(self.sample_rate * self.frame_length_ms * 0.001)

    @property
    def shift(self) -> int:
        """Samples between frame starts."""
        return int(self.sample_rate * self.frame_shift_ms * 0.001)

    def num_frames(self, num_samples: int) -> int:
        """Frames of ``num_samples`` samples (``snip_edges``: whole windows only)."""
        return max(0, 1 + (num_samples - self.window) // self.shift)


FEATURE_TYPE = "kaldi-fbank-snip-edges"


def precompute_features(
    cuts: CutSet,
    out_dir: str | Path,
    num_mel_bins: int = 80,
    progress: bool = True,
) -> CutSet:
    """Compute :func:`fbank` (no dither) for every cut into ``out_dir`` through lhotse storage.

    One ``.npy`` file per cut (lhotse's ``numpy_files`` storage); returns the cuts with lhotse
    ``Features`` attached, which :func:`cut_features` then loads instead of decoding audio.
    The manifest records the true frame count (``snip_edges``), which is why this does not go
    through ``CutSet.compute_and_store_features``: lhotse's check assumes
    ``round(duration / shift)`` frames. A cut whose audio fails to load is left out and logged.
    """
    out = []
    with NumpyFilesWriter(str(out_dir)) as writer:
        for cut in tqdm(cuts, desc=f"fbank -> {out_dir}", disable=not progress):
            try:
                feats = cut_features(cut, num_mel_bins).numpy()
            except Exception as e:  # one bad file must not stop a pass over a corpus
                log.warning("precompute: skipping cut %s: %s", cut.id, e)
                continue
            features = Features(
                type=FEATURE_TYPE,
                num_frames=feats.shape[0],
                num_features=num_mel_bins,
                frame_shift=0.01,
                sampling_rate=SAMPLE_RATE,
                start=cut.start,
                duration=cut.duration,
                storage_type=writer.name,
                storage_path=writer.storage_path,
                storage_key=writer.write(cut.id, feats),
                recording_id=cut.recording_id,
                channels=0,
            )
            out.append(fastcopy(cut, features=features))
    return CutSet.from_cuts(out)


def cut_features(cut: Cut, num_mel_bins: int = 80, dither: float = 0.0) -> torch.Tensor:
    """``(T, num_mel_bins)`` features of one cut: precomputed if attached, else
    :func:`audio_features` of its audio (every channel it holds, at its own rate).

    ``dither`` applies to audio, so it has no effect on precomputed features.
    """
    if cut.has_features:
        return torch.from_numpy(cut.load_features())
    return audio_features(cut.load_audio(), cut.sampling_rate, num_mel_bins, dither)
