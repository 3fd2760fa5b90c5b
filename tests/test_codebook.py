"""The codebook: the shipped one is complete, and a codebook with a mistake is refused
with a message naming the file, the theme and the problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline.themes.codebook import CodebookError, default_codebook_path, load_codebook

CORE = [
    "anti_racism",
    "adultification",
    "voice_of_child",
    "voice_of_family",
    "police",
    "searches",
    "education",
    "safeguarding_first",
    "health_trauma",
    "multi_agency",
    "community_trust",
    "learning",
    "oversight",
    "national_policy",
]
FURTHER = [
    "domestic_abuse",
    "neglect",
    "exploitation",
    "substance_misuse",
    "mental_health_parent",
    "online_harm",
    "disability",
    "infant_safety",
    "housing",
    "risk_assessment",
]


def test_shipped_codebook_has_every_theme_of_codebook_md() -> None:
    book = load_codebook()
    assert book.core_ids == CORE
    assert set(FURTHER) <= set(book.ids)
    for theme in book.themes:
        assert theme.label and theme.description and theme.patterns
    assert book.sha256 and Path(book.source) == default_codebook_path()


GOOD_THEME = """
  - id: police
    label: Police
    description: Police involvement.
    patterns: [police]
"""


def _write(tmp_path: Path, themes: str, head: str = "") -> Path:
    path = tmp_path / "my_codebook.yaml"
    path.write_text(head + "themes:\n" + textwrap.dedent(themes), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("themes", "theme", "problem"),
    [
        (  # a typo in a theme key
            """
            - id: police
              label: Police
              description: d
              paterns: [police]
            """,
            "police",
            "unknown key 'paterns'",
        ),
        (  # a typo in a pattern key
            """
            - id: police
              label: Police
              description: d
              patterns: [{phrse: police}]
            """,
            "police",
            "unknown key 'phrse'",
        ),
        (  # a token attribute spaCy does not know
            """
            - id: searches
              label: Searches
              description: d
              patterns: [{tokens: [{LEMA: search}]}]
            """,
            "searches",
            "unknown attribute(s) ['LEMA']",
        ),
        (  # a bad operator
            """
            - id: searches
              label: Searches
              description: d
              patterns: [{tokens: [{LEMMA: strip, OP: "++"}]}]
            """,
            "searches",
            "bad OP",
        ),
        (  # duplicate theme ids
            """
            - id: police
              label: Police
              description: d
              patterns: [police]
            - id: police
              label: Police again
              description: d
              patterns: [officer]
            """,
            "",
            "duplicate theme id 'police'",
        ),
        (  # the same pattern twice in one theme
            """
            - id: police
              label: Police
              description: d
              patterns: [police, constable]
              weak: [police]
            """,
            "police",
            "duplicate pattern 'police'",
        ),
        (  # a near pattern with one list
            """
            - id: voice_of_child
              label: Voice
              description: d
              patterns: [{near: [[listen]]}]
            """,
            "voice_of_child",
            "two non-empty lists",
        ),
        (  # a weight out of range
            """
            - id: police
              label: Police
              description: d
              patterns: [{phrase: police, weight: 1.5}]
            """,
            "police",
            "less than or equal to 1",
        ),
        (  # a list weight out of range
            """
            - id: education
              label: Education
              description: d
              patterns: [school]
              listed_weight: 0
            """,
            "education",
            "listed_weight: Input should be greater than 0",
        ),
        (  # an id that is not snake_case
            """
            - id: Police Involvement
              label: Police
              description: d
              patterns: [police]
            """,
            "Police Involvement",
            "should match pattern",
        ),
        (  # a pattern with two shapes
            """
            - id: police
              label: Police
              description: d
              patterns: [{phrase: police, near: [[a], [b]]}]
            """,
            "police",
            "exactly one of",
        ),
    ],
)
def test_bad_codebook_is_refused_naming_file_theme_problem(
    tmp_path: Path, themes: str, theme: str, problem: str
) -> None:
    path = _write(tmp_path, themes)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    message = str(err.value)
    assert str(path.resolve()) in message
    assert f"theme '{theme}'" in message or not theme
    assert problem in message


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="not valid YAML"):
        load_codebook(bad)
    with pytest.raises(CodebookError, match="cannot be read"):
        load_codebook(tmp_path / "absent.yaml")


def test_unknown_top_level_setting_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_THEME, head="settings:\n  treshold: 0.5\n")
    with pytest.raises(CodebookError, match="settings: unknown key 'treshold'"):
        load_codebook(path)


def test_a_valid_custom_codebook_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_THEME, head="name: mine\nsettings:\n  threshold: 0.6\n")
    book = load_codebook(path)
    assert book.ids == ["police"] and book.name == "mine"
    assert book.settings.threshold == 0.6
    assert book.core_ids == []


def test_bad_token_patterns_are_refused_unless_only_labels_are_read(tmp_path: Path) -> None:
    """The tagger's load compiles token patterns; the tables' (labels only) does not."""
    path = _write(
        tmp_path,
        """
        - id: police
          label: Police involvement
          description: d
          patterns: [{tokens: [{IS_ALPHA: notabool}]}]
        """,
    )
    with pytest.raises(CodebookError, match="bad token pattern"):
        load_codebook(path)
    book = load_codebook(path, check_patterns=False)
    assert [(t.id, t.label) for t in book.themes] == [("police", "Police involvement")]
