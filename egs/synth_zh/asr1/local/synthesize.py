#!/usr/bin/env python3
"""Synthesize the Mandarin corpus: data/{train,dev,test} Kaldi dirs, character transcripts.

espeak-ng ``cmn-latn-pinyin`` reads pypinyin's tone-numbered pinyin; voices are its
variants with pitch and speed ranges, and the recorded Mandarin speaker of mbrola-cn1 (Debian
non-free; spelled by cn1.py, since espeak-ng cannot drive it). Test holds out four variants
(two female, two male) and the sentences of a disjoint hash pool; dev uses the training voices
and unseen sentences. cn1, the only recorded Mandarin speaker Debian has, is a training voice:
held out, the model would hear no recorded voice at all.
Each split's text_pinyin spells what every utterance says as pinyin initials and toned finals:
the targets of the intermediate CTC (stage 3). data/lm_text holds every sentence of the
training pool, one per line: the text of the character LM (stage 2), most of which the training
audio does not cover. Deterministic for a seed.
"""

from __future__ import annotations

import json
import sys

from cn1 import to_pho
from zh_text import common_only, pinyin_units, to_pinyin, zh_sentences

from asr.recipes import synth
from asr.recipes.synth import (
    MissingSynthesizerError,
    Voice,
    build_corpus,
    check_installed,
    draw_utterances,
    parse_corpus_args,
    split_by_hash,
)

MALE = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "klatt", "klatt2", "Andy", "Gene", "john"]
FEMALE = ["f1", "f2", "f3", "f4", "f5", "Annie", "linda", "steph", "Alicia", "belinda"]
TEST_VARIANTS = {"f2", "Annie", "m3", "Andy"}
DEV_FRACTION, TEST_FRACTION = 0.05, 0.05
TOP_CHARS = 2500
AUX_TEXT = "text_pinyin"  # per split: pinyin initials and toned finals (asr-prepare --aux-text)
CN1_SPEED, CN1_PITCH = (0.85, 1.15), (-150.0, 150.0)  # duration stretch; F0 shift in cents
FAMILY_SHARE = {"espeak": 0.75, "recorded": 0.25}  # training and dev; test: variants take turns


def voice_split() -> dict[str, list[Voice]]:
    """cmn-latn-pinyin variants: training and held-out test voices."""
    split: dict[str, list[Voice]] = {"train": [], "test": []}
    for variants, gender in ((MALE, "m"), (FEMALE, "f")):
        for variant in variants:
            voice = Voice(
                id=f"espeak-cmn-{variant.lower()}",
                engine="espeak",
                name=f"cmn-latn-pinyin+{variant}",
                speaker=variant,
                gender=gender,
                family="espeak",
                speed=(0.8, 1.1),
                pitch=(30.0, 70.0),
            )
            split["test" if variant in TEST_VARIANTS else "train"].append(voice)
    split["train"].append(
        Voice("mbrola-cn1", "mbrola", "cn1", "cn1", "f", "recorded", CN1_SPEED, CN1_PITCH)
    )
    return split


def main(argv: list[str] | None = None) -> int:
    args = parse_corpus_args(__doc__, argv, train_utts=4000, dev_utts=200, test_utts=300)

    voices = voice_split()
    voices["dev"] = voices["train"]
    try:
        check_installed(voices["train"] + voices["test"])
        sentences = common_only(zh_sentences(), TOP_CHARS)
        to_pinyin("你好")
    except (MissingSynthesizerError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ImportError:
        print("error: pypinyin is missing: pip install pypinyin", file=sys.stderr)
        return 1

    synth.MBROLA_FRONTENDS["cn1"] = to_pho
    pools = split_by_hash(sentences, dev=DEV_FRACTION, test=TEST_FRACTION)
    counts = {"train": args.train_utts, "dev": args.dev_utts, "test": args.test_utts}
    shares = {"train": FAMILY_SHARE, "dev": FAMILY_SHARE, "test": None}
    drawn = {}
    for split, count in counts.items():
        pairs = [(to_pinyin(s), s) for s in pools[split]]
        drawn[split] = draw_utterances(split, pairs, voices[split], count, args.seed, shares[split])
    summary = build_corpus(
        args.out, drawn, {"train": voices["train"], "test": voices["test"]}, nj=args.nj
    )
    for split, utts in drawn.items():  # what each utterance says, as the auxiliary CTC's units
        lines = sorted(f"{u.id} {pinyin_units(u.spoken)}\n" for u in utts)
        (args.out / split / AUX_TEXT).write_text("".join(lines), encoding="utf-8")
    (args.out / "lm_text").write_text("\n".join(pools["train"]) + "\n", encoding="utf-8")
    print(json.dumps(summary["total"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
