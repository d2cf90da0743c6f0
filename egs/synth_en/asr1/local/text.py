"""English sentences for the synthetic corpus: Debian fortunes + WordNet usage examples.

A sentence is kept only when the synthesizer will say exactly its normalized words: no
digits, symbols or acronyms (espeak spells "IBM" and reads "&" as "and"). Normalized text
is lowercase words of letters and apostrophes; it is both what is spoken and the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

FORTUNE_DIR = Path("/usr/share/games/fortunes")
WORDNET_DIR = Path("/usr/share/wordnet")
NOT_ENGLISH = {"chinese", "song100", "tang300"}  # fortunes-zh installs beside the English ones
MIN_WORDS, MAX_WORDS = 3, 20

_DROPPED = re.compile(r"[-\u2013\u2014.,;:!?\"()`\u2018\u201c\u201d]")
_ALLOWED = re.compile(r"^[A-Za-z' ]+$")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def normalize(sentence: str) -> str | None:
    """Lowercase words of letters/apostrophes, or None if the sentence cannot be read as-is."""
    s = sentence.replace("\u2019", "'").strip()
    if _ACRONYM.search(s):
        return None
    s = _DROPPED.sub(" ", s)
    if not _ALLOWED.match(s):
        return None
    words = [w.strip("'") for w in s.lower().split()]
    words = [w for w in words if w]
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return None
    return " ".join(words)


def fortune_sentences(fortune_dir: Path = FORTUNE_DIR) -> Iterator[str]:
    """Raw sentences of the English fortune files (``%``-separated), attributions removed."""
    for path in sorted(fortune_dir.iterdir()):
        if path.suffix or path.name in NOT_ENGLISH or not path.is_file():
            continue
        for fortune in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            body = " ".join(fortune.split()).split(" -- ")[0]
            yield from _SENTENCE_END.split(body)


def wordnet_examples(wordnet_dir: Path = WORDNET_DIR) -> Iterator[str]:
    """Quoted usage examples from the glosses of ``data.{noun,verb,adj,adv}``."""
    for pos in ("noun", "verb", "adj", "adv"):
        path = wordnet_dir / f"data.{pos}"
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue  # licence header, or a synset without a gloss
                yield from re.findall(r'"([^"]+)"', line.split(" | ", 1)[1])


def english_sentences() -> list[str]:
    """All distinct normalized sentences available on this machine."""
    if not FORTUNE_DIR.is_dir() or not (WORDNET_DIR / "data.noun").is_file():
        raise FileNotFoundError(
            f"English text sources missing ({FORTUNE_DIR}, {WORDNET_DIR}): install them with "
            "`apt-get install -y fortunes fortunes-min wordnet-base`"
        )
    raw = [*fortune_sentences(), *wordnet_examples()]
    return sorted({n for s in raw if (n := normalize(s))})
