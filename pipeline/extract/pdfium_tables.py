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
import re
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from pipeline.extract.layout import Char, PageChars, TableBlock, chars_to_lines, table_block

#: A page needs this many straight path segments (a 2x2 grid has 6 lines, a box 4)
#: before its paths are read as table edges.
MIN_SEGMENTS_FOR_TABLES = 8

_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_AXIS_TOL = 0.01


class _Ptr(ctypes.c_void_p):
    """A pointer result that stays a ctypes object (a plain ``c_void_p`` restype would
    turn it into an int, which a call without argtypes would pass as a 32-bit int)."""


class _PathApi:
    """The PDFium functions called per page object and per path segment, bound once
    without argument conversion (about four times cheaper than pypdfium2's bindings);
    callers pass exactly the C types they take."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        def bare(fn, restype=ctypes.c_int):
            return ctypes.CFUNCTYPE(restype)(ctypes.cast(fn, ctypes.c_void_p).value)

        self.count_objects = bare(raw.FPDFPage_CountObjects)
        self.get_object = bare(raw.FPDFPage_GetObject, _Ptr)
        self.form_count_objects = bare(raw.FPDFFormObj_CountObjects)
        self.form_get_object = bare(raw.FPDFFormObj_GetObject, _Ptr)  # index: c_ulong
        self.object_type = bare(raw.FPDFPageObj_GetType)
        self.object_matrix = bare(raw.FPDFPageObj_GetMatrix)
        self.object_bounds = bare(raw.FPDFPageObj_GetBounds)
        self.count_segments = bare(raw.FPDFPath_CountSegments)
        self.get_segment = bare(raw.FPDFPath_GetPathSegment, _Ptr)
        self.segment_point = bare(raw.FPDFPathSegment_GetPoint)
        self.segment_type = bare(raw.FPDFPathSegment_GetType)
        self.segment_close = bare(raw.FPDFPathSegment_GetClose)
        self.PATH, self.FORM = raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM
        self.MOVETO, self.LINETO = raw.FPDF_SEGMENT_MOVETO, raw.FPDF_SEGMENT_LINETO
        self.matrix = raw.FS_MATRIX()
        self.matrix_ref = ctypes.byref(self.matrix)
        self.bounds = [ctypes.c_float() for _ in range(4)]
        self.bounds_refs = [ctypes.byref(v) for v in self.bounds]


_PATH_API: _PathApi | None = None


def path_api() -> _PathApi:
    """The ctypes bindings of PDFium's path-object calls, built once per process."""
    global _PATH_API
    if _PATH_API is None:
        _PATH_API = _PathApi()
    return _PATH_API


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _own_matrix(api: _PathApi, obj) -> tuple[float, ...]:
    if api.object_matrix(obj, api.matrix_ref):
        m = api.matrix
        return (m.a, m.b, m.c, m.d, m.e, m.f)
    return _IDENTITY


_Path = tuple[_Ptr, tuple[float, ...], int]  # a path object, the forms' matrix, its segments


def page_paths(page_handle) -> tuple[int, list[_Path]]:
    """Segments of the page's path objects (forms included), and each path object with
    the matrix of the forms around it, in the order the edges are read.

    One walk over the page objects (a page holds one to several hundred, text
    objects included); the paths' own matrices and segments are read only when the
    page has enough segments to be a table candidate.
    """
    api = path_api()
    path_kind, form_kind, object_type = api.PATH, api.FORM, api.object_type
    count_segments = api.count_segments
    total = 0
    paths: list[_Path] = []
    stack: list[tuple[object, tuple[float, ...], bool]] = [(page_handle, _IDENTITY, False)]
    while stack:
        container, outer, is_form = stack.pop()
        if is_form:
            n = api.form_count_objects(container)
            objects = (api.form_get_object(container, ctypes.c_ulong(i)) for i in range(n))
        else:
            get = api.get_object
            objects = (get(container, i) for i in range(api.count_objects(container)))
        for obj in objects:
            kind = object_type(obj)
            if kind == path_kind:
                n = count_segments(obj)
                total += n
                paths.append((obj, outer, n))
            elif kind == form_kind:
                stack.append((obj, _mul(_own_matrix(api, obj), outer), True))
    return total, paths


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

    Coordinates are in points from the page's top-left, like pdfplumber's. Segments
    shorter than :data:`MIN_EDGE_LENGTH` are left out: pdfplumber's table finder
    drops them before anything else.
    """
    return _edges(page_paths(page_handle)[1], page_top=page_top, page_left=page_left)


#: pdfplumber's table finder drops edges shorter than this first thing
#: (``edge_min_length_prefilter``), so shorter ones are not made.
MIN_EDGE_LENGTH = 1.0
#: A path object of at least this many segments has its bounding box checked first:
#: when it is smaller than ``_TINY`` both ways, none of its edges could be long enough.
_CHECK_BOUNDS_FROM = 8
_TINY = 0.9


def _too_small(api: _PathApi, obj: _Ptr, outer: tuple[float, ...]) -> bool:
    """Whether every segment of the path object is shorter than an edge can be.

    The object's bounds (its own matrix applied) are scaled by the matrix of the
    forms around it; the margin to :data:`MIN_EDGE_LENGTH` covers rounding.
    """
    if not api.object_bounds(obj, *api.bounds_refs):
        return False
    left, bottom, right, top = (v.value for v in api.bounds)
    w, h = right - left, top - bottom
    a, b, c, d = outer[:4]
    return abs(a) * w + abs(c) * h < _TINY and abs(b) * w + abs(d) * h < _TINY


def _edges(paths: list[_Path], *, page_top: float, page_left: float) -> list[dict]:
    api = path_api()
    x, y = ctypes.c_float(), ctypes.c_float()
    x_ref, y_ref = ctypes.byref(x), ctypes.byref(y)
    get_segment, segment_point = api.get_segment, api.segment_point
    segment_type, segment_close = api.segment_type, api.segment_close
    moveto, lineto = api.MOVETO, api.LINETO
    edges: list[dict] = []
    for obj, outer, n in paths:
        if n >= _CHECK_BOUNDS_FROM and _too_small(api, obj, outer):
            continue
        m0, m1, m2, m3, m4, m5 = _mul(_own_matrix(api, obj), outer)
        # the current subpath: its first and last points and how many it has
        first = last = (0.0, 0.0)
        count = 0
        for i in range(n):
            seg = get_segment(obj, i)
            segment_point(seg, x_ref, y_ref)
            px = m0 * x.value + m2 * y.value + m4 - page_left
            py = page_top - (m1 * x.value + m3 * y.value + m5)
            kind_seg = segment_type(seg)
            if kind_seg == moveto or not count:
                first = last = (px, py)
                count = 1
            else:
                if kind_seg == lineto:
                    _add_edge(edges, last, (px, py))
                last = (px, py)
                count += 1
            if count > 2 and segment_close(seg):
                _add_edge(edges, last, first)
    return edges


def _add_edge(edges: list[dict], p0: tuple[float, float], p1: tuple[float, float]) -> None:
    x0, x1 = sorted((p0[0], p1[0]))
    top, bottom = sorted((p0[1], p1[1]))
    if abs(p0[1] - p1[1]) < _AXIS_TOL:
        orientation = "h"
        top = bottom = (p0[1] + p1[1]) / 2
        if x1 - x0 < MIN_EDGE_LENGTH:
            return
    elif abs(p0[0] - p1[0]) < _AXIS_TOL:
        orientation = "v"
        x0 = x1 = (p0[0] + p1[0]) / 2
        if bottom - top < MIN_EDGE_LENGTH:
            return
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


def _could_hold_a_table(edges: list[dict]) -> bool:
    """At least three horizontal and three vertical edges.

    A table that :func:`table_block` keeps has two rows (three distinct heights:
    both rows' tops and the second row's bottom) and a row with two cells (three
    distinct x: both cells' left sides and the second one's right side); each of
    those is an edge of its own after pdfplumber merges edges.
    """
    horizontal = sum(1 for e in edges if e["orientation"] == "h")
    return horizontal >= 3 and len(edges) - horizontal >= 3


def find_tables(edges: list[dict], *, width: float, height: float):
    """Run pdfplumber's table finder on ``edges``; return its tables (cells as bboxes)."""
    from pdfplumber.table import TableFinder

    page = SimpleNamespace(edges=edges, bbox=(0.0, 0.0, width, height), chars=[])
    return TableFinder(page, _TABLE_SETTINGS).tables


def _inside(cx: np.ndarray, cy: np.ndarray, cell: tuple[float, float, float, float]) -> np.ndarray:
    """Which characters (by the centres of their boxes) stand inside a cell."""
    x0, top, x1, bottom = cell
    return (x0 <= cx) & (cx < x1) & (top <= cy) & (cy < bottom)


def _cell_text(chars: PageChars, cx, cy, cell: tuple[float, float, float, float], page: int) -> str:
    inside = _inside(cx, cy, cell)
    if not inside.any():
        return ""
    _x0, _top, x1, bottom = cell
    lines = chars_to_lines(chars.take(inside), page=page, width=x1 + 1, height=bottom + 1)
    return "\n".join(line.text for line in lines)


_Fill = tuple[float, float, float, float, str]  # x0, top, x1, bottom, RAG colour


def _rag_fills(paths: list[_Path], *, page_top: float, page_left: float) -> list[_Fill]:
    """Filled path objects (outside forms) whose fill is a RAG colour: red, amber or
    green (see :mod:`pipeline.rag`), with their boxes in top-down page coordinates."""
    import pypdfium2.raw as raw

    from pipeline.rag import colour_name

    out: list[_Fill] = []
    mode, stroke = ctypes.c_int(), ctypes.c_int()
    rgba = [ctypes.c_uint() for _ in range(4)]
    box = [ctypes.c_float() for _ in range(4)]
    for obj, outer, _n in paths:
        if outer != _IDENTITY:
            continue
        handle = ctypes.cast(obj, raw.FPDF_PAGEOBJECT)
        if not raw.FPDFPath_GetDrawMode(handle, mode, stroke) or mode.value == 0:
            continue
        if not raw.FPDFPageObj_GetFillColor(handle, *rgba):
            continue
        r, g, b, _a = (v.value for v in rgba)
        colour = colour_name(f"{r:02x}{g:02x}{b:02x}")
        if not colour or not raw.FPDFPageObj_GetBounds(handle, *box):
            continue
        left, bottom, right, top = (v.value for v in box)
        out.append((left - page_left, page_top - top, right - page_left, page_top - bottom, colour))
    return out


def _fill_word(fills: list[_Fill], cell: tuple[float, float, float, float]) -> str:
    """ "Red", "Amber" or "Green" when a RAG fill covers the cell's centre, else ``""``."""
    x, y = (cell[0] + cell[2]) / 2, (cell[1] + cell[3]) / 2
    for x0, top, x1, bottom, colour in fills:
        if x0 <= x <= x1 and top <= y <= bottom:
            return colour.capitalize()
    return ""


_RAG_HEADER = re.compile(r"\b(?:rag|rating|status|progress)\b", re.I)


def _read_rag_column(
    rows: list[list[str | None]], cells: list[list[Any]], fills: list[_Fill]
) -> None:
    """Write the colour's name into the empty cells of a RAG column, in place.

    Only a column whose header cell (first row) says RAG, rating, status or progress
    is read, and only in a table already found by its text: designed pages shade
    boxes in orange or green for looks, and those must not become "Amber" or "Green".
    """
    if not rows:
        return
    for j, head in enumerate(rows[0]):
        if not head or not _RAG_HEADER.search(head):
            continue
        for i in range(1, len(rows)):
            if j < len(rows[i]) and rows[i][j] == "" and cells[i][j] is not None:
                rows[i][j] = _fill_word(fills, cells[i][j])


def _could_be_table(rows: list[list[bool]]) -> bool:
    """Whether rows whose cells may hold text (True) could pass :func:`table_block`.

    A cell with no visible character inside has no text, so when even these upper
    bounds give fewer than two rows with text or no row with two cells of text, the
    cell texts need not be read: the table is a text frame or empty.
    """
    kept = [r for r in rows if any(r)]
    return len(kept) >= 2 and max(sum(r) for r in kept) >= 2


def page_tables(
    page,
    chars: Sequence[Char] | PageChars,
    *,
    page_top: float,
    page_left: float = 0.0,
    number: int = 0,
) -> list[TableBlock]:
    """Tables of one PDFium page drawn with ruling lines, as :class:`TableBlock` objects."""
    left, bottom, right, top = page.get_bbox()
    return handle_tables(
        page.raw,
        chars,
        page_top=page_top,
        page_left=page_left,
        width=right - left,
        height=top - bottom,
        number=number,
    )


def handle_tables(
    page_handle,
    chars: Sequence[Char] | PageChars,
    *,
    page_top: float,
    page_left: float,
    width: float,
    height: float,
    number: int = 0,
) -> list[TableBlock]:
    """:func:`page_tables` for a raw ``FPDF_PAGE`` handle and the page's size."""
    total, paths = page_paths(page_handle)
    if total < MIN_SEGMENTS_FOR_TABLES:
        return []
    edges = _edges(paths, page_top=page_top, page_left=page_left)
    if not _could_hold_a_table(edges):
        return []
    tables = find_tables(edges, width=width, height=height)
    if not tables:
        return []
    pc = chars if isinstance(chars, PageChars) else PageChars.from_chars(chars)
    cx, cy = (pc.x0 + pc.x1) / 2, (pc.top + pc.bottom) / 2
    visible = np.fromiter((bool(t.strip()) for t in pc.text), dtype=bool, count=len(pc))
    vx, vy = cx[visible], cy[visible]
    # an empty cell shaded red, amber or green reads as the colour's name (RAG ratings)
    fills = _rag_fills(paths, page_top=page_top, page_left=page_left)
    blocks = []
    for table in tables:
        cells = [row.cells for row in table.rows]
        may_hold_text = [
            [cell is not None and bool(_inside(vx, vy, cell).any()) for cell in row]
            for row in cells
        ]
        if not _could_be_table(may_hold_text):
            continue
        rows = [
            [None if cell is None else _cell_text(pc, cx, cy, cell, number) for cell in row]
            for row in cells
        ]
        if fills:
            _read_rag_column(rows, cells, fills)
        block = table_block(table.bbox, rows)
        if block is not None:
            blocks.append(block)
    return blocks
