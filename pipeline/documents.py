"""Document-level facts: stable ids, title, date and document type.

Rules (documented in the README):

* ``doc_id`` is the input-relative path, lower-cased, with every run of characters
  other than letters and digits turned into ``-``; it is stable across runs.
* ``title``: the manifest's title; else the file's own title metadata when it is a
  real title (not "Microsoft Word - ..." or a file name); else the largest-font
  heading on the first two pages (PDF); else the first heading that is not a
  generic label ("Agenda item", "Minutes:"); else the file name.
* ``date``: the manifest's date; else a date next to "published", "date of
  meeting", "meeting held on", "dated"; else the first full date in the opening
  text; else (month precision) the first "Month YYYY". ``date_source`` says which.
* ``doc_type``: the manifest's type; else the first rule that fires, in this order,
  on the title and the opening text: minutes, response, action plan, review,
  guidance, report; else ``other``.
"""

from __future__ import annotations

import csv
import os
import re
from datetime import date
from pathlib import Path, PurePosixPath

from pipeline.structure import Passage, is_generic_heading, title_case

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
)
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<year>(?:19|20)\d\d)\b",
    re.I,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,\s+(?P<year>(?:19|20)\d\d)\b", re.I
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")
_NUMERIC = re.compile(r"\b(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>(?:19|20)\d\d)\b")
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_DATE_CUE = re.compile(
    r"(published|date(?: and time)? of (?:the )?meeting|meeting (?:held )?on|held on|dated|"
    r"date:|issued|meeting date|report date|presented to parliament|laid before parliament|"
    r"by command of)",
    re.I,
)

#: Document type rules, tried in order: (type, title pattern, opening-text pattern).
DOC_TYPE_RULES: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "minutes",
        re.compile(r"\bminutes\b|\bagenda item\b", re.I),
        re.compile(
            r"^\s*minutes:?\s*$|\bminutes of (?:the )?(?:\w+ )?meeting\b|^\s*agenda item\b|"
            r"\bapologies for absence\b|^\s*present:",
            re.I | re.M,
        ),
    ),
    (
        "response",
        re.compile(r"\bresponse\b", re.I),
        re.compile(
            r"\b(?:government|council|partnership)(?:'s)? response to\b|"
            r"\bresponse to the\b.{0,80}\breport\b",
            re.I,
        ),
    ),
    (
        "action_plan",
        re.compile(r"\baction plan\b", re.I),
        re.compile(r"^\s*action plan\b", re.I | re.M),
    ),
    (
        "review",
        re.compile(
            r"\b(?:practice review|case review|serious case|safeguarding review|"
            r"LCSPR|CSPR|SCR|inquiry|thematic review|rapid review)\b",
            re.I,
        ),
        re.compile(
            r"\b(?:local child safeguarding practice review|serious case review|"
            r"child safeguarding practice review|safeguarding adults review|"
            r"report of the (?:independent )?inquiry)\b",
            re.I,
        ),
    ),
    (
        "guidance",
        re.compile(
            r"\bguidance\b|\bframework\b|\bkeeping children safe\b|\bworking together\b", re.I
        ),
        re.compile(r"\bstatutory guidance\b|\bthis guidance\b|\bnon-statutory guidance\b", re.I),
    ),
    (
        "report",
        re.compile(r"\breport\b|\bresearch\b|\bevaluation\b|\bprogress\b|\bupdate\b", re.I),
        re.compile(
            r"\breport of session\b|\bprogress report\b|\bannual report\b|"
            r"\bthis report\b",
            re.I,
        ),
    ),
]


def make_doc_id(relpath: str) -> str:
    """Stable document id from the input-relative path.

    >>> make_doc_id("Minutes/2022 Jan.txt")
    'minutes-2022-jan-txt'
    """
    slug = re.sub(r"[^0-9a-z]+", "-", PurePosixPath(relpath).as_posix().lower()).strip("-")
    return slug or "document"


def infer_doc_type(title: str, opening: str) -> str:
    """Apply :data:`DOC_TYPE_RULES` to the title first, then to the opening text.

    Minutes come first on either: an agenda item's title ("Child Q Safeguarding
    Report") says what was discussed, not what the document is.
    """
    minutes = DOC_TYPE_RULES[0]
    if minutes[1].search(title) or minutes[2].search(opening):
        return "minutes"
    for kind, title_rx, _ in DOC_TYPE_RULES:
        if title and title_rx.search(title):
            return kind
    for kind, _, text_rx in DOC_TYPE_RULES:
        if text_rx.search(opening):
            return kind
    return "other"


def _iso(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


#: A line that is only a date ("2 October 2024", "14th March 2024", "March 14, 2024")
#: or a month ("September 2024").
_ANY_MONTH = _MONTH.replace("(?P<month>", "(?:")
_DATE_LINE = re.compile(
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_ANY_MONTH}|{_ANY_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?)"
    rf"\s+(?:19|20)\d\d",
    re.I,
)
_MONTH_LINE = re.compile(rf"{_ANY_MONTH}\s+(?:19|20)\d\d", re.I)


def find_date(text: str) -> tuple[str, str]:
    """Return ``(iso_date, source)`` for the document's own date, or ``("", "")``.

    In order of preference: a date that is a line of its own among the first 12 (a
    cover's "2 October 2024" or "September 2024": ``text:cover``); a full date next to
    a cue ("published", "presented to
    Parliament", "meeting held on": ``text:cue``); a month and year next to a cue
    (``text:cue-month``, given as the 1st of the month); the first full date
    (``text:first``); the first month and year (``text:month``).
    """
    full: list[tuple[int, str]] = []
    for rx in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _ISO, _NUMERIC):
        for m in rx.finditer(text):
            month = m.group("month")
            mon = MONTHS.get(month.lower().rstrip(".")) if not month.isdigit() else int(month)
            if not mon:
                continue
            iso = _iso(int(m.group("year")), mon, int(m.group("day")))
            if iso:
                full.append((m.start(), iso))
    full.sort()
    months = [
        (m.start(), _iso(int(m.group("year")), MONTHS[m.group("month").lower().rstrip(".")], 1))
        for m in _MONTH_YEAR.finditer(text)
    ]

    def cued(pos: int) -> bool:
        before = text[max(0, pos - 120) : pos]
        return bool(_DATE_CUE.search(before.rsplit("\n", 1)[-1]))  # in the same passage

    def standalone(pos: int, line_rx: re.Pattern[str]) -> bool:
        """Whether the date at ``pos`` is a line of its own, within the first 12 lines."""
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        line = text[start : end if end >= 0 else len(text)].strip()
        return text.count("\n", 0, start) < 12 and bool(line_rx.fullmatch(line))

    # a date that is a line of its own near the top (a cover's "September 2024") is the
    # document's; a cued date further on may be another's ("the review published on ...")
    for found, line_rx in ((full, _DATE_LINE), (months, _MONTH_LINE)):
        for pos, iso in found:
            if iso and standalone(pos, line_rx):
                return iso, "text:cover"
    for found, source in ((full, "text:cue"), (months, "text:cue-month")):
        for pos, iso in found:
            if iso and cued(pos):
                return iso, source
    if full:
        return full[0][1], "text:first"
    if months:
        return months[0][1], "text:month"
    return "", ""


_JUNK_TITLE = re.compile(
    r"^(microsoft word|untitled|document\d*|title|slide \d+)|\.(docx?|pdf|rtf|txt|html?)$", re.I
)


def clean_meta_title(title: str, opening: str = "") -> str:
    """A file's title metadata when it is a real title; ``""`` for junk.

    Template names ("Committee Report 4.3") are common in PDF metadata, so when the
    ``opening`` text is given the title is kept only if it is printed there too.
    """
    title = re.sub(r"^microsoft word\s*-\s*", "", (title or "").strip(), flags=re.I)
    title = re.sub(r"\.(docx?|pdf|rtf)$", "", title, flags=re.I).strip()
    if len(title) < 4 or _JUNK_TITLE.search(title) or re.fullmatch(r"[\w\-]+", title):
        return ""
    if opening and _squash(title) not in _squash(opening):
        return ""
    return title


def _body_size(passages: list[Passage]) -> float:
    """The font size that carries the most text in the document."""
    weight: dict[float, int] = {}
    for p in passages:
        if p.size:
            weight[p.size] = weight.get(p.size, 0) + len(p.text)
    return max(weight, key=weight.__getitem__) if weight else 0.0


def _wordy(text: str) -> bool:
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= 2


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def find_title(passages: list[Passage], fallback: str) -> str:
    """Pick a title: the largest-font text on the first pages, else the first real heading."""
    early = [p for p in passages if p.page <= 2 and p.kind in ("heading", "paragraph")][:40]
    # a title has words: "CP 1478" or "2025" on a cover is a reference, not a title
    sized = [(p.size, p) for p in early if len(p.text) <= 300 and _wordy(p.text)]
    if sized and max(s for s, _ in sized) > 0:
        biggest = max(s for s, _ in sized)
        if biggest >= _body_size(passages) + 2:
            parts = [p.text for s, p in sized if s == biggest and not is_generic_heading(p.text)]
            if parts:
                return " ".join(parts[:3])[:300]
    headings = [
        p.text
        for p in passages[:40]
        if p.kind == "heading" and not is_generic_heading(p.text) and _wordy(p.text)
    ]
    # a letterhead ("Brackenford Safeguarding Children Partnership") above the title
    titled = [h for h in headings if not _is_letterhead(h) and not _META_LINE.match(h)]
    if titled or headings:
        return (titled or headings)[0][:300]
    return fallback


def _is_letterhead(text: str) -> bool:
    """A body's name in title case ("Brackenford Safeguarding Children Partnership")."""
    return bool(_LETTERHEAD.search(text.strip())) and title_case(text)


#: A memo's header line ("Date: 10 March 2025", "To: ..."), not a title.
_META_LINE = re.compile(
    r"^\s*(?:date|to|from|cc|subject|author|status|version|ref(?:erence)?|classification)\s*:",
    re.I,
)

#: A heading that ends in the kind of body that prints its name at the top of a page.
_LETTERHEAD = re.compile(
    r"\b(?:partnership|council|board|trust|services?|police|constabulary|authority|"
    r"department|foundation|agency|office|nhs)$",
    re.I,
)


class ManifestError(ValueError):
    """The manifest file is malformed; the message names the file, row and problem."""


MANIFEST_COLUMNS = ("path", "doc_type", "title", "date", "review", "rag")
DOC_TYPES = ("review", "minutes", "response", "action_plan", "report", "guidance", "other")


def _is_calendar_date(text: str) -> bool:
    """``yyyy-mm-dd`` naming a day that exists (``2022-13-45`` and ``2023-02-29`` do not)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_manifest(input_dir: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Read the optional ``manifest.csv`` of an input folder: path -> overrides.

    Columns: ``path`` (relative to the input folder; required), and any of
    ``doc_type``, ``title``, ``date`` (yyyy-mm-dd), ``review`` and ``rag`` (what the
    document's RAG colours mean, "red=not_started; amber=in_progress; green=completed",
    see :mod:`pipeline.rag`). Empty cells
    leave the inferred value in place. Raises :class:`ManifestError` naming the file,
    the row and the problem.
    """
    path = Path(input_dir) / "manifest.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in reader.fieldnames or []]
        if "path" not in cols:
            raise ManifestError(f"{path}: the header must have a 'path' column (found {cols})")
        unknown = [c for c in cols if c not in MANIFEST_COLUMNS]
        if unknown:
            raise ManifestError(
                f"{path}: unknown column(s) {unknown}; allowed: {', '.join(MANIFEST_COLUMNS)}"
            )
        out: dict[str, dict[str, str]] = {}
        for n, raw in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            rel = row.get("path", "").replace("\\", "/")
            if not rel:
                raise ManifestError(f"{path}, line {n}: empty 'path'")
            if row.get("doc_type") and row["doc_type"] not in DOC_TYPES:
                raise ManifestError(
                    f"{path}, line {n}: doc_type {row['doc_type']!r} is not one of "
                    f"{', '.join(DOC_TYPES)}"
                )
            if row.get("date") and not _is_calendar_date(row["date"]):
                raise ManifestError(
                    f"{path}, line {n}: date {row['date']!r} is not a yyyy-mm-dd calendar date"
                )
            if row.get("rag"):
                from pipeline.rag import RagMappingError, format_mapping, parse_mapping

                try:
                    row["rag"] = format_mapping(parse_mapping(row["rag"]))
                except RagMappingError as exc:
                    raise ManifestError(f"{path}, line {n}: {exc}") from exc
            out[rel] = row
    return out
