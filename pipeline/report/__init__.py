"""Briefing exports: Excel, Word, Markdown, a self-contained HTML report, REFI-QDA.

The ``report`` stage reads the stage outputs of a run (never the raw documents),
computes the tables with :mod:`pipeline.tables` and writes to ``<output>/report/``:

* ``briefing.xlsx`` (:mod:`pipeline.report.xlsx`), ``briefing.docx``
  (:mod:`pipeline.report.docx`), ``briefing.md`` (:mod:`pipeline.report.markdown`),
* ``report.html`` (:mod:`pipeline.report.html`, charts from :mod:`pipeline.report.charts`),
* ``themes.qdpx`` (:mod:`pipeline.report.qdpx`), the REFI-QDA project.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline import store
from pipeline.tables import Tables, build_tables, run_codebook

log = logging.getLogger(__name__)

REPORT_DIR = "report"
FILES = ("briefing.xlsx", "briefing.docx", "briefing.md", "report.html", "themes.qdpx")


def write_report(tables: Tables, out_dir: str | Path) -> list[Path]:
    """Write every briefing export for ``tables`` into ``out_dir``; return the paths."""
    from pipeline.report.docx import build_docx
    from pipeline.report.html import render_html
    from pipeline.report.markdown import render_markdown
    from pipeline.report.qdpx import build_qdpx
    from pipeline.report.xlsx import build_xlsx

    out_dir = Path(out_dir)
    return [
        store.write_bytes(build_xlsx(tables), out_dir / "briefing.xlsx"),
        store.write_bytes(build_docx(tables), out_dir / "briefing.docx"),
        store.write_text(render_markdown(tables), out_dir / "briefing.md"),
        store.write_text(render_html(tables), out_dir / "report.html"),
        store.write_bytes(build_qdpx(tables), out_dir / "themes.qdpx"),
    ]


def report_stage(cfg: Any) -> list[Path]:
    """The ``report`` stage: read ``cfg.output_dir``, write ``<output>/report/``."""
    out = Path(cfg.output_dir)
    tables = build_tables(out, codebook=run_codebook(cfg))
    paths = write_report(tables, out / REPORT_DIR)
    log.info("report: %s", ", ".join(p.name for p in paths))
    return paths
