"""Which kind of document a text is: about children and families, or another."""

from __future__ import annotations

import pytest

from pipeline.themes.domain import (
    CHILDREN,
    MIN_SHARE,
    OTHER,
    child_share,
    document_domain,
    document_domains,
)


def test_child_share_counts_passages_naming_a_child_or_family() -> None:
    texts = [
        "The School's designated lead met the PARENTS.",
        "Young  people were asked.",
        "Safeguarding partners agreed.",
        "The budget rose by 3%.",
    ]
    assert child_share(texts) == pytest.approx(0.75)
    assert child_share([]) == 0.0
    # a word inside another is not one: "schooling" and "parentheses" name no child
    assert child_share(["Schooling costs.", "In parentheses."]) == 0.0


def test_a_document_is_about_children_from_the_share_up() -> None:
    n = 100
    at_share = ["The child."] * round(MIN_SHARE * n) + ["A launch."] * (n - round(MIN_SHARE * n))
    below = ["The child."] * (round(MIN_SHARE * n) - 1) + ["A launch."] * (
        n - round(MIN_SHARE * n) + 1
    )
    assert document_domain(at_share) == CHILDREN
    assert document_domain(below) == OTHER
    assert document_domain([]) == CHILDREN  # nothing to judge: the pipeline's subject


def test_document_domains_judges_each_document_from_its_own_passages() -> None:
    doc_ids = ["a", "b", "a", "b"]
    texts = ["Families were seen.", "The rocket.", "The plan.", "The orbit."]
    assert document_domains(doc_ids, texts) == {"a": CHILDREN, "b": OTHER}
