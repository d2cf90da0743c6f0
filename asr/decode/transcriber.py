"""Python transcription API: load a model once, transcribe files, wav.scp entries or arrays.

t = Transcriber.from_pretrained("exp/tiny/packed")           # or a run dir, or owner/name
t = Transcriber.from_pretrained("exp/tiny/packed", backend="onnx", method="ctc_greedy")
texts = t.transcribe(["a.wav", samples_16k])
stream = t.stream(chunk_size=16)          # a model trained with model.streaming
partial = stream.feed(samples_16k[:1600]) # ... as audio arrives; then stream.finish()

The model is an ``ASRModel`` fed fbank, or exported graphs (``asr.export.runtime.GraphModel``)
fed samples, which compute fbank inside; the searches are the same code for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence

from asr.data.audio import SAMPLE_RATE, model_input, read_audio
from asr.data.features import FbankOptions, audio_features
from asr.decode.api import decode
from asr.decode.hypothesis import Hypothesis
from asr.decode.streaming import StreamingRecognizer, TextStream
from asr.decode.word_lm import WordLMScorer
from asr.errors import InputError
from asr.lm import NgramLM
from asr.pretrained.loading import load_model

Audio = str | Path | np.ndarray | torch.Tensor
LM_METHODS = ("attention_beam", "joint_ctc_attention")  # the searches an n-gram LM fuses into


class Transcriber:
    """A model, its tokenizer and fixed decoding options; batches inputs by length.

    ``features``: the fbank settings the model was trained with (default: the exported graphs'
    own, or the model's number of bins). A model whose ``input_kind`` is ``"samples"``
    (exported graphs) is fed mono 16 kHz samples instead of fbank.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        method: str = "joint_ctc_attention",
        beam: int = 10,
        sample_rate: int = SAMPLE_RATE,
        batch_size: int = 8,
        device: str | torch.device = "cpu",
        features: FbankOptions | None = None,
        **decode_options: Any,
    ):
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = torch.device(device)
        self.sample_rate = sample_rate
        self.batch_size = batch_size
        self.takes_samples = getattr(model, "input_kind", "fbank") == "samples"
        if features is None:  # exported graphs know theirs
            features = getattr(model, "features", None)
        self.fbank = features or FbankOptions(num_mel_bins=int(model.cmvn_mean.numel()))
        self.num_mel_bins = self.fbank.num_mel_bins
        self.options = dict(method=method, beam=beam, **decode_options)

    @classmethod
    def from_pretrained(
        cls,
        source: str | Path,
        backend: str = "torch",
        checkpoint: str | Path | None = None,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        **kwargs: Any,
    ) -> Transcriber:
        """Load a packed model folder, a run directory or a hub repo id (``asr.pretrained``).

        ``backend``: torch, or onnx / torchscript for the graphs ``asr-export`` wrote into a
        packed folder. A packed model's decoding defaults (and its n-gram LM, for the searches
        that fuse one) apply unless ``kwargs`` override them; ``lm=None`` turns the LM off.
        """
        if backend == "onnx" and torch.device(kwargs.get("device", "cpu")).type != "cpu":
            raise InputError("the onnx backend runs on CPU (onnxruntime's CPU provider)")
        loaded = load_model(source, backend, checkpoint, revision, cache_dir)
        options = {**loaded.decoding, **kwargs}
        method = options.get("method", "joint_ctc_attention")
        lm = options.pop("lm", loaded.lm if method in LM_METHODS else None)
        if lm is not None:
            options["lm"] = WordLMScorer.for_tokenizer(NgramLM.load(lm), loaded.tokenizer)
        return cls(loaded.model, loaded.tokenizer, features=loaded.features, **options)

    @classmethod
    def from_run_dir(
        cls, exp_dir: str | Path, checkpoint: str | Path | None = None, **kwargs: Any
    ) -> Transcriber:
        """Load ``exp_dir``'s model (``average.pt`` or the best checkpoint by default) once."""
        return cls.from_pretrained(exp_dir, checkpoint=checkpoint, **kwargs)

    def waveform(self, audio: Audio, sample_rate: int | None = None) -> torch.Tensor:
        """Mono samples (N,) at 16 kHz of a path / wav.scp entry, or of mono samples at
        ``sample_rate`` (default: ``self.sample_rate``): what the model hears
        (``asr.data.audio.model_input``), for streaming."""
        samples, rate, _ = self._read(audio, sample_rate)
        return model_input(samples, rate)

    def features(self, audio: Audio, sample_rate: int | None = None) -> torch.Tensor:
        """The model's input for a path / wav.scp entry, or for mono samples at ``sample_rate``
        (default: ``self.sample_rate``): fbank (T, d) as training computed it
        (``asr.data.features.audio_features``: channels averaged, resampled to 16 kHz), or those
        16 kHz samples (N,) for a model that takes samples."""
        samples, rate, name = self._read(audio, sample_rate)
        if self.takes_samples:
            wave = model_input(samples, rate)
            frames = self.fbank.num_frames(wave.numel())
        else:
            wave = audio_features(samples, rate, num_mel_bins=self.num_mel_bins)
            frames = wave.shape[0]
        if frames < getattr(self.model, "min_input_frames", 1):
            raise InputError(f"{name}: audio too short to decode ({samples.shape[-1]} samples)")
        return wave

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
        """N-best lists of model inputs (``features``), decoded in batches of similar length, in
        order."""
        order = sorted(range(len(feats)), key=lambda i: feats[i].shape[0])
        out: list[list[Hypothesis]] = [[] for _ in feats]
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            x = pad_sequence([feats[i] for i in idx], batch_first=True).to(self.device)
            x_lens = torch.tensor([feats[i].shape[0] for i in idx], device=self.device)
            nbest = decode(self.model, x, x_lens, **self.options)
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
        if self.takes_samples:
            raise ValueError(
                "streaming runs the PyTorch model (backend torch), not exported graphs"
            )
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
