"""A word n-gram language model (interpolated Kneser-Ney) that sums probabilities over prefixes.

Trained on transcripts, e.g. a closed-vocabulary recipe's training text. Beam search spells
words out piece by piece, so besides ``P(word | history)`` it needs the probability that the
next word *begins* with what has been spelled so far: with the vocabulary sorted, the words
sharing a prefix are one contiguous index range, and :meth:`NgramLM.range_prob` sums
``P(w | history)`` over such a range in O(order · log V) (prefix sums at every order).

Smoothing is interpolated Kneser-Ney with one discount per order, ``D = n1 / (n1 + 2 n2)``
(n1, n2: n-grams seen once, twice); lower orders count distinct left contexts; the base is
uniform over the vocabulary and ``</s>``. Every distribution sums to one (tested).
"""

from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

FORMAT = "asr-ngram-v1"


@dataclass
class _Node:
    """One history: its successors (sorted word ids), their discounted mass, its back-off weight."""

    successors: list[int]
    cumulative: list[float]  # cumulative[i] = Σ_{j<i} (count_j − D) / total
    backoff: float  # D · len(successors) / total: the mass handed to the shorter history


UNITS = ("word", "char")


class NgramLM:
    """Word ids are ranks in the sorted vocabulary, ``eos_id`` is V; histories start with BOS.

    ``unit`` says what a "word" is to decoding: ``"word"``, a word of space-separated text, or
    ``"char"``, one character (for scripts written without spaces, such as Chinese).
    """

    def __init__(
        self,
        words: Sequence[str],
        order: int,
        counts: list[dict[tuple, Counter]],
        unit: str = "word",
    ):
        if list(words) != sorted(set(words)):
            raise ValueError("NgramLM: the vocabulary must be sorted and without duplicates")
        if unit not in UNITS:
            raise ValueError(f"NgramLM: unit must be one of {UNITS}, got {unit!r}")
        if unit == "char" and any(len(w) != 1 for w in words):
            raise ValueError("NgramLM: a character LM's vocabulary holds single characters")
        self.words = list(words)
        self.order = order
        self.unit = unit
        self.counts = counts  # counts[m][history of length m][word id] (raw or continuation)
        self.ids = {w: i for i, w in enumerate(self.words)}
        self.eos_id = len(self.words)
        self.bos_id = len(self.words) + 1
        self.discounts = [_discount(level) for level in counts]
        self.source = "trained in memory"  # or the file it was loaded from
        self.tables = [
            {h: _node(c, d) for h, c in level.items()}
            for level, d in zip(counts, self.discounts, strict=True)
        ]

    @classmethod
    def train(
        cls, sentences: Iterable[Sequence[str]], order: int = 3, unit: str = "word"
    ) -> NgramLM:
        """Counts of ``order``-grams in ``sentences`` (lists of words) and KN lower orders."""
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        sentences = [list(s) for s in sentences]
        words = sorted({w for s in sentences for w in s})
        ids = {w: i for i, w in enumerate(words)}
        eos, bos = len(words), len(words) + 1
        top: dict[tuple, Counter] = defaultdict(Counter)
        for s in sentences:
            seq = [bos] * (order - 1) + [ids[w] for w in s] + [eos]
            for i in range(order - 1, len(seq)):
                top[tuple(seq[i - order + 1 : i])][seq[i]] += 1
        counts = [top]
        for _ in range(order - 1):  # lower orders: continuation counts (distinct left contexts)
            level: dict[tuple, Counter] = defaultdict(Counter)
            for h, successors in counts[0].items():
                for w in successors:
                    level[h[1:]][w] += 1
            counts.insert(0, level)
        return cls(words, order, [dict(level) for level in counts], unit)

    def range_prob(self, history: Sequence[int], lo: int, hi: int) -> float:
        """``Σ P(w | history)`` over word ids ``lo <= w < hi`` (``eos_id`` included if in range)."""
        p = (hi - lo) / (len(self.words) + 1)  # the uniform base
        for m in range(min(self.order - 1, len(history)) + 1):
            node = self.tables[m].get(tuple(history[len(history) - m :]))
            if node is not None:
                i, j = bisect_left(node.successors, lo), bisect_left(node.successors, hi)
                p = node.cumulative[j] - node.cumulative[i] + node.backoff * p
        return p

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """The ids of the words that begin with ``prefix`` (all words for ``""``)."""
        lo = bisect_left(self.words, prefix)
        hi = bisect_left(self.words, prefix + "\U0010ffff") if prefix else len(self.words)
        return lo, hi

    def log_prob(self, history: Sequence[int], word: int) -> float:
        """Natural-log ``P(word | history)``; ``-inf`` where the probability is 0."""
        return _log(self.range_prob(history, word, word + 1))

    def prefix_log_prob(self, history: Sequence[int], prefix: str) -> float:
        """Natural-log probability that the next word begins with ``prefix``; ``-inf`` if none
        does (``""``: that another word follows, i.e. not ``</s>``)."""
        return _log(self.range_prob(history, *self.prefix_range(prefix)))

    def sentence_log_prob(self, words: Sequence[str]) -> float:
        """Natural-log probability of a whole sentence, ``</s>`` included."""
        history = [self.bos_id] * (self.order - 1)
        total = 0.0
        for w in [*(self.ids[w] for w in words), self.eos_id]:
            total += self.log_prob(history, w)
            history = history[1:] + [w] if self.order > 1 else history
        return total

    def save(self, path: str | Path) -> None:
        """Write the vocabulary and the counts as JSON."""
        levels = [
            [[list(h), sorted(c.items())] for h, c in sorted(level.items())]
            for level in self.counts
        ]
        data = {
            "format": FORMAT,
            "order": self.order,
            "unit": self.unit,
            "words": self.words,
            "counts": levels,
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | Path) -> NgramLM:
        """Read what :meth:`save` wrote."""
        data = json.loads(Path(path).read_text())
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: not an n-gram LM written by NgramLM.save ({FORMAT})")
        counts = [
            {tuple(h): Counter(dict((w, n) for w, n in succ)) for h, succ in level}
            for level in data["counts"]
        ]
        lm = cls(data["words"], int(data["order"]), counts, data.get("unit", "word"))
        lm.source = str(path)
        return lm


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def _discount(level: dict[tuple, Counter]) -> float:
    """Kneser-Ney's estimate ``n1 / (n1 + 2 n2)``; 0.5 when the counts cannot tell."""
    of = Counter(n for successors in level.values() for n in successors.values())
    n1, n2 = of[1], of[2]
    return n1 / (n1 + 2 * n2) if n1 and n2 else 0.5


def _node(successors: Counter, discount: float) -> _Node:
    ids = sorted(successors)
    total = sum(successors.values())
    mass = ((successors[w] - discount) / total for w in ids)
    return _Node(ids, [0.0, *accumulate(mass)], discount * len(ids) / total)
