"""The one reader of Kaldi tables (``wav.scp``, ``text``, ``utt2spk``, ``segments``, hyp files).

Every command that reads a Kaldi file goes through here, so they all agree on what a line is:
UTF-8 (bytes that are not raise :class:`KaldiDirError` naming ``file:line``), an optional byte
order mark dropped (Windows editors write one at the start of a file, and ``cat`` of such files
puts one at the start of a later line; no id starts with U+FEFF), CRLF or LF endings, and the key
separated from the value by any run of whitespace (spaces or tabs). Structural damage (a key
seen twice, a line without enough fields) makes the whole directory suspect, so it raises naming
the file and line rather than guessing which line is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asr.errors import InputError

BOM = "\ufeff"


class KaldiDirError(InputError):
    """A Kaldi table is malformed; the message names the file and line."""


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` for every non-blank line, stripped and without a BOM."""
    path = Path(path)
    if not path.is_file():
        raise KaldiDirError(f"{path}: no such file")
    with path.open("rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise KaldiDirError(
                    f"{path}:{lineno}: line is not valid UTF-8 ({e.reason} at byte {e.start})"
                ) from None
            line = line.strip().lstrip(BOM).strip()
            if line:
                yield lineno, line


def _entries(path: Path, min_fields: int) -> Iterator[tuple[int, str, str]]:
    """Yield ``(line number, key, value)``; raise on short or duplicate lines."""
    first_line: dict[str, int] = {}
    for lineno, line in read_lines(path):
        key, *rest = line.split(maxsplit=1)
        value = rest[0] if rest else ""
        if 1 + len(value.split()) < min_fields:
            raise KaldiDirError(
                f"{path}:{lineno}: expected at least {min_fields} fields, got {line!r}"
            )
        if key in first_line:
            raise KaldiDirError(
                f"{path}:{lineno}: duplicate id {key!r} (first seen at line {first_line[key]})"
            )
        first_line[key] = lineno
        yield lineno, key, value


def read_table(path: str | Path, *, min_fields: int = 1) -> dict[str, str]:
    """Read a Kaldi ``key value...`` table into ``{key: value}`` keeping file order.

    The value is the rest of the line after the key, stripped; it may be empty (an empty
    transcript is a per-utterance problem, handled by the caller).
    """
    return {key: value for _, key, value in _entries(Path(path), min_fields)}


def read_text(path: str | Path) -> dict[str, str]:
    """A Kaldi ``text`` file as ``{utt: transcript}``, words joined by single spaces."""
    return {utt: " ".join(value.split()) for utt, value in read_table(path).items()}


@dataclass(frozen=True)
class Segment:
    """One line of a Kaldi ``segments`` file: an utterance inside a recording."""

    recording_id: str
    start: float
    end: float  # -1 means "to the end of the recording", as in Kaldi


def read_segments(path: str | Path) -> dict[str, Segment]:
    """Read ``segments`` (``utt rec start end``); malformed numbers raise with file and line."""
    path = Path(path)
    segments: dict[str, Segment] = {}
    for lineno, utt, value in _entries(path, min_fields=4):
        rec, start, end = value.split()[:3]
        try:
            segments[utt] = Segment(rec, float(start), float(end))
        except ValueError:
            raise KaldiDirError(
                f"{path}:{lineno}: non-numeric segment times in {value!r}"
            ) from None
    return segments
