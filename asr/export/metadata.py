"""What an exported graph file says about its model: ids, sizes and feature settings, as string
key/value pairs (ONNX ``metadata_props``; ``metadata.json`` inside a TorchScript archive), so
that a runtime in any language needs no other file to feed the graphs and run a search."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from asr import __version__
from asr.data.features import FbankOptions
from asr.errors import InputError
from asr.export.fbank import LOW_FREQ, PREEMPHASIS
from asr.models import ASRModel

FORMAT = "asr-ctc-attention"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExportMetadata:
    """Written into every graph file; ``from_strings(to_strings(m)) == m``."""

    vocab_size: int
    blank_id: int
    sos_eos_id: int
    subsampling: int  # encoder frames per this many fbank frames
    min_input_frames: int  # shortest fbank input that gives one encoder frame
    has_ctc: bool
    decoder_layers: int  # 0: no attention decoder (CTC only)
    heads: int  # of the decoder's attention (cache tensors' H)
    head_dim: int  # d_k of the caches
    sample_rate: int
    num_mel_bins: int
    frame_length_ms: float
    frame_shift_ms: float
    weights_sha256: str = ""  # of the packed model.safetensors exported ("": not from a folder)
    window: str = "povey"
    preemphasis: float = PREEMPHASIS
    low_freq: float = LOW_FREQ
    input_scale: float = 32768.0  # samples in [-1, 1] are scaled to 16-bit range first
    cmvn: str = "global, inside the encoder graph"
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    asr_version: str = __version__

    @classmethod
    def of(cls, model: ASRModel, options: FbankOptions, weights_sha256: str = "") -> ExportMetadata:
        decoder = model.decoder
        attn = decoder.layers[0].self_attn if decoder is not None else None
        return cls(
            vocab_size=model.vocab_size,
            blank_id=model.blank_id,
            sos_eos_id=model.sos_eos_id,
            subsampling=model.subsampling.factor,
            min_input_frames=model.min_input_frames,
            has_ctc=model.ctc is not None,
            decoder_layers=len(decoder.layers) if decoder is not None else 0,
            heads=attn.heads if attn is not None else 0,
            head_dim=attn.d_k if attn is not None else 0,
            weights_sha256=weights_sha256,
            **dataclasses.asdict(options),
        )

    @property
    def features(self) -> FbankOptions:
        return FbankOptions(
            self.sample_rate, self.num_mel_bins, self.frame_length_ms, self.frame_shift_ms
        )

    def to_strings(self) -> dict[str, str]:
        out = {}
        for name, value in dataclasses.asdict(self).items():
            out[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    @classmethod
    def from_strings(cls, values: dict[str, str], source: str = "graph") -> ExportMetadata:
        """Parse ``to_strings`` output; a missing key or another format is a one-line error."""
        if values.get("format") != FORMAT:
            found = values.get("format")
            raise InputError(f"{source}: not an asr export (metadata format {found!r})")
        if int(values.get("format_version", -1)) > FORMAT_VERSION:
            raise InputError(
                f"{source}: export format version {values['format_version']} is newer than "
                f"this asr reads ({FORMAT_VERSION}); upgrade asr"
            )
        parsed = {}
        for field in dataclasses.fields(cls):
            if field.name not in values:
                raise InputError(f"{source}: metadata lacks {field.name!r}")
            text = values[field.name]
            kind = field.type
            if kind == "bool":
                parsed[field.name] = text == "true"
            elif kind in ("int", "float"):
                parsed[field.name] = int(text) if kind == "int" else float(text)
            else:
                parsed[field.name] = text
        return cls(**parsed)
