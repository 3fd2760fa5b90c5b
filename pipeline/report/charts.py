"""Charts for the HTML report: a theme x document heatmap and a recommendation timeline.

Both are written directly as SVG text by a small writer (:class:`_Svg`): rectangles,
markers, lines and text, with sizes computed from the data and text widths estimated
from character counts. No date, no random ids: the same tables give the same bytes.
Every document string is drawn as escaped text, never as markup; a ``$`` in a title
is a dollar. (They were drawn with matplotlib, whose text layout and import were
most of the report stage's time; the pictures are the same in content and layout.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from pipeline.frames import itertuples
from pipeline.tables import ThemeInfo

#: Status -> (colour, marker, legend label). Colour and shape both differ, so the
#: timeline reads in greyscale and for colour-blind readers.
STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    "completed": ("#1a9850", "o", "completed"),
    "in_progress": ("#e08214", "s", "in progress"),
    "planned": ("#4575b4", "^", "planned"),
    "on_hold": ("#762a83", "P", "on hold"),
    "not_started": ("#c51b7d", "v", "not started"),
    "not_accepted": ("#d73027", "X", "not accepted"),
    "": ("#8c8c8c", "D", "mentioned, no status"),
}
#: matplotlib's "Blues" colour map at nine evenly spaced points (0 = lightest).
BLUES = (
    "#f7fbff", "#deebf7", "#c6dbef", "#9dcae1", "#6aaed6",
    "#4191c6", "#2070b4", "#08509b", "#08306b",
)  # fmt: skip
FONT = "DejaVu Sans, Arial, sans-serif"
#: Average advance of a character as a share of the font size (DejaVu Sans).
CHAR_WIDTH = 0.58


def short_title(title: str, date_iso: str = "", *, width: int = 36) -> str:
    """A column label for a document: its title cut to ``width`` characters, and its date.

    >>> short_title("Local Child Safeguarding Practice Review: Child L", "2024-03-12")
    'Local Child Safeguarding Practice…\\n2024-03-12'
    """
    title = " ".join(str(title).split())
    if len(title) > width:
        title = title[: width - 1].rsplit(" ", 1)[0] + "…"
    return f"{title}\n{date_iso or 'undated'}"


def _text_width(text: str, size: float) -> float:
    """Estimated width in pixels of ``text`` at font ``size``."""
    return len(text) * size * CHAR_WIDTH


def _num(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    out = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


class _Svg:
    """A minimal SVG writer: elements are appended in drawing order."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **attrs: str) -> None:
        """A rectangle."""
        extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
        self.parts.append(
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
            f'fill="{fill}"{extra}/>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float) -> None:
        """A straight line."""
        self.parts.append(
            f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
            f'stroke="{stroke}" stroke-width="{_num(width)}"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9,
        anchor: str = "start",
        fill: str = "#000000",
        rotate: float = 0,
        italic: bool = False,
        bold: bool = False,
    ) -> None:
        """Text whose baseline is centred on ``y`` (``dominant-baseline: central``);
        several lines are separated by newlines."""
        lines = str(text).split("\n")
        attrs = f' font-size="{_num(size)}" text-anchor="{anchor}" fill="{fill}"'
        if italic:
            attrs += ' font-style="italic"'
        if bold:
            attrs += ' font-weight="bold"'
        if rotate:
            attrs += f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"'
        first = y - (len(lines) - 1) * size * 0.6
        spans = "".join(
            f'<tspan x="{_num(x)}" y="{_num(first + i * size * 1.2)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        self.parts.append(f'<text dominant-baseline="central"{attrs}>{spans}</text>')

    def marker(self, x: float, y: float, shape: str, size: float, fill: str) -> None:
        """A scatter marker of ``shape`` (o, s, ^, v, P, X, D, |) and diameter ``size``."""
        r = size / 2
        edge = ' stroke="#000000" stroke-width="0.6"'
        if shape == "o":
            self.parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{fill}"{edge}/>'
            )
            return
        if shape == "|":
            self.line(x, y - r, x, y + r, fill, 2.5)
            return
        if shape == "s":
            pts = [(-r, -r), (r, -r), (r, r), (-r, r)]
        elif shape == "^":
            pts = [(0, -r * 1.15), (r * 1.1, r * 0.75), (-r * 1.1, r * 0.75)]
        elif shape == "v":
            pts = [(0, r * 1.15), (r * 1.1, -r * 0.75), (-r * 1.1, -r * 0.75)]
        elif shape == "P":  # a filled plus
            a, b = r, r * 0.38
            pts = [
                (-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b),
                (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b),
            ]  # fmt: skip
        elif shape == "D":
            pts = [(0, -r * 1.2), (r * 1.2, 0), (0, r * 1.2), (-r * 1.2, 0)]
        else:  # "X": a filled cross
            a, b = r, r * 0.4
            pts = [
                (-a, -a + b), (-a + b, -a), (0, -b), (a - b, -a), (a, -a + b), (b, 0),
                (a, a - b), (a - b, a), (0, b), (-a + b, a), (-a, a - b), (-b, 0),
            ]  # fmt: skip
        path = " ".join(f"{_num(x + dx)},{_num(y + dy)}" for dx, dy in pts)
        self.parts.append(f'<polygon points="{path}" fill="{fill}"{edge}/>')

    def render(self, width: float, height: float) -> str:
        """The document: an SVG of ``width`` x ``height`` pixels on a white background."""
        w, h = _num(math.ceil(width)), _num(math.ceil(height))
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="{FONT}">\n'
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>\n'
            + "\n".join(self.parts)
            + "\n</svg>\n"
        )


def _blues(value: float) -> str:
    """The colour of ``value`` (0 to 1) on the Blues map, interpolated between its points."""
    value = min(max(value, 0.0), 1.0) * (len(BLUES) - 1)
    i = min(int(value), len(BLUES) - 2)
    t = value - i
    lo, hi = BLUES[i], BLUES[i + 1]
    rgb = [round(int(lo[k : k + 2], 16) * (1 - t) + int(hi[k : k + 2], 16) * t) for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmap_svg(theme_by_document: pd.DataFrame, catalog: Sequence[ThemeInfo]) -> str | None:
    """Themes (rows) x documents (columns), coloured by the share of the document's
    passages that raise the theme and labelled with the passage count. Themes no
    document raises are left out.

    ``None`` when there is nothing to draw (no documents, or no theme raised).
    """
    if theme_by_document.empty or not catalog:
        return None
    docs = theme_by_document.drop_duplicates("doc_id")[["doc_id", "title", "date"]]
    totals = theme_by_document.groupby("theme")["passages_tagged"].sum()
    order = [t.id for t in catalog if totals.get(t.id, 0) > 0]
    if not order:
        return None
    labels = {t.id: t.label for t in catalog}
    share = theme_by_document.pivot(index="theme", columns="doc_id", values="share")
    count = theme_by_document.pivot(index="theme", columns="doc_id", values="passages_tagged")
    share = share.loc[order, list(docs["doc_id"])].fillna(0.0)
    count = count.loc[order, list(docs["doc_id"])].fillna(0)
    n_rows, n_cols = share.shape
    vmax = float(share.to_numpy(dtype=float).max()) or 1.0
    cell_w, cell_h, size = 62.0, 22.0, 9.0
    row_labels = [labels.get(t, t) for t in order]
    col_labels = [short_title(r.title, r.date, width=28) for r in itertuples(docs)]
    left = 12 + max(_text_width(x, size) for x in row_labels)
    top = 34.0
    # labels below the grid, rotated 35 degrees and anchored at their end
    longest = max(max(_text_width(line, 8) for line in x.split("\n")) for x in col_labels)
    below = longest * math.sin(math.radians(35)) + 30
    grid_w, grid_h = cell_w * n_cols, cell_h * n_rows
    svg = _Svg()
    svg.text(8, 14, "Passages raising each theme (number in cell), by document", size=11)
    for i in range(n_rows):
        y = top + i * cell_h
        svg.text(left - 6, y + cell_h / 2, row_labels[i], size=size, anchor="end")
        for j in range(n_cols):
            x = left + j * cell_w
            value = float(share.iat[i, j])
            svg.rect(x, y, cell_w, cell_h, _blues(value / vmax))
            n = int(count.iat[i, j])
            if n:
                dark = value > 0.6 * vmax
                colour = "#ffffff" if dark else "#08306b"
                svg.text(
                    x + cell_w / 2, y + cell_h / 2, str(n), size=8, anchor="middle", fill=colour
                )
    for k in range(1, n_cols):  # white separators, as a grid
        svg.line(left + k * cell_w, top, left + k * cell_w, top + grid_h, "#ffffff", 1.5)
    for k in range(1, n_rows):
        svg.line(left, top + k * cell_h, left + grid_w, top + k * cell_h, "#ffffff", 1.5)
    for j, label in enumerate(col_labels):
        x = left + (j + 0.5) * cell_w
        svg.line(x, top + grid_h, x, top + grid_h + 4, "#000000", 0.8)
        svg.text(x, top + grid_h + 12, label, size=8, anchor="end", rotate=-35)
    # the colour bar: 0 at the bottom, the largest share at the top
    bar_x, bar_w = left + grid_w + 16, 12.0
    steps = 40
    for k in range(steps):
        svg.rect(
            bar_x, top + grid_h * k / steps, bar_w, grid_h / steps + 0.3, _blues(1 - k / steps)
        )
    for frac in (0.0, 0.5, 1.0):
        y = top + grid_h * (1 - frac)
        svg.line(bar_x + bar_w, y, bar_x + bar_w + 3, y, "#000000", 0.8)
        svg.text(bar_x + bar_w + 5, y, f"{frac * vmax:.0%}", size=8)
    label_x = bar_x + bar_w + 14 + _text_width("100%", 8)
    svg.text(
        label_x, top + grid_h / 2, "share of the document's passages", size=8,
        anchor="middle", rotate=-90,
    )  # fmt: skip
    width = max(
        label_x + 12,
        _text_width("Passages raising each theme (number in cell), by document", 11) + 16,
    )
    return svg.render(width, top + grid_h + below)


def _parse(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if len(iso) >= 10 else None
    except ValueError:
        return None


def _month_ticks(lo: date, hi: date) -> list[date]:
    """First days of months between ``lo`` and ``hi``, every 1, 2, 3, 6, 12, 24 ... months
    so that there are at most nine."""
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    step = next((s for s in (1, 2, 3, 6, 12) if months / s <= 9), 12 * math.ceil(months / 108))
    start = lo.year * 12 + lo.month - 1
    start += -start % step
    ticks = []
    m = start
    while True:
        d = date(m // 12, m % 12 + 1, 1)
        if d > hi:
            break
        if d >= lo:
            ticks.append(d)
        m += step
    return ticks


def timeline_svg(
    recommendations: pd.DataFrame,
    evidence: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    traced: bool = True,
) -> str | None:
    """When each recommendation was mentioned by a later document, coloured by status.

    One row per recommendation (grouped by review); a marker per (document,
    status) at the document's date, bigger when several passages of the document
    report on it; a black bar at the review's own date; "no later mention" for
    silent recommendations (unless ``traced`` is false: the linking stage has not
    run). Mentions in undated documents are counted at the row's end. ``None``
    when there are no recommendations.
    """
    if recommendations.empty:
        return None
    from pipeline.recnumbers import number_key

    recs = recommendations.assign(_n=recommendations["number"].map(number_key))
    recs = recs.sort_values(["review", "_n", "rec_id"], kind="stable").reset_index(drop=True)
    links = evidence[evidence["kind"] == "link"] if len(evidence) else evidence
    doc_dates = dict(zip(documents["doc_id"], documents["date"], strict=False))
    if "date" in recs.columns:  # the recommendations stage may date curated reviews itself
        for rec in itertuples(recs):
            if rec.doc_id not in doc_dates and _parse(str(rec.date or "")):
                doc_dates[rec.doc_id] = str(rec.date)
    link_dates = list(map(_parse, links["date"])) if len(links) else []
    all_dates = [d for d in link_dates if d]
    all_dates += [d for d in (_parse(doc_dates.get(x, "")) for x in recs["doc_id"]) if d]
    by_rec = dict(tuple(links.groupby("rec_id"))) if len(links) else {}
    n = len(recs)
    row_h, size = 20.0, 8.0
    row_labels = [_rec_label(r.review, r.number, r.text) for r in itertuples(recs)]
    left = 12 + max(_text_width(x, size) for x in row_labels)
    plot_w = 620.0
    top = 34.0
    plot_h = row_h * n
    lo = min(all_dates) if all_dates else date(2000, 1, 1)
    hi = max(all_dates) if all_dates else date(2000, 12, 31)
    pad = max((hi - lo).days * 0.05, 45)
    x0 = pd.Timestamp(lo) - pd.Timedelta(days=pad)
    span = (pd.Timestamp(hi) + pd.Timedelta(days=pad) - x0).days or 1

    def xpos(d: date) -> float:
        return left + plot_w * (pd.Timestamp(d) - x0).days / span

    svg = _Svg()
    title = "When later documents reported on each recommendation, and what they said" + (
        "" if traced else " (not traced yet: the linking stage has not run)"
    )
    svg.text(8, 14, title, size=11)
    svg.rect(left, top, plot_w, plot_h, "none", stroke="#000000", stroke_width="0.8")
    ticks = _month_ticks(x0.date(), (x0 + pd.Timedelta(days=span)).date()) if all_dates else []
    for tick in ticks:
        x = xpos(tick)
        svg.line(x, top, x, top + plot_h, "#dddddd", 0.6)
        svg.line(x, top + plot_h, x, top + plot_h + 4, "#000000", 0.8)
        label = str(tick.year) if tick.month == 1 else tick.strftime("%b")
        if tick == ticks[0] and tick.month != 1:
            label = tick.strftime("%b %Y")
        svg.text(x, top + plot_h + 12, label, size=size, anchor="middle")
    notes_w = 0.0
    for y_i, rec in enumerate(itertuples(recs)):
        y = top + (y_i + 0.5) * row_h
        svg.line(left, y, left + plot_w, y, "#f0f0f0", 0.6)
        svg.text(left - 6, y, row_labels[y_i], size=size, anchor="end")
        published = _parse(doc_dates.get(rec.doc_id, ""))
        if published:
            svg.marker(xpos(published), y, "|", 14, "#000000")
        mine = by_rec.get(rec.rec_id)
        undated = 0
        if mine is not None:
            for (_doc, status, iso), grp in mine.groupby(["doc_id", "status", "date"]):
                when = _parse(iso)
                if when is None:
                    undated += len(grp)
                    continue
                colour, shape, _ = STATUS_STYLE.get(status, STATUS_STYLE[""])
                diameter = math.sqrt(40 + 25 * (len(grp) - 1)) * 1.33
                svg.marker(xpos(when), y, shape, diameter, colour)
        note = []
        if mine is None and traced:
            note.append("no later mention")
        if undated:
            note.append(f"+{undated} in undated documents")
        if note:
            text = "; ".join(note)
            colour = "#b2182b" if mine is None else "#555555"
            svg.text(left + plot_w + 8, y, text, size=size, fill=colour, italic=True)
            notes_w = max(notes_w, _text_width(text, size) + 12)
    # the legend, below the axis
    entries = [("|", "#000000", "review published")] + [
        (m, c, lab) for c, m, lab in STATUS_STYLE.values()
    ]
    x, y = left, top + plot_h + 34
    for shape, colour, label in entries:
        svg.marker(x + 5, y, shape, 9 if shape != "|" else 12, colour)
        svg.text(x + 14, y, label, size=size)
        x += 24 + _text_width(label, size)
    width = max(left + plot_w + 8 + notes_w, x, _text_width(title, 11) + 16)
    return svg.render(width, y + 16)


def _rec_label(review: str, number: str, text: str, *, width: int = 48) -> str:
    text = " ".join(str(text).split())
    if len(text) > width:
        text = text[: width - 1].rsplit(" ", 1)[0] + "…"
    return f"{review} {number}: {text}" if review else f"{number}: {text}"
