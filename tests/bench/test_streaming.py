"""bench/streaming.py's simulated clock: what it counts, on a tiny streaming model."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from streaming import RATE, babble, full_one, stream_one  # noqa: E402

from asr.data.features import fbank  # noqa: E402
from asr.decode import decode  # noqa: E402
from asr.models import ASRModel, DynamicChunk  # noqa: E402


def test_stream_one_counts_chunks_and_latencies_of_the_streamed_result():
    torch.manual_seed(0)
    model = ASRModel(
        16, d_model=32, heads=2, encoder="conformer", encoder_layers=1, encoder_ffn_dim=64,
        decoder_layers=1, decoder_ffn_dim=64, conv_kernel=5, subsampling_channels=8,
        specaug=None, streaming=DynamicChunk(),
    ).eval()  # fmt: skip
    wave = babble(1.5, 0)
    out = stream_one(model, wave, chunk=4, packet=640, beam=4)
    feats = fbank(wave, RATE)
    frames = int(model.subsampling.output_lengths(torch.tensor(feats.shape[0])))
    assert len(out["chunk_times"]) == frames // 4  # one packet call per full chunk (40 ms < chunk)
    needed = (model.subsampling.input_frames(4) - 1) * 0.01 + 0.025  # audio of the first chunk
    assert out["first"] >= needed and out["final"] >= 0.0
    assert out["compute"] >= sum(out["chunk_times"])
    expected = decode(model, feats[None], torch.tensor([feats.shape[0]]), "attention_rescoring",
                      beam=4, chunk_size=4)[0][0].tokens  # fmt: skip
    assert out["tokens"] == expected
    baseline = full_one(model, wave, beam=4)
    assert baseline["first"] == baseline["final"] + wave.size / RATE and not baseline["chunk_times"]
