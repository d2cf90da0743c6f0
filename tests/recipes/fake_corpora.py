"""Tiny LibriSpeech and AISHELL-1 trees in the corpora's real on-disk layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

LIBRI_TEXT = ["HELLO WORLD", "THE CAT SAT ON THE MAT", "A TALE OF TWO CITIES", "GOOD MORNING"]


def _audio(seed: int, seconds: float = 0.8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    tone = 0.3 * np.sin(2 * np.pi * (200 + 50 * seed) * t)
    return (tone + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def make_librispeech(root: Path, parts: dict[str, list[tuple[str, str]]]) -> Path:
    """``root/LibriSpeech/<part>/<spk>/<chapter>/<spk>-<chapter>-<NNNN>.flac`` + trans.txt.

    ``parts`` maps a subset to its (speaker, chapter) pairs; each chapter gets two utterances.
    Returns the LibriSpeech/ folder.
    """
    corpus = root / "LibriSpeech"
    seed = 0
    for part, chapters in parts.items():
        for spk, chapter in chapters:
            d = corpus / part / spk / chapter
            d.mkdir(parents=True)
            lines = []
            for i in range(2):
                utt = f"{spk}-{chapter}-{i:04d}"
                sf.write(d / f"{utt}.flac", _audio(seed), 16000, subtype="PCM_16")
                lines.append(f"{utt} {LIBRI_TEXT[seed % len(LIBRI_TEXT)]}\n")
                seed += 1
            (d / f"{spk}-{chapter}.trans.txt").write_text("".join(lines))
    return corpus


def make_aishell(root: Path) -> tuple[Path, dict[str, str]]:
    """``root/data_aishell/wav/{train,dev,test}/<spk>/<utt>.wav`` + the v0.8 transcript.

    Each split has one speaker with two transcribed utterances; train has one more wav with
    no transcript line (AISHELL has such files; they must be skipped). Returns the root and
    the expected {utt: text without spaces}.
    """
    words = [
        "而 对 楼市 成交 抑制 作用",
        "也 成为 地方 政府 的 眼中 钉",
        "自 六月 底 呼和浩特",
        "今天 天气 很 好",
    ]
    spk_of = {"train": "S0002", "dev": "S0724", "test": "S0764"}
    lines, expected, seed = [], {}, 0
    for split, spk in spk_of.items():
        d = root / "data_aishell" / "wav" / split / spk
        d.mkdir(parents=True)
        for i in range(2):
            utt = f"BAC009{spk}W{i + 121:04d}"
            sf.write(d / f"{utt}.wav", _audio(seed), 16000, subtype="PCM_16")
            lines.append(f"{utt} {words[seed % len(words)]}\n")
            expected[utt] = words[seed % len(words)].replace(" ", "")
            seed += 1
    sf.write(d.parent.parent / "train" / "S0002" / "BAC009S0002W0999.wav", _audio(9), 16000)
    transcript = root / "data_aishell" / "transcript"
    transcript.mkdir(parents=True)
    (transcript / "aishell_transcript_v0.8.txt").write_text("".join(lines), encoding="utf-8")
    return root, expected
