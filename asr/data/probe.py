"""Prepare-time audio validation: decode every ``wav.scp`` entry end to end, once.

A header alone does not prove the audio is there: a WAV cut off partway keeps a header that
libsndfile quietly shortens to the bytes present, and a cut-off FLAC keeps a header with the
full length but fails to decode partway. Either would be trained with the transcript of audio
it no longer holds, or fail again in every batch that draws it. So each entry is decoded in
full and its frame count compared with what its header declares; the problem is named by a
reason that ``prepare_report.json`` counts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import soundfile as sf

from asr.data.audio import AudioError, is_command, run_command

BLOCK_FRAMES = 1 << 16
# Data-chunk sizes that writers put in a WAV header when they cannot know the length (sox and
# ffmpeg writing to a pipe): the data runs to the end of the file.
UNKNOWN_WAV_SIZES = frozenset({0, 0xFFFFFFFF, 0x7FFFF000})


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    num_samples: int
    channels: int

    @property
    def duration(self) -> float:
        return self.num_samples / self.sample_rate


class AudioProbeError(Exception):
    """Audio for one entry cannot be used; ``reason`` is the report key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def declared_wav_frames(f: BinaryIO) -> int | None:
    """Frames that a RIFF/WAVE header's ``data`` chunk declares (read from ``f``'s start).

    None for other formats, or a length the writer marked unknown (``UNKNOWN_WAV_SIZES``).
    """
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    block_align = 0
    while len(chunk := f.read(8)) == 8:
        chunk_id, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        if chunk_id == b"data":
            if size in UNKNOWN_WAV_SIZES or block_align == 0:
                return None
            return size // block_align
        padded = size + (size & 1)  # chunks are padded to an even length
        if chunk_id == b"fmt ":
            block_align = int.from_bytes(f.read(padded)[12:14], "little")
        else:
            f.seek(padded, 1)
    return None


def _decode(source: str | BinaryIO, name: str, unreadable: str) -> tuple[AudioInfo, int]:
    """``(header facts, frames actually decoded)``. A source libsndfile cannot open is dropped
    for the ``unreadable`` reason; one that fails partway through is ``truncated_audio``."""
    try:
        f = sf.SoundFile(source)
    except (RuntimeError, TypeError) as e:  # sf.LibsndfileError is a RuntimeError
        raise AudioProbeError(unreadable, f"{name}: {e}") from None
    with f:
        header = AudioInfo(f.samplerate, f.frames, f.channels)
        decoded = 0
        try:
            for block in f.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
                decoded += block.shape[0]
        except RuntimeError as e:
            raise AudioProbeError(
                "truncated_audio",
                f"{name}: decoding fails after {decoded / header.sample_rate:.3f} s of "
                f"{header.duration:.3f} s: {e}",
            ) from None
    return header, decoded


def _checked(name: str, header: AudioInfo, decoded: int, declared: int | None) -> AudioInfo:
    """The decoded facts, unless fewer frames decoded than the header declares, or none."""
    expected = max(header.num_samples, declared or 0)
    if decoded < expected:
        raise AudioProbeError(
            "truncated_audio",
            f"{name}: header says {expected / header.sample_rate:.3f} s, "
            f"only {decoded / header.sample_rate:.3f} s of audio present",
        )
    if decoded == 0:
        raise AudioProbeError("empty_audio", f"zero samples: {name}")
    return AudioInfo(header.sample_rate, decoded, header.channels)


def probe_audio(entry: str, command_timeout: float = 120.0) -> AudioInfo:
    """Facts of a ``wav.scp`` value (a path, or a ``cmd |`` pipe, which is run), from decoding
    it in full; unusable audio raises :class:`AudioProbeError` with the report reason."""
    if is_command(entry):
        try:
            data = run_command(entry, command_timeout)
        except AudioError as e:
            raise AudioProbeError("command_failed", str(e)) from None
        header, decoded = _decode(io.BytesIO(data), f"output of {entry}", "command_failed")
        return _checked(entry, header, decoded, None)  # a pipe's header cannot know the length
    path = Path(entry)
    if not path.is_file():
        raise AudioProbeError("missing_audio", f"no such file: {entry}")
    header, decoded = _decode(str(path), entry, "corrupt_audio")
    with path.open("rb") as f:
        declared = declared_wav_frames(f)
    return _checked(entry, header, decoded, declared)
