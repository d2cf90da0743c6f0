"""The packed model folder: what inference needs and nothing else, laid out as a Hugging Face
model repository so that it uploads as it is.

    config.json          format, ASRModel arguments, fbank options, decoding defaults
    model.safetensors    the weights (CMVN buffers included): safetensors, never pickle
    tokenizer.json       the tokenizer (+ tokenizer.model for SentencePiece)
    cmvn.json            the CMVN statistics the weights hold, for other toolkits
    lm.json              optional: the n-gram LM that the decoding defaults fuse
    README.md            the model card
    onnx/ torchscript/   optional: graphs written by asr-export

``config.json`` holds plain values only: loading builds ``asr.models.ASRModel`` from them and
imports nothing that a file names.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from asr.data.features import FbankOptions
from asr.errors import InputError
from asr.models import ASRModel, DynamicChunk

FORMAT = "asr-packed-model"
FORMAT_VERSION = 1
CONFIG = "config.json"
WEIGHTS = "model.safetensors"
LM = "lm.json"
CMVN = "cmvn.json"
# What a packed config may set: ASRModel's arguments except training-only and stored ones.
_NOT_PACKED = ("specaug", "cmvn_mean", "cmvn_istd")
_PICKLES = ("*.pt", "*.pth", "*.ckpt", "*.bin")
MODEL_ARGS = tuple(p for p in inspect.signature(ASRModel).parameters if p not in _NOT_PACKED)
DECODING_ARGS = (
    "method", "beam", "ctc_weight", "length_penalty", "length_norm", "pre_beam",
    "max_len_ratio", "lm_weight",
)  # fmt: skip


@dataclass
class PackedConfig:
    """``config.json`` of a packed folder."""

    model: dict[str, Any]
    features: FbankOptions = field(default_factory=FbankOptions)
    decoding: dict[str, Any] = field(default_factory=dict)
    lm: str | None = None  # file name of the LM in the folder
    weights_sha256: str = ""  # of model.safetensors; exported graphs carry it too

    def __post_init__(self) -> None:
        _check_keys(self.model, MODEL_ARGS, "model argument")
        _check_keys(self.decoding, DECODING_ARGS, "decoding option")
        if "vocab_size" not in self.model:
            raise ValueError("model arguments lack vocab_size")

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "features": dataclasses.asdict(self.features),
            "decoding": self.decoding,
            "lm": self.lm,
            "weights": WEIGHTS,
            "weights_sha256": self.weights_sha256,
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def read(cls, directory: str | Path) -> PackedConfig:
        """Parse and check ``directory/config.json``; every error is one line naming the file."""
        path = Path(directory) / CONFIG
        if not path.is_file():
            raise InputError(
                f"{directory}: no {CONFIG}, not a packed model folder (asr-pack makes one)"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"{path}: cannot read a packed model config: {e}") from e
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path}: not a packed asr model (format must be {FORMAT!r})")
        if int(data.get("format_version", 0)) > FORMAT_VERSION:
            raise InputError(
                f"{path}: packed format version {data['format_version']} is newer than this "
                f"asr reads ({FORMAT_VERSION}); upgrade asr"
            )
        try:
            return cls(
                model=dict(data["model"]),
                features=FbankOptions(**data.get("features", {})),
                decoding=dict(data.get("decoding") or {}),
                lm=data.get("lm"),
                weights_sha256=str(data.get("weights_sha256", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"{path}: {e}") from e


def _check_keys(values: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what}(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")


def save_weights(model: ASRModel, path: str | Path) -> str:
    """The model's state dict as safetensors (contiguous copies, no shared storage); returns
    the file's SHA-256."""
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    save_file(state, str(path), metadata={"format": "pt"})
    return sha256_of(path)


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_model(directory: str | Path, config: PackedConfig) -> ASRModel:
    """``ASRModel`` from ``config`` with the folder's ``model.safetensors``, in eval mode.

    Only safetensors is read: a folder whose weights are a pickle (``*.pt``, ``*.ckpt``,
    ``*.bin``) is refused, whatever the file is called.
    """
    directory = Path(directory)
    path = directory / WEIGHTS
    if not path.is_file():
        pickles = sorted(p.name for e in _PICKLES for p in directory.glob(e))
        found = f"; pickle-based weights are refused ({', '.join(pickles)})" if pickles else ""
        raise FileNotFoundError(f"{path} not found{found}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise InputError(f"{path}: not a safetensors file ({e})") from e
    feat_dim = int(config.model.get("feat_dim", 80))
    if config.features.num_mel_bins != feat_dim:
        raise InputError(
            f"{directory / CONFIG}: features.num_mel_bins={config.features.num_mel_bins} "
            f"but the model takes feat_dim={feat_dim}"
        )
    try:
        streaming = config.model.get("streaming")
        args = {**config.model, "streaming": DynamicChunk(**streaming) if streaming else None}
        model = ASRModel(**args, specaug=None)
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise InputError(f"{path}: weights do not fit {directory / CONFIG}: {first}") from e
    return model.eval()


def cmvn_of(model: ASRModel) -> dict[str, list[float]]:
    """The CMVN statistics the model's buffers hold (``cmvn.json``'s ``mean`` and ``istd``)."""
    return {"mean": model.cmvn_mean.tolist(), "istd": model.cmvn_istd.tolist()}


def state_matches(model: ASRModel, other: ASRModel) -> bool:
    """Whether two models hold bit-identical weights and buffers (a pack round trip)."""
    a, b = model.state_dict(), other.state_dict()
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
