"""The English voice inventory and its train/test split (documented in ../README.md).

Training gets wide diversity: 8 espeak-ng accents x 24 variants (female and male), pitch
and speed ranges, and the recorded voices kal (flite kal, kal16 + festival kal_diphone),
slt (female; flite slt + festival slt-hts), awb and rms. Test holds out voices that are
"in distribution": 8 espeak accent+variant pairs whose accent and whose variant both occur
in training (with other partners), and the recorded speaker ked (festival diphone, US male:
the same kind as festival kal_diphone in training). Each recorded speaker sits on one side.
Dev uses the training voices.
"""

from __future__ import annotations

from asr.recipes.synth import Voice

ACCENTS = [
    "en-us",
    "en-gb",
    "en-gb-x-rp",
    "en-029",
    "en-gb-scotland",
    "en-us-nyc",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
]
MALE_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "klatt", "klatt2", "klatt3", "Andy",
                 "Gene", "Michael", "john", "paul", "travis"]  # fmt: skip
FEMALE_VARIANTS = ["f1", "f2", "f3", "f4", "f5", "Annie", "linda", "steph", "Alicia", "Andrea",
                   "belinda", "anika"]  # fmt: skip
# One held-out variant per accent, genders mixed; every accent and variant here also
# appears in training paired differently.
TEST_ESPEAK = {
    "en-us": "f2",
    "en-gb": "m3",
    "en-gb-x-rp": "f4",
    "en-029": "m5",
    "en-gb-scotland": "Annie",
    "en-us-nyc": "m6",
    "en-gb-x-gbclan": "f1",
    "en-gb-x-gbcwmd": "Andy",
}
ESPEAK_SPEED, ESPEAK_PITCH = (0.85, 1.2), (30.0, 70.0)  # rate factor; espeak -p
RECORDED_SPEED, RECORDED_PITCH = (0.85, 1.15), (-150.0, 150.0)  # stretch; sox cents

# (voice id, engine, engine voice, speaker identity, gender)
RECORDED = [
    ("flite-kal", "flite", "kal", "kal", "m"),
    ("flite-kal16", "flite", "kal16", "kal", "m"),
    ("festival-kal", "festival", "voice_kal_diphone", "kal", "m"),
    ("flite-slt", "flite", "slt", "slt", "f"),
    ("festival-slt", "festival", "voice_cmu_us_slt_arctic_hts", "slt", "f"),
    ("flite-awb", "flite", "awb", "awb", "m"),
    ("flite-rms", "flite", "rms", "rms", "m"),
    ("festival-ked", "festival", "voice_ked_diphone", "ked", "m"),
]
TEST_SPEAKERS = {"ked"}

# Share of utterances per engine (renormalized over the engines present in a split).
ENGINE_SHARE = {"espeak": 0.55, "flite": 0.3, "festival": 0.15}


def _espeak(accent: str, variant: str, gender: str) -> Voice:
    return Voice(
        id=f"espeak-{accent}-{variant.lower()}",
        engine="espeak",
        name=f"{accent}+{variant}",
        speaker=f"{accent}+{variant}",
        gender=gender,
        speed=ESPEAK_SPEED,
        pitch=ESPEAK_PITCH,
    )


def voice_split() -> dict[str, list[Voice]]:
    """Voices per split: ``train`` (also used by dev) and ``test``."""
    split: dict[str, list[Voice]] = {"train": [], "test": []}
    for accent in ACCENTS:
        for variants, gender in ((MALE_VARIANTS, "m"), (FEMALE_VARIANTS, "f")):
            for variant in variants:
                side = "test" if TEST_ESPEAK[accent] == variant else "train"
                split[side].append(_espeak(accent, variant, gender))
    for vid, engine, name, speaker, gender in RECORDED:
        side = "test" if speaker in TEST_SPEAKERS else "train"
        voice = Voice(vid, engine, name, speaker, gender, RECORDED_SPEED, RECORDED_PITCH)
        split[side].append(voice)
    return split
