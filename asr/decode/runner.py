"""Decode one test set of cuts; write hyp/ref texts, alignments, summary and real-time factor.

The real-time factor is decoding wall time (feature loading, encoder and search) divided by the
seconds of audio decoded; ``rtf_model`` counts the model's time only.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch
from lhotse import CutSet
from lhotse.dataset import SimpleCutSampler
from tqdm import tqdm

from asr.data.dataset import AsrDataset
from asr.data.loader import make_dataloader
from asr.decode.api import decode
from asr.scoring import score, write_kaldi_text, write_report
from asr.scoring.text import Normalizer

log = logging.getLogger(__name__)


def decode_set(
    model: torch.nn.Module,
    tokenizer: Any,
    cuts: CutSet,
    out_dir: str | Path,
    decode_options: dict[str, Any],
    cer: bool = False,
    normalize: Normalizer | None = None,
    max_duration: float = 100.0,
    num_workers: int = 0,
    device: str | torch.device = "cpu",
    title: str = "",
    progress: bool = True,
    inputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Decode ``cuts`` (shortest first, batches of ``max_duration`` seconds) into ``out_dir``.

    Writes ``hyp`` and ``ref`` (Kaldi text), ``alignments.txt``, ``summary.txt`` and
    ``summary.json``; returns the summary. A cut whose audio fails to load is left out of ``hyp``
    (scored as deletions) and listed under ``failed``. ``inputs`` (the model and test set the
    caller read, e.g. ``exp_dir``, ``test_set``) are recorded in the summary too.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cuts = cuts.to_eager().sort_by_duration()
    refs = {c.id: " ".join(s.text or "" for s in c.supervisions) for c in cuts}
    durations = {c.id: c.duration for c in cuts}
    num_mel_bins = int(model.cmvn_mean.numel())
    loader = make_dataloader(
        AsrDataset(tokenizer, num_mel_bins=num_mel_bins),
        SimpleCutSampler(cuts, max_duration=max_duration),
        num_workers=num_workers,
    )
    model = model.to(device).eval()
    hyps: dict[str, str] = {}
    failed: list[str] = []
    model_seconds = 0.0
    start = time.perf_counter()
    with tqdm(total=len(refs), desc=title or "decode", unit="utt", disable=not progress) as bar:
        for batch in loader:
            failed += batch.dropped
            if len(batch):
                batch = batch.to(device)
                t0 = time.perf_counter()
                nbest = decode(model, batch.x, batch.x_lens, **decode_options)
                model_seconds += time.perf_counter() - t0
                for utt, n in zip(batch.ids, nbest, strict=True):
                    hyps[utt] = tokenizer.decode(n[0].tokens) if n else ""
            bar.update(len(batch) + len(batch.dropped))
    wall = time.perf_counter() - start
    audio = sum(durations[u] for u in hyps)
    if failed:
        log.warning("%s: %d cut(s) failed to load: %s", title, len(failed), " ".join(failed[:20]))
    write_kaldi_text(out_dir / "hyp", hyps)
    write_kaldi_text(out_dir / "ref", refs)
    lm = decode_options.get("lm")
    return write_report(
        score(refs, hyps, cer=cer, normalize=normalize),
        out_dir,
        title=title,
        **(inputs or {}),
        **{**decode_options, "lm": lm.lm.source if lm is not None else None},
        rtf=round(wall / audio, 5) if audio else None,
        rtf_model=round(model_seconds / audio, 5) if audio else None,
        decode_seconds=round(wall, 3),
        audio_seconds=round(audio, 3),
        failed=failed,
    )
