"""Recommendation numbers: the one place that says how they are read and ordered.

Shared vocabulary of the ground floor (CONTRIBUTING.md, "The house"): finding
recommendations, linking replies to them, the tables and the briefings all sort and
compare numbers the same way. A number is a top-level "8", "8.14" or a letter "B";
a deeper "8.14.2" or a sub-part "4a" / "4(a)" belongs to its top number.
"""

from __future__ import annotations

import re

#: Top-level number of a printed reference: "8.14" -> "8.14", "8.14.2" -> "8.14",
#: "4(a)" -> "4", "12" -> "12", a letter "B" -> "B".
DEEP_NUMBER = re.compile(r"^(\d{1,3}\.\d{1,3})\.\d{1,3}$")
_TOP_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})?)(?![\d/])")
#: A lettered recommendation's number ("Recommendation B").
LETTER = re.compile(r"[A-Z]")


def top_number(ref: str) -> str:
    """The top-level number of a printed reference ("8.14.2" -> "8.14", "4a" -> "4").

    >>> top_number("8.14.2"), top_number("4(a)"), top_number("B"), top_number("(iii)")
    ('8.14', '4', 'B', '')
    """
    ref = ref.strip()
    if m := DEEP_NUMBER.match(ref):
        return m.group(1)
    if m := _TOP_NUMBER.match(ref):
        return m.group(1)
    return ref if LETTER.fullmatch(ref) else ""


def number_order(number: str) -> tuple[int, ...]:
    """Sort key of a recommendation number: "2" < "8.2" < "8.14" < "10" < "B".

    Lettered recommendations follow the numbered ones, in letter order.
    """
    if LETTER.fullmatch(number):
        return (10_000 + ord(number),)
    return tuple(int(x) for x in re.findall(r"\d+", number))


def number_key(number: str) -> str:
    """Sort key for recommendation numbers as a string (for pandas sorts), in the order
    of :func:`number_order`: "2" < "8.2" < "8.14" < "10" < "B".

    >>> sorted(["10", "2", "8.14", "8.2"], key=number_key)
    ['2', '8.2', '8.14', '10']
    """
    return ".".join(f"{x:09d}" for x in number_order(str(number))) or "~"
