"""Write a Kaldi data dir from lhotse manifests (what a lhotse corpus recipe returns).

The recipes for real corpora let lhotse parse the corpus (``prepare_librispeech``,
``prepare_aishell``) and hand the result to ``asr-prepare`` as a Kaldi dir, so validation,
the drop report and CMVN are the same for every corpus. Unlike lhotse's own
``export_to_kaldi``, audio files are listed by path (flac included: libsndfile reads it),
not through ffmpeg pipes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lhotse import RecordingSet, SupervisionSet


def write_kaldi_dir(
    out_dir: str | Path,
    parts: Iterable[tuple[RecordingSet, SupervisionSet]],
) -> int:
    """Write wav.scp, text, utt2spk, spk2utt (and segments when a supervision is not its whole
    recording) for the union of ``parts``; returns the number of utterances."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wav: dict[str, str] = {}
    utts: dict[str, tuple[str, str, str, float, float, bool]] = {}
    for recordings, supervisions in parts:
        for rec in recordings:
            if len(rec.sources) != 1 or rec.sources[0].type != "file":
                raise ValueError(
                    f"recording {rec.id}: only single-file audio sources are supported"
                )
            wav[rec.id] = rec.sources[0].source
        for sup in supervisions:
            if sup.recording_id not in wav:
                raise ValueError(f"supervision {sup.id}: recording {sup.recording_id} is missing")
            if sup.id in utts:
                raise ValueError(f"supervision id {sup.id} occurs twice")
            whole = (
                sup.id == sup.recording_id
                and sup.start == 0
                and (abs(sup.duration - recordings[sup.recording_id].duration) < 1e-3)
            )
            speaker = sup.speaker or sup.recording_id
            text = " ".join((sup.text or "").split())
            utts[sup.id] = (sup.recording_id, speaker, text, sup.start, sup.end, whole)
    ids = sorted(utts)
    segmented = not all(utts[u][5] for u in ids)
    used = sorted({utts[u][0] for u in ids})
    (out / "wav.scp").write_text("".join(f"{r} {wav[r]}\n" for r in used), encoding="utf-8")
    (out / "text").write_text("".join(f"{u} {utts[u][2]}\n" for u in ids), encoding="utf-8")
    (out / "utt2spk").write_text("".join(f"{u} {utts[u][1]}\n" for u in ids), encoding="utf-8")
    spk2utt: dict[str, list[str]] = {}
    for u in ids:
        spk2utt.setdefault(utts[u][1], []).append(u)
    (out / "spk2utt").write_text(
        "".join(f"{s} {' '.join(us)}\n" for s, us in sorted(spk2utt.items())), encoding="utf-8"
    )
    segments = out / "segments"
    if segmented:
        segments.write_text(
            "".join(f"{u} {utts[u][0]} {utts[u][3]:.3f} {utts[u][4]:.3f}\n" for u in ids),
            encoding="utf-8",
        )
    elif segments.exists():
        segments.unlink()
    return len(ids)
