"""Small pure functions that normalise text from every reader the same way."""

from __future__ import annotations

import re
import unicodedata

# Bullet glyphs seen in council and government documents, after pdfplumber's
# "(cid:127)" for a bullet in a standard font and the Private Use Area code points
# that Symbol/Wingdings fonts map their bullets to.
BULLET_CHARS = "•●▪■◦○‣⁃∙·▫□➢➤►▶✓✔-–—*"
_PUA_BULLETS = "\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0a8\uf06e\uf075\uf0e0\uf0d0"
_CID_BULLET = re.compile(r"\(cid:(?:127|149|183|108|110|113|167)\)")
_CID_ANY = re.compile(r"\(cid:\d+\)")

_TRANSLATE = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u3000": " ",
        "\t": " ",
        "\u200b": "",  # zero-width space
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u00ad": "",  # soft hyphen
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u2017": "'",  # double low line, printed as an opening quote in some PDFs
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u25cf": "•",
        "\u2022": "•",
        "\u2219": "•",
        "\u25aa": "•",
        "\u25a0": "•",
        **{c: "•" for c in _PUA_BULLETS},
    }
)

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_SPACES = re.compile(r"[ \f\v\r\n]+")


def normalize_chars(text: str) -> str:
    """Normalise odd Unicode: ligatures, NBSP and other spaces, smart quotes, bullets.

    pdfplumber's ``(cid:127)`` (a bullet in a standard font) becomes ``•``; other
    unmapped ``(cid:N)`` glyph references are dropped. Line breaks are kept.
    """
    if text.isascii() and "\t" not in text and "(cid:" not in text:
        return text  # a tab and "(cid:" are the only ASCII this function changes
    if "(cid:" in text:
        text = _CID_BULLET.sub("•", text)
        text = _CID_ANY.sub("", text)
    for lig, rep in _LIGATURES.items():
        if lig in text:
            text = text.replace(lig, rep)
    return text.translate(_TRANSLATE)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace (including line breaks) to one space and strip."""
    if "  " in text or "\n" in text or "\r" in text or "\f" in text or "\v" in text:
        text = _SPACES.sub(" ", text)  # else there is no run to collapse
    return text.strip()


def clean_text(text: str) -> str:
    """Normalise characters and whitespace: the form every passage text is stored in."""
    return normalize_whitespace(normalize_chars(text))


class _PunctTable(dict):
    """``str.translate`` table of :func:`normalize_for_match`, filled as characters are met:
    punctuation and symbols (Unicode categories P*, S*) become a space, apostrophes and
    hyphens nothing, every other character itself."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        cat = unicodedata.category(ch)
        value = ("" if ch in "'-" else " ") if cat[0] in "PS" else ch
        self[code] = value
        return value


_PUNCT_TABLE = _PunctTable()


def normalize_for_match(text: str) -> str:
    """The comparison form used for gold labels: NFKC, casefold, no punctuation, single spaces.

    See ``DESIGN.md``, "Gold data format". Apostrophes and hyphens are removed
    rather than replaced with a space, so "child's" and "childs", "anti-racist"
    and "antiracist" compare equal.
    """
    text = unicodedata.normalize("NFKC", normalize_chars(text)).casefold()
    return normalize_whitespace(text.translate(_PUNCT_TABLE))
