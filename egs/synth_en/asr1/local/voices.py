"""The English voice inventory and its train/test split (documented in ../README.md).

Two families of voices:
- ``espeak``: espeak-ng's formant synthesis, 8 accents x 28 variants with pitch and speed
  ranges. Test holds out 8 accent+variant pairs whose accent and variant both occur in
  training with other partners.
- ``recorded``: 27 recorded speakers (diphone, unit-selection and HTS voices). Debian main
  has kal, ked, slt, awb and rms; contrib/non-free add the mbrola speakers (us1, us2, us3,
  en1, and 16 other languages' speakers reading English through espeak-ng) and festival's
  rab and don. A speaker behind two engines (flite kal and festival kal_diphone; espeak-ng
  mb-us1 and festival us1_mbrola) is one speaker, and every speaker sits on one side of the
  split. Test holds out five, both genders, each with similar speakers left in training:
  ked (US male diphone; kal), us1 (US female mbrola; slt and the female mbrola speakers),
  en1 (British male mbrola; rab, don, us2, us3), de5 (German female reading English; de1,
  de3) and sw1 (Swedish male reading English; sw2). The mbrola databases are free for
  non-commercial, non-military use only.
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

# Other languages' mbrola speakers, read English by espeak-ng (mb-<db>-en): db -> gender.
MBROLA_ACCENTED = {"de1": "f", "de2": "m", "de3": "f", "de4": "m", "de5": "f", "de6": "m",
                   "fr1": "m", "fr4": "f", "nl2": "m", "af1": "m", "gr2": "m", "hu1": "f",
                   "pl1": "f", "ro1": "m", "sw1": "m", "sw2": "f"}  # fmt: skip
# English mbrola speakers, each behind espeak-ng (mb-<db>) and festival (voice_<db>_mbrola).
MBROLA_ENGLISH = {"us1": "f", "us2": "m", "us3": "m", "en1": "m"}
# (voice id, engine, engine voice, speaker identity, gender). espeak-ng drives the mbrola
# speakers itself (its speed and pitch controls); flite and festival voices get sox's pitch.
RECORDED = [
    ("flite-kal", "flite", "kal", "kal", "m"),
    ("flite-kal16", "flite", "kal16", "kal", "m"),
    ("festival-kal", "festival", "voice_kal_diphone", "kal", "m"),
    ("flite-slt", "flite", "slt", "slt", "f"),
    ("festival-slt", "festival", "voice_cmu_us_slt_arctic_hts", "slt", "f"),
    ("flite-awb", "flite", "awb", "awb", "m"),
    ("flite-rms", "flite", "rms", "rms", "m"),
    ("festival-ked", "festival", "voice_ked_diphone", "ked", "m"),
    ("festival-rab", "festival", "voice_rab_diphone", "rab", "m"),
    ("festival-don", "festival", "voice_don_diphone", "don", "m"),
    *(
        voice
        for db, gender in MBROLA_ENGLISH.items()
        for voice in (
            (f"mbrola-{db}", "espeak", f"mb-{db}", db, gender),
            (f"festival-{db}", "festival", f"voice_{db}_mbrola", db, gender),
        )
    ),
    *((f"mbrola-{db}-en", "espeak", f"mb-{db}-en", db, g) for db, g in MBROLA_ACCENTED.items()),
]
TEST_SPEAKERS = {"ked", "us1", "en1", "de5", "sw1"}

# Training share of utterances per voice family; within a family every speaker is equally
# likely. Test has no shares: its speakers take turns (asr.recipes.synth.draw_utterances).
FAMILY_SHARE = {"espeak": 0.5, "recorded": 0.5}


def _espeak(accent: str, variant: str, gender: str) -> Voice:
    return Voice(
        id=f"espeak-{accent}-{variant.lower()}",
        engine="espeak",
        name=f"{accent}+{variant}",
        speaker=f"{accent}+{variant}",
        gender=gender,
        family="espeak",
        speed=ESPEAK_SPEED,
        pitch=ESPEAK_PITCH,
    )


def _recorded(vid: str, engine: str, name: str, speaker: str, gender: str) -> Voice:
    espeak = engine == "espeak"  # an mbrola speaker driven by espeak-ng
    return Voice(
        vid,
        engine,
        name,
        speaker,
        gender,
        family="recorded",
        speed=ESPEAK_SPEED if espeak else RECORDED_SPEED,
        pitch=ESPEAK_PITCH if espeak else RECORDED_PITCH,
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
        split[side].append(_recorded(vid, engine, name, speaker, gender))
    return split
