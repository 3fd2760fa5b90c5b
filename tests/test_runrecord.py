"""pipeline/runrecord.py: an unchanged re-run is known from file identities alone; any
change to the inputs, the options or the outputs sends the run through the stages."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.config import ExtractOptions, RunConfig, ThemeOptions
from pipeline.runrecord import RECORD, RunSummary, unchanged_run, write_record

TEXT = (
    "Fictional test document\n\n"
    "1. The school should share information with the police and children's social care.\n"
)


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory: pytest.TempPathFactory) -> RunConfig:
    """A complete run over one small fictional document (rules only)."""
    from pipeline.run import run_all

    root = tmp_path_factory.mktemp("record")
    (root / "raw").mkdir()
    (root / "raw" / "review.txt").write_text(TEXT, encoding="utf-8")
    cfg = RunConfig(
        input_dir=root / "raw",
        output_dir=root / "out",
        jobs=1,
        progress=False,
        themes=ThemeOptions(model=None, reviews=None),
    )
    run_all(cfg)
    return cfg


def _copy(cfg: RunConfig, tmp_path: Path) -> RunConfig:
    """The complete run's folders copied with their file times (inodes change, so the
    copy is recorded afresh)."""
    import shutil

    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(cfg.input_dir, raw)
    shutil.copytree(cfg.output_dir, out)
    new = replace(cfg, input_dir=raw, output_dir=out)
    summary = unchanged_run(cfg)
    assert summary is not None
    from pipeline.runrecord import fingerprint

    write_record(out, fingerprint(new), summary)
    return new


def test_a_complete_run_is_recorded_and_an_unchanged_one_is_known(complete_run: RunConfig) -> None:
    summary = unchanged_run(complete_run)
    assert summary == RunSummary(
        documents=1, extracted=1, cached=0, duplicates=0, passages=summary.passages
    )
    assert summary.passages >= 2


@pytest.mark.parametrize(
    "change",
    ["edit input", "add input", "remove input", "edit output", "remove output", "add output"],
)
def test_a_changed_file_sends_the_run_through(
    complete_run: RunConfig, tmp_path: Path, change: str
) -> None:
    cfg = _copy(complete_run, tmp_path)
    assert unchanged_run(cfg) is not None
    raw, out = Path(cfg.input_dir), Path(cfg.output_dir)
    if change == "edit input":
        (raw / "review.txt").write_text(TEXT + "2. A second recommendation.\n", encoding="utf-8")
    elif change == "add input":
        (raw / "minutes.txt").write_text("Fictional minutes\n", encoding="utf-8")
    elif change == "remove input":
        (raw / "review.txt").unlink()
    elif change == "edit output":
        briefing = out / "tables" / "briefing.md"
        briefing.write_text(briefing.read_text(encoding="utf-8") + "\nnote\n", encoding="utf-8")
    elif change == "remove output":
        (out / "themes.parquet").unlink()
    else:
        (out / "tables" / "extra.csv").write_text("a\n", encoding="utf-8")
    assert unchanged_run(cfg) is None


@pytest.mark.parametrize(
    "option",
    [
        {"options": ExtractOptions(pdf_backend="pdfplumber")},
        {"since": "2020-01-01"},
        {"silent_months": 3},
    ],
)
def test_a_changed_option_sends_the_run_through(
    complete_run: RunConfig, tmp_path: Path, option: dict
) -> None:
    cfg = _copy(complete_run, tmp_path)
    assert unchanged_run(replace(cfg, **option)) is None
    assert unchanged_run(cfg) is not None  # the jobs and progress settings do not matter
    assert unchanged_run(replace(cfg, jobs=2, progress=True)) is not None


def test_a_theme_option_file_counts_by_its_identity(
    complete_run: RunConfig, tmp_path: Path
) -> None:
    cfg = _copy(complete_run, tmp_path)
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("passage_id,theme,decision\n", encoding="utf-8")
    with_reviews = replace(cfg, themes=replace(cfg.themes, reviews=reviews))
    assert unchanged_run(with_reviews) is None


def test_a_broken_or_missing_record_means_run(complete_run: RunConfig, tmp_path: Path) -> None:
    cfg = _copy(complete_run, tmp_path)
    record = Path(cfg.output_dir) / RECORD
    record.write_text("{not json", encoding="utf-8")
    assert unchanged_run(cfg) is None
    record.unlink()
    assert unchanged_run(cfg) is None


def test_a_run_that_starts_forgets_the_record(
    complete_run: RunConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import run

    cfg = _copy(complete_run, tmp_path)

    def interrupted(cfg: RunConfig) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "run_extract", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run.run_all(cfg)
    assert not (Path(cfg.output_dir) / RECORD).exists()
    assert unchanged_run(cfg) is None


def test_cli_rerun_with_nothing_changed_loads_no_pandas(complete_run: RunConfig) -> None:
    """`sgpipe run` a second time answers from the record, before pandas or a stage loads."""
    code = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    print('pandas' in sys.modules, 'pipeline.run' in sys.modules)\n"
    )
    args = ["run", "--input", str(complete_run.input_dir), "--output"]
    args += [str(complete_run.output_dir), "--no-model", "--reviews", "none.csv"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False False"
    assert "1 documents (0 processed, 1 unchanged, 0 could not be read)" in done.stderr
