"""Explicit mentions of recommendations in a passage: "Recommendation 3", "recommendations
3 and 4", "8.14-8.16", "R3", "Recommendation B", a table column of numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.recnumbers import number_order, top_number

_NUM = r"\d{1,3}(?:\.\d{1,3})?(?![\d.]\d)(?:\s?\(?[a-z]\)(?:\s?\(?[ivx]{1,4}\))?|[a-z]\b)?"
_LIST = rf"{_NUM}(?:\s*(?:,|and|&|or|to|-|–|—)\s*(?:recommendations?\s+)?{_NUM})*"
_EXPLICIT = re.compile(
    rf"\b(?:recommendations?|recs?\.?)\s*(?:nos?\.?\s*|numbers?\s+)?(?P<list>{_LIST})",
    re.I,
)
_R_REF = re.compile(r"(?<![\w./-])R(?P<num>\d{1,3})(?P<sub>[a-z])?(?![\w/-])")
#: Lettered recommendations: "Recommendation B", "recommendations A and C" (capitals only,
#: so that "recommendation a" is not one; a letter names nothing unless the review has it).
_LETTER_REF = re.compile(
    r"\b(?i:recommendations?|recs?\.?)\s+(?P<list>[A-Z](?:\s*(?:,|and|&|or)\s*[A-Z])*)(?![\w'’])"
)
REC_WORD = re.compile(r"\brecommendations?\b", re.I)
#: The header of a table column of recommendation numbers ("Rec no", "Recommendation").
NUMBER_HEADER = re.compile(
    r"^(?:(?:recommendations?|rec\.?|ref\.?)(?:\s*(?:no\.?|number|ref\.?))?|no\.?|number)$", re.I
)
#: The label a restated recommendation may open with ("Recommendation:", "Recommendation 4 -").
REC_LABEL = re.compile(r"^\s*recommendation(?:\s+\d{1,3}(?:\.\d{1,3})?)?\s*[:.\-–—]\s*", re.I)
_RANGE = re.compile(r"^\s*(?:to|-|–|—)\s*$")


@dataclass(frozen=True)
class Reference:
    """An explicit mention: the top-level numbers, the words, and where they start."""

    numbers: tuple[str, ...]
    words: str
    start: int
    ranges: tuple[tuple[str, str], ...] = ()


def find_references(text: str) -> list[Reference]:
    """Explicit recommendation references in ``text``.

    Ranges ("8.14-8.16", "3 to 5") are returned as their two ends in ``ranges``;
    :func:`expand_reference` fills them in from the numbers that exist.

    >>> [r.numbers for r in find_references("Recommendations 4 and 5 are in progress")]
    [('4', '5')]
    """
    out: list[Reference] = []
    for m in _EXPLICIT.finditer(text):
        items = list(re.finditer(_NUM, m.group("list")))
        numbers: list[str] = []
        ranges: list[tuple[str, str]] = []
        prev_end, prev_num = 0, ""
        for item in items:
            number = top_number(item.group(0))
            between = m.group("list")[prev_end : item.start()]
            if prev_num and _RANGE.match(between):
                ranges.append((prev_num, number))
            numbers.append(number)
            prev_end, prev_num = item.end(), number
        if numbers:
            out.append(
                Reference(tuple(dict.fromkeys(numbers)), m.group(0), m.start(), tuple(ranges))
            )
    for m in _R_REF.finditer(text):
        out.append(Reference((m.group("num"),), m.group(0), m.start()))
    for m in _LETTER_REF.finditer(text):
        letters = tuple(dict.fromkeys(re.findall(r"[A-Z]", m.group("list"))))
        out.append(Reference(letters, m.group(0), m.start()))
    return sorted(out, key=lambda r: r.start)


def expand_reference(ref: Reference, existing: list[str]) -> list[str]:
    """The numbers a reference names, with ranges filled from the ``existing`` numbers."""
    numbers = list(ref.numbers)
    for lo, hi in ref.ranges:
        klo, khi = number_order(lo), number_order(hi)
        if klo < khi and len(klo) == len(khi):
            keys = {n: number_order(n) for n in existing}
            inside = [n for n, k in keys.items() if klo <= k <= khi and len(k) == len(klo)]
            if len(inside) <= 50:
                numbers.extend(inside)
    return sorted(dict.fromkeys(numbers), key=number_order)
