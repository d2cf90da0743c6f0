"""Kaldi data directory → validated lhotse ``CutSet``.

Every entry is checked before training starts, so a bad utterance costs one line in a report
instead of a crash hours into an epoch. Structural damage to a table (non-UTF-8 bytes,
duplicate ids) raises :class:`~asr.data.kaldi_dir.KaldiDirError` naming file and line; a
problem confined to one utterance drops it, counted by reason in :class:`PrepareReport`.

Choices:
- Audio is decoded end to end here, once: a file whose data stops before its header says (a
  WAV cut off partway keeps a readable header), or that fails to decode partway (a cut-off
  FLAC), is dropped as ``truncated_audio`` instead of being trained with a transcript of audio
  it no longer holds, or failing in every batch that draws it.
- Multi-channel audio keeps every channel in the cut (a lhotse ``MultiCut``); the model hears
  their average (the channel rule of :mod:`asr.data.audio`, the same for decoding).
- Audio at another sample rate stays at its own rate in the cuts; features resample it to the
  model's 16 kHz (:func:`asr.data.audio.model_input`), the same way at training and decoding.
- Relative paths in ``wav.scp`` are resolved against the current directory (Kaldi's rule) and
  stored absolute, so the cuts can be read from anywhere.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lhotse import AudioSource, CutSet, MonoCut, MultiCut, Recording, SupervisionSegment
from lhotse.cut import Cut
from tqdm import tqdm

from asr.data.audio import is_command
from asr.data.kaldi_dir import KaldiDirError, Segment, read_segments, read_table, read_text
from asr.data.probe import AudioInfo, AudioProbeError, probe_audio
from asr.errors import InputError

log = logging.getLogger(__name__)

REPORT_NAME = "prepare_report.json"
CUTS_NAME = "cuts.jsonl.gz"
SEGMENT_TOLERANCE = 0.01  # seconds a segment may overrun its recording (rounding in segments)
AUX_TEXT = "aux_text"  # supervision custom field: the auxiliary CTC's transcript (--aux-text)


def aux_transcript(cut: Cut) -> str | None:
    """The auxiliary transcript of ``cut`` (``prepare_kaldi_dir(aux_text=...)``), or None."""
    texts = [(s.custom or {}).get(AUX_TEXT) for s in cut.supervisions]
    if not texts or any(t is None for t in texts):
        return None
    return " ".join(texts)


def require_aux_transcripts(path: str | Path) -> None:
    """Refuse a manifest prepared without ``--aux-text`` before training on it: its every cut
    would be dropped. Checks the first cut (prepare gives all of them one, or none)."""
    first = next(iter(load_cuts(path)), None)
    if first is not None and aux_transcript(first) is None:
        raise InputError(
            f"{path}: cut {first.id} has no auxiliary transcript; data.aux_tokenizer needs cuts "
            "prepared with asr-prepare --aux-text NAME"
        )


@dataclass
class PrepareReport:
    """Every utterance id read, kept or dropped for a reason: ``kept + dropped == entries``.

    ``dropped_utts`` names every dropped utterance by reason; ``examples`` gives the first few
    of each reason with the detail (the file, the command, the numbers).
    """

    kaldi_dir: str
    entries: int = 0
    kept: int = 0
    kept_seconds: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    dropped_utts: dict[str, list[str]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    max_examples: int = 10

    def drop(self, reason: str, utt_id: str, detail: str) -> None:
        self.dropped[reason] += 1
        self.dropped_utts.setdefault(reason, []).append(utt_id)
        examples = self.examples.setdefault(reason, [])
        if len(examples) < self.max_examples:
            examples.append(f"{utt_id}: {detail}")
        log.debug("dropping %s (%s): %s", utt_id, reason, detail)

    def to_dict(self) -> dict:
        return {
            "kaldi_dir": self.kaldi_dir,
            "entries": self.entries,
            "kept": self.kept,
            "kept_hours": round(self.kept_seconds / 3600, 4),
            "dropped": dict(sorted(self.dropped.items())),
            "dropped_total": sum(self.dropped.values()),
            "examples": self.examples,
            "dropped_utts": dict(sorted(self.dropped_utts.items())),
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False))

    def log_summary(self) -> None:
        total = sum(self.dropped.values())
        log.info(
            "%s: kept %d of %d utterances (%.2f h)",
            self.kaldi_dir, self.kept, self.entries, self.kept_seconds / 3600,
        )  # fmt: skip
        if total:
            reasons = ", ".join(f"{r}={n}" for r, n in sorted(self.dropped.items()))
            log.warning("%s: dropped %d utterances: %s", self.kaldi_dir, total, reasons)


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


def _cut(
    utt: str,
    recording: Recording,
    start: float,
    duration: float,
    text: str,
    speaker: str | None,
    aux: str | None = None,
) -> Cut:
    """A cut holding every channel of its recording: a ``MonoCut``, or a ``MultiCut``;
    ``aux`` goes into the supervision's ``custom`` as :data:`AUX_TEXT`."""
    channels = recording.channel_ids
    channel = channels[0] if len(channels) == 1 else channels
    supervision = SupervisionSegment(
        id=utt,
        recording_id=recording.id,
        start=0.0,
        duration=duration,
        channel=channel,
        text=text,
        speaker=speaker,
        custom=None if aux is None else {AUX_TEXT: aux},
    )
    cut_type = MonoCut if len(channels) == 1 else MultiCut
    return cut_type(
        id=utt,
        start=start,
        duration=duration,
        channel=channel,
        supervisions=[supervision],
        recording=recording,
    )


def prepare_kaldi_dir(
    kaldi_dir: str | Path,
    min_duration: float = 0.1,
    max_duration: float | None = None,
    progress: bool = True,
    aux_text: str | None = None,
) -> tuple[CutSet, PrepareReport]:
    """Read ``wav.scp``, ``text`` and, if present, ``utt2spk`` and ``segments``; validate each.

    ``aux_text`` names a second transcript table in the directory (e.g. ``text_phn``: phones or
    pinyin units, the targets of an auxiliary CTC); each utterance must have a non-empty entry
    there too (``no_aux_transcript``, ``empty_aux_transcript``), kept in its supervision.

    Every utterance id (in ``text`` or ``segments``, or ``wav.scp`` without ``segments``) is
    kept or dropped, counted by reason: ``no_audio_entry`` (in ``text`` without a ``wav.scp``
    or ``segments`` entry), ``no_transcript`` (the reverse), ``empty_transcript``,
    ``missing_audio``, ``corrupt_audio``, ``truncated_audio``, ``empty_audio``,
    ``command_failed``, ``bad_segment``, ``no_aux_transcript``, ``empty_aux_transcript``,
    ``too_short`` (< ``min_duration``), ``too_long``
    (> ``max_duration``).
    """
    kaldi_dir = Path(kaldi_dir)
    for name in ("wav.scp", "text"):
        if not (kaldi_dir / name).is_file():
            raise KaldiDirError(f"{kaldi_dir / name}: missing (a Kaldi data dir needs it)")
    wav_scp = read_table(kaldi_dir / "wav.scp", min_fields=2)
    texts = read_text(kaldi_dir / "text")
    aux_file = kaldi_dir / aux_text if aux_text is not None else None
    aux = read_text(aux_file) if aux_file is not None else {}
    spk_file = kaldi_dir / "utt2spk"
    utt2spk = read_table(spk_file, min_fields=2) if spk_file.is_file() else {}
    seg_file = kaldi_dir / "segments"
    if seg_file.is_file():
        segments = read_segments(seg_file)
    else:
        segments = {rec: Segment(rec, 0.0, -1.0) for rec in wav_scp}

    report = PrepareReport(str(kaldi_dir), entries=len(texts.keys() | segments.keys()))
    for utt in sorted(texts.keys() - segments.keys()):
        report.drop("no_audio_entry", utt, f"in {kaldi_dir / 'text'} but has no audio entry")

    probed: dict[str, AudioInfo | AudioProbeError] = {}
    recordings: dict[str, Recording] = {}
    cuts = []
    for utt, seg in tqdm(segments.items(), desc=f"validate {kaldi_dir}", disable=not progress):
        if utt not in texts:
            report.drop("no_transcript", utt, f"not in {kaldi_dir / 'text'}")
            continue
        if not texts[utt]:
            report.drop("empty_transcript", utt, f"empty transcript in {kaldi_dir / 'text'}")
            continue
        if aux_file is not None and utt not in aux:
            report.drop("no_aux_transcript", utt, f"not in {aux_file}")
            continue
        if aux_file is not None and not aux[utt]:
            report.drop("empty_aux_transcript", utt, f"empty transcript in {aux_file}")
            continue
        rec = seg.recording_id
        if rec not in wav_scp:
            report.drop("no_audio_entry", utt, f"recording {rec!r} not in wav.scp")
            continue
        if rec not in probed:
            try:
                probed[rec] = probe_audio(wav_scp[rec])
            except AudioProbeError as e:
                probed[rec] = e
        info = probed[rec]
        if isinstance(info, AudioProbeError):
            report.drop(info.reason, utt, str(info))
            continue
        end = info.duration if seg.end < 0 else seg.end
        if seg.start < 0 or end <= seg.start or end > info.duration + SEGMENT_TOLERANCE:
            detail = f"[{seg.start}, {seg.end}] outside recording of {info.duration:.3f} s"
            report.drop("bad_segment", utt, detail)
            continue
        duration = min(end, info.duration) - seg.start
        if duration < min_duration:
            report.drop("too_short", utt, f"{duration:.3f} s < min_duration {min_duration} s")
            continue
        if max_duration is not None and duration > max_duration:
            report.drop("too_long", utt, f"{duration:.3f} s > max_duration {max_duration} s")
            continue
        if rec not in recordings:
            recordings[rec] = _recording(rec, wav_scp[rec], info)
        cut = _cut(
            utt, recordings[rec], seg.start, duration, texts[utt], utt2spk.get(utt), aux.get(utt)
        )
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
