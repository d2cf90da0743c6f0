"""asr-pack → a packed folder that loads with nothing else present; the loader refuses pickle."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from safetensors.torch import load_file

from asr.bin.decode import CONF_DIR, run
from asr.bin.export import main as export_main
from asr.bin.pack import main as pack_main
from asr.bin.train_lm import main as train_lm_main
from asr.bin.transcribe import main as transcribe_main
from asr.data.prepare import prepare_kaldi_dir, save_cuts
from asr.decode.transcriber import Transcriber
from asr.decode.word_lm import WordLMScorer
from asr.pretrained.checkpoints import model_state_dict, safe_load
from asr.pretrained.loading import load_model
from asr.pretrained.packed import PackedConfig
from tests.cli_helpers import bad_input_error
from tests.data.fixtures import write_kaldi_dir
from tests.pretrained.helpers import make_run_dir, write_summary

WAVS = ("utt0.wav", "utt1.wav", "utt2.wav")


def pack(exp: Path, out: Path, *extra: str) -> Path:
    assert pack_main([str(exp), str(out), *extra]) == 0
    return out


def test_packed_folder_holds_safetensors_and_plain_config_and_loads_alone(tmp_path):
    exp = make_run_dir(tmp_path / "run")
    wavs = [tmp_path / "run" / w for w in WAVS]
    expected = Transcriber.from_run_dir(exp, method="attention_rescoring", beam=3).transcribe(wavs)
    out = pack(exp, tmp_path / "model", "--method", "attention_rescoring", "--beam", "3")

    names = {p.name for p in out.iterdir()}
    assert names == {"README.md", "config.json", "model.safetensors", "tokenizer.json", "cmvn.json"}
    run_weights = model_state_dict(safe_load(exp / "average.pt"))
    packed = load_file(out / "model.safetensors")
    assert packed.keys() == run_weights.keys()
    assert all(torch.equal(packed[k], run_weights[k]) for k in packed)
    cmvn = json.loads((out / "cmvn.json").read_text())
    assert cmvn["mean"] == run_weights["cmvn_mean"].tolist()
    config = json.loads((out / "config.json").read_text())
    assert "_target_" not in json.dumps(config) and "specaug" not in config["model"]
    assert config["decoding"]["method"] == "attention_rescoring" and config["decoding"]["beam"] == 3

    shutil.rmtree(tmp_path / "run" / "exp")  # no run directory, no Hydra tree: the folder alone
    t = Transcriber.from_pretrained(out)  # its decoding defaults: rescoring, beam 3
    assert t.options["method"] == "attention_rescoring" and t.options["beam"] == 3
    assert t.transcribe(wavs) == expected


def test_model_card_states_model_data_results_commands_and_provenance(tmp_path):
    exp = make_run_dir(tmp_path / "run")
    cuts, _ = prepare_kaldi_dir(write_kaldi_dir(tmp_path / "kaldi", n_utts=3), progress=False)
    save_cuts(cuts, tmp_path / "train.jsonl.gz")
    config = (
        (exp / "config.yaml").read_text().replace("gone.jsonl.gz", str(tmp_path / "train.jsonl.gz"))
    )
    (exp / "config.yaml").write_text(config)
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text(f"u0 {tmp_path / 'run' / 'utt0.wav'}\n")
    (kaldi / "text").write_text("u0 hello world\n")
    overrides = [
        f"exp_dir={exp}", f"test_sets={{test: {kaldi}}}", "method=ctc_greedy",
        "num_workers=0", "progress=false",
    ]  # fmt: skip
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        summary = run(compose("decode", overrides=overrides))["test"]
    write_summary(exp, "test_attention_beam", wer=1.5, checkpoint="last.ckpt", method="x")
    out = pack(exp, tmp_path / "model", "--license", "apache-2.0", "--language", "en",
               "--repo-id", "someone/tiny-en")  # fmt: skip

    card = (out / "README.md").read_text()
    front, body = card.split("---\n")[1], card.split("---\n", 2)[2]
    assert "license: apache-2.0" in front and "- en" in front
    assert "pipeline_tag: automatic-speech-recognition" in front
    assert "# someone/tiny-en" in body
    assert "1-layer Conformer encoder: d_model 32, 2 heads, FFN 64" in body
    params = load_model(out).model.num_params()
    assert f"{params / 1e6:.2f} M parameters" in body
    hours = sum(c.duration for c in cuts) / 3600
    assert f"(3 utterances, {hours:.2f} h)" in body
    assert f"| test | ctc_greedy | wer | {summary['wer']:.2f} |" in body
    assert "attention_beam" not in body  # decoded with other weights than the packed ones
    assert f"asr-decode exp_dir={exp} 'test_sets={{test: {kaldi}}}' method=ctc_greedy" in body
    meta = json.loads((exp / "meta.json").read_text())
    assert f"git revision `{meta['git_revision']}`" in body
    assert f"torch {meta['packages']['torch']}" in body
    assert 'Transcriber.from_pretrained("someone/tiny-en")' in body


class Payload:
    """Unpickling this would run ``os.system``: what a pickled weights file can carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_packed_loader_reads_safetensors_only(tmp_path):
    out = pack(make_run_dir(tmp_path / "run"), tmp_path / "model")
    marker = tmp_path / "pwned"
    torch.save({"state_dict": Payload(marker)}, out / "model.safetensors")  # a pickle, renamed
    with pytest.raises(ValueError, match=r"model\.safetensors: not a safetensors file"):
        load_model(out)
    (out / "model.safetensors").rename(out / "average.pt")
    with pytest.raises(
        FileNotFoundError, match=r"pickle-based weights are refused \(average\.pt\)"
    ):
        Transcriber.from_pretrained(out)
    assert not marker.exists()


def test_packed_config_takes_plain_values_only(tmp_path):
    out = pack(make_run_dir(tmp_path / "run"), tmp_path / "model")
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "model": {**config["model"],
                                                 "_target_": "os.system"}}))  # fmt: skip
    with pytest.raises(ValueError, match=r"config\.json: unknown model argument\(s\) _target_"):
        load_model(out)
    (out / "config.json").write_text(json.dumps({**config, "decoding": {"temperature": 2}}))
    with pytest.raises(ValueError, match=r"unknown decoding option\(s\) temperature"):
        PackedConfig.read(out)
    (out / "config.json").write_text(json.dumps({**config, "format": "nemo"}))
    with pytest.raises(ValueError, match=r"config\.json: not a packed asr model"):
        load_model(out)


def test_pack_refuses_a_model_other_than_asrmodel(tmp_path, capsys):
    exp = make_run_dir(tmp_path / "run")
    config = (exp / "config.yaml").read_text().replace("asr.models.ASRModel", "evil.Model", 1)
    (exp / "config.yaml").write_text(config)
    err = bad_input_error(pack_main, [str(exp), str(tmp_path / "model")], capsys)
    assert err.startswith("asr-pack: error: ") and "packs ASRModel only" in err


def test_streaming_model_packs_with_its_dynamic_chunks(tmp_path):
    streaming = {"_target_": "asr.models.DynamicChunk", "chunk_sizes": [4, 8]}
    exp = make_run_dir(tmp_path / "run", streaming=streaming)
    out = pack(exp, tmp_path / "model")
    assert json.loads((out / "config.json").read_text())["model"]["streaming"] == {
        "chunk_sizes": [4, 8]
    }
    model = load_model(out).model
    assert model.encoder.causal and model.streaming.chunk_sizes == [4, 8]
    run_model = load_model(exp).model
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), run_model.state_dict().values(), strict=True)
    )


def test_packed_lm_is_a_default_of_the_searches_that_fuse_it(tmp_path):
    exp = make_run_dir(tmp_path / "run")
    (tmp_path / "text").write_text("a hello world\nb good morning\nc hello\n")
    train_lm_main([str(tmp_path / "text"), "--order", "2", "--out", str(tmp_path / "lm.json")])
    out = pack(exp, tmp_path / "model", "--lm", str(tmp_path / "lm.json"), "--lm-weight", "0.5",
               "--beam", "4")  # fmt: skip
    assert (out / "lm.json").read_bytes() == (tmp_path / "lm.json").read_bytes()

    joint = Transcriber.from_pretrained(out)
    assert isinstance(joint.options["lm"], WordLMScorer) and joint.options["lm_weight"] == 0.5
    words = " ".join(joint.transcribe([tmp_path / "run" / w for w in WAVS])).split()
    assert set(words) <= {"hello", "world", "good", "morning"}
    assert "lm" not in Transcriber.from_pretrained(out, method="ctc_greedy").options
    assert "lm" not in Transcriber.from_pretrained(out, lm=None).options
    pack(exp, out)  # packed again without an LM: the old lm.json goes
    assert not (out / "lm.json").exists() and "lm" not in Transcriber.from_pretrained(out).options


def test_one_loader_for_run_dirs_and_packed_folders(tmp_path):
    exp = make_run_dir(tmp_path / "run")
    out = pack(exp, tmp_path / "model")
    from_run, from_pack = load_model(exp).model, load_model(out).model
    assert all(
        torch.equal(a, b)
        for a, b in zip(
            from_run.state_dict().values(), from_pack.state_dict().values(), strict=True
        )
    )
    with pytest.raises(ValueError, match=r"is a run directory: pack and export it first"):
        load_model(exp, backend="onnx")
    with pytest.raises(FileNotFoundError, match=r"encoder\.onnx not found: export the model"):
        load_model(out, backend="onnx")
    with pytest.raises(ValueError, match="a packed model has one set of weights"):
        load_model(out, checkpoint="last.ckpt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="neither a packed model"):
        load_model(tmp_path / "empty")


def test_asr_decode_reads_a_packed_folder(tmp_path):
    out = pack(make_run_dir(tmp_path / "run"), tmp_path / "model")
    kaldi = tmp_path / "test"
    kaldi.mkdir()
    wavs = [tmp_path / "run" / w for w in WAVS[:2]]
    (kaldi / "wav.scp").write_text("".join(f"u{i} {w}\n" for i, w in enumerate(wavs)))
    (kaldi / "text").write_text("u0 hello world\nu1 good morning\n")
    overrides = [
        f"exp_dir={out}", f"test_sets={{test: {kaldi}}}", f"out_dir={tmp_path / 'decode'}",
        "method=ctc_greedy", "num_workers=0", "progress=false",
    ]  # fmt: skip
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        summary = run(compose("decode", overrides=overrides))["test"]
    hyp = (tmp_path / "decode" / "test_ctc_greedy" / "hyp").read_text().splitlines()
    expected = Transcriber.from_pretrained(out, method="ctc_greedy").transcribe(wavs)
    assert hyp == [f"u{i} {t}".rstrip() for i, t in enumerate(expected)]
    assert summary["exp_dir"] == str(out) and summary["test_set"] == str(kaldi)


def test_clis_report_an_unusable_model_in_one_line(tmp_path, capsys):
    exp = make_run_dir(tmp_path / "run")
    err = bad_input_error(export_main, [str(exp), "--format", "onnx"], capsys)
    assert "no config.json, not a packed model folder" in err
    wav = str(tmp_path / "run" / "utt0.wav")
    err = bad_input_error(transcribe_main, ["--model", str(tmp_path / "nope"), wav], capsys)
    assert "no such model folder" in err
    err = bad_input_error(transcribe_main, ["--model", str(exp), "--backend", "onnx", wav], capsys)
    assert "is a run directory: pack and export it first" in err
