"""Tone-numbered pinyin -> an mbrola phoneme file for the cn1 Mandarin voice (mbrola-cn1).

espeak-ng cannot drive cn1: its voice file names a phoneme table espeak-ng does not ship
(``zh_phtrans``), and its ``cmn_phtrans`` gives more than one unknown diphone per syllable
(measured: 298 in 239 syllables), so the audio is mostly silence. cn1's units follow pinyin
itself (its README): a syllable is an initial then a one-vowel final (``h ao``), a medial glide
joins the initial (``hu an`` for huan, ``bi ao`` for biao, ``xu an`` for xuan), and a syllable
without an initial is its final alone. This module spells each syllable in those units, with
durations per unit and an F0 contour per tone, and a short pause between syllables (as cn1's
own examples do) so that every diphone is one the database holds.
"""

from __future__ import annotations

INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j",
            "q", "x", "r", "z", "c", "s", "y", "w")  # fmt: skip
FINALS = {"a", "ai", "an", "ang", "ao", "e", "ei", "en", "eng", "er", "o", "ou", "i", "ie",
          "ll", "u", "v", "ong", "in", "ing", "ii", "ui", "iu", "ue", "un"}  # fmt: skip
# A medial glide that cn1 joins to the initial: pinyin final -> (glide, cn1 final).
MEDIAL = {"ia": ("i", "a"), "ian": ("i", "an"), "iang": ("i", "ang"), "iao": ("i", "ao"),
          "iong": ("i", "ong"), "ua": ("u", "a"), "uai": ("u", "ai"), "uan": ("u", "an"),
          "uang": ("u", "ang"), "uo": ("u", "o"), "van": ("u", "an")}  # fmt: skip
RENAMED = {"ve": "ue", "vn": "un", "io": "o", "ueng": "eng", "uei": "ui", "uen": "un", "m": "u",
           "n": "en", "ng": "eng", "r": "er", "ê": "e"}  # fmt: skip
# Milliseconds at the normal rate: initials by manner, finals by tone (neutral tone 5 short).
INITIAL_MS = {"b": 50, "d": 50, "g": 50, "p": 90, "t": 90, "k": 90, "z": 80, "zh": 80, "j": 80,
              "c": 110, "ch": 110, "q": 110, "f": 120, "s": 130, "sh": 130, "x": 130, "h": 110,
              "r": 70, "m": 60, "n": 60, "l": 60, "y": 50, "w": 50}  # fmt: skip
FINAL_MS = {1: 240, 2: 250, 3: 280, 4: 220, 5: 140}
GLIDE_MS = 40  # a medial glide lengthens its initial
# F0 targets (percent of the final, Hz) of a female voice; the glide and voiced initials take
# the final's first target.
TONE_F0 = {1: ((0, 280), (100, 280)), 2: ((0, 205), (100, 290)),
           3: ((0, 200), (50, 165), (100, 205)), 4: ((0, 300), (100, 175)),
           5: ((0, 220), (100, 205))}  # fmt: skip
PAUSE_MS, EDGE_MS = 15, 120


def spell(syllable: str) -> tuple[list[str], int]:
    """A pinyin syllable with its tone digit (``huan2``; ``v`` for ü) -> (cn1 units, tone)."""
    syllable = syllable.lower()
    tone = int(syllable[-1]) if syllable[-1:].isdigit() else 5
    base = syllable.rstrip("012345")
    initial = next((i for i in INITIALS if base.startswith(i) and len(base) > len(i)), "")
    final = base[len(initial) :]
    if initial in ("j", "q", "x", "y") and final.startswith("u"):
        final = "v" + final[1:]  # after j, q, x, y pinyin writes u for ü
    if final == "i" and initial in ("zh", "ch", "sh", "r"):
        final = "ll"
    elif final == "i" and initial in ("z", "c", "s"):
        final = "ii"
    elif final == "e" and initial == "y":
        initial, final = "", "ie"  # ye: cn1 has _-ie but no y-ie
    final = RENAMED.get(final, final)
    if final in MEDIAL:  # lia -> li a, huan -> hu an, yuan -> yu an
        glide, final = MEDIAL[final]
        return [initial + glide, final], tone
    if final not in FINALS:
        raise ValueError(f"pinyin syllable {syllable!r}: no cn1 final for {final!r}")
    return ([initial] if initial else []) + [final], tone


def _contour(tone: int) -> str:
    return " ".join(f"{pos} {hz}" for pos, hz in TONE_F0[tone])


def to_pho(pinyin: str) -> str:
    """A sentence of tone-numbered pinyin syllables -> mbrola .pho text (normal rate, pitch)."""
    lines = [f"_ {EDGE_MS}"]
    for k, syllable in enumerate(pinyin.split()):
        units, tone = spell(syllable)
        first_hz = TONE_F0[tone][0][1]
        if k:
            lines.append(f"_ {PAUSE_MS}")
        for unit in units[:-1]:
            ms = INITIAL_MS.get(unit, INITIAL_MS.get(unit[:-1], 60))
            if unit not in INITIAL_MS:
                ms += GLIDE_MS
            lines.append(f"{unit} {ms} 0 {first_hz}")
        lines.append(f"{units[-1]} {FINAL_MS[tone]} {_contour(tone)}")
    lines.append(f"_ {EDGE_MS}")
    return "\n".join(lines) + "\n"
