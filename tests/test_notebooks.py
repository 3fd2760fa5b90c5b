"""The notebooks: paired with py:percent files, committed without outputs, and they run."""

from __future__ import annotations

from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01_explore_themes", "02_trace_recommendations"]


@pytest.mark.parametrize("name", NAMES)
def test_paired_and_without_outputs(name: str) -> None:
    ipynb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    py = jupytext.read(NOTEBOOKS / f"{name}.py")
    assert ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert [(c.cell_type, c.source) for c in ipynb.cells] == [
        (c.cell_type, c.source) for c in py.cells
    ], f"{name}.ipynb and {name}.py differ: run `jupytext --sync notebooks/{name}.ipynb`"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "commit without outputs"
            assert "def " not in cell.source, "keep logic in pipeline/, not in the notebook"


def _execute(name: str, output_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run a notebook against ``output_dir``; return the text of its outputs."""
    monkeypatch.setenv("SGPIPE_OUTPUT", str(output_dir))
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", out
            if out.output_type == "stream":
                texts.append(out.text)
            else:
                texts.extend(str(v) for k, v in out.get("data", {}).items() if k != "image/png")
    return texts


@pytest.mark.slow
def test_explore_themes_on_stage_outputs(stage_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = "\n".join(_execute("01_explore_themes", stage_dir, monkeypatch))
    assert "<svg" in out, "the heatmap is drawn"
    assert "Theme tags counted" in out
    assert "searched by police officers" in out, "the strongest police evidence is shown"
    assert "document types: ['minutes', 'other', 'report', 'review']" in out
    assert "Councillor Okafor" in out


@pytest.mark.slow
def test_trace_recommendations_on_stage_outputs(
    stage_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SGPIPE_REVIEW", "Child L")
    out = "\n".join(_execute("02_trace_recommendations", stage_dir, monkeypatch))
    assert "reviews with recommendations: ['Child L', 'Missing Education']" in out
    assert "<svg" in out, "the timeline is drawn"
    assert "Department for Education and the Home Office" in out, "recommendation 10 is silent"
    assert "in_progress" in out


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebooks_run_on_the_demo_run(
    name: str, demo_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = "\n".join(_execute(name, demo_run, monkeypatch))
    assert "Traceback" not in out
