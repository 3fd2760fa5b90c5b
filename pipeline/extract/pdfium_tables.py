"""Ruled tables for the PDFium backend: PDFium's path geometry, pdfplumber's table finder.

pdfplumber finds tables well on pages with ruling lines, but it needs pdfminer's
parse of the whole page (characters, paths) first, which costs about as much as
reading the page's text with pdfplumber (~0.1 s a page). About a quarter of the
pages of government reports draw enough lines and boxes to be candidates, so
opening them with pdfplumber would cost more than everything else together.

So the geometry comes from PDFium instead: the page's path objects (also inside
form XObjects) are read with their matrices, every straight axis-aligned segment
becomes an edge in pdfplumber's edge format, and pdfplumber's own
:class:`pdfplumber.table.TableFinder` (same settings as the pdfplumber backend:
``lines`` strategies) joins the edges into cells and tables. Cell text comes from
the page's characters already read by PDFium. Only pages with enough straight
segments to draw a grid of at least two by two cells are looked at, and counting
them is cheap (two calls per page object).

A ruled box whose rows hold one cell of text each is a text frame, not a table:
:func:`pipeline.extract.layout.table_block` drops it, as in the pdfplumber backend.
"""

from __future__ import annotations

import ctypes
from types import SimpleNamespace

from pipeline.extract.layout import Char, TableBlock, chars_to_lines, table_block

#: A page needs this many straight path segments (a 2x2 grid has 6 lines, a box 4)
#: before its paths are read as table edges.
MIN_SEGMENTS_FOR_TABLES = 8

_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_AXIS_TOL = 0.01


def _objects(raw, container, count_fn, get_fn):
    for i in range(count_fn(container)):
        yield get_fn(container, i)


def _path_segment_count(raw, page_handle) -> int:
    """Straight segments of the page's path objects (forms included); cheap."""
    total = 0
    stack = [(page_handle, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject)]
    while stack:
        container, count_fn, get_fn = stack.pop()
        for obj in _objects(raw, container, count_fn, get_fn):
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_PATH:
                total += raw.FPDFPath_CountSegments(obj)
            elif kind == raw.FPDF_PAGEOBJ_FORM:
                stack.append((obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject))
    return total


def _mul(m1: tuple[float, ...], m2: tuple[float, ...]) -> tuple[float, ...]:
    """Matrix product m1 x m2 of PDF matrices (a, b, c, d, e, f): apply m1, then m2."""
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def page_edges(page_handle, *, page_top: float, page_left: float = 0.0) -> list[dict]:
    """Every straight horizontal or vertical path segment of a page as a pdfplumber edge.

    Coordinates are in points from the page's top-left, like pdfplumber's.
    """
    import pypdfium2.raw as raw

    matrix = raw.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    edges: list[dict] = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack = [(page_handle, raw.FPDFPage_CountObjects, raw.FPDFPage_GetObject, identity)]
    while stack:
        container, count_fn, get_fn, outer = stack.pop()
        for obj in _objects(raw, container, count_fn, get_fn):
            kind = raw.FPDFPageObj_GetType(obj)
            if kind not in (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM):
                continue
            own = identity
            if raw.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix)):
                own = (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)
            m = _mul(own, outer)
            if kind == raw.FPDF_PAGEOBJ_FORM:
                stack.append((obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, m))
                continue
            points: list[tuple[float, float]] = []  # the current subpath
            for i in range(raw.FPDFPath_CountSegments(obj)):
                seg = raw.FPDFPath_GetPathSegment(obj, i)
                raw.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
                px = m[0] * x.value + m[2] * y.value + m[4] - page_left
                py = page_top - (m[1] * x.value + m[3] * y.value + m[5])
                kind_seg = raw.FPDFPathSegment_GetType(seg)
                if kind_seg == raw.FPDF_SEGMENT_MOVETO or not points:
                    points = [(px, py)]
                else:
                    if kind_seg == raw.FPDF_SEGMENT_LINETO:
                        _add_edge(edges, points[-1], (px, py))
                    points.append((px, py))
                if raw.FPDFPathSegment_GetClose(seg) and len(points) > 2:
                    _add_edge(edges, points[-1], points[0])
    return edges


def _add_edge(edges: list[dict], p0: tuple[float, float], p1: tuple[float, float]) -> None:
    x0, x1 = sorted((p0[0], p1[0]))
    top, bottom = sorted((p0[1], p1[1]))
    if abs(p0[1] - p1[1]) < _AXIS_TOL:
        orientation = "h"
        top = bottom = (p0[1] + p1[1]) / 2
    elif abs(p0[0] - p1[0]) < _AXIS_TOL:
        orientation = "v"
        x0 = x1 = (p0[0] + p1[0]) / 2
    else:
        return
    edges.append(
        {
            "object_type": "line",
            "x0": x0,
            "x1": x1,
            "top": top,
            "bottom": bottom,
            "doctop": top,
            "width": x1 - x0,
            "height": bottom - top,
            "orientation": orientation,
        }
    )


def find_tables(edges: list[dict], chars: list[Char], *, width: float, height: float):
    """Run pdfplumber's table finder on ``edges``; return its tables (cells as bboxes)."""
    from pdfplumber.table import TableFinder

    page = SimpleNamespace(edges=edges, bbox=(0.0, 0.0, width, height), chars=[])
    return TableFinder(page, _TABLE_SETTINGS).tables


def _cell_text(chars: list[Char], cell: tuple[float, float, float, float], page: int) -> str:
    x0, top, x1, bottom = cell
    inside = [
        c for c in chars if x0 <= (c.x0 + c.x1) / 2 < x1 and top <= (c.top + c.bottom) / 2 < bottom
    ]
    if not inside:
        return ""
    lines = chars_to_lines(inside, page=page, width=x1 + 1, height=bottom + 1)
    return "\n".join(line.text for line in lines)


def page_tables(
    page, chars: list[Char], *, page_top: float, page_left: float = 0.0, number: int = 0
) -> list[TableBlock]:
    """Tables of one PDFium page drawn with ruling lines, as :class:`TableBlock` objects."""
    import pypdfium2.raw as raw

    handle = page.raw
    if _path_segment_count(raw, handle) < MIN_SEGMENTS_FOR_TABLES:
        return []
    edges = page_edges(handle, page_top=page_top, page_left=page_left)
    if len(edges) < 6:
        return []
    left, bottom, right, top = page.get_bbox()
    blocks = []
    for table in find_tables(edges, chars, width=right - left, height=top - bottom):
        rows = []
        for row in table.rows:
            rows.append(
                [None if cell is None else _cell_text(chars, cell, number) for cell in row.cells]
            )
        block = table_block(table.bbox, rows)
        if block is not None:
            blocks.append(block)
    return blocks
