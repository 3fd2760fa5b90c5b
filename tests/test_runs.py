"""Whole runs: deterministic outputs, any --jobs, interrupted runs, incremental re-runs."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import RunConfig
from pipeline.lock import LOCK_NAME
from pipeline.run import run_all
from tests.conftest import DEMO
from tests.test_bad_inputs import text_pdf

ROOT = Path(__file__).resolve().parents[1]


def data_files(folder: Path) -> dict[str, bytes]:
    """Every Parquet and CSV output under ``folder`` (the cache excluded), by relative path.

    The comparison with the previous run (``changes.parquet``, ``tables/changes.csv``) is
    left out: it names the run compared with, so it differs between a first and a later
    run over the same documents (tests/test_changes.py checks it).
    """
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.suffix in (".parquet", ".csv") and ".cache" not in p.parts and p.stem != "changes"
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus plus a few generated reports, so that a run takes a few seconds."""
    src = tmp_path_factory.mktemp("runs_in")
    for f in DEMO.iterdir():
        shutil.copy(f, src / f.name)
    for i in range(4):
        (src / f"generated_report_{i}.pdf").write_bytes(text_pdf(25 + i))
    return src


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("reference")
    run_all(RunConfig(input_dir=corpus, output_dir=out, jobs=1, progress=False))
    files = data_files(out)
    assert "documents.parquet" in files and "passages.parquet" in files
    return files


def test_two_runs_are_byte_identical(
    corpus: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    run_all(RunConfig(input_dir=corpus, output_dir=tmp_path, jobs=1, progress=False))
    assert data_files(tmp_path) == reference


def test_output_is_identical_for_any_jobs(
    corpus: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    run_all(RunConfig(input_dir=corpus, output_dir=tmp_path, jobs=2, progress=False))
    assert data_files(tmp_path) == reference


#: Runs the CLI, killing its own process (SIGKILL, as a power cut or ``kill -9`` would) right
#: after the second document's extraction is cached: a fixed point in the run, not a race
#: against the clock, wherever the machine is fast or busy.
_KILLED_AFTER_TWO_DOCUMENTS = """
import os, signal, sys
import pipeline.run as run
written = []
real_write = run._write_cache
def write_then_die(*args, **kwargs):
    real_write(*args, **kwargs)
    written.append(args[1])
    if len(written) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
run._write_cache = write_then_die
from pipeline.cli import main
main(sys.argv[1:])
"""


def test_interrupted_run_is_completed_by_the_next(
    corpus: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    args = ["-q", "run", "--input", str(corpus), "--output", str(tmp_path), "--jobs", "1"]
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AFTER_TWO_DOCUMENTS, *args], cwd=ROOT, check=False
    )
    assert killed.returncode == -signal.SIGKILL
    assert len(list((tmp_path / ".cache" / "extract").glob("*.json"))) == 2
    assert not (tmp_path / "passages.parquet").exists()
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, check=False)
    assert done.returncode == 0
    assert data_files(tmp_path) == reference
    assert not list(tmp_path.rglob(".*.tmp"))


def test_adding_a_document_reprocesses_only_that_document(corpus: Path, tmp_path: Path) -> None:
    src = tmp_path / "in"
    shutil.copytree(corpus, src)
    out = tmp_path / "out"
    first = run_all(RunConfig(input_dir=src, output_dir=out, jobs=1, progress=False))
    tagged = {p.stem: (p.stat().st_mtime_ns, p.read_bytes()) for p in theme_cache(out)}
    assert set(tagged) == set(first.passages["doc_id"])
    (src / "new_minutes.txt").write_text(
        "Minutes:\n\n3.1 The Chair welcomed the update on police in schools.\n"
    )
    second = run_all(RunConfig(input_dir=src, output_dir=out, jobs=2, progress=False))
    assert (second.extracted, second.cached) == (1, first.extracted)
    assert "new-minutes-txt" in set(second.passages["doc_id"])
    # themes: the new document is tagged, every other one is taken from the cache untouched
    after = {p.stem: (p.stat().st_mtime_ns, p.read_bytes()) for p in theme_cache(out)}
    assert set(after) == set(tagged) | {"new-minutes-txt"}
    assert {d: after[d] for d in tagged} == tagged
    themes = pd.read_parquet(out / "themes.parquet")
    assert "police" in set(themes.loc[themes["doc_id"] == "new-minutes-txt", "theme"])
    # and the outputs are those of a fresh run over the same documents
    fresh = tmp_path / "fresh"
    run_all(RunConfig(input_dir=src, output_dir=fresh, jobs=1, progress=False))
    assert data_files(out) == data_files(fresh)


def theme_cache(out: Path) -> list[Path]:
    """The theme stage's per-document cache files."""
    return sorted((out / ".cache" / "themes").glob("*.json"))


def test_unchanged_stages_are_skipped_and_lost_outputs_rebuilt(
    corpus: Path, reference: dict[str, bytes], tmp_path: Path
) -> None:
    cfg = RunConfig(input_dir=corpus, output_dir=tmp_path, jobs=1, progress=False)
    run_all(cfg)
    run_all(cfg)  # the second run compares itself with the first: new changes, briefings
    stamps = output_stamps(tmp_path)
    records = {f.name: f.read_bytes() for f in (tmp_path / ".cache" / "stages").iterdir()}
    run_all(cfg)  # nothing changed: no stage writes anything, none runs
    assert output_stamps(tmp_path) == stamps
    # every stage, the comparison with the last run included, was skipped by its key
    assert {f.name: f.read_bytes() for f in (tmp_path / ".cache" / "stages").iterdir()} == (records)
    assert "changes.json" in records
    # a deleted output is rebuilt by its stage; stages whose inputs did not change stay
    (tmp_path / "tables" / "evidence.csv").unlink()
    (tmp_path / "links.parquet").unlink()
    run_all(cfg)
    again = output_stamps(tmp_path)
    for kept in ("themes.parquet", "recommendations.parquet", "report/report.html"):
        assert again[kept] == stamps[kept]
    assert again["links.parquet"] != stamps["links.parquet"]
    assert data_files(tmp_path) == reference


def output_stamps(folder: Path) -> dict[str, int]:
    """Modification time of every output of the stages after extraction (the cache aside;
    extraction writes its two tables again, with the same bytes), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file()
        and ".cache" not in p.parts
        and p.name not in ("documents.parquet", "passages.parquet", LOCK_NAME)  # lock: the pid
    }
