"""Shared test fixtures: paths to the shared corpus and gold labels, and one pipeline
run over the shared corpus that every end-to-end test reuses."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
LABELS = SHARED / "labels"
DEMO = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared corpus of real documents; tests that need it skip where it is absent."""
    if not (CORPUS / "Keeping_children_safe_in_education_2025.pdf").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def labels_dir() -> Path:
    """The shared gold labels."""
    if not (LABELS / "themes_dev.csv").exists():
        pytest.skip(f"shared labels not found at {LABELS}")
    return LABELS


@pytest.fixture(scope="session")
def corpus_run(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the whole pipeline once over the shared corpus; return the output folder."""
    from pipeline.config import RunConfig
    from pipeline.run import run_all

    out = tmp_path_factory.mktemp("corpus_out")
    run_all(RunConfig(input_dir=corpus_dir, output_dir=out, jobs=2, progress=False))
    return out


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the whole pipeline once over the shipped demo corpus; return the output folder."""
    from pipeline.config import RunConfig
    from pipeline.run import run_all

    out = tmp_path_factory.mktemp("demo_out")
    run_all(RunConfig(input_dir=DEMO, output_dir=out, jobs=1, progress=False))
    return out


#: Figures that tests measure and report at the end of the run (name -> text).
FIGURES: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests recorded in :data:`FIGURES` (e.g. gold-quote coverage)."""
    if FIGURES:
        terminalreporter.section("measured figures")
        for name, text in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {text}")


@pytest.fixture()
def stage_dir(tmp_path: Path) -> Path:
    """An output folder holding small, realistic stage outputs (see ``stage_outputs.py``)."""
    from tests.stage_outputs import write_stage_outputs

    return write_stage_outputs(tmp_path / "out")


@pytest.fixture()
def without_linking_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if the linking stage (``pipeline.tracing.coverage``) were not installed."""
    import sys

    import tests.stage_outputs  # noqa: F401  (imports pipeline.tracing.coverage itself, before it goes)

    monkeypatch.setitem(sys.modules, "pipeline.tracing.coverage", None)


@pytest.fixture()
def linking_stage(without_linking_module: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``pipeline.tracing.coverage.coverage`` the test double of ``stage_outputs.py``."""
    import sys
    import types

    from tests.stage_outputs import coverage_double

    fake = types.ModuleType("pipeline.tracing.coverage")
    fake.coverage = coverage_double  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipeline.tracing.coverage", fake)
