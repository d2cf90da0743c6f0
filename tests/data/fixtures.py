"""Tiny Kaldi data directories of generated audio, for tests in any area.

``write_kaldi_dir(tmp_path, n_utts=4, seed=0)`` gives ``tmp_path/data`` with ``wav.scp``,
``text`` and ``utt2spk`` over tones-plus-noise wav files; nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

WORDS = "the cat sat on a mat and saw red dog run far away".split()


def make_audio(rng: np.random.Generator, seconds: float, sample_rate: int = 16000) -> np.ndarray:
    """A random-pitch tone plus noise, float32 in [-1, 1], ``(N,)``."""
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    tone = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t)
    return (tone + 0.05 * rng.standard_normal(n)).astype(np.float32)


def write_kaldi_dir(
    root: str | Path,
    n_utts: int = 4,
    seed: int = 0,
    sample_rate: int = 16000,
    min_seconds: float = 0.5,
    max_seconds: float = 2.0,
    channels: int = 1,
    texts: list[str] | None = None,
) -> Path:
    """Write ``root/audio/*.wav`` and ``root/data/{wav.scp,text,utt2spk}``; return ``root/data``.

    Utterance ids are ``spkK-uttNNN`` (two speakers), sorted as Kaldi expects. ``texts``
    overrides the generated random-word transcripts (one per utterance).
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    audio_dir, data_dir = root / "audio", root / "data"
    audio_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    wav_scp, text, utt2spk = [], [], []
    for i in range(n_utts):
        spk = f"spk{i % 2}"
        utt = f"{spk}-utt{i:03d}"
        samples = make_audio(rng, rng.uniform(min_seconds, max_seconds), sample_rate)
        if channels > 1:
            samples = np.stack([samples * (c + 1) / channels for c in range(channels)], axis=1)
        path = audio_dir / f"{utt}.wav"
        sf.write(path, samples, sample_rate, subtype="PCM_16")
        words = texts[i] if texts else " ".join(rng.choice(WORDS, size=rng.integers(2, 6)))
        wav_scp.append(f"{utt} {path}")
        text.append(f"{utt} {words}")
        utt2spk.append(f"{utt} {spk}")
    for name, lines in (("wav.scp", wav_scp), ("text", text), ("utt2spk", utt2spk)):
        (data_dir / name).write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return data_dir
