"""The sclite-style summary, the alignment file, and the asr-score command line."""

from __future__ import annotations

import json

from asr.bin.score import main as score_main
from asr.scoring import alignment_text, score, summary_text, write_report
from tests.cli_helpers import bad_input_error


def test_alignment_text_marks_errors():
    s = score({"u1": "the cat sat"}, {"u1": "a cat sat down"})
    text = alignment_text(s.utts[0])
    lines = text.splitlines()
    assert lines[0] == "id: u1"
    assert lines[1] == "Scores: (#C #S #D #I) 2 1 0 1"
    assert lines[2].split() == ["REF:", "THE", "cat", "sat", "***"]
    assert lines[3].split() == ["HYP:", "A", "cat", "sat", "DOWN"]
    assert lines[4].split() == ["Eval:", "S", "I"]
    assert lines[2].index("sat") == lines[3].index("sat")  # columns line up


def test_summary_text_has_sclite_columns():
    s = score({"a": "x y z w", "b": "p q"}, {"a": "x y z", "b": "p q"})
    text = summary_text(s, title="demo")
    header = next(line for line in text.splitlines() if "Snt" in line)
    assert [c.strip() for c in header.split("|")] == [
        "",
        *"Snt Wrd Corr Sub Del Ins Err S.Err".split(),
    ]
    avg = next(line for line in text.splitlines() if line.strip().startswith("Sum/Avg"))
    assert [c.strip() for c in avg.split("|")[1:]] == ["2", "6", "83.3", "0.0", "16.7", "0.0"] + [
        "16.7",
        "50.0",
    ]
    assert "%WER 16.67 [ 1 / 6, 0 ins, 1 del, 0 sub ]" in text


def test_write_report_files(tmp_path):
    s = score({"a": "x y"}, {"a": "x"})
    summary = write_report(s, tmp_path, title="set", rtf=0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "alignments.txt",
        "summary.json",
        "summary.txt",
    ]
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["rtf"] == 0.01 and summary["wer"] == 50.0
    assert "rtf: 0.01" in (tmp_path / "summary.txt").read_text()


def test_asr_score_cli(tmp_path, capsys):
    (tmp_path / "ref").write_text("u1 the cat sat\nu2 hello world\nu3 gone away\n")
    (tmp_path / "hyp").write_text("u1 the cat sit\nu2 hello world\nu9 stray\n")
    rc = score_main(
        [str(tmp_path / "ref"), str(tmp_path / "hyp"), "--json", str(tmp_path / "s.json")]
    )
    assert rc == 0
    d = json.loads((tmp_path / "s.json").read_text())
    assert d["wer"] == round(100 * 3 / 7, 4)
    assert (d["substitutions"], d["deletions"], d["insertions"]) == (1, 2, 0)
    assert (d["ref_words"], d["sentences"], d["sentence_errors"]) == (7, 3, 2)
    assert d["missing"] == ["u3"] and d["extra"] == ["u9"]
    out = capsys.readouterr().out
    assert "%WER 42.86" in out and "no hypothesis" in out and "u3" in out


def test_asr_score_cli_cer_and_missing_file(tmp_path, capsys):
    (tmp_path / "ref").write_text("c 今天天气很好\n")
    (tmp_path / "hyp").write_text("c 今天天汽很好\n")
    assert (
        score_main(
            [str(tmp_path / "ref"), str(tmp_path / "hyp"), "--cer", "--json", str(tmp_path / "j")]
        )
        == 0
    )
    d = json.loads((tmp_path / "j").read_text())
    assert d["metric"] == "cer" and d["ref_words"] == 6 and d["substitutions"] == 1
    err = bad_input_error(score_main, [str(tmp_path / "ref"), str(tmp_path / "nope")], capsys)
    assert err == f"asr-score: error: {tmp_path / 'nope'}: no such file"


def test_asr_score_reads_tab_separated_bom_crlf_files_and_names_bad_bytes(tmp_path, capsys):
    (tmp_path / "ref").write_bytes("\ufeffu1\tthe cat sat\r\nu2\tgood morning\r\n".encode())
    (tmp_path / "hyp").write_text("u1 the cat sad\nu2 good morning\n")
    argv = [str(tmp_path / "ref"), str(tmp_path / "hyp"), "--json", str(tmp_path / "j")]
    assert score_main(argv) == 0
    d = json.loads((tmp_path / "j").read_text())
    assert (d["sentences"], d["ref_words"], d["substitutions"], d["deletions"]) == (2, 5, 1, 0)
    (tmp_path / "hyp").write_bytes(b"u1 the cat sat\nu2 good morn\xefing\n")
    err = bad_input_error(score_main, argv, capsys)
    assert err.startswith(f"asr-score: error: {tmp_path / 'hyp'}:2: line is not valid UTF-8")
