"""Streaming recognition of one utterance while its audio arrives (WeNet's U2 two-pass decoding).

Audio → incremental fbank (``StreamingFbank``) → chunk-by-chunk encoder (``StreamingEncoder``)
→ CTC prefix beam search carried across chunks (``CtcPrefixBeam``): after every chunk its best
prefix is the partial hypothesis. At the end the n-best is rescored by the attention decoder
over the whole encoder output (``attention_rescoring``) or kept as it is (``ctc_prefix_beam``).
The result equals ``decode(model, x, lens, method, chunk_size=c, left_chunks=l)`` on the whole
utterance (tests/decode/test_streaming.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from asr.data.streaming_fbank import StreamingFbank
from asr.decode.ctc import CtcPrefixBeam, nbest_lists
from asr.decode.hypothesis import Hypothesis
from asr.decode.rescoring import rescore_nbest
from asr.models.streaming import StreamingEncoder

STREAMING_METHODS = ("ctc_prefix_beam", "attention_rescoring")


class StreamingRecognizer:
    """Partial hypotheses after every chunk of ``chunk_size`` encoder frames, a final n-best at
    the end. Feed raw audio (``accept_audio``) or fbank frames (``accept_features``)."""

    def __init__(
        self,
        model: torch.nn.Module,
        chunk_size: int,
        left_chunks: int = -1,
        method: str = "attention_rescoring",
        beam: int = 10,
        ctc_weight: float = 0.3,
        sample_rate: int = 16000,
    ):
        if method not in STREAMING_METHODS:
            raise ValueError(
                f"streaming decodes with {' or '.join(STREAMING_METHODS)}, not {method!r}"
            )
        if model.ctc is None:
            raise ValueError("streaming searches the CTC head's output; this model has none")
        if method == "attention_rescoring" and model.decoder is None:
            raise ValueError("attention_rescoring needs an attention decoder; this model has none")
        if not 0.0 <= ctc_weight <= 1.0:
            raise ValueError(f"ctc_weight must be in [0, 1], got {ctc_weight}")
        self.model = model
        self.method = method
        self.ctc_weight = ctc_weight
        self.device = model.cmvn_mean.device
        self.fbank = StreamingFbank(sample_rate, num_mel_bins=int(model.cmvn_mean.numel()))
        self.encoder = StreamingEncoder(model, chunk_size, left_chunks)
        self.search = CtcPrefixBeam(1, beam, model.vocab_size, model.blank_id, self.device)
        self.memory: list[torch.Tensor] = []  # encoder chunks, read again by the rescoring
        self.final: list[Hypothesis] | None = None
        self._partial: list[Hypothesis] | None = None

    @property
    def frames(self) -> int:
        """Encoder frames decoded so far."""
        return self.encoder.frames

    def accept_audio(self, samples: np.ndarray | torch.Tensor) -> list[Hypothesis]:
        """Mono samples (N,) at ``sample_rate`` → the partial n-best (CTC scores), best first.

        Fbank frames are computed when the next chunk's are all there (once per chunk)."""
        self.fbank.add(samples)
        return self.accept_features(self.fbank.take(at_least=self.encoder.frames_wanted))

    @torch.inference_mode()
    def accept_features(self, feats: torch.Tensor) -> list[Hypothesis]:
        """Raw fbank frames (n, d) → the partial n-best after the chunks they complete."""
        if self.final is not None:
            raise RuntimeError("this stream is finished; start a new one")
        self._search(self.encoder.accept(feats.to(self.device)))
        return self.partial()

    @torch.inference_mode()
    def partial(self) -> list[Hypothesis]:
        """The CTC prefix beam search's n-best so far."""
        if self._partial is None:
            self._partial = nbest_lists(*self.search.nbest_tensors())[0]
        return self._partial

    @torch.inference_mode()
    def finish(self) -> list[Hypothesis]:
        """End of audio: encode the last, shorter chunk and return the final n-best."""
        if self.final is None:
            self._search(self.encoder.accept(self.fbank.take().to(self.device)))
            self._search(self.encoder.finish())
            self.final = self.partial()
            if self.method == "attention_rescoring" and self.final:
                memory = torch.cat(self.memory, dim=1)
                lens = torch.tensor([memory.shape[1]], device=self.device)
                nbest = self.search.nbest_tensors()
                self.final = rescore_nbest(self.model, memory, lens, *nbest, self.ctc_weight)[0]
        return self.final

    def _search(self, memory: torch.Tensor) -> None:
        if memory.shape[1]:
            self.memory.append(memory)
            self.search.advance(self.model.ctc_log_probs(memory))
            self._partial = None


class TextStream:
    """A ``StreamingRecognizer`` that speaks text: ``feed`` audio → partial, ``finish`` → final."""

    def __init__(self, recognizer: StreamingRecognizer, tokenizer: Any):
        self.recognizer = recognizer
        self.tokenizer = tokenizer

    def feed(self, samples: np.ndarray | torch.Tensor) -> str:
        """Mono samples at the model's rate → the best partial transcript so far."""
        return self._text(self.recognizer.accept_audio(samples))

    def finish(self) -> str:
        """End of audio → the final transcript."""
        return self._text(self.recognizer.finish())

    @property
    def frames(self) -> int:
        """Encoder frames decoded so far (0 at the end: the audio was too short)."""
        return self.recognizer.frames

    def _text(self, nbest: list[Hypothesis]) -> str:
        return self.tokenizer.decode(nbest[0].tokens) if nbest else ""
