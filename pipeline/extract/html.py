"""HTML reader: the page's main content as block lines; scripts, styles and navigation dropped."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.extract.lines import (
    ROLE_BULLET,
    ROLE_HEADING,
    ROLE_TABLE,
    Line,
    Page,
    RawDocument,
    ReadError,
)
from pipeline.extract.text import decode_bytes, looks_binary
from pipeline.textnorm import normalize_chars, normalize_whitespace

#: Elements whose content is never document text.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "object",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "input",
    "head",
)
#: class/id words that mark page furniture rather than content.
_FURNITURE = re.compile(
    r"(^|[-_ ])(cookie|consent|banner|nav|navbar|menu|breadcrumbs?|skip|sidebar|footer|header|"
    r"masthead|share|social|search)([-_ ]|$)",
    re.I,
)
BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "address",
    "figure",
    "figcaption",
    "caption",
    "body",
    "html",
    "hr",
    "center",
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Inline tags whose text is set in italic.
_ITALIC_TAGS = ("i", "em")


_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;]+)", re.I)


def _fill_colour_word(cell: Any) -> str:
    """ "Red", "Amber" or "Green" for an empty cell whose background (``style`` or
    ``bgcolor``) is a RAG colour, else ``""`` (see :mod:`pipeline.rag`)."""
    from pipeline.rag import colour_name

    fill = str(cell.get("bgcolor") or "")
    if m := _BACKGROUND.search(str(cell.get("style") or "")):
        fill = m.group(1).strip().split()[0]
    return colour_name(fill).capitalize()


def read_html(path: str | Path) -> RawDocument:
    """Read an HTML file: drop furniture, keep the main content as block lines."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("the file is empty", status="empty")
    if looks_binary(data):
        raise ReadError("the file is binary, not HTML")
    text, encoding = decode_bytes(data)
    return lines_from_html(text, meta={"encoding": encoding})


def lines_from_html(markup: str, *, meta: dict[str, str] | None = None) -> RawDocument:
    """Turn HTML markup into lines, one per block element (paragraph, list item, row)."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    soup = BeautifulSoup(markup, "lxml")
    meta = dict(meta or {})
    if soup.title and soup.title.string:
        meta["title"] = normalize_whitespace(normalize_chars(soup.title.string))
    for m in soup.find_all("meta"):
        name = (m.get("name") or m.get("property") or "").lower()
        if name in ("dc.date", "date", "article:published_time", "dcterms.created"):
            meta["date"] = m.get("content", "")
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        ident = " ".join([tag.get("id") or "", *(tag.get("class") or [])])
        role = (tag.get("role") or "").lower()
        if role in ("navigation", "banner", "contentinfo", "search") or (
            ident.strip() and _FURNITURE.search(ident) and tag.name not in ("body", "html", "main")
        ):
            tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup

    lines: list[Line] = []
    state = {"y": 0.0}

    def emit(
        text: str,
        *,
        role: str = "",
        level: int = 0,
        bold: bool = False,
        start: bool = True,
        italic: bool = False,
    ) -> None:
        text = normalize_whitespace(normalize_chars(text))
        if not text:
            return
        y = state["y"]
        lines.append(
            Line(
                text=text,
                page=1,
                x0=24.0 * level,
                top=y,
                x1=500.0,
                bottom=y + 10,
                block_start=start,
                role=role,
                level=level,
                bold=bold,
                italic=italic,
            )
        )
        state["y"] = y + 12.0

    def inline_text(node: Tag, slanted: bool = False) -> tuple[list[str], list[int]]:
        """Text of a block's inline content, split at <br> into separate lines, and how
        many characters of each line stand in <i> or <em>."""
        parts: list[str] = [""]
        counts: list[int] = [0]
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration"):
                    continue
                parts[-1] += str(child)
                counts[-1] += len(child) if slanted else 0
            elif isinstance(child, Tag):
                if child.name == "br":
                    parts.append("")
                    counts.append(0)
                elif child.name in BLOCK_TAGS:
                    continue
                else:
                    sub, sub_counts = inline_text(child, slanted or child.name in _ITALIC_TAGS)
                    parts[-1] += sub[0]
                    counts[-1] += sub_counts[0]
                    parts.extend(sub[1:])
                    counts.extend(sub_counts[1:])
        return parts, counts

    def walk(node: Tag, list_depth: int, ordered: list[int] | None) -> None:
        name = node.name
        if name == "tr":
            cells = [
                normalize_whitespace(c.get_text(" ")) or _fill_colour_word(c)
                for c in node.find_all(["td", "th"])
            ]
            emit(" | ".join(c for c in cells if c), role=ROLE_TABLE)
            return
        if name in _HEADINGS:
            emit(node.get_text(" "), role=ROLE_HEADING, level=_HEADINGS[name], bold=True)
            return
        if name in ("ul", "ol"):
            counter = [0] if name == "ol" else None
            for child in node.children:
                if isinstance(child, Tag):
                    walk(child, list_depth + 1, counter)
            return
        # a list item's first line carries its bullet or number; the rest follow it
        marker: list[str | None] = [None]
        if name == "li":
            if ordered is not None:
                ordered[0] += 1
                marker[0] = f"{ordered[0]}."
            else:
                marker[0] = "bullet"
        buf: list[str] = [""]
        slant: list[int] = [0]  # characters of each line of ``buf`` in <i> or <em>

        def flush() -> None:
            first = True  # lines after a <br> continue the block unless structure says not
            for part, n in zip(buf, slant, strict=True):
                if not normalize_whitespace(part):
                    continue
                italic = 2 * n > len(part.strip())
                if marker[0] == "bullet":
                    emit(part, role=ROLE_BULLET, level=list_depth, start=first, italic=italic)
                elif marker[0]:
                    emit(f"{marker[0]} {part}", level=list_depth, start=first, italic=italic)
                else:
                    level = list_depth if name == "li" else 0
                    emit(part, level=level, start=first, italic=italic)
                marker[0] = None
                first = False
            buf[:] = [""]
            slant[:] = [0]

        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ not in ("Comment", "Doctype", "Declaration"):
                    buf[-1] += str(child)
            elif isinstance(child, Tag):
                if child.name == "br":
                    buf.append("")
                    slant.append(0)
                elif child.name in BLOCK_TAGS:
                    flush()
                    walk(child, list_depth, None)
                else:
                    sub, sub_counts = inline_text(child, child.name in _ITALIC_TAGS)
                    buf[-1] += sub[0]
                    slant[-1] += sub_counts[0]
                    buf.extend(sub[1:])
                    slant.extend(sub_counts[1:])
        flush()

    if isinstance(root, Tag):
        walk(root, 0, None)
    return RawDocument(lines=lines, pages=[Page(1, 595.0, 842.0)], paged=False, meta=meta)
