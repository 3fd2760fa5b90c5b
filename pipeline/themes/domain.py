"""What a document is about: children and families, or something else.

The codebook's rules were written for documents about children and families. On the
passages nobody had read when they were written (the rule-blind sets and the test
sets, 982 passages of eleven documents, each scored by a model that never saw its
document), the rules alone scored above the model alone in the six documents about
children and families (micro-F1 0.723 against 0.688) and below it in the five others,
government responses and reports on building safety, the space economy and behaviour
change (0.734 against 0.789), where a word of the codebook more often means something
else. So whether the rules or the model decide a theme is chosen for each kind of
document apart (:func:`pipeline.themes.choice.choose_thresholds`), and a document is
tagged with the choice made for its kind.

A document is about children and families when at least :data:`MIN_SHARE` of its
passages name children, young people, families, parents, pupils, schools or
safeguarding (:data:`CHILD_WORDS`). In the shared corpus that share is 0.15-0.72 in
the six documents and the Hackney minutes, and 0.006-0.07 in the five others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: A document about children and families.
CHILDREN = "children"
#: Any other document.
OTHER = "other"
#: Every kind, the default first.
DOMAINS = (CHILDREN, OTHER)

#: Words that name a child, a family or the safeguarding of either.
CHILD_WORDS = re.compile(
    r"\b(?:child|children|childhood|young\s+(?:people|person)|infants?|bab(?:y|ies)|"
    r"safeguard\w*|famil(?:y|ies)|parents?|pupils?|schools?)\b",
    re.IGNORECASE,
)
#: The share of a document's passages that must name one for it to be about children.
MIN_SHARE = 0.10


def child_share(texts: Iterable[str]) -> float:
    """The share of ``texts`` that contain a word of :data:`CHILD_WORDS` (0 when none)."""
    n = hits = 0
    for text in texts:
        n += 1
        hits += CHILD_WORDS.search(text) is not None
    return hits / n if n else 0.0


def document_domain(texts: Sequence[str]) -> str:
    """:data:`CHILDREN` when at least :data:`MIN_SHARE` of a document's passage
    ``texts`` name a child or family, else :data:`OTHER`. A document without
    passages counts as one about children (the pipeline's subject).

    >>> document_domain(["The school told the child's parents.", "Budget 2024."])
    'children'
    >>> document_domain(["The launch site opened.", "Budget 2024."])
    'other'
    """
    if not texts:
        return CHILDREN
    return CHILDREN if child_share(texts) >= MIN_SHARE else OTHER


def document_domains(doc_ids: Iterable[str], texts: Iterable[str]) -> dict[str, str]:
    """``doc_id -> domain`` of every document, from its passages' ``texts`` (aligned
    with ``doc_ids``)."""
    by_doc: dict[str, list[str]] = {}
    for doc_id, text in zip(doc_ids, texts, strict=True):
        by_doc.setdefault(str(doc_id), []).append(str(text))
    return {doc_id: document_domain(doc_texts) for doc_id, doc_texts in by_doc.items()}
