#!/usr/bin/env python3
"""Synthesize the English corpus: data/{train,dev,test} Kaldi dirs of 16 kHz mono wavs.

Sentences are split by a hash of their normalized text (disjoint pools); test voices are
held out of training (see voices.py). By default the task has a closed vocabulary, as WSJ's
5k task does: sentences of the 2,000 most frequent words only, and dev/test sentences whose
words all occur in the training pool (``--vocab-words 0``: open vocabulary). Deterministic
for a seed: the same arguments give byte-identical wavs and identical Kaldi files.
"""

from __future__ import annotations

import json
import sys

from text import english_sentences
from voices import FAMILY_SHARE, voice_split

from asr.recipes.synth import (
    MissingSynthesizerError,
    build_corpus,
    check_installed,
    closed_vocabulary,
    draw_utterances,
    oov_rate,
    parse_corpus_args,
    split_by_hash,
)

DEV_FRACTION, TEST_FRACTION = 0.04, 0.04


def main(argv: list[str] | None = None) -> int:
    args = parse_corpus_args(
        __doc__, argv, train_utts=16000, dev_utts=300, test_utts=400, vocab_words=2000
    )

    voices = voice_split()
    voices["dev"] = voices["train"]
    all_voices = voices["train"] + voices["test"]
    try:
        check_installed(all_voices)
        sentences = english_sentences()
    except (MissingSynthesizerError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    pools = split_by_hash(sentences, dev=DEV_FRACTION, test=TEST_FRACTION)
    if args.vocab_words:
        pools = closed_vocabulary(pools, args.vocab_words)
    counts = {"train": args.train_utts, "dev": args.dev_utts, "test": args.test_utts}
    shares = {"train": FAMILY_SHARE, "dev": FAMILY_SHARE, "test": None}  # test: turns
    drawn = {
        split: draw_utterances(
            split, [(s, s) for s in pools[split]], voices[split], count, args.seed, shares[split]
        )
        for split, count in counts.items()
    }
    heard = {w for u in drawn["train"] for w in u.text.split()}
    vocabulary = {  # the OOV rate is 0 when every training-pool sentence was drawn
        "vocabulary": {
            "closed_words": args.vocab_words,
            "train_pool_sentences": len(pools["train"]),
            "train_words": len(heard),
            "test_oov_rate": round(oov_rate((u.text for u in drawn["test"]), heard), 4),
        }
    }
    summary = build_corpus(
        args.out,
        drawn,
        {"train": voices["train"], "test": voices["test"]},
        nj=args.nj,
        extra=vocabulary,
    )
    print(json.dumps(summary["total"] | summary["vocabulary"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
