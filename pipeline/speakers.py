"""Who said it: speakers of minute paragraphs and of the bullets they introduce.

Minutes attribute a paragraph with a reporting verb after a role or a name: "The
Chair stressed that ...", "Deputy Mayor Bramble thanked officers ...", "The Director
of Children's Social Care highlighted the following:". The bullets that follow a
paragraph ending in a colon carry its speaker. Paragraphs without such an opening
(and their bullets) have no speaker.

A paragraph that holds a question and its answer ("Councillor Tiernan asked about
Recommendation 6. The Head of Education Safeguarding said that ...") has two
speakers: ``speaker`` stays the one it opens with, and ``speaker_spans`` gives each
sentence its own (a sentence with no attribution of its own, "She asked for ...",
keeps the speaker before it), as ``[[start, end, speaker], ...]`` character offsets.

Who is asked to act: a sentence "X and Y should ..." (must, need to, are asked to)
names both X and Y (``addressees``, ``;``-separated).
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


_SENTENCE = re.compile(r"(?<=[.!?])[\"'’”)]*\s+(?=[A-Z\"'‘“(])")


def sentence_speakers(text: str, first: str = "") -> list[tuple[int, int, str]]:
    """Each sentence of a minute paragraph with its speaker: ``(start, end, speaker)``.

    A sentence with no attribution of its own keeps the speaker before it (``first``
    for the opening sentence when it has none).

    >>> sentence_speakers("Councillor Yeboah asked how many. The Head of Service said 212.")
    [(0, 33, 'Councillor Yeboah'), (34, 63, 'Head of Service')]
    """
    out: list[tuple[int, int, str]] = []
    current = first
    start = 0
    bounds = [m.end() for m in _SENTENCE.finditer(text)] + [len(text)]
    for end in bounds:
        sentence = text[start:end].rstrip()
        if sentence:
            current = find_speaker(sentence) or current
            out.append((start, start + len(sentence), current))
        start = end
    return out


_ADDRESSED = re.compile(
    rf"^(?:The\s+|the\s+)?(?P<who>{_SUBJECT})\s+(?:should|must|shall|ought\s+to|"
    r"needs?\s+to|will\s+need\s+to|(?:is|are)\s+(?:asked|requested|invited)\s+to)\b"
)
#: Last words of a role or body: "X and Y" is two addressees when X ends in one of these
#: (or Y starts with "the"); else "Children and Young People Scrutiny Commission" is one.
_HEADS = {
    "authority",
    "board",
    "chair",
    "commission",
    "committee",
    "council",
    "director",
    "executive",
    "forum",
    "group",
    "head",
    "lead",
    "leads",
    "manager",
    "officer",
    "officers",
    "panel",
    "partnership",
    "police",
    "safeguarding",
    "schools",
    "service",
    "services",
    "team",
    "trust",
}


def minute_addressees(text: str) -> list[str]:
    """The roles or bodies a minute's sentences ask to act ("X and Y should ..."), in order.

    >>> minute_addressees("The Director and the Head of Education Safeguarding should report back.")
    ['Director', 'Head of Education Safeguarding']
    >>> minute_addressees("The Children and Young People Scrutiny Commission should be updated.")
    ['Children and Young People Scrutiny Commission']
    """
    out: list[str] = []
    for start, end, _ in sentence_speakers(text):
        m = _ADDRESSED.match(text[start:end])
        if not m:
            continue
        parts = [m.group("who").strip()]
        while True:
            left, sep, right = parts[-1].rpartition(" and ")
            if not sep:
                break
            right_the = right.startswith(("the ", "The "))
            if not (right_the or left.split()[-1].lower() in _HEADS):
                break
            parts[-1:] = [left, re.sub(r"^(?:the|The)\s+", "", right)]
        # "A, B and C": a list whose commas the subject grammar does not read
        for who in parts:
            if who and who.split()[0].lower() not in _NOT_SPEAKERS and who not in out:
                out.append(who)
    return out


def assign_speakers(passages: Sequence[Passage]) -> None:
    """Fill ``speaker`` in place: attributed paragraphs, and the bullets they introduce;
    ``speaker_spans`` where a paragraph has more than one speaker; ``addressees``."""
    current = ""
    for p in passages:
        p.addressees = ";".join(minute_addressees(p.text)) if p.kind != "heading" else ""
        if p.kind in ("paragraph", "recommendation"):
            p.speaker = find_speaker(p.text)
            spans = sentence_speakers(p.text, p.speaker)
            if len({s for _, _, s in spans}) > 1:
                p.speaker_spans = [list(s) for s in spans]
            # bullets after "... highlighted the following:" carry the speaker
            current = p.speaker if p.text.rstrip().endswith(":") else ""
        elif p.kind == "bullet":
            p.speaker = current
        elif p.kind == "heading":
            current = ""
