"""Kaldi data directory → validated lhotse ``CutSet``.

Every entry is checked before training starts, so a bad utterance costs one line in a report
instead of a crash hours into an epoch. Structural damage to a table (non-UTF-8 bytes,
duplicate ids) raises :class:`~asr.data.kaldi_dir.KaldiDirError` naming file and line; a
problem confined to one utterance drops it, counted by reason in :class:`PrepareReport`.

Choices:
- Multi-channel audio: channel 0 is used (the cut is a lhotse ``MonoCut`` on channel 0), as
  Kaldi's feature extraction does by default for stereo input. Mix down upstream (e.g. a
  ``sox ... remix 1,2 |`` pipe in ``wav.scp``) if another choice suits a corpus.
- Audio at another sample rate is resampled lazily by lhotse (``cut.resample``) on loading.
- Relative paths in ``wav.scp`` are resolved against the current directory (Kaldi's rule) and
  stored absolute, so the cuts can be read from anywhere.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf
from lhotse import AudioSource, CutSet, MonoCut, Recording, SupervisionSegment
from tqdm import tqdm

from asr.data.kaldi_dir import KaldiDirError, Segment, read_segments, read_table

log = logging.getLogger(__name__)

REPORT_NAME = "prepare_report.json"
CUTS_NAME = "cuts.jsonl.gz"
SEGMENT_TOLERANCE = 0.01  # seconds a segment may overrun its recording (rounding in segments)


@dataclass
class PrepareReport:
    """How many utterances were kept, and how many dropped for which reason (with examples)."""

    kaldi_dir: str
    kept: int = 0
    kept_seconds: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    max_examples: int = 10

    def drop(self, reason: str, utt_id: str, detail: str) -> None:
        self.dropped[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < self.max_examples:
            examples.append(f"{utt_id}: {detail}")
        log.debug("dropping %s (%s): %s", utt_id, reason, detail)

    def to_dict(self) -> dict:
        return {
            "kaldi_dir": self.kaldi_dir,
            "kept": self.kept,
            "kept_hours": round(self.kept_seconds / 3600, 4),
            "dropped": dict(sorted(self.dropped.items())),
            "dropped_total": sum(self.dropped.values()),
            "examples": self.examples,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False))

    def log_summary(self) -> None:
        total = sum(self.dropped.values())
        log.info(
            "%s: kept %d utterances (%.2f h)", self.kaldi_dir, self.kept, self.kept_seconds / 3600
        )
        if total:
            reasons = ", ".join(f"{r}={n}" for r, n in sorted(self.dropped.items()))
            log.warning("%s: dropped %d utterances: %s", self.kaldi_dir, total, reasons)


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


def is_command(entry: str) -> bool:
    """A Kaldi ``wav.scp`` value ending in ``|`` is a shell command writing audio to stdout."""
    return entry.rstrip().endswith("|")


def probe_audio(entry: str, command_timeout: float = 120.0) -> AudioInfo:
    """Header facts of a ``wav.scp`` value (a path, or a ``cmd |`` pipe, which is run)."""
    if is_command(entry):
        cmd = entry.rstrip()[:-1]
        try:
            proc = subprocess.run(cmd, shell=True, capture_output=True, timeout=command_timeout)
        except subprocess.TimeoutExpired:
            raise AudioProbeError("command_failed", f"timed out: {cmd}") from None
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise AudioProbeError("command_failed", f"exit {proc.returncode}: {cmd}: {err[0]}")
        try:
            data, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError) as e:
            raise AudioProbeError("command_failed", f"unreadable output of {cmd}: {e}") from None
        info = AudioInfo(sr, data.shape[0], data.shape[1])
    else:
        path = Path(entry)
        if not path.is_file():
            raise AudioProbeError("missing_audio", f"no such file: {entry}")
        try:
            i = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError) as e:
            raise AudioProbeError("corrupt_audio", f"{entry}: {e}") from None
        info = AudioInfo(i.samplerate, i.frames, i.channels)
    if info.num_samples <= 0:
        raise AudioProbeError("empty_audio", f"zero samples: {entry}")
    return info


def _recording(rec_id: str, entry: str, info: AudioInfo) -> Recording:
    if is_command(entry):
        source = AudioSource(
            type="command", channels=list(range(info.channels)), source=entry.rstrip()[:-1]
        )
    else:
        source = AudioSource(
            type="file", channels=list(range(info.channels)), source=str(Path(entry).resolve())
        )
    return Recording(
        id=rec_id,
        sources=[source],
        sampling_rate=info.sample_rate,
        num_samples=info.num_samples,
        duration=info.duration,
    )


def prepare_kaldi_dir(
    kaldi_dir: str | Path,
    sample_rate: int = 16000,
    min_duration: float = 0.1,
    max_duration: float | None = None,
    progress: bool = True,
) -> tuple[CutSet, PrepareReport]:
    """Read ``wav.scp``, ``text`` and, if present, ``utt2spk`` and ``segments``; validate each.

    Dropped (counted by reason): ``no_audio_entry`` (id in ``text`` without a ``wav.scp`` or
    ``segments`` entry), ``no_transcript`` (the reverse), ``empty_transcript``,
    ``missing_audio``, ``corrupt_audio``, ``empty_audio``, ``command_failed``,
    ``bad_segment``, ``too_short`` (< ``min_duration``), ``too_long`` (> ``max_duration``).
    """
    kaldi_dir = Path(kaldi_dir)
    for name in ("wav.scp", "text"):
        if not (kaldi_dir / name).is_file():
            raise KaldiDirError(f"{kaldi_dir / name}: missing (a Kaldi data dir needs it)")
    wav_scp = read_table(kaldi_dir / "wav.scp", min_fields=2)
    texts = read_table(kaldi_dir / "text")
    spk_file = kaldi_dir / "utt2spk"
    utt2spk = read_table(spk_file, min_fields=2) if spk_file.is_file() else {}
    seg_file = kaldi_dir / "segments"
    if seg_file.is_file():
        segments = read_segments(seg_file)
    else:
        segments = {rec: Segment(rec, 0.0, -1.0) for rec in wav_scp}

    report = PrepareReport(str(kaldi_dir))
    for utt in sorted(texts.keys() - segments.keys()):
        report.drop("no_audio_entry", utt, f"in {kaldi_dir / 'text'} but has no audio entry")

    probed: dict[str, AudioInfo | AudioProbeError] = {}
    cuts = []
    for utt, seg in tqdm(segments.items(), desc=f"validate {kaldi_dir}", disable=not progress):
        if utt not in texts:
            report.drop("no_transcript", utt, f"not in {kaldi_dir / 'text'}")
            continue
        if not texts[utt].strip():
            report.drop("empty_transcript", utt, "empty line in text")
            continue
        if seg.recording_id not in wav_scp:
            report.drop("no_audio_entry", utt, f"recording {seg.recording_id!r} not in wav.scp")
            continue
        if seg.recording_id not in probed:
            try:
                probed[seg.recording_id] = probe_audio(wav_scp[seg.recording_id])
            except AudioProbeError as e:
                probed[seg.recording_id] = e
        info = probed[seg.recording_id]
        if isinstance(info, AudioProbeError):
            report.drop(info.reason, utt, str(info))
            continue
        end = info.duration if seg.end < 0 else seg.end
        if seg.start < 0 or end <= seg.start or end > info.duration + SEGMENT_TOLERANCE:
            detail = f"[{seg.start}, {seg.end}] outside recording of {info.duration:.3f} s"
            report.drop("bad_segment", utt, detail)
            continue
        end = min(end, info.duration)
        duration = end - seg.start
        if duration < min_duration:
            report.drop("too_short", utt, f"{duration:.3f} s < min_duration {min_duration} s")
            continue
        if max_duration is not None and duration > max_duration:
            report.drop("too_long", utt, f"{duration:.3f} s > max_duration {max_duration} s")
            continue
        recording = _recording(seg.recording_id, wav_scp[seg.recording_id], info)
        supervision = SupervisionSegment(
            id=utt,
            recording_id=seg.recording_id,
            start=0.0,
            duration=duration,
            channel=0,
            text=" ".join(texts[utt].split()),
            speaker=utt2spk.get(utt),
        )
        cut = MonoCut(
            id=utt,
            start=seg.start,
            duration=duration,
            channel=0,
            supervisions=[supervision],
            recording=recording,
        )
        if info.sample_rate != sample_rate:
            cut = cut.resample(sample_rate)
        cuts.append(cut)
        report.kept += 1
        report.kept_seconds += duration
    report.log_summary()
    return CutSet.from_cuts(cuts), report


def save_cuts(cuts: CutSet, path: str | Path) -> None:
    """Write cuts as JSON lines (gzipped when the name ends in ``.gz``)."""
    cuts.to_file(str(path))


def load_cuts(path: str | Path) -> CutSet:
    """Open a cuts manifest lazily: cuts are read as they are iterated, not all at once."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cuts manifest not found: {path}")
    return CutSet.from_jsonl_lazy(str(path))
