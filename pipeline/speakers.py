"""Who said it: speakers of minute paragraphs and of the bullets they introduce.

Minutes attribute a paragraph with a reporting verb after a role or a name: "The
Chair stressed that ...", "Deputy Mayor Bramble thanked officers ...", "The Director
of Children's Social Care highlighted the following:". The bullets that follow a
paragraph ending in a colon carry its speaker. Paragraphs without such an opening
(and their bullets) have no speaker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.structure import Passage

REPORTING_VERBS = [
    "acknowledged",
    "added",
    "advised",
    "agreed",
    "answered",
    "asked",
    "assured",
    "cautioned",
    "challenged",
    "clarified",
    "commented",
    "commended",
    "concluded",
    "confirmed",
    "congratulated",
    "described",
    "drew",
    "echoed",
    "emphasised",
    "emphasized",
    "encouraged",
    "enquired",
    "explained",
    "expressed",
    "gave",
    "highlighted",
    "indicated",
    "informed",
    "introduced",
    "invited",
    "noted",
    "observed",
    "outlined",
    "pointed",
    "praised",
    "presented",
    "proposed",
    "provided",
    "queried",
    "questioned",
    "raised",
    "recognised",
    "recognized",
    "recommended",
    "referred",
    "reiterated",
    "remarked",
    "reminded",
    "replied",
    "reported",
    "requested",
    "responded",
    "said",
    "seconded",
    "sought",
    "stated",
    "stressed",
    "suggested",
    "summarised",
    "summarized",
    "thanked",
    "told",
    "undertook",
    "updated",
    "urged",
    "voiced",
    "welcomed",
    "moved",
]

_NAME_WORD = r"(?:[A-Z][\w'’.\-]*|[A-Z]{2,}s?)"
_LINK_WORD = r"(?:of|for|and|the|&|in|to|on|at)"
_SUBJECT = rf"{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|{_LINK_WORD}))*?"
_SPEAKER = re.compile(
    rf"^(?:The\s+|the\s+)?(?P<who>{_SUBJECT})(?:,\s[^,]{{1,60}},)?\s+"
    rf"(?:also\s+|then\s+|further\s+|again\s+)?(?P<verb>{'|'.join(REPORTING_VERBS)})\b"
)
#: Subjects that are things, not people or bodies that speak in a meeting.
_NOT_SPEAKERS = {
    "report",
    "review",
    "paper",
    "item",
    "council",
    "appendix",
    "plan",
    "update",
    "table",
    "this",
    "it",
    "he",
    "she",
    "they",
    "we",
    "there",
    "recommendation",
    "government",
}


def find_speaker(text: str) -> str:
    """Return the role or name a minute paragraph is attributed to, or ``""``.

    >>> find_speaker("The Chair stressed that the health system played a crucial role")
    'Chair'
    >>> find_speaker("Deputy Mayor Bramble thanked officers for their work in this area.")
    'Deputy Mayor Bramble'
    """
    m = _SPEAKER.match(text.strip())
    if not m:
        return ""
    who = m.group("who").strip()
    # a subject may not end on a linking word ("Director of")
    while who.split() and re.fullmatch(_LINK_WORD, who.split()[-1]):
        who = " ".join(who.split()[:-1])
    if not who or who.lower() in _NOT_SPEAKERS or who.split()[0].lower() in _NOT_SPEAKERS:
        return ""
    return who


def assign_speakers(passages: Sequence[Passage]) -> None:
    """Fill ``speaker`` in place: attributed paragraphs, and the bullets they introduce."""
    current = ""
    for p in passages:
        if p.kind in ("paragraph", "recommendation"):
            p.speaker = find_speaker(p.text)
            # bullets after "... highlighted the following:" carry the speaker
            current = p.speaker if p.text.rstrip().endswith(":") else ""
        elif p.kind == "bullet":
            p.speaker = current
        elif p.kind == "heading":
            current = ""
