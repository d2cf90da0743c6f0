"""WER/CER scoring with jiwer: Kaldi text I/O, normalization, alignments, sclite-style reports."""

from asr.scoring.report import alignment_text, summary_dict, summary_text, write_report
from asr.scoring.text import make_normalizer, read_kaldi_text, to_units, write_kaldi_text
from asr.scoring.wer import Scores, UttScore, align, score

__all__ = [
    "Scores",
    "UttScore",
    "align",
    "alignment_text",
    "make_normalizer",
    "read_kaldi_text",
    "score",
    "summary_dict",
    "summary_text",
    "to_units",
    "write_kaldi_text",
    "write_report",
]
