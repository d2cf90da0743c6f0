"""Language models for decoding: a word n-gram with prefix sums (shallow fusion in beam search)."""

from asr.lm.ngram import NgramLM

__all__ = ["NgramLM"]
