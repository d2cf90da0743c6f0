"""Chunk-by-chunk encoding of a stream of fbank frames with an ``ASRModel``'s front end and encoder.

The front end is unpadded in time (``asr.models.subsampling``), so ``c`` output frames read
``input_frames(c) = (c − 1)·stride + receptive field`` input frames and the next chunk starts
``c·stride`` frames later: the frames in between are kept for it. Both numbers come from the
front end's own layout. The encoder carries its attention K/V and convolution state
(``EncoderCache``). Chunk after chunk, the result equals ``model.encode(x, lens, chunk_size=c,
left_chunks=l)`` on the whole input, to float tolerance (tests/models/test_streaming_encoder.py).
"""

from __future__ import annotations

import torch
from torch import nn


class StreamingEncoder:
    """Encodes ``batch`` streams in lockstep, ``chunk_size`` encoder frames at a time.

    ``accept(frames)`` takes raw fbank frames as they arrive and returns the encoder frames of
    every chunk they complete (possibly none); ``finish()`` encodes what is left as a last,
    shorter chunk. The model must be in eval mode (no dropout, no SpecAugment).
    """

    def __init__(self, model: nn.Module, chunk_size: int, left_chunks: int = -1, batch: int = 1):
        if model.training:
            raise ValueError("streaming encodes with the model in eval mode (call model.eval())")
        self.model = model
        self.front_end = model.subsampling
        self.chunk_size = chunk_size
        self.cache = model.encoder.init_cache(batch, chunk_size, left_chunks)
        feat_dim = model.cmvn_mean.numel()
        self.pending = model.cmvn_mean.new_zeros(batch, 0, feat_dim)  # normalised, not yet read
        self.finished = False

    @property
    def frames(self) -> int:
        """Encoder frames emitted so far."""
        return self.cache.offset

    @property
    def frames_wanted(self) -> int:
        """Input frames still missing for the next chunk."""
        return max(self.front_end.input_frames(self.chunk_size) - self.pending.shape[1], 0)

    @torch.inference_mode()
    def accept(self, feats: torch.Tensor) -> torch.Tensor:
        """Raw fbank (batch, n, d) or (n, d) → encoder frames (batch, m, d_model), m ≥ 0."""
        if self.finished:
            raise RuntimeError("this stream is finished; start a new StreamingEncoder")
        if feats.dim() == 2:
            feats = feats[None]
        self.pending = torch.cat((self.pending, self.model.normalize(feats)), dim=1)
        need = self.front_end.input_frames(self.chunk_size)
        out = []
        while self.pending.shape[1] >= need:
            out.append(self._encode(self.pending[:, :need]))
            self.pending = self.pending[:, self.chunk_size * self.front_end.stride :]
        return self._cat(out)

    @torch.inference_mode()
    def finish(self) -> torch.Tensor:
        """Encode the frames left after the last full chunk; the stream then takes no more."""
        self.finished = True
        left = self.pending.shape[1]
        if left < self.front_end.min_len:
            return self._cat([])
        outputs = (left - self.front_end.min_len) // self.front_end.stride + 1
        return self._encode(self.pending[:, : self.front_end.input_frames(outputs)])

    def _encode(self, frames: torch.Tensor) -> torch.Tensor:
        lengths = torch.full((frames.shape[0],), frames.shape[1], device=frames.device)
        x, _ = self.front_end(frames, lengths)
        out, self.cache = self.model.encoder.forward_chunk(x, self.cache)
        return out

    def _cat(self, chunks: list[torch.Tensor]) -> torch.Tensor:
        if chunks:
            return torch.cat(chunks, dim=1)
        _, heads, _, d_k = self.cache.kv[0][0].shape
        return self.pending.new_zeros(self.pending.shape[0], 0, heads * d_k)
