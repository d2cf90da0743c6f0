"""Exported graphs behind the search interface of ``ASRModel``, so that every decoding method in
``asr.decode`` runs unchanged over ONNX Runtime, TorchScript or the eager graph modules.

A runner executes named graphs on tensors; ``GraphModel`` gives the searches what they use:
``encode_with_ctc``, ``decoder.init_state / step / select`` and the teacher-forced
``decoder(...)`` of attention rescoring, plus the ids and sizes from the files' metadata.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from asr.data.features import FbankOptions
from asr.export.graphs import graph_modules
from asr.export.metadata import ExportMetadata
from asr.export.writers import METADATA_FILE, SUFFIX
from asr.models import ASRModel
from asr.models.mask import make_pad_mask

BACKENDS = ("onnx", "torchscript")
GRAPHS = ("encoder", "decoder_init", "decoder_step")


class ModuleRunner(nn.Module):
    """Runs graph modules in PyTorch: the eager reference, or loaded TorchScript.

    TorchScript runs with its graph optimiser off: the profiling executor re-specialises a graph
    for every new input shape, and a search feeds the decoder step a longer cache every step.
    """

    def __init__(
        self, graphs: dict[str, nn.Module], metadata: ExportMetadata, scripted: bool = False
    ):
        super().__init__()
        self.graphs = nn.ModuleDict(graphs)
        self.metadata = metadata
        self.scripted = scripted

    @classmethod
    def eager(cls, model: ASRModel, options: FbankOptions) -> ModuleRunner:
        graphs = {name: module for name, (module, _) in graph_modules(model, options).items()}
        return cls(graphs, ExportMetadata.of(model, options))

    @classmethod
    def torchscript(cls, directory: str | Path) -> ModuleRunner:
        paths = _graph_files(Path(directory), "torchscript")
        graphs, metadata = {}, None
        for name, path in paths.items():
            extra = {METADATA_FILE: ""}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # jit.load is deprecated (2.14)
                graphs[name] = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
            if name == "encoder":
                metadata = ExportMetadata.from_strings(json.loads(extra[METADATA_FILE]), str(path))
        return cls(graphs, metadata, scripted=True)

    def run(self, name: str, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        with torch.jit.optimized_execution(not self.scripted):
            out = self.graphs[name](*inputs)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)


class OnnxRunner:
    """Runs ``<graph>.onnx`` files with ONNX Runtime's CPU provider."""

    def __init__(self, directory: str | Path, threads: int | None = None):
        try:
            import onnxruntime as ort
        except ImportError as e:
            need = "the onnx backend needs onnxruntime: pip install 'asr[export]'"
            raise ImportError(need) from e

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only
        # Idle threads sleep instead of spinning: as OMP_WAIT_POLICY=PASSIVE for torch
        # (asr/bin/__init__.py), spinning threads stall whenever another process wants the core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sessions = {}
        for name, path in _graph_files(Path(directory), "onnx").items():
            self.sessions[name] = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        meta = self.sessions["encoder"].get_modelmeta().custom_metadata_map
        self.metadata = ExportMetadata.from_strings(meta, str(Path(directory) / "encoder.onnx"))

    def run(self, name: str, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        session = self.sessions[name]
        feeds = {
            arg.name: np.ascontiguousarray(t.detach().cpu().numpy())
            for arg, t in zip(session.get_inputs(), inputs, strict=True)
        }
        return tuple(torch.from_numpy(out) for out in session.run(None, feeds))


def _graph_files(directory: Path, backend: str) -> dict[str, Path]:
    """``{graph: path}`` of the exported files in ``directory``; the encoder must be there."""
    paths = {name: directory / f"{name}{SUFFIX[backend]}" for name in GRAPHS}
    if not paths["encoder"].is_file():
        raise FileNotFoundError(
            f"{paths['encoder']} not found: export the model first "
            f"(asr-export MODEL_DIR --format {backend})"
        )
    found = {name: p for name, p in paths.items() if p.is_file()}
    if len(found) == 2:
        missing = next(n for n in GRAPHS if n not in found)
        raise FileNotFoundError(f"{paths[missing]} not found beside {paths['encoder']}")
    return found


@dataclass
class GraphDecoderState:
    """The decoder caches of N hypotheses as the step graph takes them, one tensor per layer
    and kind (``self_k0, self_v0, …``).

    ``self_kv`` (N, H, P, d_k) each: self-attention keys/values of the P tokens so far;
    ``cross_kv`` (N, H, T', d_k) each and ``memory_lens`` (N,): the encoder side, fixed.
    """

    self_kv: list[torch.Tensor]
    cross_kv: list[torch.Tensor]
    memory_lens: torch.Tensor

    def select(self, index: torch.Tensor, same_memory: bool = False) -> GraphDecoderState:
        """Reorder / repeat hypotheses, as ``DecoderState.select``."""
        self_kv = [t.index_select(0, index) for t in self.self_kv]
        if same_memory:
            if index.numel() != self.memory_lens.numel():
                raise ValueError("same_memory=True needs as many rows as the state has")
            return GraphDecoderState(self_kv, self.cross_kv, self.memory_lens)
        cross_kv = [t.index_select(0, index) for t in self.cross_kv]
        return GraphDecoderState(self_kv, cross_kv, self.memory_lens.index_select(0, index))


class GraphDecoder:
    """``TransformerDecoder``'s search interface over the decoder_init / decoder_step graphs."""

    def __init__(self, runner: ModuleRunner | OnnxRunner, metadata: ExportMetadata):
        self.runner = runner
        self.metadata = metadata

    def init_state(self, memory: torch.Tensor, memory_lens: torch.Tensor) -> GraphDecoderState:
        cross_kv = list(self.runner.run("decoder_init", memory))
        m = self.metadata
        empty = memory.new_zeros(memory.shape[0], m.heads, 0, m.head_dim)
        return GraphDecoderState([empty] * (2 * m.decoder_layers), cross_kv, memory_lens)

    def _run(
        self, tokens: torch.Tensor, state: GraphDecoderState
    ) -> tuple[torch.Tensor, GraphDecoderState]:
        logits, *self_kv = self.runner.run(
            "decoder_step", tokens, state.memory_lens, *state.self_kv, *state.cross_kv
        )
        return logits, GraphDecoderState(self_kv, state.cross_kv, state.memory_lens)

    def step(
        self, tokens: torch.Tensor, state: GraphDecoderState
    ) -> tuple[torch.Tensor, GraphDecoderState]:
        """One token per hypothesis (N,) → next-token log-probs (N, V) and the new state."""
        logits, new_state = self._run(tokens[:, None], state)
        return logits[:, 0].float().log_softmax(dim=-1), new_state

    def __call__(
        self,
        memory: torch.Tensor,
        memory_lens: torch.Tensor,
        ys_in: torch.Tensor,
        ys_in_lens: torch.Tensor,
    ) -> torch.Tensor:
        """Teacher forcing, (N, U) → logits (N, U, V): all U tokens after an empty cache."""
        tokens = ys_in.masked_fill(make_pad_mask(ys_in_lens, ys_in.shape[1]), 0)
        logits, _ = self._run(tokens, self.init_state(memory, memory_lens))
        return logits


class GraphModel(nn.Module):
    """The search interface of ``ASRModel`` over exported graphs. Its input is samples in
    [-1, 1] at the model's rate, not fbank: ``encode_with_ctc(waves (B, S), wave_lens (B,))``."""

    blank_id = 0
    input_kind = "samples"  # what Transcriber feeds it (ASRModel takes fbank)

    def __init__(self, runner: ModuleRunner | OnnxRunner):
        super().__init__()
        self.runner = runner
        m = runner.metadata
        self.metadata = m
        self.vocab_size, self.sos_eos_id = m.vocab_size, m.sos_eos_id
        self.min_input_frames = m.min_input_frames
        self.features = m.features
        self.decoder = GraphDecoder(runner, m) if m.decoder_layers else None

    @classmethod
    def load(cls, directory: str | Path, backend: str, threads: int | None = None) -> GraphModel:
        """The graphs exported into ``directory`` as ``backend`` (onnx or torchscript)."""
        if backend == "onnx":
            return cls(OnnxRunner(directory, threads))
        if backend == "torchscript":
            return cls(ModuleRunner.torchscript(directory))
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")

    def encode_with_ctc(
        self, waves: torch.Tensor, wave_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        outs = self.runner.run("encoder", waves.float(), wave_lens.long())
        if self.metadata.has_ctc:
            log_probs, memory, memory_lens = outs
            return memory, memory_lens, log_probs
        memory, memory_lens = outs
        return memory, memory_lens, None

    def ctc_log_probs(self, memory: torch.Tensor) -> torch.Tensor:
        raise RuntimeError(
            "exported graphs give CTC log-probs only with the encoder output: "
            "decode from samples with decode(), or pass ctc_log_probs= to decode_encoded()"
        )
