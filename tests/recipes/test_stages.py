"""egs/tools/recipe.sh: option parsing and done-marker semantics of run_stage."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
from pathlib import Path

import pytest

RECIPE_SH = Path(__file__).resolve().parents[2] / "egs" / "tools" / "recipe.sh"

# A two-stage recipe: each stage appends to a log so reruns are visible; stage 1 can be
# made to die half-way (after writing partial output) with --crash true.
SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")"
stage=0
stop_stage=100
size=3
crash=false
. {recipe} "$@"
one() {{ echo "one $1" >> log; }}
two() {{ echo "two start" >> log; if [ "$crash" = true ]; then exit 9; fi; echo "two end" >> log; }}
run_stage 0 one one "$size"
run_stage 1 two two
echo "overrides=${{overrides[*]+${{overrides[*]}}}} size=$size"
"""


@pytest.fixture
def recipe(tmp_path: Path):
    script = tmp_path / "run.sh"
    script.write_text(SCRIPT.format(recipe=RECIPE_SH))
    script.chmod(0o755)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(script), *args], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(proc.stderr)
        return proc

    def log() -> list[str]:
        path = tmp_path / "log"
        return path.read_text().splitlines() if path.exists() else []

    return run, log, tmp_path


def test_options_and_overrides_are_parsed(recipe):
    run, log, _ = recipe
    out = run("--size", "7", "trainer.max_epochs=2", "--stop-stage=0", "--", "model=tiny").stdout
    assert "overrides=trainer.max_epochs=2 model=tiny size=7" in out
    assert log() == ["one 7"]  # --stop-stage 0 kept stage 1 from running


def test_unknown_option_is_an_error(recipe):
    run, _, _ = recipe
    proc = run("--sise", "7", check=False)
    assert proc.returncode == 2
    assert "unknown option --sise" in proc.stderr


def test_finished_stage_is_a_noop_and_force_reruns(recipe):
    run, log, tmp = recipe
    run()
    assert log() == ["one 3", "two start", "two end"]
    out = run().stdout
    assert log() == ["one 3", "two start", "two end"]
    assert "stage 0 (one): already done" in out
    run("--force", "--stage", "1")
    assert log() == ["one 3", "two start", "two end", "two start", "two end"]
    assert (tmp / "exp/.done/1.two.done").read_text().startswith("two\nseconds=")


def test_changed_arguments_rerun_the_stage_and_everything_after(recipe):
    run, log, _ = recipe
    run()
    run("--size", "4")
    assert log() == ["one 3", "two start", "two end", "one 4", "two start", "two end"]


def test_interrupted_stage_is_redone(recipe):
    run, log, tmp = recipe
    proc = run("--crash", "true", check=False)
    assert proc.returncode == 9
    assert "stage 1 (two): FAILED" in proc.stderr
    assert not (tmp / "exp/.done/1.two.done").exists()
    run()
    assert log() == ["one 3", "two start", "two start", "two end"]  # stage 0 kept, 1 redone


@pytest.mark.parametrize("recipe", ["synth_en", "synth_zh", "librispeech", "aishell"])
def test_recipe_scripts_parse_and_show_usage(recipe: str):
    run_sh = RECIPE_SH.parents[1] / recipe / "asr1" / "run.sh"
    assert subprocess.run(["bash", "-n", str(run_sh)]).returncode == 0
    proc = subprocess.run([str(run_sh), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--stage" in proc.stdout
    proc = subprocess.run([str(run_sh), "--no-such-option", "1"], capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown option --no-such-option" in proc.stderr


def environment_seen(tmp_path: Path, report: str, env: dict[str, str]) -> list[str]:
    """What the recipe's shell and the asr-train / asr-decode it starts (stand-ins) each see of
    their environment: one line each, ``report`` (a shell expression) expanded by that process."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for cli in ("asr-train", "asr-decode"):
        (bin_dir / cli).write_text(f'#!/bin/sh\necho "{cli} {report}"\n')
        (bin_dir / cli).chmod(0o755)
    script = tmp_path / "run.sh"
    script.write_text(
        f'. {RECIPE_SH} "$@"\n. {RECIPE_SH.parent / "stages.sh"}\nPATH={bin_dir}:$PATH\n'
        f'echo "stage {report}"\n'
        "train_model exp/x x train data/tok\ndecode_sets exp/x 1 0.3 wer test ctc_greedy\n"
    )
    proc = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("opt_out", [False, True])
def test_training_and_decoding_run_under_tcmalloc_unless_opted_out(tmp_path: Path, opt_out: bool):
    tcmalloc = ctypes.util.find_library("tcmalloc_minimal")
    if tcmalloc is None:
        pytest.skip("libtcmalloc-minimal4 is not installed (tools/setup.sh installs it)")
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env |= {"ASR_SKIP_SETUP": "1", "ASR_TCMALLOC": "0" if opt_out else "1"}
    expected = "" if opt_out else tcmalloc
    assert environment_seen(tmp_path, "preload=${LD_PRELOAD:-}", env) == [
        "stage preload=",  # other processes (synthesizers, sox) start without it
        f"asr-train preload={expected}",
        f"asr-decode preload={expected}",
    ]


@pytest.mark.parametrize("given, expected", [(None, "ACTIVE"), ("PASSIVE", "PASSIVE")])
def test_training_and_decoding_spin_unless_the_environment_says_otherwise(
    tmp_path: Path, given: str | None, expected: str
):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env |= {"ASR_SKIP_SETUP": "1", "ASR_TCMALLOC": "0"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    assert environment_seen(tmp_path, "${OMP_WAIT_POLICY:-unset}", env) == [
        f"stage {given or 'unset'}",  # the synthesizers and the rest keep the environment's
        f"asr-train {expected}",
        f"asr-decode {expected}",
    ]


def run_train_budget(done_dir: Path, *args: str) -> subprocess.CompletedProcess:
    stages_sh = RECIPE_SH.with_name("stages.sh")
    script = f'done_dir={done_dir}; . {stages_sh}; train_budget "$@"'
    return subprocess.run(
        ["bash", "-c", script, "train_budget", *args], capture_output=True, text=True, check=True
    )


def test_training_budget_is_what_the_earlier_stages_left(tmp_path: Path):
    done = tmp_path / ".done"
    done.mkdir()
    for name, seconds in (("0.synthesize", 250), ("1.prepare", 61), ("2.tokenizer", 4)):
        (done / f"{name}.done").write_text(f"synthesize 8000\nseconds={seconds}\n")
    (done / "3.train.done").write_text("train\nseconds=1500\n")  # stage 3 and later: not spent
    # 30 min - 315 s - 3 min reserve = 1305 s
    assert run_train_budget(done, "3", "30", "3").stdout == "00:00:21:45\n"
    assert run_train_budget(done, "2", "30", "3").stdout == "00:00:21:49\n"  # stages 0-1 only
    assert run_train_budget(tmp_path / "none", "3", "90", "0").stdout == "00:01:30:00\n"


def test_a_machine_too_slow_for_the_budget_still_trains_a_third_of_it(tmp_path: Path):
    done = tmp_path / ".done"
    done.mkdir()
    (done / "0.synthesize.done").write_text("synthesize\nseconds=1700\n")
    proc = run_train_budget(done, "3", "30", "3")
    assert proc.stdout == "00:00:10:00\n"
    assert "will overrun its budget" in proc.stderr and "1700 s" in proc.stderr
