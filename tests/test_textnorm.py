from __future__ import annotations

import pytest

from pipeline.textnorm import clean_text, normalize_chars, normalize_for_match, normalize_whitespace


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(cid:127) item", "• item"),
        ("\u25cf item", "• item"),
        ("\uf0b7 item", "• item"),
        ("e\ufb03cient of\ufb01ce", "efficient office"),
        ("Children\u2019s \u201cvoice\u201d", 'Children\'s "voice"'),
        ("a\u00a0b", "a b"),
        ("soft\u00adhyphen", "softhyphen"),
        ("\u2017nudges\u2018", "'nudges'"),
    ],
)
def test_normalize_chars(raw: str, expected: str) -> None:
    assert normalize_chars(raw) == expected


def test_unknown_cid_glyphs_are_dropped() -> None:
    assert normalize_chars("a(cid:3)b") == "ab"


def test_normalize_whitespace_collapses_line_breaks() -> None:
    assert normalize_whitespace("  On 14th\n\n  March 2022 ") == "On 14th March 2022"


def test_clean_text_combines_both() -> None:
    assert clean_text("City and Hackney\u00a0 Safeguarding\n Children") == (
        "City and Hackney Safeguarding Children"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Director of Children\u2019s Social Care", "the director of childrens social care"),
        ("anti-racist", "antiracist"),
        ("Government\u2018s Principles", "governments principles"),
        ("Rule  (a):   text!", "rule a text"),
        ("\ufb01rst", "first"),
    ],
)
def test_normalize_for_match(a: str, b: str) -> None:
    assert normalize_for_match(a) == normalize_for_match(b) == b
