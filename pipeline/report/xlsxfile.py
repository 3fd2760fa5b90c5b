"""A small streaming XLSX writer: the part of XlsxWriter's API the briefing uses.

``briefing.xlsx`` holds about 300,000 cells, most of them text. XlsxWriter (in its
constant-memory mode) spent about 2 s of CPU on them, most of it in its general
per-cell machinery (argument parsing, type dispatch, formatting each XML attribute);
this writer makes the same package (worksheets with inline strings, one styles part,
the defined names for filters and print titles, document properties) in a fraction
of that, as plain string building. It writes what the briefing needs and nothing else:

- :class:`Workbook`: :meth:`~Workbook.add_format` (bold, font colour and size, fill,
  wrap, vertical alignment, number format), :meth:`~Workbook.add_worksheet`,
  :meth:`~Workbook.set_properties` (title, author, created) and
  :meth:`~Workbook.close`;
- :class:`Worksheet`: column widths and row heights in XlsxWriter's units, cells
  written as string, number, boolean or blank, a frozen header row, an autofilter,
  and landscape A4 printing (fitted to the page width, the header row repeated).

Text is always written as text (never a formula, number or link), cells longer than
Excel's 32,767 characters are cut there (as XlsxWriter does), and characters XML
cannot hold are written with Excel's ``_xHHHH_`` escape. The ZIP entries carry a
fixed time (:func:`pipeline.report.common.write_zip`): the bytes depend only on the
content.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.report.common import EPOCH, write_zip

#: Excel's largest cell text.
MAX_STRING = 32767
#: XlsxWriter's units: a column ``width`` in characters is stored through pixels of a
#: Calibri 11 digit (7 pixels) plus 5 pixels of padding.
_DIGIT_PIXELS = 7
_PADDING_PIXELS = 5
#: Number formats Excel knows by id; others are numbered from 164.
_BUILTIN_FORMATS = {"0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # a CR too: "\r\n" survives
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_NEEDS_ESCAPE = re.compile(r"[&<>]")
#: Characters Excel does not allow in a sheet name.
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _text(value: str) -> str:
    """Cell text as XML character data (Excel's escapes for what XML cannot hold)."""
    if "_x" in value:
        value = _ESCAPE_LIKE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if _NEEDS_ESCAPE.search(value):
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


_LETTERS: list[str] = []


def column_letter(col: int) -> str:
    """``0`` -> ``A``, ``26`` -> ``AA`` (cached)."""
    while len(_LETTERS) <= col:
        n, letters = len(_LETTERS) + 1, ""
        while n:
            n, rem = divmod(n - 1, 26)
            letters = chr(65 + rem) + letters
        _LETTERS.append(letters)
    return _LETTERS[col]


def _style(fmt: Format | None) -> str:
    return f' s="{fmt.index}"' if fmt is not None and fmt.index else ""


def _string_cell(ref: str, style: str, value: str) -> str:
    if len(value) > MAX_STRING:
        value = value[:MAX_STRING]
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'


def _number_cell(ref: str, style: str, value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cell {ref}: {value!r} is not a finite number")
    return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'


def _boolean_cell(ref: str, style: str, value: bool) -> str:
    return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'


def _char_width(width: float) -> str:
    """A column width in characters as Excel stores it (as XlsxWriter converts it)."""
    if width <= 0:
        return "0"
    if width < 1:
        pixels = int(width * (_DIGIT_PIXELS + _PADDING_PIXELS) + 0.5)
    else:
        pixels = int(width * _DIGIT_PIXELS + 0.5) + _PADDING_PIXELS
    return f"{(pixels * 256 // _DIGIT_PIXELS) / 256.0:.16g}"


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


class Format:
    """A cell format: an index into the workbook's cell styles."""

    def __init__(self, index: int, props: dict[str, Any]) -> None:
        self.index = index
        self.props = dict(props)


class Worksheet:
    """One sheet, kept as XML rows until the workbook is closed."""

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self._cols: dict[int, float] = {}
        self._heights: dict[int, float] = {}
        self._rows: dict[int, dict[int, str]] = {}
        self._max_row = -1
        self._max_col = -1
        self._frozen: tuple[int, int] | None = None
        self._filter: tuple[int, int, int, int] | None = None
        self._landscape = False
        self._paper = 0
        self._fit: tuple[int, int] | None = None
        self._repeat: tuple[int, int] | None = None

    # ---------------------------------------------------------------- layout

    def set_column(self, first_col: int, last_col: int, width: float) -> None:
        """Width of columns ``first_col`` to ``last_col``, in characters."""
        for col in range(first_col, last_col + 1):
            self._cols[col] = width

    def set_row(self, row: int, height: float) -> None:
        """Height of ``row``, in points."""
        self._heights[row] = height

    def freeze_panes(self, row: int, col: int) -> None:
        """Freeze the rows above ``row`` (columns are never frozen here)."""
        self._frozen = (row, col)

    def autofilter(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Filter buttons over a range (header row first)."""
        self._filter = (first_row, first_col, last_row, last_col)

    def set_landscape(self) -> None:
        """Print across the page."""
        self._landscape = True

    def set_paper(self, paper: int) -> None:
        """Excel's paper size code (9: A4)."""
        self._paper = paper

    def fit_to_pages(self, width: int, height: int) -> None:
        """Print ``width`` pages wide and ``height`` tall (0: as many as needed)."""
        self._fit = (width, height)

    def repeat_rows(self, first_row: int, last_row: int | None = None) -> None:
        """Print these rows at the top of every page."""
        self._repeat = (first_row, first_row if last_row is None else last_row)

    # ---------------------------------------------------------------- cells

    def _cell(self, row: int, col: int, body: str) -> None:
        cells = self._rows.get(row)
        if cells is None:
            cells = self._rows[row] = {}
        cells[col] = body  # a cell written twice keeps the last value
        if row > self._max_row:
            self._max_row = row
        if col > self._max_col:
            self._max_col = col

    def write_string(self, row: int, col: int, value: str, fmt: Format | None = None) -> None:
        """Text, always stored as text (cut at :data:`MAX_STRING` characters)."""
        self._cell(row, col, _string_cell(column_letter(col) + str(row + 1), _style(fmt), value))

    def write_number(self, row: int, col: int, value: float, fmt: Format | None = None) -> None:
        """A number; infinity and NaN are refused (Excel cells cannot hold them)."""
        self._cell(row, col, _number_cell(column_letter(col) + str(row + 1), _style(fmt), value))

    def write_boolean(self, row: int, col: int, value: bool, fmt: Format | None = None) -> None:
        """TRUE or FALSE."""
        self._cell(row, col, _boolean_cell(column_letter(col) + str(row + 1), _style(fmt), value))

    def write_blank(self, row: int, col: int, value: None, fmt: Format | None = None) -> None:
        """An empty cell that carries a format (nothing without one)."""
        if fmt is None:
            return
        self._cell(row, col, f'<c r="{column_letter(col) + str(row + 1)}"{_style(fmt)}/>')

    def write_row(
        self, row: int, values: Sequence[object], formats: Sequence[Format | None]
    ) -> None:
        """Cells of ``row`` from column A, each written by its Python type as the
        single-cell writers do: ``None`` blank (nothing without a format), ``bool``
        boolean, ``int`` and ``float`` number, anything else its ``str`` as text. The
        same XML as one call per cell, in one pass (the briefing's 300,000 cells)."""
        number = str(row + 1)
        cells: dict[int, str] = {}
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            if value is None:
                if fmt is None:
                    continue
                cells[col] = f'<c r="{column_letter(col) + number}"{_style(fmt)}/>'
            elif isinstance(value, bool):
                cells[col] = _boolean_cell(column_letter(col) + number, _style(fmt), value)
            elif isinstance(value, int | float):
                cells[col] = _number_cell(column_letter(col) + number, _style(fmt), value)
            else:
                cells[col] = _string_cell(column_letter(col) + number, _style(fmt), str(value))
        if not cells:
            return
        old = self._rows.get(row)
        if old is None:
            self._rows[row] = cells
        else:
            old.update(cells)  # a cell written twice keeps the last value
        self._max_row = max(self._max_row, row)
        self._max_col = max(self._max_col, max(cells))

    # ---------------------------------------------------------------- XML

    def _dimension(self) -> str:
        if self._max_row < 0:
            return "A1"
        return f"A1:{column_letter(self._max_col)}{self._max_row + 1}"

    def defined_names(self) -> list[tuple[str, int, str, bool]]:
        """``(name, sheet index, reference, hidden)`` of the filter and print titles."""
        out = []
        sheet = _quoted_sheet(self.name)
        if self._filter:
            r1, c1, r2, c2 = self._filter
            ref = f"{sheet}!${column_letter(c1)}${r1 + 1}:${column_letter(c2)}${r2 + 1}"
            out.append(("_xlnm._FilterDatabase", self.index, ref, True))
        if self._repeat:
            first, last = self._repeat
            ref = f"{sheet}!${first + 1}:${last + 1}"
            out.append(("_xlnm.Print_Titles", self.index, ref, False))
        return out

    def xml(self, *, selected: bool) -> str:
        """The worksheet part."""
        parts = [_XML, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        if self._fit:
            parts.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        parts.append(f'<dimension ref="{self._dimension()}"/>')
        view = ' tabSelected="1"' if selected else ""
        if self._frozen and self._frozen[0] > 0:
            row = self._frozen[0]
            parts.append(
                f'<sheetViews><sheetView{view} workbookViewId="0">'
                f'<pane ySplit="{row}" topLeftCell="A{row + 1}" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            )
        else:
            parts.append(f'<sheetViews><sheetView{view} workbookViewId="0"/></sheetViews>')
        parts.append('<sheetFormatPr defaultRowHeight="15"/>')
        if self._cols:
            parts.append("<cols>")
            for col in sorted(self._cols):
                width = _char_width(self._cols[col])
                parts.append(
                    f'<col min="{col + 1}" max="{col + 1}" width="{width}" customWidth="1"/>'
                )
            parts.append("</cols>")
        rows = sorted(set(self._rows) | set(self._heights))
        if rows:
            parts.append("<sheetData>")
            for row in rows:
                height = self._heights.get(row)
                ht = f' ht="{height:.16g}" customHeight="1"' if height is not None else ""
                cells = self._rows.get(row)
                if cells:
                    parts.append(f'<row r="{row + 1}"{ht}>')
                    parts.extend(cells[col] for col in sorted(cells))
                    parts.append("</row>")
                else:
                    parts.append(f'<row r="{row + 1}"{ht}/>')
            parts.append("</sheetData>")
        else:
            parts.append("<sheetData/>")
        if self._filter:
            r1, c1, r2, c2 = self._filter
            ref = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
            parts.append(f'<autoFilter ref="{ref}"/>')
        parts.append(
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/>'
        )
        setup = []
        if self._paper:
            setup.append(f'paperSize="{self._paper}"')
        if self._fit:
            if self._fit[0] != 1:
                setup.append(f'fitToWidth="{self._fit[0]}"')
            if self._fit[1] != 1:
                setup.append(f'fitToHeight="{self._fit[1]}"')
        if self._landscape:
            setup.append('orientation="landscape"')
        if setup:
            parts.append(f"<pageSetup {' '.join(setup)}/>")
        parts.append("</worksheet>")
        return "".join(parts)


class Workbook:
    """A workbook written to ``target`` (a path or a binary file) on :meth:`close`."""

    def __init__(self, target: str | Path | io.BytesIO) -> None:
        self.target = target
        self.sheets: list[Worksheet] = []
        self._xfs: dict[tuple, int] = {(0, 0, 0, ()): 0}
        self._fonts: dict[tuple, int] = {(False, 11, ""): 0}
        self._fills: dict[str, int] = {}
        self._num_formats: dict[str, int] = {}
        self._props: dict[str, Any] = {}

    def add_format(self, props: dict[str, Any] | None = None) -> Format:
        """A cell format of ``props`` (XlsxWriter's names: ``bold``, ``font_color``,
        ``font_size``, ``bg_color``, ``text_wrap``, ``valign``, ``num_format``)."""
        props = dict(props or {})
        font_key = (
            bool(props.get("bold")),
            float(props.get("font_size", 11)),
            str(props.get("font_color", "")),
        )
        font = self._fonts.setdefault(font_key, len(self._fonts))
        fill = 0
        if props.get("bg_color"):
            fill = 2 + self._fills.setdefault(str(props["bg_color"]), len(self._fills))
        num = 0
        if props.get("num_format"):
            code = str(props["num_format"])
            num = _BUILTIN_FORMATS.get(code) or 164 + self._num_formats.setdefault(
                code, len(self._num_formats)
            )
        align = tuple(
            (k, v)
            for k, v in (
                (
                    "vertical",
                    {"top": "top", "vcenter": "center", "bottom": "bottom"}.get(
                        str(props.get("valign", "")), ""
                    ),
                ),
                ("wrapText", "1" if props.get("text_wrap") else ""),
            )
            if v
        )
        key = (num, font, fill, align)
        index = self._xfs.setdefault(key, len(self._xfs))
        return Format(index, props)

    def add_worksheet(self, name: str) -> Worksheet:
        """A new sheet named ``name`` (at most 31 characters, unique)."""
        if (
            not name
            or len(name) > 31
            or _BAD_SHEET_NAME.search(name)
            or name.startswith("'")
            or name.endswith("'")
            or any(s.name.lower() == name.lower() for s in self.sheets)
        ):
            raise ValueError(f"sheet name {name!r}: empty, too long, used twice or not allowed")
        sheet = Worksheet(name, len(self.sheets))
        self.sheets.append(sheet)
        return sheet

    def set_properties(self, props: dict[str, Any]) -> None:
        """Document properties: ``title``, ``author`` and ``created`` (a datetime)."""
        self._props.update(props)

    # ---------------------------------------------------------------- parts

    def _styles(self) -> str:
        parts = [_XML, f'<styleSheet xmlns="{_MAIN}">']
        if self._num_formats:
            parts.append(f'<numFmts count="{len(self._num_formats)}">')
            for code, i in self._num_formats.items():
                parts.append(f'<numFmt numFmtId="{164 + i}" formatCode="{_attr(code)}"/>')
            parts.append("</numFmts>")
        parts.append(f'<fonts count="{len(self._fonts)}">')
        for bold, size, color in self._fonts:
            b = "<b/>" if bold else ""
            c = f'<color rgb="FF{color.lstrip("#").upper()}"/>' if color else ""
            parts.append(
                f'<font>{b}<sz val="{size:g}"/>{c}<name val="Calibri"/><family val="2"/></font>'
            )
        parts.append("</fonts>")
        parts.append(f'<fills count="{2 + len(self._fills)}">')
        parts.append('<fill><patternFill patternType="none"/></fill>')
        parts.append('<fill><patternFill patternType="gray125"/></fill>')
        for color in self._fills:
            rgb = "FF" + color.lstrip("#").upper()
            parts.append(
                f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/>'
                '<bgColor indexed="64"/></patternFill></fill>'
            )
        parts.append("</fills>")
        parts.append(
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs>'
        )
        parts.append(f'<cellXfs count="{len(self._xfs)}">')
        for num, font, fill, align in self._xfs:
            applied = "".join(
                f' {name}="1"'
                for name, on in (
                    ("applyNumberFormat", num),
                    ("applyFont", font),
                    ("applyFill", fill),
                    ("applyAlignment", align),
                )
                if on
            )
            head = (
                f'<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="0" '
                f'xfId="0"{applied}'
            )
            if align:
                attrs = " ".join(f'{k}="{v}"' for k, v in align)
                parts.append(f"{head}><alignment {attrs}/></xf>")
            else:
                parts.append(f"{head}/>")
        parts.append("</cellXfs>")
        parts.append(
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )
        return "".join(parts)

    def _workbook(self, names: list[tuple[str, int, str, bool]]) -> str:
        parts = [_XML, f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">']
        parts.append('<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews><sheets>')
        for i, sheet in enumerate(self.sheets, start=1):
            parts.append(f'<sheet name="{_attr(sheet.name)}" sheetId="{i}" r:id="rId{i}"/>')
        parts.append("</sheets>")
        if names:
            parts.append("<definedNames>")
            for name, index, ref, hidden in names:
                flag = ' hidden="1"' if hidden else ""
                parts.append(
                    f'<definedName name="{name}" localSheetId="{index}"{flag}>{_text(ref)}'
                    "</definedName>"
                )
            parts.append("</definedNames>")
        parts.append('<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        return "".join(parts)

    def _core(self, when: datetime) -> str:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        title = _text(str(self._props.get("title", "")))
        author = _text(str(self._props.get("author", "")))
        return (
            f"{_XML}<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{title}</dc:title><dc:creator>{author}</dc:creator>"
            f"<cp:lastModifiedBy>{author}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _app(self) -> str:
        titles = "".join(f"<vt:lpstr>{_text(s.name)}</vt:lpstr>" for s in self.sheets)
        return (
            f"{_XML}<Properties "
            'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity>"
            '<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant>'
            f"<vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(self.sheets)}"
            "</vt:i4></vt:variant></vt:vector></HeadingPairs>"
            f'<TitlesOfParts><vt:vector size="{len(self.sheets)}" baseType="lpstr">{titles}'
            "</vt:vector></TitlesOfParts></Properties>"
        )

    def _content_types(self) -> str:
        ct = "application/vnd.openxmlformats-officedocument"
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        return (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{ct}.spreadsheetml.sheet.main+xml"/>{sheets}</Types>'
        )

    def _package_rels(self) -> str:
        od = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        return (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{od}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{od}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        )

    def _workbook_rels(self) -> str:
        od = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        n = len(self.sheets)
        sheets = "".join(
            f'<Relationship Id="rId{i}" Type="{od}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        return (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">{sheets}'
            f'<Relationship Id="rId{n + 1}" Type="{od}/styles" Target="styles.xml"/>'
            "</Relationships>"
        )

    def close(self) -> None:
        """Write the package to the target."""
        when = self._props.get("created") or EPOCH
        names: list[tuple[str, int, str, bool]] = []
        for sheet in self.sheets:
            names.extend(sheet.defined_names())
        names.sort(key=lambda n: (n[0].lower(), n[1]))
        entries = [
            ("[Content_Types].xml", self._content_types()),
            ("_rels/.rels", self._package_rels()),
            ("docProps/app.xml", self._app()),
            ("docProps/core.xml", self._core(when)),
            ("xl/workbook.xml", self._workbook(names)),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
            ("xl/styles.xml", self._styles()),
        ]
        entries += [
            (f"xl/worksheets/sheet{i}.xml", sheet.xml(selected=i == 1))
            for i, sheet in enumerate(self.sheets, start=1)
        ]
        data = write_zip(((path, body.encode("utf-8")) for path, body in entries), when=when)
        if isinstance(self.target, str | Path):
            Path(self.target).write_bytes(data)
        else:
            self.target.write(data)
