"""asr-export → ONNX / TorchScript graphs with metadata, dynamic axes and proven parity; the
exported transcribers decode as the eager model does; inference needs no training stack."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from asr.bin.export import main as export_main
from asr.bin.pack import main as pack_main
from asr.bin.transcribe import main as transcribe_main
from asr.decode.transcriber import Transcriber
from asr.pretrained.loading import load_model
from asr.pretrained.packed import PackedConfig
from tests.pretrained.helpers import make_run_dir

pytestmark = pytest.mark.slow
METHODS = ("ctc_greedy", "attention_rescoring", "joint_ctc_attention")


def export(model_dir: Path, fmt: str) -> str:
    """Run asr-export; fail with its output unless it exits 0. Returns what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = export_main([str(model_dir), "--format", fmt])
    assert rc == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A packed Conformer model exported both ways; the exports' printed parity reports."""
    root = tmp_path_factory.mktemp("export")
    exp = make_run_dir(root / "run")
    assert pack_main([str(exp), str(root / "model"), "--beam", "3"]) == 0
    logs = {fmt: export(root / "model", fmt) for fmt in ("onnx", "torchscript")}
    return root / "model", logs


def wavs(model_dir: Path) -> list[Path]:
    return [model_dir.parent / "run" / f"utt{i}.wav" for i in range(3)]


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_export_prints_parity_within_1e_4_and_identical_hypotheses(packed, fmt):
    log = packed[1][fmt]
    print(log)
    diffs = {m[0]: float(m[1]) for m in re.findall(r"max \|Δ\| (.+): (\S+)", log)}
    assert any("batched" in k for k in diffs) and any("alone" in k for k in diffs)
    assert any("decoder_step" in k for k in diffs) and any("teacher-forced" in k for k in diffs)
    assert max(diffs.values()) <= 1e-4, diffs
    for method in METHODS:
        assert f"hypotheses {method}: identical" in log
    assert "parity check passed" in log


def test_onnx_files_carry_the_metadata_and_dynamic_axes(packed):
    model_dir = packed[0]
    config = PackedConfig.read(model_dir)
    encoder = onnx.load(model_dir / "onnx" / "encoder.onnx")
    meta = {p.key: p.value for p in encoder.metadata_props}
    assert meta["vocab_size"] == str(config.model["vocab_size"])
    assert meta["sos_eos_id"] == str(config.model["vocab_size"] - 1) and meta["blank_id"] == "0"
    assert meta["subsampling"] == "4" and meta["sample_rate"] == "16000"
    assert meta["num_mel_bins"] == "80" and meta["weights_sha256"] == config.weights_sha256
    assert meta["graph"] == "encoder" and meta["outputs"] == "ctc_log_probs,memory,memory_lens"

    def dims(model, name):
        value = next(v for v in [*model.graph.input, *model.graph.output] if v.name == name)
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert dims(encoder, "waves") == ["batch", "samples"]
    assert all(isinstance(d, str) for d in dims(encoder, "ctc_log_probs")[:2])
    step = onnx.load(model_dir / "onnx" / "decoder_step.onnx")
    assert dims(step, "tokens") == ["hyps", "new_tokens"]
    assert dims(step, "self_k0")[0] == "hyps" and dims(step, "self_k0")[2] == "cached_tokens"
    assert dims(step, "cross_v0")[2] == "frames"
    step_meta = {p.key: p.value for p in step.metadata_props}
    assert step_meta["graph"] == "decoder_step"
    assert step_meta["inputs"] == "tokens,memory_lens,self_k0,self_v0,cross_k0,cross_v0"
    assert step.opset_import[0].version == 23  # ONNX's Attention op


@pytest.mark.parametrize("backend", ["onnx", "torchscript"])
def test_exported_transcriber_decodes_as_the_eager_one(packed, backend):
    model_dir, files = packed[0], wavs(packed[0])
    for method in METHODS:
        eager = Transcriber.from_pretrained(model_dir, method=method)
        graphs = Transcriber.from_pretrained(model_dir, backend, method=method)
        batched = graphs.transcribe(files)
        assert batched == eager.transcribe(files), method
        assert [graphs.transcribe([f])[0] for f in files] == batched, method


def test_transcribe_cli_onnx_backend_prints_what_torch_prints(packed, capsys):
    model_dir, files = packed[0], [str(f) for f in wavs(packed[0])]
    outputs = []
    for backend in ("torch", "onnx"):
        assert transcribe_main(["--model", str(model_dir), "--backend", backend, *files]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 3


def test_graphs_exported_from_other_weights_are_refused(packed, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(packed[0], copy)
    other = make_run_dir(tmp_path / "run", seed=1)
    assert pack_main([str(other), str(copy)]) == 0  # new weights, the old onnx/ left beside them
    with pytest.raises(ValueError, match=r"onnx was not exported from .*model\.safetensors"):
        load_model(copy, backend="onnx")


def test_inference_imports_neither_lightning_nor_hydra(packed):
    model_dir, files = packed[0], [str(f) for f in wavs(packed[0])]
    script = (
        "import sys\n"
        "from asr.decode.transcriber import Transcriber\n"
        "for backend in ('torch', 'onnx'):\n"
        f"    Transcriber.from_pretrained({str(model_dir)!r}, backend).transcribe({files!r})\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'lightning', 'pytorch_lightning', 'lightning_fabric', "
        "'torchmetrics', 'hydra', 'omegaconf'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


def test_transformer_with_other_front_end_exports_with_parity(tmp_path):
    exp = make_run_dir(tmp_path / "run", encoder="transformer", subsampling=6, pre_norm=False,
                       subsampling_depthwise=True, decoder_layers=2)  # fmt: skip
    assert pack_main([str(exp), str(tmp_path / "model")]) == 0
    log = export(tmp_path / "model", "torchscript")
    assert "parity check passed" in log
    assert load_model(tmp_path / "model", "torchscript").model.metadata.subsampling == 6
