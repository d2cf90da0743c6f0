"""The joint CTC / attention encoder-decoder: raw fbank in, losses or decoding scores out.

Intermediate CTC (Lee & Watanabe 2021): with ``intermediate_ctc_layer=k`` the CTC head also
reads the output of encoder layer k (through the encoder's final norm, when it has one), and
the CTC loss becomes ``(1 − w)·CTC(final) + w·CTC(layer k)``. It regularizes the lower layers
and costs one more CTC loss in training; decoding never uses it.

Hierarchical CTC (Sanabria & Metze 2018): with ``intermediate_ctc_vocab_size`` the layer-k CTC
has its own head and its own targets (``aux_ys``: phones, pinyin initials/finals), finer units
than the final CTC's. Dense, frequent units give the lower layers a learning signal where a
vocabulary of thousands of rare characters gives almost none (egs/synth_zh: README).

Loss normalisation (ESPnet's default, ``length_normalized_loss: false``): the CTC loss and the
label-smoothed cross-entropy are each **summed over the frames/tokens of an utterance and averaged
over the utterances of the batch**. So the batch loss is exactly the mean of per-utterance losses,
whatever the padding, and ``loss = λ·loss_ctc + (1 − λ)·loss_att``.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from asr.models.conformer import ConformerEncoder
from asr.models.ctc import CTCHead, min_frames
from asr.models.decoder import TransformerDecoder
from asr.models.dynamic_chunk import DynamicChunk
from asr.models.encoder import TransformerEncoder
from asr.models.layer_tap import LayerTap
from asr.models.mask import make_pad_mask
from asr.models.specaug import SpecAugment
from asr.models.subsampling import Conv2dSubsampling


class ASRModel(nn.Module):
    """CMVN → SpecAugment (train) → Conv2d subsampling → encoder → CTC head and decoder.

    Args:
        vocab_size: including <blank>=0, <unk>=1 and <sos/eos>=vocab_size−1.
        feat_dim: fbank bins.
        encoder: ``"transformer"`` or ``"conformer"``.
        d_model, heads: attention width and heads, shared by encoder and decoder.
        encoder_layers, encoder_ffn_dim: encoder depth and feed-forward width.
        decoder_layers, decoder_ffn_dim: decoder depth (0: no decoder, needs ctc_weight=1).
        conv_kernel: Conformer depthwise kernel.
        subsampling, subsampling_channels: front-end factor (4, 6, 8) and its conv channels
            (default d_model).
        subsampling_depthwise: depthwise-separable convolutions after the front end's first
            (FastConformer's; cheap enough for wide front ends and x8).
        dropout, attention_dropout: residual/FFN/positional dropout and attention-weight dropout.
        pre_norm: pre-LN Transformer layers (post-LN if False; Conformer is always pre-LN).
        ctc_weight: λ in [0, 1].
        intermediate_ctc_layer, intermediate_ctc_weight: intermediate CTC on the output of
            encoder layer k (1-based; None: off) with weight w in [0, 1) of the CTC loss.
        intermediate_ctc_vocab_size: its own vocabulary (an auxiliary tokenizer's, blank = 0)
            and head, trained on ``aux_ys``; None: it shares the final CTC's head and targets.
        use_ctc: build the CTC head; default: only when ctc_weight > 0.
        label_smoothing: for the decoder cross-entropy; padding (-1) is ignored.
        specaug: applied to normalised features in training only; None disables it.
        cmvn_mean, cmvn_istd: (feat_dim,) global statistics. Always stored as buffers (identity
            when not given) so a checkpoint carries them and an exported model takes raw fbank.
        streaming: dynamic chunk training (``DynamicChunk``); also makes the Conformer's
            convolution causal, so the model can be decoded chunk by chunk. None: full context.
    """

    blank_id = 0

    def __init__(
        self,
        vocab_size: int,
        feat_dim: int = 80,
        encoder: str = "transformer",
        d_model: int = 256,
        heads: int = 4,
        encoder_layers: int = 12,
        encoder_ffn_dim: int = 2048,
        decoder_layers: int = 6,
        decoder_ffn_dim: int = 2048,
        conv_kernel: int = 31,
        subsampling: int = 4,
        subsampling_channels: int | None = None,
        subsampling_depthwise: bool = False,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        pre_norm: bool = True,
        ctc_weight: float = 0.3,
        intermediate_ctc_layer: int | None = None,
        intermediate_ctc_weight: float = 0.0,
        intermediate_ctc_vocab_size: int | None = None,
        use_ctc: bool | None = None,
        label_smoothing: float = 0.1,
        specaug: SpecAugment | None = None,
        cmvn_mean: torch.Tensor | None = None,
        cmvn_istd: torch.Tensor | None = None,
        streaming: DynamicChunk | None = None,
    ):
        super().__init__()
        if not 0.0 <= ctc_weight <= 1.0:
            raise ValueError(f"ctc_weight must lie in [0, 1], got {ctc_weight}")
        use_ctc = ctc_weight > 0 if use_ctc is None else use_ctc
        if ctc_weight > 0 and not use_ctc:
            raise ValueError(f"ctc_weight={ctc_weight} needs the CTC head (use_ctc=True)")
        if ctc_weight < 1 and decoder_layers < 1:
            raise ValueError(f"ctc_weight={ctc_weight} < 1 needs a decoder (decoder_layers > 0)")
        if vocab_size < 3:
            raise ValueError(f"vocab_size must include <blank>, <unk>, <sos/eos>; got {vocab_size}")
        self.vocab_size = vocab_size
        self.sos_eos_id = vocab_size - 1
        self.ctc_weight = ctc_weight
        self.label_smoothing = label_smoothing

        mean = torch.zeros(feat_dim) if cmvn_mean is None else torch.as_tensor(cmvn_mean)
        istd = torch.ones(feat_dim) if cmvn_istd is None else torch.as_tensor(cmvn_istd)
        if mean.shape != (feat_dim,) or istd.shape != (feat_dim,):
            raise ValueError(
                f"cmvn_mean/cmvn_istd must have shape ({feat_dim},), "
                f"got {tuple(mean.shape)} and {tuple(istd.shape)}"
            )
        self.register_buffer("cmvn_mean", mean.float())
        self.register_buffer("cmvn_istd", istd.float())

        self.specaug = specaug
        self.streaming = streaming
        self.subsampling = Conv2dSubsampling(
            feat_dim, d_model, subsampling, subsampling_channels, subsampling_depthwise
        )
        layer_args = dict(
            d_model=d_model, heads=heads, dropout=dropout, attention_dropout=attention_dropout
        )
        if encoder == "transformer":
            self.encoder: nn.Module = TransformerEncoder(
                ffn_dim=encoder_ffn_dim, layers=encoder_layers, pre_norm=pre_norm, **layer_args
            )
        elif encoder == "conformer":
            self.encoder = ConformerEncoder(
                ffn_dim=encoder_ffn_dim,
                layers=encoder_layers,
                kernel_size=conv_kernel,
                causal=streaming is not None,
                **layer_args,
            )
        else:
            raise ValueError(f"encoder must be 'transformer' or 'conformer', got {encoder!r}")
        self.ctc = CTCHead(d_model, vocab_size, self.blank_id) if use_ctc else None
        self.intermediate_ctc_layer = intermediate_ctc_layer
        self.intermediate_ctc_weight = intermediate_ctc_weight
        if intermediate_ctc_layer is not None:
            if self.ctc is None:
                raise ValueError("intermediate_ctc_layer needs the CTC head (ctc_weight > 0)")
            if not 1 <= intermediate_ctc_layer < encoder_layers:
                raise ValueError(
                    f"intermediate_ctc_layer must lie in [1, {encoder_layers - 1}] (a layer below "
                    f"the last), got {intermediate_ctc_layer}"
                )
            if not 0.0 <= intermediate_ctc_weight < 1.0:
                raise ValueError(
                    f"intermediate_ctc_weight must lie in [0, 1), got {intermediate_ctc_weight}"
                )
        self.aux_ctc = None
        if intermediate_ctc_vocab_size is not None:
            if intermediate_ctc_layer is None:
                raise ValueError(
                    "intermediate_ctc_vocab_size (an auxiliary tokenizer) needs "
                    "intermediate_ctc_layer: the encoder layer whose output predicts its units"
                )
            if intermediate_ctc_vocab_size < 2:
                raise ValueError(
                    f"intermediate_ctc_vocab_size must include <blank>, got "
                    f"{intermediate_ctc_vocab_size}"
                )
            self.aux_ctc = CTCHead(d_model, intermediate_ctc_vocab_size, self.blank_id)
        self.decoder = None
        if decoder_layers > 0:
            self.decoder = TransformerDecoder(
                vocab_size,
                ffn_dim=decoder_ffn_dim,
                layers=decoder_layers,
                pre_norm=pre_norm,
                **layer_args,
            )

    @property
    def min_input_frames(self) -> int:
        """Shortest input (fbank frames) that yields at least one encoder frame."""
        return self.subsampling.min_len

    def num_params(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Raw fbank (..., d) → globally mean/variance-normalised features (CMVN)."""
        return (x - self.cmvn_mean) * self.cmvn_istd

    def encode(
        self,
        x: torch.Tensor,
        x_lens: torch.Tensor,
        chunk_size: int | None = None,
        left_chunks: int = -1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw fbank (B, T, d) → encoder memory (B, T', d_model), zero beyond ``memory_lens``.

        ``chunk_size`` (encoder frames) encodes as a stream would: each frame sees its own chunk
        and ``left_chunks`` before it (-1: all). In training a streaming model draws them per
        batch (``DynamicChunk``) when not given.
        """
        pad = make_pad_mask(x_lens, x.shape[1])
        x = self.normalize(x).masked_fill(pad[..., None], 0.0)
        if self.training and self.specaug is not None:
            x = self.specaug(x, x_lens)
        if self.training and self.streaming is not None and chunk_size is None:
            chunk_size, left_chunks = self.streaming.draw()
        x, lens = self.subsampling(x, x_lens)
        return self.encoder(x, lens, chunk_size, left_chunks)

    def encode_with_ctc(
        self, x: torch.Tensor, x_lens: torch.Tensor, *chunking: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``encode`` (``chunking``: its ``chunk_size, left_chunks``) and the CTC
        log-probabilities (None without a CTC head): what every search starts from, and what an
        exported encoder graph computes."""
        memory, memory_lens = self.encode(x, x_lens, *chunking)
        log_probs = self.ctc_log_probs(memory) if self.ctc is not None else None
        return memory, memory_lens, log_probs

    def ctc_log_probs(self, memory: torch.Tensor) -> torch.Tensor:
        """(B, T', V) float32 CTC log-probabilities."""
        if self.ctc is None:
            raise RuntimeError("this model has no CTC head (built with ctc_weight=0)")
        return self.ctc.log_probs(memory)

    def add_sos_eos(
        self, ys: torch.Tensor, y_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """ys (B, U) padded with -1 → decoder input ``[sos] + y`` (padded with <sos/eos>) and
        target ``y + [eos]`` (padded with -1), both (B, U+1), and the input lengths ``y_lens + 1``.
        """
        b, u = ys.shape
        pad = make_pad_mask(y_lens, u)
        sos = ys.new_full((b, 1), self.sos_eos_id)
        ys_in = torch.cat((sos, ys.masked_fill(pad, self.sos_eos_id)), dim=1)
        ys_out = torch.cat((ys.masked_fill(pad, -1), ys.new_full((b, 1), -1)), dim=1)
        ys_out = ys_out.scatter(1, y_lens[:, None], self.sos_eos_id)
        return ys_in, ys_out, y_lens + 1

    def forward(
        self,
        x: torch.Tensor,
        x_lens: torch.Tensor,
        ys: torch.Tensor,
        y_lens: torch.Tensor,
        aux_ys: torch.Tensor | None = None,
        aux_lens: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        """Training/validation losses of a batch (``aux_ys``, ``aux_lens``: the intermediate
        CTC's own targets, needed exactly when it has its own vocabulary).

        Returns ``loss`` (λ·CTC + (1−λ)·attention), ``loss_ctc`` (with intermediate CTC mixed in,
        when on), ``loss_inter`` (the intermediate CTC's own loss) and ``loss_att`` (each the
        mean over utterances of the summed per-utterance loss; None when the part is absent),
        ``acc`` (decoder token accuracy incl. <eos>, teacher-forced; None without a decoder) and
        ``ctc_infeasible``: the utterances whose encoder output is too short for a CTC path of
        their target, or of their ``aux_ys`` (that CTC gives them zero loss; the decoder still
        learns from them), counted so that a front end too coarse for a token inventory shows
        (None without CTC).
        """
        if (self.aux_ctc is None) != (aux_ys is None):
            raise ValueError(
                "aux_ys are the targets of an intermediate CTC with its own vocabulary: pass "
                "them exactly when the model has one (data.aux_tokenizer)"
            )
        layer = self.intermediate_ctc_layer
        tap = LayerTap(self.encoder.layers[layer - 1]) if layer is not None else nullcontext()
        with tap:
            memory, memory_lens = self.encode(x, x_lens)
        batch = x.shape[0]
        loss_ctc = loss_att = acc = loss_inter = None
        ctc_infeasible = None
        if self.ctc is not None:
            loss_ctc = self.ctc.loss(memory, memory_lens, ys, y_lens) / batch
            need = min_frames(ys, y_lens)
            if self.aux_ctc is not None:  # the intermediate CTC reads as many frames
                need = torch.maximum(need, min_frames(aux_ys, aux_lens))
            ctc_infeasible = (memory_lens < need).sum()
        if layer is not None:
            inner = getattr(self.encoder, "final_norm", nn.Identity())(tap.output)
            if self.aux_ctc is not None:
                loss_inter = self.aux_ctc.loss(inner, memory_lens, aux_ys, aux_lens) / batch
            else:
                loss_inter = self.ctc.loss(inner, memory_lens, ys, y_lens) / batch
            w = self.intermediate_ctc_weight
            loss_ctc = (1 - w) * loss_ctc + w * loss_inter
        if self.decoder is not None:
            ys_in, ys_out, ys_in_lens = self.add_sos_eos(ys, y_lens)
            logits = self.decoder(memory, memory_lens, ys_in, ys_in_lens).float()
            loss_att = F.cross_entropy(
                logits.flatten(0, 1),
                ys_out.flatten(),
                ignore_index=-1,
                label_smoothing=self.label_smoothing,
                reduction="sum",
            )
            loss_att = loss_att / batch
            with torch.no_grad():
                real = ys_out >= 0
                hits = (logits.argmax(dim=-1) == ys_out) & real
                acc = hits.sum() / real.sum().clamp(min=1)
        if loss_att is None:
            loss = loss_ctc
        elif loss_ctc is None:
            loss = loss_att
        else:
            loss = self.ctc_weight * loss_ctc + (1 - self.ctc_weight) * loss_att
        return dict(
            loss=loss,
            loss_ctc=loss_ctc,
            loss_inter=loss_inter,
            loss_att=loss_att,
            acc=acc,
            ctc_infeasible=ctc_infeasible,
        )
