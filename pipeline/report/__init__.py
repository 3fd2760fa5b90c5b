"""Briefing exports: Excel, Word, Markdown, a self-contained HTML report, REFI-QDA.

The ``report`` stage reads the stage outputs of a run (never the raw documents) and
computes the tables with :mod:`pipeline.tables`. As the output contract asks, the
tables' own briefings go beside the CSVs in ``<output>/tables/``:

* ``briefing.xlsx`` (:mod:`pipeline.report.xlsx`) and ``briefing.md``
  (:mod:`pipeline.report.markdown`);

and the reports to ``<output>/report/``:

* ``briefing.docx`` (:mod:`pipeline.report.docx`),
* ``report.html`` (:mod:`pipeline.report.html`, charts from :mod:`pipeline.report.charts`),
* ``themes.qdpx`` (:mod:`pipeline.report.qdpx`), the REFI-QDA project.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline import store
from pipeline.tables import TABLES_DIR, Tables, run_codebook, stage_tables

log = logging.getLogger(__name__)

REPORT_DIR = "report"
#: What the stage writes: file -> the folder (under the output folder) it goes in.
FILES = {
    "briefing.xlsx": TABLES_DIR,
    "briefing.md": TABLES_DIR,
    "briefing.docx": REPORT_DIR,
    "report.html": REPORT_DIR,
    "themes.qdpx": REPORT_DIR,
}


#: Which file each exporter writes, the slowest first (so that a pool finishes early).
_EXPORTS = ("briefing.xlsx", "report.html", "themes.qdpx", "briefing.docx", "briefing.md")
#: The tables the forked workers of :func:`write_report` export (inherited, not pickled).
_FORK_TABLES: Tables | None = None


def _export(name: str, tables: Tables) -> bytes | str:
    """The content of one briefing file."""
    if name == "briefing.xlsx":
        from pipeline.report.xlsx import build_xlsx

        return build_xlsx(tables)
    if name == "briefing.md":
        from pipeline.report.markdown import render_markdown

        return render_markdown(tables)
    if name == "briefing.docx":
        from pipeline.report.docx import build_docx

        return build_docx(tables)
    if name == "report.html":
        from pipeline.report.html import render_html

        return render_html(tables)
    from pipeline.report.qdpx import build_qdpx

    return build_qdpx(tables)


def _forked_export(name: str) -> bytes | str:
    assert _FORK_TABLES is not None
    return _export(name, _FORK_TABLES)


def _contents(tables: Tables, jobs: int) -> dict[str, bytes | str]:
    """Every export's content; with ``jobs`` > 1 (on Linux) built in forked processes,
    which inherit ``tables`` instead of receiving a copy. The content is the same
    either way: each exporter is a pure function of the tables."""
    import sys

    if jobs < 2 or not sys.platform.startswith("linux"):
        return {name: _export(name, tables) for name in _EXPORTS}
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    global _FORK_TABLES
    _FORK_TABLES = tables
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(_EXPORTS)), mp_context=mp.get_context("fork")
        ) as pool:
            futures = {name: pool.submit(_forked_export, name) for name in _EXPORTS}
            return {name: fut.result() for name, fut in futures.items()}
    finally:
        _FORK_TABLES = None


def write_report(tables: Tables, output_dir: str | Path, *, jobs: int = 1) -> list[Path]:
    """Write every briefing export for ``tables`` under ``output_dir``; return the paths.

    ``jobs`` > 1 builds the exports in that many processes at once.
    """
    root = Path(output_dir)
    contents = _contents(tables, jobs)
    paths = []
    for name in ("briefing.xlsx", "briefing.md", "briefing.docx", "report.html", "themes.qdpx"):
        content = contents[name]
        path = root / FILES[name] / name
        if isinstance(content, bytes):
            paths.append(store.write_bytes(content, path))
        else:
            paths.append(store.write_text(content, path))
    return paths


def report_stage(cfg: Any) -> list[Path]:
    """The ``report`` stage: read ``cfg.output_dir``; write the briefings (see above).

    The tables come from the ``tables`` stage when it has just run in this process
    on the same outputs (:func:`pipeline.tables.stage_tables`), else they are built.
    """
    out = Path(cfg.output_dir)
    tables = stage_tables(out, codebook=run_codebook(cfg))
    paths = write_report(tables, out, jobs=getattr(cfg, "n_jobs", 1))
    log.info("report: %s", ", ".join(p.name for p in paths))
    return paths
