"""Cut-level augmentation. (SpecAugment, on features, lives in ``asr.models.specaug``.)"""

from __future__ import annotations

from collections.abc import Sequence

from lhotse import CutSet


def speed_perturb(cuts: CutSet, factors: Sequence[float] = (0.9, 1.0, 1.1)) -> CutSet:
    """The union of ``cuts`` perturbed by each factor, through lhotse.

    Factor 1.0 keeps the original cuts; others change durations by ``1 / factor`` and get
    lhotse's id suffix ``_sp<factor>`` (e.g. ``utt1_sp0.9``), so all versions can coexist.
    """
    if not factors:
        raise ValueError("speed_perturb needs at least one factor")
    if any(f <= 0 for f in factors):
        raise ValueError(f"speed factors must be positive, got {list(factors)}")
    parts = [cuts if f == 1.0 else cuts.perturb_speed(f) for f in factors]
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out
