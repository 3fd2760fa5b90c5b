"""RAG ratings (Red / Amber / Green) in progress tables, and the analyst's mapping to statuses.

Councils rate actions Red, Amber or Green, but what a colour means differs: Red may
be "not started", "off track" or "on hold"; Green "completed" or "on track". So a
colour is read as a colour (``links.rag``: ``red``, ``amber``, ``green`` or ``""``)
and becomes a status only through a mapping the analyst sets; no default meaning
is assumed.

Where a colour is read:

* a table cell whose words are the colour ("Amber", "RAG: Green", "Red rating");
* a table cell with no words whose fill colour is red, amber (or yellow) or green:
  the DOCX, HTML and PDFium readers write the colour's name into the empty cell
  (:func:`colour_name`), so the row reads "... | Amber" as a person would read it
  (in PDFs only in a column headed RAG, rating, status or progress of a table found
  by its text: designed pages shade boxes for looks);
* a line "RAG status: Amber" outside a table.

The mapping, per document in ``manifest.csv`` (column ``rag``) or for every
document in ``rag_mapping.csv`` in the input folder (columns ``colour,status``)::

    path,...,rag
    progress_report.html,...,red=not_started; amber=in_progress; green=completed

A passage whose words state a status keeps it (words win over colour); one that
states none takes its colour's mapped status. Without a mapping the colour is
recorded in ``rag`` and the status stays as the words give it.
"""

from __future__ import annotations

import colorsys
import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.status import STATUSES

if TYPE_CHECKING:  # extraction workers import this module and do not need pandas
    import pandas as pd

COLOURS = ("red", "amber", "green")
CONFIG_FILE = "rag_mapping.csv"
_SYNONYMS = {"red": "red", "amber": "amber", "yellow": "amber", "green": "green"}


class RagMappingError(ValueError):
    """A RAG mapping names an unknown colour or status."""


def colour_name(fill: str) -> str:
    """``red``, ``amber`` or ``green`` for a fill colour (``"FFC000"``, ``"#92d050"``,
    ``"rgb(255, 0, 0)"``, ``"red"``); ``""`` for any other colour (white, greys,
    blues, a header's shading).

    >>> colour_name("#FFC000"), colour_name("00B050"), colour_name("FF0000"), colour_name("D9D9D9")
    ('amber', 'green', 'red', '')
    """
    value = (fill or "").strip().lower()
    if value in _SYNONYMS:
        return _SYNONYMS[value]
    if m := re.fullmatch(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", value):
        r, g, b = (int(x) for x in m.groups())
    elif m := re.fullmatch(r"#?([0-9a-f]{6})", value):
        r, g, b = (int(m.group(1)[i : i + 2], 16) for i in (0, 2, 4))
    elif m := re.fullmatch(r"#([0-9a-f]{3})", value):
        r, g, b = (int(c * 2, 16) for c in m.group(1))
    else:
        return ""
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    if s < 0.15 or v < 0.35:  # white, greys, black, pale header shading
        return ""
    hue = h * 360
    if hue < 15 or hue >= 340:
        return "red"
    if hue < 65:
        return "amber"
    if 75 <= hue < 170:
        return "green"
    return ""


_CELL = re.compile(
    r"^\s*(?:rag(?:\s+(?:status|rating))?\s*[:–—-]?\s*)?(?P<c>red|amber|green)"
    r"(?:\s+(?:rating|status))?\s*\.?\s*$",
    re.I,
)
_LINE = re.compile(r"\brag(?:\s+(?:status|rating))?\s*[:–—-]\s*(?P<c>red|amber|green)\b", re.I)


def rag_of(text: str) -> str:
    """The RAG colour a passage states (see the module docstring), or ``""``.

    >>> rag_of("4 | Children's Services | Work delayed | Amber"), rag_of("Red sky")
    ('amber', '')
    """
    text = text or ""
    if "|" in text:
        for cell in text.split("|"):
            if m := _CELL.match(cell):
                return m.group("c").lower()
    if m := _LINE.search(text):
        return m.group("c").lower()
    return ""


def parse_mapping(text: str) -> dict[str, str]:
    """``"red=not_started; amber=in_progress"`` -> ``{"red": "not_started", ...}``.

    Raises :class:`RagMappingError` for an unknown colour or status.
    """
    out: dict[str, str] = {}
    for part in re.split(r"[;,]", text or ""):
        if not part.strip():
            continue
        colour, sep, status = part.partition("=")
        colour, status = colour.strip().lower(), status.strip().lower()
        if not sep or colour not in COLOURS:
            raise RagMappingError(
                f"RAG mapping {part.strip()!r}: write colour=status, colour one of {COLOURS}"
            )
        if status not in STATUSES:
            raise RagMappingError(
                f"RAG mapping {part.strip()!r}: {status!r} is not a status ({', '.join(STATUSES)})"
            )
        out[colour] = status
    return out


def format_mapping(mapping: dict[str, str]) -> str:
    """The canonical text of a mapping (colours in R, A, G order)."""
    return "; ".join(f"{c}={mapping[c]}" for c in COLOURS if c in mapping)


def load_config(input_dir: str | Path) -> dict[str, str]:
    """The folder-wide mapping of ``<input>/rag_mapping.csv`` (``colour,status``); ``{}``
    when the file is absent."""
    path = Path(input_dir) / CONFIG_FILE
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    try:
        text = "; ".join(f"{r.get('colour', '')}={r.get('status', '')}" for r in rows)
        return parse_mapping(text)
    except RagMappingError as exc:
        raise RagMappingError(f"{path}: {exc}") from exc


def apply_rag(links: pd.DataFrame, passages: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Add ``rag`` (the colour each linked passage states) to ``links``, and give a link
    whose words state no status its colour's status under its document's mapping
    (``documents.rag_mapping``); the cue then says so ("RAG amber, mapped to in_progress")."""
    out = links.copy()
    texts = dict(zip(passages["passage_id"], passages["text"], strict=True))
    out["rag"] = [rag_of(str(texts.get(pid, ""))) for pid in out["passage_id"]]
    maps: dict[str, dict[str, str]] = {}
    if "rag_mapping" in documents.columns:
        for doc_id, text in zip(documents["doc_id"], documents["rag_mapping"], strict=True):
            if isinstance(text, str) and text:
                maps[doc_id] = parse_mapping(text)
    if "status_cue" not in out.columns:
        out["status_cue"] = ""
    for i in range(len(out)):
        rag = out["rag"].iat[i]
        mapped = maps.get(out["doc_id"].iat[i], {}).get(rag, "") if rag else ""
        if mapped and not out["status"].iat[i]:
            out.iloc[i, out.columns.get_loc("status")] = mapped
            out.iloc[i, out.columns.get_loc("status_cue")] = f"RAG {rag}, mapped to {mapped}"
    return out
