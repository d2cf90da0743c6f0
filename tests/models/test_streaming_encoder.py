"""Chunk-by-chunk encoding (StreamingEncoder) gives the frames of the full chunk-masked forward."""

from __future__ import annotations

import pytest
import torch

from asr.models import DynamicChunk
from asr.models.streaming import StreamingEncoder

from .conftest import FEAT


def streaming_model(build_model, encoder: str, **overrides):
    return build_model(encoder, streaming=DynamicChunk(), specaug=None, **overrides).eval()


def stream(model, x: torch.Tensor, chunk: int, left: int, seed: int) -> torch.Tensor:
    """Encode (1, T, d) frames fed in random pieces of 1-29 frames, then finish."""
    encoder = StreamingEncoder(model, chunk, left)
    g = torch.Generator().manual_seed(seed)
    pieces, start = [], 0
    while start < x.shape[1]:
        n = int(torch.randint(1, 30, (), generator=g))
        pieces.append(encoder.accept(x[0, start : start + n]))
        start += n
    pieces.append(encoder.finish())
    assert encoder.frames == sum(p.shape[1] for p in pieces)
    return torch.cat(pieces, dim=1)


@pytest.mark.parametrize(
    ("encoder", "subsampling", "depthwise"),
    [
        ("transformer", 4, False),
        ("conformer", 4, False),
        ("conformer", 6, False),
        ("conformer", 8, False),
        ("conformer", 8, True),  # the depthwise-separable front end: same layout, same logic
    ],
)
def test_chunk_by_chunk_equals_the_chunk_masked_forward(
    build_model, encoder, subsampling, depthwise
):
    model = streaming_model(
        build_model, encoder, subsampling=subsampling, subsampling_depthwise=depthwise
    )
    g = torch.Generator().manual_seed(subsampling)
    for length in (model.min_input_frames, 43, 97, 160):
        x = torch.randn(1, length, FEAT, generator=g)
        for chunk, left in ((1, -1), (3, 1), (4, 0), (8, -1), (64, -1)):
            with torch.no_grad():
                full, lens = model.encode(x, torch.tensor([length]), chunk, left)
            streamed = stream(model, x, chunk, left, seed=length + chunk)
            assert streamed.shape == full.shape, (length, chunk, left)
            assert int(lens) == full.shape[1]
            torch.testing.assert_close(streamed, full, atol=2e-5, rtol=1e-5)


def test_the_chunk_mask_is_live(build_model, encoder_type):
    """Chunks change the frames (they see less context) unless one chunk covers everything."""
    model = streaming_model(build_model, encoder_type)
    x = torch.randn(1, 97, FEAT)
    lens = torch.tensor([97])
    with torch.no_grad():
        full, _ = model.encode(x, lens)
        chunked, _ = model.encode(x, lens, chunk_size=4)
        whole, _ = model.encode(x, lens, chunk_size=full.shape[1])
    assert not torch.allclose(chunked, full, atol=1e-3)
    torch.testing.assert_close(whole, full)


def test_a_chunk_never_reads_later_input(build_model, encoder_type):
    """Changing every input frame after chunk k's input leaves chunks 0..k as they were: the
    front end reads no further, the attention no later chunk, the causal convolution no later
    frame."""
    model = streaming_model(build_model, encoder_type)
    chunk = 3
    x = torch.randn(1, 120, FEAT)
    for k in (0, 2, 5):
        seen = model.subsampling.input_frames((k + 1) * chunk)
        changed = x.clone()
        changed[:, seen:] = torch.randn(1, 120 - seen, FEAT)
        with torch.no_grad():
            a, _ = model.encode(x, torch.tensor([120]), chunk)
            b, _ = model.encode(changed, torch.tensor([120]), chunk)
        n = (k + 1) * chunk
        torch.testing.assert_close(a[:, :n], b[:, :n])
        assert not torch.allclose(a[:, n:], b[:, n:], atol=1e-3)


def test_full_context_conformer_refuses_chunks_with_a_clear_error(build_model):
    model = build_model("conformer", specaug=None).eval()  # built without model.streaming
    with pytest.raises(ValueError, match="needs a streaming Conformer"):
        model.encode(torch.randn(1, 40, FEAT), torch.tensor([40]), chunk_size=4)
    with pytest.raises(ValueError, match="needs a streaming Conformer"):
        StreamingEncoder(model, 4)


def test_streaming_needs_eval_mode_and_ends_at_finish(build_model):
    model = streaming_model(build_model, "transformer")
    with pytest.raises(ValueError, match="eval mode"):
        StreamingEncoder(model.train(), 4)
    encoder = StreamingEncoder(model.eval(), 4)
    assert encoder.accept(torch.randn(model.min_input_frames - 1, FEAT)).shape == (1, 0, 32)
    assert encoder.finish().shape == (1, 0, 32)  # too short for one frame, as model.encode
    with pytest.raises(RuntimeError, match="finished"):
        encoder.accept(torch.randn(5, FEAT))


def test_streaming_off_keeps_the_symmetric_convolution(build_model):
    """Without model.streaming the Conformer is the full-context model it always was: its
    convolution reads frames on both sides."""
    model = build_model("conformer", specaug=None).eval()
    assert not model.encoder.causal and model.streaming is None
    x = torch.randn(1, 60, FEAT)
    later = x.clone()
    later[:, 40:] += 1.0
    with torch.no_grad():
        a, _ = model.encode(x, torch.tensor([60]))
        b, _ = model.encode(later, torch.tensor([60]))
    assert not torch.allclose(a[:, :5], b[:, :5], atol=1e-4)  # full context: early frames move
