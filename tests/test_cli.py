"""The sgpipe command line: help, runs, errors, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import EXIT_STRICT, main
from tests.conftest import DEMO


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "extract"):
        assert command in result.output


@pytest.mark.parametrize("command", ["run", "extract"])
def test_every_command_explains_itself(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--input" in result.output and "--output" in result.output


def small_input(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(DEMO / "hackney_minutes_child_q_2022.txt", src)
    (src / "empty.txt").write_bytes(b"")
    (src / "notes.xyz").write_text("an unsupported file")
    return src


def test_extract_writes_outputs_and_reports_failures(tmp_path: Path) -> None:
    src, out = small_input(tmp_path), tmp_path / "out"
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    result = CliRunner().invoke(
        main, ["extract", "--input", str(src), "--output", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    docs = pd.read_parquet(out / "documents.parquet")
    assert dict(zip(docs["path"], docs["status"], strict=True)) == {
        "empty.txt": "empty",
        "hackney_minutes_child_q_2022.txt": "ok",
        "notes.xyz": "unsupported",
    }
    assert "empty.txt" in result.stderr and "notes.xyz" in result.stderr
    assert len(pd.read_parquet(out / "passages.parquet")) > 30
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # input untouched


def test_strict_exits_non_zero_when_a_document_fails(tmp_path: Path) -> None:
    src, out = small_input(tmp_path), tmp_path / "out"
    result = CliRunner().invoke(
        main, ["extract", "--input", str(src), "--output", str(out), "--strict"]
    )
    assert result.exit_code == EXIT_STRICT


def test_missing_input_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["extract", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 1 and "input folder not found" in result.stderr


def test_bad_manifest_names_file_line_and_problem(tmp_path: Path) -> None:
    src = small_input(tmp_path)
    (src / "manifest.csv").write_text("path,doc_type\nhackney_minutes_child_q_2022.txt,memo\n")
    result = CliRunner().invoke(
        main, ["extract", "--input", str(src), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "manifest.csv, line 2: doc_type 'memo'" in result.stderr


@pytest.mark.parametrize("day", ["2022-13-45", "2023-02-29", "14/03/2022"])
def test_manifest_date_must_be_a_real_day(tmp_path: Path, day: str) -> None:
    src = small_input(tmp_path)
    (src / "manifest.csv").write_text(f"path,date\nhackney_minutes_child_q_2022.txt,{day}\n")
    result = CliRunner().invoke(
        main, ["extract", "--input", str(src), "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert f"manifest.csv, line 2: date '{day}' is not a yyyy-mm-dd calendar date" in result.stderr


def test_manifest_row_for_a_missing_file_is_reported(tmp_path: Path) -> None:
    src, out = small_input(tmp_path), tmp_path / "out"
    (src / "manifest.csv").write_text("path,date\nminutes_2022.txt,2022-03-14\n")
    result = CliRunner().invoke(main, ["extract", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0
    assert "manifest.csv: minutes_2022.txt: no such document" in result.stderr
    assert len(pd.read_parquet(out / "documents.parquet")) == 3


def test_second_run_uses_the_cache(tmp_path: Path) -> None:
    src, out = small_input(tmp_path), tmp_path / "out"
    runner = CliRunner()
    runner.invoke(main, ["extract", "--input", str(src), "--output", str(out)])
    first = (out / "passages.parquet").read_bytes()
    result = runner.invoke(main, ["extract", "--input", str(src), "--output", str(out)])
    assert "0 processed, 3 unchanged" in result.stderr
    assert (out / "passages.parquet").read_bytes() == first


@pytest.mark.parametrize("command", ["tag", "link", "report"])
def test_stage_commands_take_jobs(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--jobs" in result.output


def test_stages_run_alone_give_the_same_outputs_for_any_jobs(
    demo_run: Path, tmp_path: Path
) -> None:
    """`sgpipe tag`, `link` and `report` with --jobs 1 and 2 rebuild the outputs of
    `sgpipe run` byte for byte."""
    names = [
        "themes.parquet",
        "links.parquet",
        "tables/recommendation_coverage.csv",  # written by `sgpipe link` alone too
        "tables/briefing.xlsx",
        "report/report.html",
    ]
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        shutil.copytree(demo_run, out, ignore=shutil.ignore_patterns(".cache"))
        for name in names:
            (out / name).unlink()
        for args in (
            ["tag", "--output", str(out)],
            ["link", "--input", str(DEMO), "--output", str(out)],
            ["report", "--output", str(out)],
        ):
            result = CliRunner().invoke(main, [*args, "--jobs", jobs])
            assert result.exit_code == 0, result.output
        for name in names:
            assert (out / name).read_bytes() == (demo_run / name).read_bytes(), (jobs, name)


def test_quiet_stage_commands_write_nothing_to_stderr(tmp_path: Path) -> None:
    """With -q only errors reach stderr: no progress bar, no summary line."""
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(main, ["-q", "extract", "--input", str(DEMO), "--output", str(out)])
    assert done.exit_code == 0, done.output
    assert done.stderr == ""
    assert pd.read_parquet(out / "documents.parquet")["doc_id"].nunique() >= 4  # a bar would show
    io = ["--input", str(DEMO), "--output", str(out)]
    for args in (
        ["tag", "--output", str(out), "--no-model", "--jobs", "1"],
        ["recommendations", *io],
        ["link", *io, "--jobs", "1"],
    ):
        loud = runner.invoke(main, args)
        assert loud.exit_code == 0, loud.output
        assert "->" in loud.stderr  # the summary line, without -q
        quiet = runner.invoke(main, ["-q", *args])
        assert quiet.exit_code == 0, quiet.output
        assert quiet.stderr == "", args[0]
