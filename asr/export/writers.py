"""Write a model's graphs (``asr.export.graphs``) as ONNX or TorchScript files with metadata.

ONNX goes through ``torch.onnx.export(dynamo=True)`` (torch.export, then ONNX opset 23): it captures
shapes symbolically, so batch, sample, frame and token axes stay dynamic by construction. The
TorchScript-based ONNX exporter (``dynamo=False``) cannot export the Conformer's strided
relative-position shift (``as_strided``). TorchScript files come from ``torch.jit.trace``
(deprecated in torch 2.14 but still supported; the code is not scriptable: lambdas, dataclasses).
Tracing records shapes as they flow into tensor ops; the parity check (``asr.export.parity``)
runs several lengths and batch sizes to prove nothing was frozen.
"""

from __future__ import annotations

import inspect
import json
import logging
import warnings
from pathlib import Path

import torch

from asr.data.features import FbankOptions
from asr.export.graphs import GraphSpec, example_inputs, graph_modules
from asr.export.metadata import ExportMetadata
from asr.models import ASRModel

FORMATS = ("onnx", "torchscript")
# ONNX's Attention op is in opset 23: scaled_dot_product_attention then exports as one node. At
# opset 18 its decomposition transposes and rescales the cached keys at every decoder step
# (a beam-search step of the tiny preset: 35 ms at 18, 18 ms at 23, 24 ms eager; see
# docs/benchmarks.md, exported transcribers).
OPSET = 23
SUFFIX = {"onnx": ".onnx", "torchscript": ".pt"}
METADATA_FILE = "metadata.json"  # inside a TorchScript archive (its ``_extra_files``)


def export_model(
    model: ASRModel,
    options: FbankOptions,
    out_dir: str | Path,
    fmt: str,
    weights_sha256: str = "",
    optimize: bool = False,
) -> dict[str, Path]:
    """Write every graph of ``model`` into ``out_dir`` as ``<graph>.onnx`` or ``<graph>.pt``.

    ``weights_sha256`` (of the packed weights file) goes into the metadata, so that a loader can
    tell graphs exported from other weights; ``optimize`` runs onnxscript's graph optimiser
    (ONNX Runtime optimises the graph again when it loads it).
    """
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = ExportMetadata.of(model, options, weights_sha256).to_strings()
    written = {}
    for name, (module, spec) in graph_modules(model, options).items():
        example = example_inputs(name, model, options)
        metadata = {
            **base, "graph": name, "inputs": ",".join(spec.inputs),
            "outputs": ",".join(spec.outputs),
        }  # fmt: skip
        path = out_dir / f"{name}{SUFFIX[fmt]}"
        with torch.no_grad():
            if fmt == "onnx":
                _write_onnx(module, example, spec, metadata, path, optimize)
            else:
                _write_torchscript(module, example, metadata, path)
        written[name] = path
    return written


def _dynamic_shapes(module: torch.nn.Module, spec: GraphSpec) -> tuple:
    """torch.export's ``dynamic_shapes`` for ``spec``: per argument of ``forward``, the inputs
    caught by a ``*caches`` argument grouped in one tuple."""
    axes = [spec.axes.get(name) for name in spec.inputs]
    params = inspect.signature(module.forward).parameters.values()
    fixed = sum(p.kind == p.POSITIONAL_OR_KEYWORD for p in params)
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return (*axes[:fixed], tuple(axes[fixed:]))
    return tuple(axes)


def _write_onnx(module, example, spec, metadata, path: Path, optimize: bool) -> None:
    # The exporter logs one warning per missing torchvision op it could have registered.
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        # One axis name on several inputs (batch, hyps) is what is meant, not a clash.
        warnings.filterwarnings("ignore", "# The axis name", UserWarning)
        program = torch.onnx.export(
            module, example, dynamo=True, input_names=list(spec.inputs),
            output_names=list(spec.outputs), dynamic_shapes=_dynamic_shapes(module, spec),
            opset_version=OPSET, verbose=False, optimize=optimize,
        )  # fmt: skip
    program.model.metadata_props.update(metadata)
    program.save(str(path), external_data=False)


def _write_torchscript(module, example, metadata, path: Path) -> None:
    with warnings.catch_warnings():
        # jit.trace is deprecated (FutureWarning), and the subsampling's length check becomes a
        # constant (TracerWarning): the parity check covers both.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(module, example, check_trace=False)
        torch.jit.save(traced, str(path), _extra_files={METADATA_FILE: json.dumps(metadata)})
