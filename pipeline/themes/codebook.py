"""The theme codebook: a YAML file of themes and their patterns, validated on load.

A codebook is data, not code. Each theme has an ``id``, a ``label``, a
``description`` and patterns of three shapes:

- a **phrase** (a plain string, or ``{phrase: ...}``): words matched on their
  lookup lemmas, so "searched" matches "search"; a phrase written with a hyphen
  or with two words also matches its spaced, hyphenated and joined spellings
  ("anti-racist", "anti racist", "antiracist");
- a **token pattern** (``{tokens: [...]}``): a spaCy ``Matcher`` pattern whose
  ``LEMMA`` and ``LOWER`` values are written as plain words;
- a **near** pattern (``{near: [[...], [...]], window: 3}``): a word of the first
  list within ``window`` words of a word of the second, in either order (or in
  that order with ``ordered: true``); list items may be multi-word phrases.

Patterns sit in ``patterns`` (default weight), ``weak`` (a cue that tags a
passage only together with another cue) or ``exclude`` (contexts in which the
theme's matches do not count, e.g. "parent in custody" for ``police``). Every
pattern may carry ``weight`` (0 to 1), ``id`` and ``note``. A theme may set
``listed_weight``: the weight of a mention that stands in a list of agencies
("Education, Health, Police and Social Care"), where naming a service among others
does not yet raise its theme.

:func:`load_codebook` refuses a codebook with an unknown key, a bad pattern or a
duplicate id with a :class:`CodebookError` naming the file, the theme and the
problem.
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: Token attributes a codebook token pattern may use (spaCy ``Matcher`` names).
TOKEN_ATTRS = frozenset(
    {
        "LEMMA",
        "LOWER",
        "ORTH",
        "TEXT",
        "IS_ALPHA",
        "IS_DIGIT",
        "IS_PUNCT",
        "IS_TITLE",
        "IS_UPPER",
        "IS_LOWER",
        "LIKE_NUM",
        "LENGTH",
        "OP",
    }
)
_OPS = {"!", "?", "+", "*"}
_ID = r"^[a-z][a-z0-9_]*$"


class CodebookError(ValueError):
    """A codebook cannot be used; the message names the file, the theme and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(_Strict):
    """One pattern: exactly one of ``phrase``, ``tokens`` or ``near``."""

    phrase: str | None = None
    tokens: list[dict[str, Any]] | None = None
    near: list[list[str]] | None = None
    window: int = Field(default=3, ge=0, le=12)
    ordered: bool = False
    weight: float | None = Field(default=None, gt=0.0, le=1.0)
    id: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Pattern:
        shapes = [s for s in ("phrase", "tokens", "near") if getattr(self, s) is not None]
        if len(shapes) != 1:
            got = shapes or "none"
            raise ValueError(f"a pattern needs exactly one of 'phrase', 'tokens', 'near' ({got})")
        if self.phrase is not None and not self.phrase.strip():
            raise ValueError("empty phrase")
        if self.tokens is not None:
            _check_tokens(self.tokens)
        if self.near is not None:
            if len(self.near) != 2 or not all(self.near):
                raise ValueError("'near' needs two non-empty lists of words")
            for side in self.near:
                for item in side:
                    if not str(item).strip():
                        raise ValueError("'near' lists must not contain empty words")
        return self

    @property
    def kind(self) -> Literal["phrase", "tokens", "near"]:
        """Which of the three shapes this pattern has."""
        if self.phrase is not None:
            return "phrase"
        return "tokens" if self.tokens is not None else "near"

    def describe(self) -> str:
        """A short human-readable form of the pattern (used as its default id)."""
        if self.phrase is not None:
            return self.phrase
        if self.near is not None:
            return f"near({'|'.join(self.near[0][:3])}; {'|'.join(self.near[1][:3])})"
        parts = []
        for tok in self.tokens or []:
            val = next((v for k, v in tok.items() if k != "OP"), "*")
            if isinstance(val, dict):
                val = "|".join(map(str, next(iter(val.values()), [])))[:30]
            parts.append(f"{val}{tok.get('OP', '')}")
        return " ".join(map(str, parts))


def _check_tokens(tokens: list[dict[str, Any]]) -> None:
    if not tokens:
        raise ValueError("'tokens' must list at least one token")
    for i, tok in enumerate(tokens):
        if not isinstance(tok, dict):
            raise ValueError(f"token {i + 1} must be a mapping, got {tok!r}")
        unknown = sorted(set(tok) - TOKEN_ATTRS)
        if unknown:
            raise ValueError(
                f"token {i + 1}: unknown attribute(s) {unknown}; use {sorted(TOKEN_ATTRS)}"
            )
        op = tok.get("OP")
        if op is not None and not (op in _OPS or (isinstance(op, str) and _is_range_op(op))):
            raise ValueError(f"token {i + 1}: bad OP {op!r}; use ! ? + * or {{n,m}}")
        for key, val in tok.items():
            if key == "OP":
                continue
            if isinstance(val, dict):
                bad = sorted(set(val) - {"IN", "NOT_IN"})
                if bad or not all(isinstance(v, list) and v for v in val.values()):
                    raise ValueError(
                        f"token {i + 1}: {key} must be a value or {{IN: [...]}} / {{NOT_IN: [...]}}"
                    )


def _is_range_op(op: str) -> bool:
    if not (op.startswith("{") and op.endswith("}")):
        return False
    parts = op[1:-1].split(",")
    return 1 <= len(parts) <= 2 and all(p.strip().isdigit() or p.strip() == "" for p in parts)


PatternLike = str | Pattern


class Theme(_Strict):
    """One theme of the codebook."""

    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    core: bool = False
    weight: float | None = Field(default=None, gt=0.0, le=1.0)
    patterns: list[PatternLike] = Field(min_length=1)
    weak: list[PatternLike] = Field(default_factory=list)
    exclude: list[PatternLike] = Field(default_factory=list)
    listed_weight: float | None = Field(default=None, gt=0.0, le=1.0)

    def all_patterns(self) -> list[tuple[str, Pattern]]:
        """``(role, pattern)`` for every pattern; role is patterns, weak or exclude."""
        out = []
        for role in ("patterns", "weak", "exclude"):
            for p in getattr(self, role):
                out.append((role, Pattern(phrase=p) if isinstance(p, str) else p))
        return out


class Negation(_Strict):
    """NegEx-style cues: a theme mention in their scope is marked negated."""

    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    terminators: list[str] = Field(default_factory=list)
    window: int = Field(default=6, ge=1, le=20)


class Settings(_Strict):
    """Codebook-wide settings; every value is documented in the shipped codebook."""

    threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    default_weight: float = Field(default=0.8, gt=0.0, le=1.0)
    weak_weight: float = Field(default=0.35, gt=0.0, le=1.0)
    fuzzy_threshold: float = Field(default=88.0, ge=50.0, le=100.0)
    fuzzy_min_length: int = Field(default=6, ge=3)
    name_heads: list[str] = Field(default_factory=list)
    name_connectors: list[str] = Field(default_factory=list)
    address_words: list[str] = Field(default_factory=list)


class Codebook(_Strict):
    """A validated codebook."""

    version: int = 1
    name: str = "codebook"
    description: str = ""
    settings: Settings = Field(default_factory=Settings)
    negation: Negation = Field(default_factory=Negation)
    themes: list[Theme] = Field(min_length=1)
    #: Where the codebook was read from and the hash of its bytes (set by the loader).
    source: str = ""
    sha256: str = ""

    @field_validator("themes")
    @classmethod
    def _unique_ids(cls, themes: list[Theme]) -> list[Theme]:
        seen: set[str] = set()
        for t in themes:
            if t.id in seen:
                raise ValueError(f"duplicate theme id '{t.id}'")
            seen.add(t.id)
        return themes

    @property
    def ids(self) -> list[str]:
        """Theme ids in codebook order."""
        return [t.id for t in self.themes]

    @property
    def core_ids(self) -> list[str]:
        """Ids of the core themes (the ones the shared gold labels use)."""
        return [t.id for t in self.themes if t.core]

    def theme(self, theme_id: str) -> Theme:
        """The theme with this id (``KeyError`` if none)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)


def default_codebook_path() -> Path:
    """Path of the codebook shipped in the package."""
    return Path(str(resources.files("pipeline.themes").joinpath("codebook.yaml")))


def load_codebook(
    path: str | os.PathLike[str] | None = None, *, check_patterns: bool = True
) -> Codebook:
    """Read and validate a codebook (``None``: the shipped default).

    ``check_patterns=False`` skips compiling the token patterns with spaCy's
    validating matcher (about a second, most of it importing spaCy): for readers that
    need only the themes' ids, labels and descriptions, such as the tables.

    Raises :class:`CodebookError` naming the file, the theme and the problem.
    """
    path = Path(path) if path else default_codebook_path()
    return _load_cached(str(path.resolve()), _mtime(path), check_patterns)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError as exc:
        raise CodebookError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


#: libyaml's safe loader when PyYAML was built with it (the same data, about eight times
#: faster than the pure-Python one: the shipped codebook in 0.02 s instead of 0.16 s).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=16)
def _load_cached(path: str, mtime: float, check_patterns: bool = True) -> Codebook:
    book = _read_validated(path, mtime)
    if check_patterns:
        _check_compiles(path, book)
    return book


@functools.lru_cache(maxsize=16)
def _read_validated(path: str, mtime: float) -> Codebook:
    """The codebook at ``path`` parsed and validated, patterns not yet compiled (read
    once per file version, whichever ``check_patterns`` a caller asks for)."""
    raw_bytes = Path(path).read_bytes()
    try:
        data = yaml.load(raw_bytes.decode("utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: a codebook is a mapping with a 'themes' list")
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        raise CodebookError(_describe(path, data, exc)) from exc
    _check_duplicates(path, book)
    return book.model_copy(update={"source": path, "sha256": hashlib.sha256(raw_bytes).hexdigest()})


def _describe(path: str, data: dict[str, Any], exc: ValidationError) -> str:
    """Turn pydantic errors into lines naming the theme and the place in it."""
    themes = data.get("themes") if isinstance(data.get("themes"), list) else []
    lines = []
    errors = exc.errors()
    # a pattern is a string or a mapping: when a mapping fails, the "not a string"
    # complaint of the other branch is noise
    branch = {tuple(e["loc"][: e["loc"].index("str")]) for e in errors if "str" in e["loc"]}
    errors = [
        e
        for e in errors
        if not (
            "str" in e["loc"]
            and e["type"] == "string_type"
            and any(
                tuple(o["loc"][: len(b)]) == b and "str" not in o["loc"]
                for o in errors
                for b in branch
                if tuple(e["loc"][: len(b)]) == b
            )
        )
    ]
    for err in errors:
        loc = [x for x in err["loc"] if not str(x).startswith("function-")]
        where = ""
        if len(loc) >= 2 and loc[0] == "themes" and isinstance(loc[1], int):
            entry = themes[loc[1]] if loc[1] < len(themes) else {}
            tid = entry.get("id") if isinstance(entry, dict) else None
            where = f"theme '{tid}'" if tid else f"theme #{loc[1] + 1}"
            loc = loc[2:]
        # pydantic reports the union branch tried ("str", "Pattern"); drop it from the place
        rest = [str(x) for x in loc if x not in ("str", "Pattern")]
        rest = [f"[{int(x) + 1}]" if x.isdigit() else x for x in rest]
        place = ".".join(rest).replace(".[", "[")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{loc[-1]}'"
            place = ".".join(rest[:-1]).replace(".[", "[")
        parts = [p for p in (where, place) if p]
        lines.append(f"{path}: {': '.join([*parts, msg])}")
    # a bad pattern fails both union branches; report each problem once
    return "\n".join(dict.fromkeys(lines))


def _check_duplicates(path: str, book: Codebook) -> None:
    for theme in book.themes:
        seen: dict[str, str] = {}
        for role, pat in theme.all_patterns():
            key = pat.id or f"{pat.kind}:{pat.describe()}"
            if pat.id is None and pat.kind != "phrase":
                key = f"{pat.kind}:{pat.model_dump_json()}"
            if key in seen:
                name = pat.id or pat.describe()
                raise CodebookError(
                    f"{path}: theme '{theme.id}': duplicate pattern '{name}' "
                    f"(in {seen[key]} and {role})"
                )
            seen[key] = role


def _check_compiles(path: str, book: Codebook) -> None:
    """Compile every token pattern with spaCy's validating Matcher."""
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    matcher = Matcher(Vocab(), validate=True)
    for theme in book.themes:
        for role, pat in theme.all_patterns():
            if pat.tokens is None:
                continue
            try:
                matcher.add("check", [pat.tokens])
            except (MatchPatternError, ValueError, TypeError) as exc:
                detail = " ".join(str(exc).split())
                raise CodebookError(
                    f"{path}: theme '{theme.id}': {role}: bad token pattern "
                    f"'{pat.id or pat.describe()}': {detail}"
                ) from exc
