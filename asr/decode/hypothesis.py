"""The one result form shared by every decoding method."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Hypothesis:
    """A decoded token sequence and its score.

    ``tokens`` hold no ``<sos/eos>`` and no blanks. ``score`` is the total log-probability under
    the method's scoring (see ``asr.decode.decode``), length penalty or normalization included.
    """

    tokens: list[int]
    score: float
