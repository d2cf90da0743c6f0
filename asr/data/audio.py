"""Audio → the model's input: one function for training, decoding and transcription.

The model hears mono audio at :data:`SAMPLE_RATE`. The channel rule: **several channels are
averaged into one**, then the result is resampled (torchaudio's windowed-sinc resampler).
Averaging is the usual mono downmix; unlike taking channel 0 it still hears a speaker recorded
on the second channel only (channel 0 would be silence, trained against a transcript), and for
identical channels it gives the same samples. Training cuts (``asr.data.prepare`` keeps every
channel), ``asr-decode`` and ``asr-transcribe`` all reach the model through :func:`model_input`,
so a model is given later what it was trained on.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import soundfile
import torch
import torchaudio.functional as AF

from asr.errors import InputError

SAMPLE_RATE = 16000
COMMAND_TIMEOUT = 600.0  # seconds a wav.scp ``cmd |`` may take


class AudioError(InputError):
    """Audio that cannot be read; the message names the file or command."""


def is_command(entry: str) -> bool:
    """A Kaldi ``wav.scp`` value ending in ``|`` is a shell command writing audio to stdout."""
    return entry.rstrip().endswith("|")


def run_command(entry: str, timeout: float = COMMAND_TIMEOUT) -> bytes:
    """The stdout of a ``wav.scp`` ``cmd |`` entry; failure raises :class:`AudioError`."""
    cmd = entry.rstrip()[:-1]
    try:
        proc = subprocess.run(cmd, shell=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AudioError(f"timed out after {timeout:g} s: {cmd}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise AudioError(f"exit {proc.returncode}: {cmd}: {err[0]}")
    return proc.stdout


def read_audio(entry: str | Path) -> tuple[np.ndarray, int]:
    """``(samples (C, N) float32, sample rate)`` of a file or a ``wav.scp`` ``cmd |`` entry."""
    entry = str(entry)
    try:
        source = io.BytesIO(run_command(entry)) if is_command(entry) else entry
        samples, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (OSError, RuntimeError, TypeError, soundfile.LibsndfileError) as e:
        raise AudioError(f"{entry}: cannot read audio: {e}") from None
    return samples.T, rate


def model_input(
    samples: np.ndarray | torch.Tensor, sample_rate: int, target_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """``(N',)`` float32 mono at ``target_rate`` from ``(C, N)`` or ``(N,)`` samples.

    Channels are averaged (the channel rule above), then resampled when the rates differ.
    """
    wave = torch.as_tensor(samples, dtype=torch.float32)
    if wave.dim() == 1:
        wave = wave.unsqueeze(0)
    if wave.dim() != 2:
        raise ValueError(f"expected samples (channels, N) or (N,), got shape {tuple(wave.shape)}")
    mono = wave.mean(dim=0)
    if sample_rate != target_rate:
        mono = AF.resample(mono, sample_rate, target_rate)
    return mono
