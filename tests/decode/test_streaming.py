"""Streaming recognition: chunk by chunk it gives what batch decoding with the same chunks gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from asr.data.features import fbank
from asr.decode import decode
from asr.decode.ctc import ctc_prefix_beam
from asr.decode.streaming import StreamingRecognizer
from asr.models import ASRModel, DynamicChunk

from .helpers import FEAT, VOCAB


def streaming_model(feat_dim: int = FEAT, decoder_layers: int = 2) -> ASRModel:
    """A random streaming Conformer, made peaky like helpers.tiny_model so searches disagree."""
    torch.manual_seed(0)
    model = ASRModel(
        VOCAB, feat_dim=feat_dim, encoder="conformer", d_model=32, heads=2, encoder_layers=2,
        encoder_ffn_dim=64, decoder_layers=decoder_layers, decoder_ffn_dim=64, conv_kernel=5,
        subsampling_channels=8, dropout=0.0, specaug=None, streaming=DynamicChunk(),
        ctc_weight=0.3 if decoder_layers else 1.0,
    )  # fmt: skip
    with torch.no_grad():
        model.ctc.proj.weight.mul_(4.0)
        if model.decoder is not None:
            model.decoder.out.weight.mul_(4.0)
    return model.eval()


@pytest.fixture(scope="module")
def model() -> ASRModel:
    return streaming_model()


def assert_same_nbest(got, expected):
    assert [h.tokens for h in got] == [h.tokens for h in expected]
    assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-3)


@pytest.mark.parametrize("method", ["ctc_prefix_beam", "attention_rescoring"])
@pytest.mark.parametrize(("chunk", "left"), [(1, -1), (4, -1), (4, 1), (8, -1)])
def test_streaming_equals_batch_decoding_with_the_same_chunks(model, method, chunk, left):
    g = torch.Generator().manual_seed(chunk)
    for length in (31, 90):
        x = torch.randn(1, length, FEAT, generator=g)
        expected = decode(model, x, torch.tensor([length]), method, beam=4,
                          chunk_size=chunk, left_chunks=left)[0]  # fmt: skip
        stream = StreamingRecognizer(model, chunk, left, method, beam=4)
        for start in range(0, length, 11):
            partial = stream.accept_features(x[0, start : start + 11])
            assert all(h.tokens == [t for t in h.tokens if t != 0] for h in partial)
        assert_same_nbest(stream.finish(), expected)
        assert len(expected) > 1 and expected[0].tokens


def test_partial_hypotheses_are_the_ctc_search_of_the_chunks_so_far(model):
    x = torch.randn(1, 120, FEAT)
    with torch.no_grad():
        memory, _ = model.encode(x, torch.tensor([120]), chunk_size=4)
    stream = StreamingRecognizer(model, 4, method="ctc_prefix_beam", beam=3)
    need = model.subsampling.input_frames(4)
    nothing_yet = stream.accept_features(x[0, : need - 1])  # no chunk yet: the empty prefix
    assert [(h.tokens, h.score) for h in nothing_yet] == [([], 0.0)] and stream.frames == 0
    fed = need - 1
    for end in (need, 60, 61, 100):
        partial = stream.accept_features(x[0, fed:end])
        fed = end
        chunks = max(k for k in range(1, 30) if model.subsampling.input_frames(4 * k) <= end)
        assert stream.frames == 4 * chunks
        frames = memory[:, : stream.frames]
        expected = ctc_prefix_beam(model.ctc_log_probs(frames), torch.tensor([4 * chunks]), 3)
        assert_same_nbest(partial, expected[0])


def test_audio_fed_in_pieces_equals_decoding_the_fbank_of_the_whole_signal():
    model = streaming_model(feat_dim=80)
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    feats = fbank(wave, 16000)
    expected = decode(model, feats[None], torch.tensor([feats.shape[0]]),
                      "attention_rescoring", beam=4, chunk_size=4)[0]  # fmt: skip
    stream = StreamingRecognizer(model, 4, beam=4)
    for start in range(0, wave.size, 1234):
        stream.accept_audio(wave[start : start + 1234])
    assert_same_nbest(stream.finish(), expected)


def test_ctc_only_model_streams_without_rescoring():
    model = streaming_model(decoder_layers=0)
    with pytest.raises(ValueError, match="attention_rescoring needs an attention decoder"):
        StreamingRecognizer(model, 4)
    x = torch.randn(1, 50, FEAT)
    stream = StreamingRecognizer(model, 4, method="ctc_prefix_beam", beam=3)
    stream.accept_features(x[0])
    expected = decode(model, x, torch.tensor([50]), "ctc_prefix_beam", beam=3, chunk_size=4)[0]
    assert_same_nbest(stream.finish(), expected)


def test_bad_method_and_reuse_after_finish_are_refused(model):
    with pytest.raises(ValueError, match="streaming decodes with ctc_prefix_beam or attention_"):
        StreamingRecognizer(model, 4, method="joint_ctc_attention")
    stream = StreamingRecognizer(model, 4)
    stream.accept_features(torch.randn(30, FEAT))
    final = stream.finish()
    assert stream.finish() == final  # asking again returns the same result
    with pytest.raises(RuntimeError, match="finished"):
        stream.accept_features(torch.randn(5, FEAT))


def test_a_model_without_ctc_head_cannot_stream():
    torch.manual_seed(0)
    model = ASRModel(
        VOCAB, feat_dim=FEAT, encoder="conformer", d_model=32, heads=2, encoder_layers=1,
        encoder_ffn_dim=64, decoder_layers=1, decoder_ffn_dim=64, subsampling_channels=8,
        ctc_weight=0.0, streaming=DynamicChunk(),
    ).eval()  # fmt: skip
    with pytest.raises(ValueError, match="CTC head's output; this model has none"):
        StreamingRecognizer(model, 4)
