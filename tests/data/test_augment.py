"""Speed perturbation through lhotse: lengths and ids."""

from __future__ import annotations

import pytest

from asr.data.augment import speed_perturb
from asr.data.prepare import prepare_kaldi_dir

from .fixtures import write_kaldi_dir


def test_speed_perturb_lengths_and_ids(tmp_path):
    cuts, _ = prepare_kaldi_dir(write_kaldi_dir(tmp_path, 2, seed=0), progress=False)
    out = speed_perturb(cuts, (0.9, 1.0, 1.1))
    assert len(out) == 6
    by_id = {c.id: c for c in out}
    for cut in cuts:
        n = cut.load_audio().shape[1]
        assert by_id[cut.id].duration == cut.duration
        for factor in (0.9, 1.1):
            sp = by_id[f"{cut.id}_sp{factor}"]
            assert sp.duration == pytest.approx(cut.duration / factor, abs=1e-3)
            assert sp.supervisions[0].duration == pytest.approx(sp.duration, abs=1e-3)
            assert sp.load_audio().shape[1] == pytest.approx(n / factor, abs=2)
            assert sp.supervisions[0].text == cut.supervisions[0].text


def test_speed_perturb_rejects_bad_factors(tmp_path):
    cuts, _ = prepare_kaldi_dir(write_kaldi_dir(tmp_path, 1, seed=0), progress=False)
    with pytest.raises(ValueError, match="positive"):
        speed_perturb(cuts, (0.9, 0.0))
    with pytest.raises(ValueError, match="at least one"):
        speed_perturb(cuts, ())
