"""Python transcription API: load a run directory once, transcribe files, wav.scp entries or arrays.

t = Transcriber.from_run_dir("exp/tiny", method="joint_ctc_attention", beam=10)
texts = t.transcribe(["a.wav", samples_16k])
stream = t.stream(chunk_size=16)          # a model trained with model.streaming
partial = stream.feed(samples_16k[:1600]) # ... as audio arrives; then stream.finish()
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from asr.data.audio import SAMPLE_RATE, model_input, read_audio
from asr.data.dataset import collate
from asr.data.features import audio_features
from asr.decode.api import decode
from asr.decode.hypothesis import Hypothesis
from asr.decode.streaming import StreamingRecognizer, TextStream
from asr.errors import InputError
from asr.lightning.run_dir import load_run

Audio = str | Path | np.ndarray | torch.Tensor


class Transcriber:
    """A model, its tokenizer and fixed decoding options; batches inputs by length."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        method: str = "joint_ctc_attention",
        beam: int = 10,
        sample_rate: int = SAMPLE_RATE,
        batch_size: int = 8,
        device: str | torch.device = "cpu",
        **decode_options: Any,
    ):
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.sample_rate = sample_rate
        self.batch_size = batch_size
        self.num_mel_bins = int(model.cmvn_mean.numel())
        self.options = dict(method=method, beam=beam, **decode_options)

    @classmethod
    def from_run_dir(
        cls, exp_dir: str | Path, checkpoint: str | Path | None = None, **kwargs: Any
    ) -> Transcriber:
        """Load ``exp_dir``'s model (``average.pt`` or the best checkpoint by default) once."""
        model, tokenizer, _ = load_run(exp_dir, checkpoint)
        return cls(model, tokenizer, **kwargs)

    def waveform(self, audio: Audio, sample_rate: int | None = None) -> torch.Tensor:
        """Mono samples (N,) at 16 kHz of a path / wav.scp entry, or of mono samples at
        ``sample_rate`` (default: ``self.sample_rate``): what the model hears
        (``asr.data.audio.model_input``), for streaming."""
        samples, rate, _ = self._read(audio, sample_rate)
        return model_input(samples, rate)

    def features(self, audio: Audio, sample_rate: int | None = None) -> torch.Tensor:
        """Fbank (T, d) of a path / wav.scp entry, or of mono samples at ``sample_rate`` (default:
        ``self.sample_rate``), as training computed it (``asr.data.features.audio_features``:
        channels averaged, resampled to 16 kHz)."""
        samples, rate, name = self._read(audio, sample_rate)
        feats = audio_features(samples, rate, num_mel_bins=self.num_mel_bins)
        if feats.shape[0] < getattr(self.model, "min_input_frames", 1):
            raise InputError(f"{name}: audio too short to decode ({samples.shape[-1]} samples)")
        return feats

    def _read(self, audio: Audio, sample_rate: int | None) -> tuple[Any, int, str]:
        """(samples, their rate, a name for errors) of a path / wav.scp entry or an array."""
        if isinstance(audio, (str, Path)):
            samples, rate = read_audio(audio)
            return samples, rate, str(audio)
        samples = torch.as_tensor(np.asarray(audio), dtype=torch.float32)
        if samples.dim() != 1:
            raise InputError(f"array input: expected mono samples (N,), got {tuple(samples.shape)}")
        return samples, sample_rate or self.sample_rate, "array input"

    def transcribe(self, inputs: Sequence[Audio], sample_rate: int | None = None) -> list[str]:
        """Best-hypothesis text of each input (path, wav.scp entry or samples), in input order."""
        return self.texts(self.decode_features([self.features(a, sample_rate) for a in inputs]))

    def texts(self, nbest: Sequence[Sequence[Hypothesis]]) -> list[str]:
        """The text of each n-best list's best hypothesis (empty when the list is)."""
        return [self.tokenizer.decode(n[0].tokens) if n else "" for n in nbest]

    def decode_features(self, feats: Sequence[torch.Tensor]) -> list[list[Hypothesis]]:
        """N-best lists of fbank matrices (T, d), decoded in batches of similar length, in order."""
        order = sorted(range(len(feats)), key=lambda i: feats[i].shape[0])
        out: list[list[Hypothesis]] = [[] for _ in feats]
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = collate([feats[i] for i in idx], [[] for _ in idx], [str(i) for i in idx])
            batch = batch.to(self.device)
            nbest = decode(self.model, batch.x, batch.x_lens, **self.options)
            for i, hyps in zip(idx, nbest, strict=True):
                out[i] = hyps
        return out

    def stream(
        self, chunk_size: int = 16, left_chunks: int = -1, method: str | None = None
    ) -> TextStream:
        """A new streaming session (``asr.decode.streaming``): ``feed(samples)`` mono 16 kHz
        audio (``waveform``) as it arrives → partial text, ``finish()`` → final text. ``chunk_size``
        in encoder frames, ``left_chunks`` before each (-1: all); ``method`` ctc_prefix_beam or
        attention_rescoring (the final n-best rescored by the decoder; the default when the
        model has one)."""
        if method is None:
            method = "ctc_prefix_beam" if self.model.decoder is None else "attention_rescoring"
        recognizer = StreamingRecognizer(
            self.model,
            chunk_size,
            left_chunks,
            method,
            beam=self.options["beam"],
            ctc_weight=self.options.get("ctc_weight", 0.3),
            sample_rate=SAMPLE_RATE,
        )
        return TextStream(recognizer, self.tokenizer)
