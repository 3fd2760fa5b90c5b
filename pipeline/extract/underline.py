"""Underlined text in PDFs: rules drawn under words, kept per line and per passage.

A PDF has no "underlined" font property: a word processor draws the underline as
a thin filled rectangle (or a stroked line) just under the text's baseline. Some
reports set their asks apart inside prose paragraphs that way ("Recommendations
are underlined in the text below"). This module finds those rules among a page's
path objects (:func:`underline_rules`, PDFium), marks the words they lie under
(:func:`underlined_words`), and turns the underlined runs of a line into character
spans of a passage's text (:func:`locate_runs`).

A rule underlines words when it is thin (at most :data:`MAX_THICKNESS` points, or
:data:`MAX_THICKNESS_SIZE` of the font size), horizontal, lies between a fifth of
a font size above and a third below the words' box bottom (the font's descent
under the baseline, where pdfminer and PDFium put it), and is no longer than the
words above it (plus half a font size at each end): a table rule or a line across
the page under a heading reaches well beyond its text and underlines nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

#: A rule at most this thick (points) may be an underline ...
MAX_THICKNESS = 1.6
#: ... or at most this share of the font size of the words above it.
MAX_THICKNESS_SIZE = 0.15
#: Shorter rules are not looked at (a dash, a tick mark).
MIN_LENGTH = 2.0
#: The rule's middle lies between the words' box bottom minus this many font sizes ...
ABOVE_BOTTOM = 0.2
#: ... and the box bottom plus this many (PDFium and pdfminer put the box bottom at the
#: font's descent, a little under where an underline is drawn).
BELOW_BOTTOM = 0.35
#: A rule may reach this many font sizes past the first and last word it underlines.
OVERHANG = 0.5


def underline_rules(page_handle, *, page_top: float, page_left: float = 0.0) -> np.ndarray:
    """Thin horizontal path objects of a PDFium page (forms included) as rows
    ``(x0, x1, y, thickness)`` in points from the page's top-left; ``(0, 4)`` when none.

    One walk over the page objects and one bounds call per path object (about 0.1 ms a
    page).
    """
    from pipeline.extract.pdfium_tables import page_paths, path_api

    api = path_api()
    _, paths = page_paths(page_handle)
    rows: list[tuple[float, float, float, float]] = []
    bounds, refs = api.bounds, api.bounds_refs
    for obj, outer, _n in paths:
        if not api.object_bounds(obj, *refs):
            continue
        left, bottom, right, top = (v.value for v in bounds)
        a, b, c, d, e, f = outer
        if abs(b) > 1e-6 or abs(c) > 1e-6:  # a rotated form: not text underlines
            continue
        x0, x1 = sorted((a * left + e, a * right + e))
        y0, y1 = sorted((d * bottom + f, d * top + f))
        thick = y1 - y0
        if thick <= MAX_THICKNESS and x1 - x0 >= MIN_LENGTH and x1 - x0 > 4 * thick:
            mid = page_top - (y0 + y1) / 2
            rows.append((x0 - page_left, x1 - page_left, mid, thick))
    if not rows:
        return np.zeros((0, 4))
    return np.array(rows, dtype=float)


def underlined_words(
    x0: np.ndarray,
    x1: np.ndarray,
    bottom: np.ndarray,
    size: np.ndarray,
    blank: np.ndarray,
    rules: np.ndarray,
) -> np.ndarray:
    """Which words (boxes in top-left coordinates) a rule of ``rules`` underlines.

    A word is underlined by a rule (:func:`underline_rules`) thin enough for its size,
    lying just under it (module docstring), that covers the word's middle; a rule
    counts only when it reaches no more than :data:`OVERHANG` font sizes past the
    words it underlines. Blank characters are never underlined.
    """
    n = len(x0)
    out = np.zeros(n, dtype=bool)
    if not n or not len(rules):
        return out
    cx = (x0 + x1) / 2
    visible = ~blank
    for rx0, rx1, ry, thick in rules.tolist():
        near = (
            visible
            & (cx >= rx0)
            & (cx <= rx1)
            & (ry >= bottom - ABOVE_BOTTOM * size)
            & (ry <= bottom + BELOW_BOTTOM * size)
            & (thick <= np.maximum(MAX_THICKNESS, MAX_THICKNESS_SIZE * size))
        )
        if not near.any():
            continue
        idx = np.flatnonzero(near)
        slack = OVERHANG * float(np.max(size[idx]))
        if rx0 < float(np.min(x0[idx])) - slack or rx1 > float(np.max(x1[idx])) + slack:
            continue  # longer than its text: a table or heading rule
        out[idx] = True
    return out


_SPACES = re.compile(r"\s+")


def locate_runs(text: str, runs: Sequence[str]) -> list[list[int]]:
    """Character spans ``[start, end)`` of ``text`` holding the underlined ``runs`` (in
    reading order, each searched after the previous one); spans that touch or are
    separated only by spaces are merged. A run hyphenated at a line end ("differ-")
    is also looked for without its hyphen; a run that is not found is skipped."""
    spans: list[list[int]] = []
    pos = 0
    for run in runs:
        run = _SPACES.sub(" ", run).strip()
        if not run:
            continue
        at = text.find(run, pos)
        if at < 0 and run.endswith("-"):
            run = run[:-1]
            at = text.find(run, pos)
        if at < 0:
            continue
        end = at + len(run)
        if spans and not text[spans[-1][1] : at].strip():
            spans[-1][1] = end
        else:
            spans.append([at, end])
        pos = end
    return spans


def spans_share(text: str, spans: Sequence[Sequence[int]], start: int = 0, end: int = -1) -> float:
    """The share (0-1) of the non-space characters of ``text[start:end]`` inside ``spans``."""
    end = len(text) if end < 0 else end
    total = sum(1 for ch in text[start:end] if not ch.isspace())
    if not total:
        return 0.0
    inside = 0
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a < b:
            inside += sum(1 for ch in text[a:b] if not ch.isspace())
    return inside / total
