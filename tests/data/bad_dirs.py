"""A seeded generator of Kaldi data dirs with randomized defects, and what prepare must make
of each.

``make_bad_dir(root, seed)`` writes one dir: a few utterances, each of one kind from
:data:`UTT_KINDS` (sound audio in odd formats, or a defect prepare must drop for a named
reason), with file-level oddities drawn at random (a byte-order mark, CRLF, tab or mixed
separators, a ``segments`` file) and sometimes one structural defect (a duplicate id or a
non-UTF-8 line) that must refuse the whole dir naming ``file:line``. The returned
:class:`BadDir` says, for every utterance id, the transcript and samples a kept cut must hold,
or the reason it must be dropped for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from .fixtures import WORDS, make_audio

# kind → the drop reason prepare must give (None: kept)
UTT_KINDS: dict[str, str | None] = {
    "wav16k": None,
    "wav8k": None,
    "stereo44k": None,
    "flac": None,
    "pipe": None,
    "failing_pipe": "command_failed",
    "missing": "missing_audio",
    "corrupt": "corrupt_audio",
    "empty_audio": "empty_audio",
    "truncated_wav": "truncated_audio",
    "truncated_flac": "truncated_audio",
    "empty_transcript": "empty_transcript",
    "no_transcript": "no_transcript",
    "no_audio_entry": "no_audio_entry",
    "too_short": "too_short",  # 0.05 s
    "too_long": "too_long",  # 60 s, over MAX_DURATION
}
MAX_DURATION = 30.0  # asr-prepare --max-duration for these dirs
SEGMENT_KINDS = ("whole", "inside", "past_end")


@dataclass
class Expected:
    """What prepare must make of one utterance id: kept with ``text`` and ``samples``, or
    dropped for ``reason``."""

    kind: str
    reason: str | None
    text: str = ""
    samples: np.ndarray | None = None  # (channels, N) the kept cut must load
    sample_rate: int = 16000


@dataclass
class BadDir:
    path: Path
    utts: dict[str, Expected] = field(default_factory=dict)
    refused: str | None = None  # the error prepare must give, ``file:line: ...``, if any
    oddities: set[str] = field(default_factory=set)


def _write(path: Path, samples: np.ndarray, rate: int, fmt: str = "WAV") -> None:
    sf.write(path, samples.T if samples.ndim == 2 else samples, rate, format=fmt, subtype="PCM_16")


def _cut_off(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def _audio(rng: np.random.Generator, kind: str, audio: Path) -> tuple[str, np.ndarray | None, int]:
    """Write the audio of one utterance kind; ``(wav.scp value, samples kept, rate)``."""
    rate = {"wav8k": 8000, "stereo44k": 44100}.get(kind, 16000)
    seconds = {"too_short": 0.05, "too_long": 60.0}.get(kind, rng.uniform(0.4, 1.2))
    samples = make_audio(rng, seconds, rate)
    if kind == "stereo44k":  # channels that differ, so averaging and channel 0 disagree
        samples = np.stack([samples, 0.5 * make_audio(rng, seconds, rate)])
    samples = np.round(samples * 32767) / 32768  # exactly what PCM_16 stores
    if kind == "missing":
        return str(audio.with_suffix(".gone.wav")), None, rate
    if kind == "failing_pipe":
        return "sh -c 'echo no such corpus >&2; exit 3' |", None, rate
    if kind == "corrupt":
        audio.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + rng.bytes(200))
        return str(audio), None, rate
    if kind == "empty_audio":
        samples = samples[:0]
    fmt = "FLAC" if kind in ("flac", "truncated_flac") else "WAV"
    path = audio.with_suffix(f".{fmt.lower()}")
    _write(path, samples, rate, fmt)
    if kind.startswith("truncated"):
        _cut_off(path, rng.uniform(0.3, 0.7))
    entry = f"cat {path} |" if kind == "pipe" else str(path)
    return entry, np.atleast_2d(samples).astype(np.float32), rate


def _line(rng: np.random.Generator, key: str, value: str) -> str:
    sep = rng.choice([" ", "\t", "  ", " \t "]) if value else rng.choice(["", " ", "\t"])
    return f"{key}{sep}{value}"


def _save(rng: np.random.Generator, path: Path, lines: list[str], bom: bool, bad: BadDir) -> None:
    eol = "\r\n" if rng.random() < 0.3 else "\n"
    data = "".join(line + eol for line in lines).encode("utf-8", "surrogateescape")
    if bom:
        data = b"\xef\xbb\xbf" + data
        bad.oddities.add("bom")
    bad.oddities.add("crlf" if eol == "\r\n" else "lf")
    path.write_bytes(data)


def make_bad_dir(root: Path, seed: int, n_utts: int = 6) -> BadDir:
    rng = np.random.default_rng(seed)
    bad = BadDir(root / "data")
    bad.path.mkdir(parents=True)
    (root / "audio").mkdir()
    use_segments = rng.random() < 0.4
    if use_segments:
        bad.oddities.add("segments")
    kinds = [str(k) for k in rng.choice(list(UTT_KINDS), size=n_utts)]
    tables: dict[str, list[str]] = {"wav.scp": [], "text": [], "utt2spk": [], "segments": []}
    for i, kind in enumerate(kinds):
        utt = f"s{seed}-{kind}-{i}"
        words = " ".join(rng.choice(WORDS, size=rng.integers(1, 5)))
        entry, samples, rate = _audio(rng, kind, root / "audio" / utt)
        exp = Expected(kind, UTT_KINDS[kind], words, samples, rate)
        rec = f"rec-{utt}" if use_segments else utt
        if kind != "no_audio_entry":
            tables["wav.scp"].append(_line(rng, rec, entry))
        if kind not in ("no_transcript",):
            text = "" if kind == "empty_transcript" else words
            tables["text"].append(_line(rng, utt, text))
        tables["utt2spk"].append(_line(rng, utt, f"spk{i % 2}"))
        if use_segments and kind != "no_audio_entry":
            tables["segments"].append(_segment(rng, utt, rec, exp, bad))
        bad.utts[utt] = exp
    if not use_segments:
        del tables["segments"]
    boms = {name: bool(rng.random() < 0.4) for name in tables}
    if rng.random() < 0.3:
        _structural_defect(rng, tables, boms, bad)
    for name, lines in tables.items():
        _save(rng, bad.path / name, lines, boms[name], bad)
    return bad


def _segment(rng: np.random.Generator, utt: str, rec: str, exp: Expected, bad: BadDir) -> str:
    """A segments line over ``rec``; for sound audio, sometimes a part of it, or past its end."""
    where = str(rng.choice(SEGMENT_KINDS)) if exp.reason is None else "whole"
    bad.oddities.add(f"segment_{where}")
    if where == "whole":
        return f"{utt} {rec} 0 -1"
    n, rate = exp.samples.shape[1], exp.sample_rate
    if where == "past_end":
        exp.reason, exp.samples = "bad_segment", None
        return f"{utt} {rec} 0.10 {n / rate + 0.5:.2f}"
    start, end = rate // 10, n - rate // 10  # 0.1 s in from each end, on sample boundaries
    exp.samples = exp.samples[:, start:end]
    return f"{utt} {rec} {start / rate} {end / rate}"


def _structural_defect(
    rng: np.random.Generator, tables: dict[str, list[str]], boms: dict[str, bool], bad: BadDir
) -> None:
    """A duplicate id or a non-UTF-8 line: the whole dir must be refused naming file:line."""
    name = str(rng.choice([n for n, lines in tables.items() if lines and n != "segments"]))
    lines = tables[name]
    if rng.random() < 0.5:
        first = 0 if rng.random() < 0.5 else int(rng.integers(len(lines)))
        if first == 0:  # a BOM on the first line once hid this duplicate: give it one
            boms[name] = True
            bad.oddities.add("duplicate_of_bom_line")
        key = lines[first].split()[0]
        lines.append(f"{key} another line's value")
        bad.refused = (
            f"{bad.path / name}:{len(lines)}: duplicate id '{key}' (first seen at line {first + 1})"
        )
        bad.oddities.add("duplicate_id")
    else:
        at = int(rng.integers(len(lines) + 1))
        lines.insert(at, "x-latin1 caf\udce9")  # a lone 0xE9 byte once encoded
        bad.refused = f"{bad.path / name}:{at + 1}: line is not valid UTF-8"
        bad.oddities.add("non_utf8")
