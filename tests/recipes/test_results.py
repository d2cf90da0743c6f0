"""asr.recipes.results: the method x error-rate table of a recipe run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asr.recipes.results import main, results_table


def _summary(exp: Path, name: str, wer: float, rtf: float | None, metric: str = "wer") -> None:
    d = exp / "decode" / name
    d.mkdir(parents=True)
    summary = {"metric": metric, "wer": wer, "sentences": 10, **({"rtf": rtf} if rtf else {})}
    (d / "summary.json").write_text(json.dumps(summary))


def test_table_rows_and_stage_times(tmp_path: Path):
    exp = tmp_path / "exp"
    _summary(exp, "test_ctc_greedy", 12.345, 0.0123)
    _summary(exp, "test-clean_joint_ctc_attention", 6.5, None)
    _summary(exp, "test-clean_joint_ctc_attention_lm", 5.25, 0.04)
    done = tmp_path / ".done"
    done.mkdir()
    (done / "-1.download.done").write_text("download x\nseconds=3\n")
    (done / "10.results.done").write_text("results\nseconds=1\n")
    (done / "3.train.done").write_text("train a b\nseconds=1200\n")
    table = results_table(exp, done).splitlines()
    assert "| test-clean | joint_ctc_attention | wer | 6.50 | - |" in table
    assert "| test-clean | joint_ctc_attention + n-gram LM | wer | 5.25 | 0.0400 |" in table
    assert "| test | ctc_greedy | wer | 12.35 | 0.0123 |" in table
    stages = [line for line in table if line.endswith(" |") and "seconds" not in line][-3:]
    assert stages == ["| -1.download | 3 |", "| 3.train | 1200 |", "| 10.results | 1 |"]


def test_missing_decode_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main([str(tmp_path)]) == 1
    assert "run the decode stage first" in capsys.readouterr().err


def test_writes_the_table_file(tmp_path: Path):
    _summary(tmp_path, "test_attention_beam", 4.0, 0.1, metric="cer")
    assert main([str(tmp_path), "--out", str(tmp_path / "results.md")]) == 0
    assert (
        "| test | attention_beam | cer | 4.00 | 0.1000 |" in (tmp_path / "results.md").read_text()
    )


def test_error_rate_per_group_beside_the_total(tmp_path: Path):
    exp = tmp_path / "exp"
    _summary(exp, "test_ctc_greedy", 25.0, 0.01)
    _summary(exp, "dev_ctc_greedy", 9.0, 0.01)
    d = exp / "decode" / "test_ctc_greedy"
    (d / "ref").write_text("a1 one two three four\na2 five six\nb1 seven eight\n")
    (d / "hyp").write_text("a1 one two three\na2 five six\nb1 seven nine\n")
    groups = tmp_path / "utt2family"
    groups.write_text("a1 espeak\na2 espeak\nb1 recorded\nz9 recorded\n")
    table = results_table(exp, groups={"test": groups}).splitlines()
    assert table[0] == "| set | method | metric | error % | espeak % | recorded % | RTF |"
    # espeak: 1 deletion in 6 words; recorded: 1 substitution in 2 words
    assert "| test | ctc_greedy | wer | 25.00 | 16.67 | 50.00 | 0.0100 |" in table
    assert "| dev | ctc_greedy | wer | 9.00 | - | - | 0.0100 |" in table  # no groups for dev
    groups.write_text("a1 espeak\n")
    assert main([str(exp), "--groups", f"test={groups}"]) == 1  # a2, b1 have no group


def test_streaming_decodes_are_rows_of_their_own(tmp_path: Path):
    exp = tmp_path / "exp"
    _summary(exp, "test_attention_rescoring", 10.0, 0.02)
    _summary(exp, "test_attention_rescoring_chunk16", 10.5, 0.02)
    _summary(exp, "test_attention_rescoring_chunk8", 11.0, 0.03)
    _summary(exp, "test_ctc_prefix_beam_chunk16_left2", 12.0, 0.01)
    _summary(exp, "test_joint_ctc_attention_lm_chunk8", 9.0, 0.05)
    table = results_table(exp).splitlines()
    assert "| test | attention_rescoring | wer | 10.00 | 0.0200 |" in table
    assert "| test | attention_rescoring, chunk 8 | wer | 11.00 | 0.0300 |" in table
    assert "| test | ctc_prefix_beam, chunk 16, 2 left | wer | 12.00 | 0.0100 |" in table
    assert "| test | joint_ctc_attention + n-gram LM, chunk 8 | wer | 9.00 | 0.0500 |" in table
    rescoring = [row.split(" | ")[1] for row in table if "| attention_rescoring" in row]
    assert rescoring == [
        "attention_rescoring",  # full context, then the chunks in increasing size
        "attention_rescoring, chunk 8",
        "attention_rescoring, chunk 16",
    ]
