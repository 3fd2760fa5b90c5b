"""Theme, action and evidence tables: the numbers analysts paste into briefings.

Pure functions turn the stage outputs (documents, passages, themes,
recommendations, links) into the tables below; :func:`tables_stage` writes them
to ``<output>/tables/*.csv``. How the counts are made (also written to
``tables/README.md`` and the ``read_me`` sheet of ``briefing.xlsx``):

* the unit counted is a **passage** (a numbered paragraph, bullet, heading,
  table row, ...): a passage that raises a theme three times counts once;
* a tag marked ``negated`` (the passage says the theme is absent) is listed in
  ``evidence.csv`` with ``counted = False`` and is left out of every count;
* a document's share is its passages tagged with the theme divided by all its
  passages (every kind), so long and short documents can be compared;
* only documents read successfully (``status == "ok"``) are counted.

Every table is sorted and carries no timestamps, so two runs over the same
outputs write the same bytes.

The package's public API is what this module exports; the briefings
(:mod:`pipeline.report`), the changes stage and the notebooks import from here only:
:mod:`~pipeline.tables.themes` (theme tables), :mod:`~pipeline.tables.actions`
(owners and due dates), :mod:`~pipeline.tables.evidence` (quotes and provenance),
:mod:`~pipeline.tables.build` (all tables at once, notes, the stage).
"""

from pipeline.tables.build import (
    COUNTING_NOTES,
    TABLE_NOTES,
    Tables,
    build_tables,
    run_codebook,
    stage_tables,
    tables_stage,
)
from pipeline.tables.common import TABLES_DIR
from pipeline.tables.evidence import locate_evidence, provenance_line, top_quotes, trim_quote
from pipeline.tables.themes import ThemeInfo

__all__ = [
    "COUNTING_NOTES",
    "TABLES_DIR",
    "TABLE_NOTES",
    "Tables",
    "ThemeInfo",
    "build_tables",
    "locate_evidence",
    "provenance_line",
    "run_codebook",
    "stage_tables",
    "tables_stage",
    "top_quotes",
    "trim_quote",
]
