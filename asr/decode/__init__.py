"""Decoding: CTC greedy / prefix beam, attention greedy / beam, joint CTC/attention, rescoring."""

from asr.decode.api import METHODS, decode, decode_encoded
from asr.decode.hypothesis import Hypothesis

__all__ = ["METHODS", "Hypothesis", "decode", "decode_encoded"]
