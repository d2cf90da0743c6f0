"""WER/CER with jiwer: per-utterance alignments and corpus totals in sclite's terms.

Every reference utterance is scored. A reference id with no hypothesis is scored against an
empty hypothesis (all deletions) and listed in ``missing``; hypothesis ids with no reference
are ignored and listed in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import jiwer

from asr.scoring.text import Normalizer, to_units

# One aligned position: (op, ref unit, hyp unit) with op in C (correct), S, D, I.
Op = tuple[str, str | None, str | None]

_JIWER_OP = {"equal": "C", "substitute": "S", "delete": "D", "insert": "I"}


@dataclass(frozen=True)
class UttScore:
    """The alignment of one utterance's reference and hypothesis units."""

    utt: str
    ref: list[str]
    hyp: list[str]
    ops: list[Op]
    missing: bool = False

    def count(self, op: str) -> int:
        """Number of aligned positions of kind ``op`` (C, S, D or I)."""
        return sum(1 for o, _, _ in self.ops if o == op)

    @property
    def errors(self) -> int:
        return sum(1 for o, _, _ in self.ops if o != "C")


@dataclass
class Scores:
    """Per-utterance alignments plus the corpus totals of an sclite ``Sum/Avg`` line."""

    utts: list[UttScore]
    metric: str  # "wer" or "cer"
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def total(self, op: str) -> int:
        return sum(u.count(op) for u in self.utts)

    @property
    def sentences(self) -> int:
        return len(self.utts)

    @property
    def ref_words(self) -> int:
        return sum(len(u.ref) for u in self.utts)

    @property
    def errors(self) -> int:
        return sum(u.errors for u in self.utts)

    @property
    def sentence_errors(self) -> int:
        return sum(1 for u in self.utts if u.errors)

    @property
    def error_rate(self) -> float | None:
        """Errors per reference unit in percent; None when there is no reference unit but errors."""
        if self.ref_words == 0:
            return 0.0 if self.errors == 0 else None
        return 100.0 * self.errors / self.ref_words


def align(ref: list[str], hyp: list[str]) -> list[Op]:
    """Minimum-edit alignment of two unit sequences (jiwer's Levenshtein)."""
    if not ref and not hyp:
        return []
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    ops: list[Op] = []
    for chunk in out.alignments[0]:
        op = _JIWER_OP[chunk.type]
        r = ref[chunk.ref_start_idx : chunk.ref_end_idx]
        h = hyp[chunk.hyp_start_idx : chunk.hyp_end_idx]
        if op == "D":
            ops += [("D", u, None) for u in r]
        elif op == "I":
            ops += [("I", None, u) for u in h]
        else:
            ops += [(op, a, b) for a, b in zip(r, h, strict=True)]
    return ops


def score(
    refs: Mapping[str, str],
    hyps: Mapping[str, str],
    cer: bool = False,
    normalize: Normalizer | None = None,
) -> Scores:
    """Score hypotheses against references (both ``utt -> text``), word or character units."""
    if not refs:
        raise ValueError("no reference utterances to score")
    norm = normalize or (lambda s: s)
    utts = []
    for utt, ref_text in refs.items():
        missing = utt not in hyps
        ref = to_units(norm(ref_text), cer)
        hyp = [] if missing else to_units(norm(hyps[utt]), cer)
        utts.append(UttScore(utt, ref, hyp, align(ref, hyp), missing))
    return Scores(
        utts=utts,
        metric="cer" if cer else "wer",
        missing=[u.utt for u in utts if u.missing],
        extra=[utt for utt in hyps if utt not in refs],
    )
