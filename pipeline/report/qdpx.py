"""REFI-QDA project export (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA and QualCoder.

A ``.qdpx`` file is a ZIP holding ``project.qde`` (XML in the namespace
``urn:QDA-XML:project:1.0``, the REFI-QDA Project Exchange 1.0 schema) and one
plain-text file per document under ``Sources/``. The project holds:

* the codebook as ``Code`` elements (the themes; and, when there are links, a
  non-codable "Recommendations" code with one codable code per recommendation,
  grouped by review);
* each readable document as a ``TextSource`` whose text is its passages in
  reading order, separated by a blank line (``plainTextPath`` =
  ``internal://<guid>.txt``), with its document type and date as variables;
* each theme tag as a ``PlainTextSelection`` over the evidence words (the
  tagger's ``evidence_spans`` where present, else the evidence found in the
  passage, else the whole passage) with one ``Coding`` of the theme's code, and
  each recommendation link as a selection over the whole passage.

Positions are zero-based character offsets into the source text, end exclusive
(Python string indices; the text is UTF-8 without BOM, lines end in ``\\n``).
Every GUID is a UUID5 of what it names, and no current time is written, so the
same outputs give the same file. The machine coding is attributed to one user,
"safeguarding-pipeline", so it can be told apart from an analyst's own coding.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import store
from pipeline.counting import counted_tags
from pipeline.frames import itertuples
from pipeline.recnumbers import number_key
from pipeline.report.common import package_version, run_datetime, write_zip
from pipeline.tables import Tables, locate_evidence

NS = "urn:QDA-XML:project:1.0"
#: UUID5 namespace of every GUID in the export.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "safeguarding-pipeline/refi-qda")
#: Between two passages in a source text.
SEPARATOR = "\n\n"
PALETTE = [
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
    "#AEC7E8",
    "#FFBB78",
    "#98DF8A",
    "#FF9896",
    "#C5B0D5",
    "#C49C94",
    "#F7B6D2",
    "#DBDB8D",
    "#9EDAE5",
    "#393B79",
]
_XML_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037\ufffe\uffff]")


_GUID_PREFIX = GUID_NAMESPACE.bytes


def guid(*parts: str) -> str:
    """A deterministic GUID for the thing named by ``parts``: ``uuid.uuid5`` of
    :data:`GUID_NAMESPACE` and the parts joined by ``\\x1f``, computed with ``hashlib``
    directly (an export makes tens of thousands; the ``UUID`` object costs more than
    the hash)."""
    digest = bytearray(
        hashlib.sha1(_GUID_PREFIX + "\x1f".join(parts).encode("utf-8")).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _x(text: object) -> str:
    return _XML_ILLEGAL.sub("", "" if text is None else str(text))


class _Node:
    """An XML element of the project: tag, attributes in order, and text or children
    (a child may be already written out, as a string, see :func:`_selection_xml`)."""

    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""
        self.children: list[_Node | str] = []


def _sub(parent: _Node, tag: str, **attrs: str) -> _Node:
    node = _Node(tag, {k: _x(v) for k, v in attrs.items()})
    parent.children.append(node)
    return node


def _description(parent: _Node, text: str) -> None:
    if text:
        _sub(parent, "Description").text = _x(text)


#: What ElementTree escapes in text, and in an attribute value, in its order.
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTRIBUTE_ESCAPES = (
    *_TEXT_ESCAPES,
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _escape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for char, entity in table:
        if char in text:
            text = text.replace(char, entity)
    return text


def _escape_text(text: str) -> str:
    return _escape(text, _TEXT_ESCAPES)


def _escape_attribute(text: str) -> str:
    return _escape(text, _ATTRIBUTE_ESCAPES)


def _serialise(node: _Node, level: int, out: list[str]) -> None:
    """Append ``node`` to ``out`` indented two spaces per level, as ElementTree's
    ``indent`` and ``tostring`` write it (an empty element as ``<Tag ... />``)."""
    out.append("<" + node.tag)
    for key, value in node.attrs.items():
        out.append(f' {key}="{_escape_attribute(value)}"')
    if node.children:
        out.append(">")
        inner = "\n" + "  " * (level + 1)
        for child in node.children:
            out.append(inner)
            if isinstance(child, str):
                out.append(child)
            else:
                _serialise(child, level + 1, out)
        out.append("\n" + "  " * level + f"</{node.tag}>")
    elif node.text:
        out.append(f">{_escape_text(node.text)}</{node.tag}>")
    else:
        out.append(" />")


def _selection_xml(sel: Selection, user: str, level: int) -> str:
    """One ``PlainTextSelection`` with its description and coding, written out as
    :func:`_serialise` writes it at ``level`` (there are tens of thousands: a node per
    element cost as much as the rest of the export)."""
    inner = "\n" + "  " * (level + 1)
    parts = [
        f'<PlainTextSelection guid="{guid("selection", sel.key)}" '
        f'name="{_escape_attribute(_x(sel.name))}" startPosition="{sel.start}" '
        f'endPosition="{sel.end}" creatingUser="{user}">'
    ]
    if sel.description:
        text = _x(sel.description)
        parts.append(
            f"{inner}<Description>{_escape_text(text)}</Description>"
            if text
            else f"{inner}<Description />"
        )
    parts.append(
        f'{inner}<Coding guid="{guid("coding", sel.key)}" creatingUser="{user}">'
        f'{inner}  <CodeRef targetGUID="{sel.code}" />'
        f"{inner}</Coding>"
        f"\n{'  ' * level}</PlainTextSelection>"
    )
    return "".join(parts)


def project_xml(root: _Node) -> bytes:
    """The project document: an XML declaration and ``root`` in the REFI-QDA namespace,
    UTF-8 (a character UTF-8 cannot hold, a lone surrogate, as a character reference)."""
    top = _Node(root.tag, {"xmlns": NS, **root.attrs})
    top.text, top.children = root.text, root.children
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"]
    _serialise(top, 0, out)
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


@dataclass(frozen=True)
class SourceText:
    """A document as one plain text, and where each passage starts in it."""

    doc_id: str
    text: str
    offsets: dict[str, int]


def source_text(doc_id: str, passages: pd.DataFrame) -> SourceText:
    """Join a document's passages (in reading order) into one text, keeping offsets."""
    parts, offsets, pos = [], {}, 0
    for p in itertuples(passages.sort_values("seq"), index=False):
        if parts:
            parts.append(SEPARATOR)
            pos += len(SEPARATOR)
        offsets[p.passage_id] = pos
        parts.append(p.text)
        pos += len(p.text)
    return SourceText(doc_id, "".join(parts), offsets)


@dataclass(frozen=True)
class Selection:
    """One coded stretch of a source text."""

    doc_id: str
    start: int
    end: int
    code: str  # code GUID
    name: str
    description: str
    key: str  # what the selection codes, for its GUID


def theme_selections(
    tables: Tables, sources: dict[str, SourceText], codes: dict[str, str]
) -> list[Selection]:
    """A selection per counted theme tag and evidence span (see the module docstring)."""
    tags = counted_tags(tables.themes)
    texts = dict(zip(tables.passages["passage_id"], tables.passages["text"], strict=True))
    labels = {t.id: t.label for t in tables.catalog}
    out = []
    for t in itertuples(tags, index=False):
        src = sources.get(t.doc_id)
        if src is None or t.passage_id not in src.offsets or t.theme not in codes:
            continue
        text = str(texts[t.passage_id])
        spans = locate_evidence(text, t.evidence, getattr(t, "evidence_spans", None))
        how = "evidence"
        if not spans:
            spans, how = [(0, len(text))], "whole passage (evidence words not found in it)"
        base = src.offsets[t.passage_id]
        for start, end in spans:
            out.append(
                Selection(
                    doc_id=t.doc_id,
                    start=base + start,
                    end=base + end,
                    code=codes[t.theme],
                    name=labels.get(t.theme, t.theme),
                    description=(
                        f"Machine coding: theme {t.theme}, method {t.method}, score "
                        f"{float(t.score):.2f}; selection: {how}; evidence: {t.evidence}; "
                        f"passage {t.passage_id}"
                    ),
                    key=f"theme|{t.passage_id}|{t.theme}|{start}|{end}",
                )
            )
    return out


def link_selections(
    tables: Tables, sources: dict[str, SourceText], codes: dict[str, str]
) -> list[Selection]:
    """A whole-passage selection per recommendation link."""
    texts = dict(zip(tables.passages["passage_id"], tables.passages["text"], strict=True))
    recs = tables.recommendations
    names = {
        rid: f"{review} {number}".strip()
        for rid, review, number in zip(recs["rec_id"], recs["review"], recs["number"], strict=True)
    }
    out = []
    for lk in itertuples(tables.links, index=False):
        src = sources.get(lk.doc_id)
        if src is None or lk.passage_id not in src.offsets or lk.rec_id not in codes:
            continue
        base = src.offsets[lk.passage_id]
        status = f", status {lk.status}" if lk.status else ""
        out.append(
            Selection(
                doc_id=lk.doc_id,
                start=base,
                end=base + len(str(texts[lk.passage_id])),
                code=codes[lk.rec_id],
                name=names[lk.rec_id],
                description=(
                    f"Machine link: {lk.rec_id}, method {lk.method}, score "
                    f"{float(lk.score):.2f}{status}; evidence: {lk.evidence}; "
                    f"passage {lk.passage_id}"
                ),
                key=f"link|{lk.passage_id}|{lk.rec_id}",
            )
        )
    return out


def build_project(
    tables: Tables, *, name: str = "Safeguarding documents"
) -> tuple[bytes, dict[str, str]]:
    """``(project.qde bytes, {zip path: source text})`` for the outputs in ``tables``."""
    user = guid("user", "safeguarding-pipeline")
    when = run_datetime(tables).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = _Node(
        "Project",
        {
            "name": _x(name),
            "origin": f"safeguarding-pipeline {package_version()}",
            "creatingUserGUID": user,
            "creationDateTime": when,
        },
    )
    users = _sub(root, "Users")
    _sub(users, "User", guid=user, name="safeguarding-pipeline (machine coding)", id="sgpipe")

    book = _sub(_sub(root, "CodeBook"), "Codes")
    codes: dict[str, str] = {}
    for i, theme in enumerate(tables.catalog):
        codes[theme.id] = guid("theme", theme.id)
        code = _sub(
            book,
            "Code",
            guid=codes[theme.id],
            name=theme.label,
            isCodable="true",
            color=PALETTE[i % len(PALETTE)],
        )
        _description(code, f"Theme id: {theme.id}. {theme.description}".strip())
    linked = set(tables.links["rec_id"])
    recs = tables.recommendations[tables.recommendations["rec_id"].isin(linked)]
    if len(recs):
        parent = _sub(
            book,
            "Code",
            guid=guid("group", "recommendations"),
            name="Recommendations",
            isCodable="false",
        )
        _description(parent, "Passages that report on a recommendation, by review.")
        recs = recs.assign(_n=recs["number"].map(number_key))
        for review, grp in recs.sort_values(["review", "_n", "rec_id"]).groupby(
            "review", sort=False
        ):
            rv = _sub(
                parent,
                "Code",
                guid=guid("review", str(review)),
                name=str(review) or "Review",
                isCodable="false",
            )
            for rec in itertuples(grp, index=False):
                codes[rec.rec_id] = guid("rec", rec.rec_id)
                code = _sub(
                    rv,
                    "Code",
                    guid=codes[rec.rec_id],
                    name=f"{review} {rec.number}".strip(),
                    isCodable="true",
                    color="#555555",
                )
                _description(code, rec.text)

    var_type = guid("variable", "doc_type")
    var_date = guid("variable", "date")
    variables = _sub(root, "Variables")
    _description(
        _sub(variables, "Variable", guid=var_type, name="Document type", typeOfVariable="Text"), ""
    )
    _sub(variables, "Variable", guid=var_date, name="Document date", typeOfVariable="Date")

    docs = tables.documents[tables.documents["status"] == "ok"].sort_values("doc_id")
    sources = {
        d: source_text(d, grp)
        for d, grp in tables.passages.groupby("doc_id")
        if d in set(docs["doc_id"])
    }
    selections = theme_selections(tables, sources, codes) + link_selections(tables, sources, codes)
    by_doc: dict[str, list[Selection]] = {}
    for sel in selections:
        by_doc.setdefault(sel.doc_id, []).append(sel)
    files: dict[str, str] = {}
    src_root = _sub(root, "Sources")
    names: set[str] = set()
    for doc in itertuples(docs, index=False):
        if doc.doc_id not in sources:
            continue
        sguid = guid("source", doc.doc_id)
        name = str(doc.title) or str(doc.path)
        if name in names:
            name = f"{name} ({doc.doc_id})"
        names.add(name)
        files[f"Sources/{sguid}.txt"] = sources[doc.doc_id].text
        src = _sub(
            src_root,
            "TextSource",
            guid=sguid,
            name=name,
            plainTextPath=f"internal://{sguid}.txt",
            creatingUser=user,
        )
        _description(src, f"File: {doc.path}. Type: {doc.doc_type}. Date: {doc.date or 'undated'}.")
        for sel in sorted(
            by_doc.get(doc.doc_id, []), key=lambda s: (s.start, s.end, s.name, s.key)
        ):
            src.children.append(_selection_xml(sel, user, level=3))
        value = _sub(src, "VariableValue")
        _sub(value, "VariableRef", targetGUID=var_type)
        _sub(value, "TextValue").text = _x(doc.doc_type)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(doc.date)):
            value = _sub(src, "VariableValue")
            _sub(value, "VariableRef", targetGUID=var_date)
            _sub(value, "DateValue").text = str(doc.date)
    return project_xml(root), files


def build_qdpx(tables: Tables, *, name: str = "Safeguarding documents") -> bytes:
    """The ``.qdpx`` file as bytes (entries stamped with the run's date)."""
    xml, files = build_project(tables, name=name)
    entries = [("project.qde", xml)] + [(p, files[p].encode("utf-8")) for p in sorted(files)]
    return write_zip(entries, when=run_datetime(tables))


def export_qdpx(tables: Tables, path: str | Path) -> Path:
    """Write the REFI-QDA project to ``path`` (atomically)."""
    return store.write_bytes(build_qdpx(tables), path)
