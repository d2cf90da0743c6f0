"""Mandarin sentences for the synthetic corpus: Debian fortunes-zh, read as tone-numbered pinyin.

espeak-ng's ``cmn-latn-pinyin`` voice reads pinyin with tone digits (``ni3 hao3``), so each
sentence is converted with pypinyin; the transcript stays in Chinese characters. Sentences
are cut at Chinese sentence punctuation and kept only when they are pure Han characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

FORTUNE_DIR = Path("/usr/share/games/fortunes")
ZH_FILES = ("chinese", "tang300", "song100")
MIN_CHARS, MAX_CHARS = 4, 24

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CUT = re.compile(r"[。！？；：，、\n]|……")
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")


def zh_sentences(fortune_dir: Path = FORTUNE_DIR) -> list[str]:
    """Distinct pure-Han sentences of MIN_CHARS..MAX_CHARS characters from fortunes-zh."""
    files = [fortune_dir / name for name in ZH_FILES]
    if not any(f.is_file() for f in files):
        raise FileNotFoundError(
            f"no fortunes-zh files in {fortune_dir}: install them with "
            "`apt-get install -y fortunes-zh`"
        )
    found: set[str] = set()
    for path in files:
        if path.is_file():
            found.update(_pieces(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(found)


def common_only(sentences: list[str], top: int) -> list[str]:
    """Sentences made only of the ``top`` most frequent characters (a modest char vocabulary,
    so that few test characters are unseen in training)."""
    counts = Counter(ch for s in sentences for ch in s)
    keep = {ch for ch, _ in counts.most_common(top)}
    return [s for s in sentences if set(s) <= keep]


def _pieces(text: str) -> Iterator[str]:
    for fortune in _ANSI.sub("", text).split("\n%\n"):
        for line in fortune.splitlines():
            if "--" in line or "作者" in line or "《" in line:
                continue  # attributions and titles
            for piece in _CUT.split(line):
                piece = piece.strip().strip("“”「」『』‘’（）()")
                if MIN_CHARS <= len(piece) <= MAX_CHARS and _HAN.match(piece):
                    yield piece


# Pinyin initials, "zh"/"ch"/"sh" before "z"/"c"/"s"; y and w count as initials here, so that
# a final is spelled one way whatever starts its syllable's written form.
INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcsyw")


def pinyin_units(pinyin: str) -> str:
    """Tone-numbered syllables split into initial and toned final (``tian1 a1`` ->
    ``t ian1 a1``): the auxiliary CTC's targets, ~160 units, each far more frequent in the
    corpus than a character (README: they leave CTC's blank plateau where characters do not)."""
    units = []
    for syllable in pinyin.split():
        initial = _initial(syllable)
        units += [initial, syllable[len(initial) :]] if initial else [syllable]
    return " ".join(units)


def _initial(syllable: str) -> str:
    """The initial of a syllable; "" when it has none (``er2``, ``ai4``, ``n2``)."""
    for initial in INITIALS:
        if syllable.startswith(initial) and syllable[len(initial) : len(initial) + 1].isalpha():
            return initial
    return ""


def to_pinyin(sentence: str) -> str:
    """Tone-numbered pinyin syllables (neutral tone 5), the input of cmn-latn-pinyin."""
    from pypinyin import Style, lazy_pinyin  # optional dependency: pip install pypinyin

    return " ".join(lazy_pinyin(sentence, style=Style.TONE3, neutral_tone_with_five=True))
