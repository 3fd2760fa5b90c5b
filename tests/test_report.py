"""The report stage, its CLI command, and both briefing stages on the demo corpus."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.config import RunConfig
from pipeline.report import FILES, report_stage
from pipeline.run import STAGES


def test_stages_are_registered_last() -> None:
    assert list(STAGES)[-2:] == ["tables", "report"]


def test_report_stage_writes_every_file(stage_dir: Path) -> None:
    paths = report_stage(RunConfig(input_dir=stage_dir, output_dir=stage_dir))
    assert {p.name: p.parent.name for p in paths} == FILES
    first = {p.name: p.read_bytes() for p in paths}
    assert all(len(b) > 1000 for b in first.values())
    again = report_stage(RunConfig(input_dir=stage_dir, output_dir=stage_dir))
    assert {p.name: p.read_bytes() for p in again} == first, "the same outputs give the same bytes"


def test_cli_report(stage_dir: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--output", str(stage_dir)])
    assert result.exit_code == 0, result.output
    for name, folder in FILES.items():
        assert (stage_dir / folder / name).is_file()


def test_demo_run_fills_tables_and_report(demo_run: Path) -> None:
    tables = sorted(p.name for p in (demo_run / "tables").iterdir())
    assert {"theme_by_document.csv", "theme_by_date.csv", "actions.csv", "evidence.csv"} <= set(
        tables
    )
    for name, folder in FILES.items():
        assert (demo_run / folder / name).is_file()
    actions = pd.read_csv(demo_run / "tables" / "actions.csv", keep_default_na=False, dtype=str)
    got = {(r.owner, r.item, r.due, r.due_date) for r in actions.itertuples()}
    assert got == {
        ("Head of Education Safeguarding", "6.7", "April 2025", "2025-04"),
        ("Director of Children's Social Care", "11.6", "January 2023", "2023-01"),
    }


def test_quiet_cli_says_nothing(stage_dir: Path) -> None:
    for args in (["tables"], ["report"], ["export", "qdpx", str(stage_dir / "x.qdpx")]):
        result = CliRunner().invoke(main, ["-q", *args, "--output", str(stage_dir)])
        assert result.exit_code == 0, result.output
        assert result.output == "", args
    assert (stage_dir / "x.qdpx").exists()
