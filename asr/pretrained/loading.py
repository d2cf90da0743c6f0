"""The one way a trained model is loaded, by ``asr-decode``, ``asr-transcribe``, ``asr-export`` and
``Transcriber``: a run directory, a packed folder, or a hub repo id holding a packed folder.

Nothing here imports Lightning or Hydra.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from asr.data.features import FbankOptions
from asr.data.tokenizer import Tokenizer, load_tokenizer
from asr.errors import InputError
from asr.pretrained import hub
from asr.pretrained.packed import CONFIG, PackedConfig, build_model
from asr.pretrained.run_dir import load_run

BACKENDS = ("torch", "onnx", "torchscript")


@dataclass
class LoadedModel:
    """A model ready to decode, with what a transcriber needs besides the network.

    ``model``: an ``ASRModel`` (backend torch) or the exported graphs as an
    ``asr.export.runtime.GraphModel``; ``decoding``: defaults stored with a packed model;
    ``lm``: the n-gram LM file those defaults fuse, if any.
    """

    model: nn.Module
    tokenizer: Tokenizer
    features: FbankOptions
    path: Path
    decoding: dict[str, Any] = field(default_factory=dict)
    lm: Path | None = None


def load_model(
    source: str | Path,
    backend: str = "torch",
    checkpoint: str | Path | None = None,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
) -> LoadedModel:
    """Load ``source``: a run directory (``config.yaml``; ``checkpoint`` picks its weights), a
    packed folder (``config.json``), or ``owner/name`` on the Hugging Face hub (``revision``).

    ``backend`` onnx or torchscript runs the graphs that ``asr-export`` wrote into the packed
    folder's ``onnx/`` or ``torchscript/``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    path = hub.resolve(source, revision, cache_dir)
    if (path / CONFIG).is_file():
        if checkpoint is not None:
            raise InputError(f"{path}: a packed model has one set of weights; drop checkpoint")
        return _load_packed(path, backend)
    if (path / "config.yaml").is_file():
        if backend != "torch":
            raise InputError(
                f"{path} is a run directory: pack and export it first "
                f"(asr-pack {path} OUT && asr-export OUT --format {backend})"
            )
        model, tokenizer, config = load_run(path, checkpoint)
        features = FbankOptions(num_mel_bins=int(model.cmvn_mean.numel()))
        return LoadedModel(model, tokenizer, features, path)
    raise FileNotFoundError(
        f"{path}: neither a packed model ({CONFIG}) nor a run directory (config.yaml)"
    )


def _load_packed(path: Path, backend: str) -> LoadedModel:
    config = PackedConfig.read(path)
    tokenizer = load_tokenizer(path)
    if backend == "torch":
        model: nn.Module = build_model(path, config)
    else:
        from asr.export.runtime import GraphModel  # onnxruntime only when asked for

        model = GraphModel.load(path / backend, backend)
        _check_export_matches(path / backend, model, config)
    vocab = int(config.model["vocab_size"])
    if tokenizer.vocab_size != vocab:
        raise InputError(
            f"{path}: the tokenizer has {tokenizer.vocab_size} tokens, the model {vocab}"
        )
    lm = path / config.lm if config.lm else None
    if lm is not None and not lm.is_file():
        raise FileNotFoundError(f"{path / CONFIG} names the LM {config.lm}, which is missing")
    return LoadedModel(model, tokenizer, config.features, path, dict(config.decoding), lm)


def _check_export_matches(directory: Path, model: nn.Module, config: PackedConfig) -> None:
    """Exported graphs must come from this folder's weights (their SHA-256 in the metadata)."""
    if not config.weights_sha256 or model.metadata.weights_sha256 != config.weights_sha256:
        raise InputError(
            f"{directory} was not exported from {directory.parent}'s model.safetensors: "
            f"export again (asr-export {directory.parent} --format {directory.name})"
        )
