"""bench/peer_espnet_train.py: ESPnet2's own trainer on a recipe's Kaldi dirs, for a budget."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import peer_espnet_train as peer  # noqa: E402

from tests.data.fixtures import write_kaldi_dir  # noqa: E402

LOG_LINE = (
    "[vm] 2026-12-01 11:56:33,183 (trainer:394) INFO: 3epoch results: [train] iter_time=0.027, "
    "forward_time=0.21, loss=99.184, optim0_lr0=5.050e-04, train_time=0.612, "
    "time=1 minute and 2.5 seconds, total_count=100, [valid] loss_ctc=73.6, cer_ctc=0.412, "
    "acc=0.046, loss=74.08, time=11.03 seconds, total_count=14, [att_plot] time=0.1 seconds"
)


def test_epoch_results_and_timespans_are_read_from_espnets_log(tmp_path: Path):
    assert peer.seconds_of("1 hour, 2 minutes and 3.5 seconds") == pytest.approx(3723.5)
    assert peer.seconds_of("42 seconds") == 42.0
    log = tmp_path / "train.log"
    log.write_text("noise\n" + LOG_LINE + "\nmore noise\n")
    (row,) = peer.epoch_results(log)
    assert row["epoch"] == 3 and row["train_time_per_step"] == pytest.approx(0.612)
    assert row["train_seconds"] == pytest.approx(62.5) and row["valid_seconds"] == 11.03
    assert row["valid_cer_ctc"] == pytest.approx(0.412) and row["valid_acc"] == 0.046
    assert "valid_time" not in row and "valid_total_count" not in row


def test_schedule_fills_the_budget_with_training_validation_and_start_up():
    probe = {"train_seconds": 20.0, "valid_seconds": 5.0, "probe_steps": 40}  # 0.5 s a step
    fit = peer.fit_schedule(probe, probe_wall=40.0, budget_s=600.0, epochs=10)
    assert fit["startup_seconds"] == pytest.approx(15.0)
    # 600 s = 15 s start-up + 10 x 5 s validation + 10 x steps x 0.5 s
    assert fit["steps_per_epoch"] == int((600 - 15 - 50) / 0.5 / 10)
    with pytest.raises(ValueError, match="no training step"):
        peer.fit_schedule(probe, probe_wall=40.0, budget_s=60.0, epochs=10)


def test_a_probe_with_slow_first_steps_counts_them_once_per_epoch(tmp_path: Path):
    log = tmp_path / "train.log"
    interval = (
        "[vm] (trainer:811) INFO: 1epoch:train:{}batch: iter_time=0.003, loss=9.1, train_time={}"
    )
    log.write_text("\n".join([interval.format("1-10", 2.0), interval.format("11-20", 0.5),
                               LOG_LINE, interval.format("21-30", 0.5)]))  # fmt: skip
    assert peer.interval_times(log) == [2.0, 0.5, 0.5]
    # 30 steps in 25 s: 0.5 s each once warm, plus 10 s of slow first steps per epoch
    probe = {"train_seconds": 25.0, "valid_seconds": 5.0, "probe_steps": 30,
             "steady_seconds_per_step": 0.5}  # fmt: skip
    fit = peer.fit_schedule(probe, probe_wall=40.0, budget_s=600.0, epochs=10)
    assert fit["epoch_surplus_seconds"] == pytest.approx(10.0)
    assert fit["steps_per_epoch"] == int((600 - 10 - 10 * (5 + 10)) / 0.5 / 10)
    # without the steady rate, the slow start is spread over every step (0.83 s each)
    assert peer.fit_schedule({**probe, "steady_seconds_per_step": None}, 40.0, 600.0, 10)[
        "steps_per_epoch"
    ] == int((600 - 10 - 50) / (25 / 30) / 10)


def test_configs_are_yaml_numbers_and_the_cosine_ends_with_the_steps(tmp_path: Path):
    args = peer.parse_args(["--data", "d", "--out", "o", "--budget-min", "1", "--lr", "2e-3"])
    config = peer.espnet_config(args, total_steps=1234)
    assert config["scheduler_conf"]["first_cycle_steps"] == 1234
    assert config["scheduler_conf"]["min_lr"] == pytest.approx(2e-5)
    text = peer.write_yaml(tmp_path / "c.yaml", config).read_text()
    assert '"weight_decay": 1.0e-06' in text and "e-" in text
    assert json.loads(text)["optim_conf"]["weight_decay"] == 1e-6


@pytest.mark.slow
@pytest.mark.skipif(
    not peer.ESPNET_PYTHON.exists(),
    reason="no ESPnet venv (bench/.venv-espnet): `bash bench/setup_espnet.sh` makes it; "
    "ESPnet is never a project dependency",
)
def test_tiny_peer_run_trains_decodes_and_scores(tmp_path: Path):
    data = tmp_path / "data"
    for i, split in enumerate(("train", "dev", "test")):
        d = write_kaldi_dir(tmp_path / split, n_utts=(24, 4, 4)[i], seed=i)
        d.rename(data / split) if data.exists() else (data.mkdir(), d.rename(data / split))
    utts = [line.split()[0] for line in (data / "test" / "text").read_text().splitlines()]
    (data / "test" / "utt2family").write_text(
        "".join(f"{u} {'espeak' if k % 2 else 'recorded'}\n" for k, u in enumerate(utts))
    )
    out = tmp_path / "peer"
    tiny = ["--d-model", "32", "--heads", "2", "--ffn", "64", "--layers", "1",
            "--decoder-layers", "1", "--kernel", "3", "--input-layer", "conv2d",
            "--vocab-size", "20", "--probe-steps", "2", "--epochs", "2", "--warmup", "2",
            "--batch-size", "4", "--beam", "2", "--decode-limit", "3"]  # fmt: skip
    args = ["--data", str(data), "--out", str(out), "--budget-min", "1.5", *tiny]
    assert peer.main(args) == 0
    result = json.loads((out / "result.json").read_text())
    assert [e["epoch"] for e in result["epochs"]] == [1, 2]
    assert result["schedule"]["steps_per_epoch"] >= 1 and result["test"]["sentences"] == 3
    assert 0 <= result["test"]["wer"] and set(result["test"]["by_family"]) <= {"espeak", "recorded"}
    assert (out / "exp" / "train.yaml").is_file() and (out / "decode" / "hyp").is_file()
