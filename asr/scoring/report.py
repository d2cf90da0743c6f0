"""Report files of a scored set: sclite-style summary (text and JSON), per-utterance alignments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from asr.scoring.wer import Scores, UttScore


def summary_dict(scores: Scores, **extra: Any) -> dict[str, Any]:
    """The JSON summary: ``wer`` is the error rate in percent (the CER when ``metric`` is cer)."""
    n_snt = scores.sentences
    return {
        "metric": scores.metric,
        "wer": _round(scores.error_rate),
        "sentences": n_snt,
        "ref_words": scores.ref_words,
        "correct": scores.total("C"),
        "substitutions": scores.total("S"),
        "deletions": scores.total("D"),
        "insertions": scores.total("I"),
        "errors": scores.errors,
        "sentence_errors": scores.sentence_errors,
        "sentence_error_rate": _round(100.0 * scores.sentence_errors / n_snt),
        "missing": scores.missing,
        "extra": scores.extra,
        **extra,
    }


def summary_text(scores: Scores, title: str = "") -> str:
    """An sclite ``Sum/Avg`` table: counts, then percent of reference units (S.Err: sentences)."""
    d = summary_dict(scores)
    unit = "Chr" if scores.metric == "cer" else "Wrd"
    cols = ["Snt", unit, "Corr", "Sub", "Del", "Ins", "Err", "S.Err"]
    counts = [d["sentences"], d["ref_words"], d["correct"], d["substitutions"], d["deletions"]]
    counts += [d["insertions"], d["errors"], d["sentence_errors"]]
    n_ref = d["ref_words"]
    pct = [_pct(c, n_ref) for c in counts[2:7]] + [_pct(counts[7], d["sentences"])]
    rows = [
        ["", *cols],
        ["Sum", *(str(c) for c in counts)],
        ["Sum/Avg", str(counts[0]), str(counts[1]), *pct],
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols) + 1)]
    lines = [" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    rule = "-" * len(lines[0])
    head = [title] if title else []
    rate = "n/a" if d["wer"] is None else f"{d['wer']:.2f}"
    foot = [
        f"%{scores.metric.upper()} {rate} [ {d['errors']} / {n_ref}, {d['insertions']} ins, "
        f"{d['deletions']} del, {d['substitutions']} sub ]"
    ]
    if scores.missing:
        foot.append(
            f"{len(scores.missing)} reference utterance(s) had no hypothesis "
            f"(scored as deletions): {' '.join(scores.missing[:20])}"
            + (" ..." if len(scores.missing) > 20 else "")
        )
    if scores.extra:
        foot.append(f"{len(scores.extra)} hypothesis utterance(s) had no reference (ignored)")
    return "\n".join([*head, rule, *lines[:1], rule, *lines[1:], rule, *foot]) + "\n"


def alignment_text(utt: UttScore) -> str:
    """One utterance as REF/HYP/Eval rows, errors upper-cased and gaps as ``***`` (sclite .pra)."""
    ref_row, hyp_row, eval_row = [], [], []
    for op, r, h in utt.ops:
        r_s = "***" if r is None else (r if op == "C" else r.upper())
        h_s = "***" if h is None else (h if op == "C" else h.upper())
        w = max(len(r_s), len(h_s))
        ref_row.append(r_s.ljust(w))
        hyp_row.append(h_s.ljust(w))
        eval_row.append(("" if op == "C" else op).ljust(w))
    counts = " ".join(str(utt.count(o)) for o in "CSDI")
    lines = [f"id: {utt.utt}" + (" (no hypothesis)" if utt.missing else "")]
    lines.append(f"Scores: (#C #S #D #I) {counts}")
    lines += [f"REF:  {' '.join(ref_row)}".rstrip(), f"HYP:  {' '.join(hyp_row)}".rstrip()]
    lines.append(f"Eval: {' '.join(eval_row)}".rstrip())
    return "\n".join(lines) + "\n"


def write_report(scores: Scores, out_dir: str | Path, title: str = "", **extra: Any) -> dict:
    """Write ``alignments.txt``, ``summary.txt`` and ``summary.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "alignments.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(alignment_text(u) for u in scores.utts))
    summary = summary_dict(scores, **extra)
    text = summary_text(scores, title)
    text += "".join(f"{k}: {v}\n" for k, v in extra.items())
    (out / "summary.txt").write_text(text, encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _pct(count: int, total: int) -> str:
    return "n/a" if total == 0 else f"{100.0 * count / total:.1f}"


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
