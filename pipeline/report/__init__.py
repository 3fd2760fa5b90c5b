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
from pipeline.tables import TABLES_DIR, Tables, build_tables, run_codebook

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


def write_report(tables: Tables, output_dir: str | Path) -> list[Path]:
    """Write every briefing export for ``tables`` under ``output_dir``; return the paths."""
    from pipeline.report.docx import build_docx
    from pipeline.report.html import render_html
    from pipeline.report.markdown import render_markdown
    from pipeline.report.qdpx import build_qdpx
    from pipeline.report.xlsx import build_xlsx

    root = Path(output_dir)

    def at(name: str) -> Path:
        return root / FILES[name] / name

    return [
        store.write_bytes(build_xlsx(tables), at("briefing.xlsx")),
        store.write_text(render_markdown(tables), at("briefing.md")),
        store.write_bytes(build_docx(tables), at("briefing.docx")),
        store.write_text(render_html(tables), at("report.html")),
        store.write_bytes(build_qdpx(tables), at("themes.qdpx")),
    ]


def report_stage(cfg: Any) -> list[Path]:
    """The ``report`` stage: read ``cfg.output_dir``; write the briefings (see above)."""
    out = Path(cfg.output_dir)
    tables = build_tables(out, codebook=run_codebook(cfg))
    paths = write_report(tables, out)
    log.info("report: %s", ", ".join(p.name for p in paths))
    return paths
