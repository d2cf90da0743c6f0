"""The ``decode`` entry: every method batched equals one utterance at a time; argument errors."""

from __future__ import annotations

import pytest
import torch

from asr.decode import METHODS, decode
from asr.models import ASRModel

from .helpers import FEAT, VOCAB


@pytest.mark.parametrize("method", METHODS)
def test_batched_equals_one_at_a_time(model, batch, method):
    x, lens = batch
    x = x.clone()
    x[2, lens[2] :] = 100.0  # padding garbage must not reach any result
    batched = decode(model, x, lens, method=method, beam=3)
    assert len(batched) == 3
    for b in range(3):
        alone = decode(model, x[b : b + 1, : lens[b]], lens[b : b + 1], method=method, beam=3)[0]
        assert [h.tokens for h in batched[b]] == [h.tokens for h in alone]
        assert [h.score for h in batched[b]] == pytest.approx([h.score for h in alone], abs=1e-3)
        assert 1 <= len(alone) <= 3


def test_unknown_method_is_named(model, batch):
    with pytest.raises(ValueError, match="unknown decoding method 'beam'.*ctc_greedy"):
        decode(model, *batch, method="beam")


def test_bad_ctc_weight(model, batch):
    with pytest.raises(ValueError, match=r"ctc_weight must be in \[0, 1\)"):
        decode(model, *batch, method="joint_ctc_attention", ctc_weight=1.0)


def test_decode_restores_training_mode(model, batch):
    model.train()
    out = decode(model, *batch, method="ctc_greedy")
    assert model.training
    model.eval()
    assert [h[0].tokens for h in out] == [h[0].tokens for h in decode(model, *batch, "ctc_greedy")]
    assert not torch.is_inference_mode_enabled()


def test_attention_methods_need_a_decoder(batch):
    torch.manual_seed(0)
    ctc_only = ASRModel(VOCAB, feat_dim=FEAT, d_model=32, heads=2, encoder_layers=1,
                        encoder_ffn_dim=64, decoder_layers=0, ctc_weight=1.0)  # fmt: skip
    assert len(decode(ctc_only, *batch, method="ctc_prefix_beam", beam=2)) == 3
    with pytest.raises(ValueError, match="'attention_rescoring' needs an attention decoder"):
        decode(ctc_only, *batch, method="attention_rescoring")
