"""The graph modules that get exported compute what ASRModel computes; metadata round-trips."""

from __future__ import annotations

import pytest
import torch

from asr.data.features import FbankOptions
from asr.decode import METHODS, decode
from asr.export.fbank import KaldiFbank
from asr.export.graphs import DecoderInitGraph, DecoderStepGraph
from asr.export.metadata import ExportMetadata
from asr.export.parity import probe_waves
from asr.export.runtime import GraphModel, ModuleRunner
from asr.models import ASRModel
from asr.models.mask import cached_causal_allowed

OPTIONS = FbankOptions(num_mel_bins=40)


def model(**overrides) -> ASRModel:
    torch.manual_seed(0)
    args = dict(
        vocab_size=9, feat_dim=40, encoder="conformer", d_model=32, heads=2, encoder_layers=1,
        encoder_ffn_dim=64, decoder_layers=2, decoder_ffn_dim=64, subsampling_channels=8,
        conv_kernel=3, dropout=0.0,
    )  # fmt: skip
    m = ASRModel(**{**args, **overrides}).eval()
    with torch.no_grad():
        m.decoder.out.weight.mul_(4.0)
        m.decoder.out.bias[m.sos_eos_id] += 2.0
        m.ctc.proj.weight.mul_(4.0)
    return m


def test_cached_causal_mask():
    allowed = cached_causal_allowed(2, 3)[0, 0]
    assert allowed.tolist() == [[True, True, True, False, False],
                                [True, True, True, True, False],
                                [True, True, True, True, True]]  # fmt: skip


def test_decoder_step_graph_is_the_decoder_step_and_the_teacher_forced_forward():
    m = model()
    memory, lens = torch.randn(3, 6, 32), torch.tensor([6, 4, 2])
    cross = DecoderInitGraph(m)(memory)  # k0, v0, k1, v1
    step = DecoderStepGraph(m)
    state = m.decoder.init_state(memory, lens)
    empty = [torch.zeros(3, 2, 0, 16)] * 4
    cache = empty
    tokens = torch.full((3,), m.sos_eos_id)
    history = [tokens]
    with torch.no_grad():
        for _ in range(3):
            logp, state = m.decoder.step(tokens, state)
            logits, *cache = step(tokens[:, None], lens, *cache, *cross)
            torch.testing.assert_close(logits[:, 0].log_softmax(-1), logp, atol=1e-5, rtol=0)
            assert len(cache) == 4 and all(c.shape == (3, 2, state.length, 16) for c in cache)
            tokens = logp.argmax(-1)
            history.append(tokens)
        ys = torch.stack(history, 1)
        forced = m.decoder(memory, lens, ys, torch.full((3,), ys.shape[1]))
        logits, *_ = step(ys, lens, *empty, *cross)
    torch.testing.assert_close(logits, forced, atol=1e-5, rtol=0)


@pytest.mark.parametrize("overrides", [{}, {"encoder": "transformer", "pre_norm": False}])
def test_every_search_over_the_graph_interface_equals_the_model(overrides):
    m = model(**overrides)
    graphs = GraphModel(ModuleRunner.eager(m, OPTIONS))
    waves = probe_waves(OPTIONS, m.min_input_frames)
    lens = torch.tensor([w.numel() for w in waves])
    x = torch.nn.utils.rnn.pad_sequence(waves, batch_first=True)
    feats, frames = KaldiFbank(OPTIONS)(x, lens)
    for method in METHODS:
        ours = decode(graphs, x, lens, method, beam=3)
        ref = decode(m, feats, frames, method, beam=3)
        assert [[h.tokens for h in n] for n in ours] == [[h.tokens for h in n] for n in ref]
        for a, b in zip(ours, ref, strict=True):
            assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-4)


def test_metadata_round_trip_and_refusals():
    meta = ExportMetadata.of(model(), OPTIONS, weights_sha256="ab12")
    strings = meta.to_strings()
    assert strings["vocab_size"] == "9" and strings["sos_eos_id"] == "8"
    assert strings["subsampling"] == "4" and strings["num_mel_bins"] == "40"
    assert strings["has_ctc"] == "true" and strings["decoder_layers"] == "2"
    assert ExportMetadata.from_strings(strings) == meta and meta.features == OPTIONS
    with pytest.raises(ValueError, match="x.onnx: not an asr export"):
        ExportMetadata.from_strings({**strings, "format": "wenet"}, "x.onnx")
    with pytest.raises(ValueError, match="newer than this asr reads"):
        ExportMetadata.from_strings({**strings, "format_version": "99"})
    with pytest.raises(ValueError, match="lacks 'heads'"):
        ExportMetadata.from_strings({k: v for k, v in strings.items() if k != "heads"})
