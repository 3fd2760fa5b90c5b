"""The status a passage states for the recommendation it answers, from its own words.

Statuses (``links.status``): ``accepted``, ``accepted_in_principle``,
``partially_accepted``, ``not_accepted``, ``under_consideration``,
``completed``, ``on_hold``, ``in_progress``, ``not_started``, ``planned``, or
``""`` when the passage states none.

Cue phrases are matched on the lower-cased passage, one sentence at a time, and
the strongest statement wins in this order: a decision on the recommendation
(not accepted, partially accepted, accepted in principle, accepted), then what
has happened (completed, on hold, in progress), then what may happen (under
consideration, planned), and last that nothing has happened yet (not started: "has
not yet started ... is planned to begin in March" is planned). "On hold", "deferred"
and "paused" are ``on_hold``; "not yet started", "has not started", "yet to start"
are ``not_started``.
Negation and hedging are part of the cues: "has not been accepted" is
``not_accepted`` and never ``accepted``; "has not yet been completed" is
``in_progress``; "will consider" is ``under_consideration``.

A status written as a label wins: a table cell ("| Not accepted |") or "Status:
Completed".

Two rules read the passage as a whole:

* agreement with the recommendation itself ("accepts the recommendation",
  "agrees with the Committee's conclusion") is ``accepted``; agreement only with
  its premise or aim ("agrees that more should be done", "agrees with the
  principle") is ``accepted_in_principle``;
* agreement together with a refusal of part of what was asked ("... without the
  need for central Government intervention", "does not believe it appropriate")
  is ``partially_accepted``; such a refusal alone is ``not_accepted``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.schema import LINK_STATUSES

#: The status vocabulary, in the one place the output contract defines it.
STATUSES = LINK_STATUSES


@dataclass(frozen=True)
class Status:
    """A detected status and the words that gave it (``cue``); both empty when none."""

    status: str = ""
    cue: str = ""


_NEG = r"(?:not|n't|never|no longer)"
_BE = r"(?:is|are|was|were|has been|have been|had been|be|being)"
_SUBJECT_ACCEPT = (
    r"(?:accept|accepts|accepted|agree|agrees|agreed|support|supports|endorse|endorses)"
)
_REC_OBJECT = (
    r"(?:the|this|these|that|those|its|their|our|all|both|each|every)?\s*(?:committee['’]?s?\s+|"
    r"review['’]?s?\s+|inquiry['’]?s?\s+|panel['’]?s?\s+|report['’]?s?\s+)?"
    r"(?:recommendations?|conclusions?|findings?|view|proposals?)"
)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


#: Explicit status words, in order of precedence: (status, cue patterns).
EXPLICIT: list[tuple[str, re.Pattern[str]]] = [
    (
        "not_accepted",
        _rx(
            rf"\b{_NEG}\s+(?:been\s+|be\s+)?(?:accepted|agreed to|supported|endorsed)\b",
            rf"\b(?:does|do|did|will|would|could|can)\s*{_NEG}\s+(?:accept|agree|support|endorse)\b",
            r"\bcannot\s+(?:accept|agree|support|endorse)\b",
            r"\b(?:rejects?|rejected|declines?\s+(?:to|the)|declined\s+(?:to|the)|disagrees?|disagreed)\b",
            rf"\b(?:will|should|would|shall)\s+{_NEG}\s+(?:be\s+)?"
            r"(?:implement|implemented|adopt|adopted|pursue|pursued)\b",
            rf"\b{_NEG}\s+(?:be\s+)?taken\s+forward\b",
            r"^\s*(?:response:\s*)?(?:not accepted|rejected)\b",
        ),
    ),
    (
        "partially_accepted",
        _rx(
            r"\bpartial(?:ly)?\s+(?:accept|accepted|agree|agreed)\w*",
            r"\baccept(?:s|ed)?\s+(?:this recommendation\s+|the recommendation\s+)?in part\b",
            r"\b(?:accept|agree)s?\s+(?:with\s+)?(?:some|part|parts|elements|aspects)\s+of\b",
        ),
    ),
    (
        "accepted_in_principle",
        _rx(
            r"\b(?:accept|accepts|accepted|agree|agrees|agreed|support|supports)\b[^.;]{0,60}"
            r"\bin principle\b",
            r"\b(?:agree|agrees|agreed|support|supports|welcome|welcomes|share|shares)\s+(?:with\s+)?"
            r"the\s+(?:principle|aim|aims|objective|objectives|intention|intent|spirit|sentiment|"
            r"thrust|ambition)\b",
            r"\b(?:agree|agrees|agreed)\s+that\s+(?:more|further|something)\s+"
            r"(?:should|could|can|must|needs? to|ought to)\s+be\s+done\b",
        ),
    ),
    (
        "accepted",
        _rx(
            rf"\b{_SUBJECT_ACCEPT}\s+(?:with\s+)?{_REC_OBJECT}\b",
            rf"\b{_REC_OBJECT}\s+{_BE}\s+(?:fully\s+)?(?:accepted|agreed)\b",
            r"^\s*(?:response:\s*)?(?:accepted|agreed)\b",
            r"\b(?:has|have)\s+accepted\b",
            r"\b(?:agree|agrees|agreed)\s+with\s+the\s+(?:committee|review|inquiry|panel|reviewer)\b",
        ),
    ),
    (
        "completed",
        _rx(
            r"\b(?:is|are|was|were|has been|have been|had been)\s+(?:now\s+|fully\s+)?completed\b",
            r"\b(?:is|are|was|were)\s+(?:now\s+)?complete\b",
            r"\b(?:has|have|had)\s+(?:now\s+|already\s+)?completed\b",
            r"\bfully\s+implemented\b",
        ),
    ),
    (
        "on_hold",
        _rx(
            r"\b(?:on|onto)\s+hold\b",
            r"\b(?:has|have|had)\s+been\s+(?:deferred|paused|postponed)\b",
            r"\b(?:is|are|was|were|remains?)\s+(?:currently\s+|now\s+)?(?:deferred|paused)\b",
            r"\b(?:work|implementation|progress|this action)\s+(?:is\s+|was\s+)?paused\b",
            r"^\s*(?:deferred|paused)\b",
        ),
    ),
    (
        "in_progress",
        _rx(
            r"\b(?:in|under)\s+progress\b",
            r"\b(?:is|are|was|were|remains?)\s+(?:still\s+)?(?:ongoing|under\s*way|in hand)\b",
            r"\b(?:is|are|was|were)\s+(?:still\s+|now\s+|currently\s+)?being\s+"
            r"(?:piloted|implemented|developed|delivered|rolled out|tested|trialled|taken forward|"
            r"progressed)\b",
            r"\bwork\s+(?:is|has)\s+(?:already\s+)?(?:started|begun|under\s*way|ongoing)\b",
            rf"\b{_NEG}\s+yet\s+(?:been\s+)?(?:completed|implemented|finished|complete)\b",
            r"\bpartially\s+implemented\b",
        ),
    ),
    (
        "under_consideration",
        _rx(
            r"\b(?:will|would|shall|to)\s+(?:carefully\s+|further\s+)?consider\b",
            r"\b(?:is|are)\s+(?:currently\s+)?(?:considering|exploring|examining|assessing)\b",
            r"\b(?:give|gives|giving)\s+(?:careful\s+|further\s+|full\s+)?consideration\b",
            r"\bunder\s+(?:active\s+)?(?:consideration|review)\b",
            r"\b(?:will|to)\s+(?:explore|look at|look into|examine|assess)\s+"
            r"(?:whether|how|options)\b",
        ),
    ),
    (
        "planned",
        _rx(
            rf"\b{_BE}\s+(?:now\s+)?(?:planned|scheduled|due)\s+(?:to|for)\b",
            r"\b(?:plan|plans|planned|intend|intends|intended)\s+to\b",
        ),
    ),
    (
        "not_started",
        _rx(
            rf"\b{_NEG}\s+(?:yet\s+)?(?:been\s+)?(?:started|begun|commenced)\b",
            r"\b(?:has|have|had)\s+(?:not|n't)\s+(?:yet\s+)?(?:started|begun|commenced)\b",
            r"\b(?:is|are|has|have)\s+yet\s+to\s+(?:start|begin|commence|be\s+started)\b",
            r"^\s*not\s+(?:yet\s+)?started\b",
        ),
    ),
]

#: Weaker cues, read only when no explicit status word is found.
IMPLIED: list[tuple[str, re.Pattern[str]]] = [
    (
        "accepted_in_principle",
        _rx(r"\b(?:agree|agrees|agreed|accept|accepts|accepted)\s+that\b"),
    ),
    (
        "completed",
        _rx(
            r"\b(?:has|have)\s+(?:now\s+|already\s+)?been\s+(?:rewritten|revised|published|"
            r"introduced|established|set up|put in place|signed off|implemented|delivered|"
            r"achieved)\b",
            r"\b(?:has|have)\s+(?:now\s+|already\s+)?(?:rewritten|revised|introduced|established|"
            r"set up|put in place|signed off|implemented|delivered|achieved|commissioned|"
            r"appointed)\b",
            r"\b(?:now|already)\s+in\s+place\b",
            r"\b(?:went|has gone|have gone)\s+live\b",
        ),
    ),
    (
        "planned",
        _rx(
            r"\bwill\s+(?:go live|be (?:published|introduced|launched|established|set up|"
            r"rolled out|in place|implemented|delivered)|publish|introduce|launch|establish|"
            r"set up|roll out|"
            r"implement|deliver|appoint|create)\b",
        ),
    ),
]

#: A status given as a label: a table cell ("| Not accepted |") or "Status: completed".
_LABELS = {
    "accepted in principle": "accepted_in_principle",
    "agreed in principle": "accepted_in_principle",
    "partially accepted": "partially_accepted",
    "partly accepted": "partially_accepted",
    "accepted in part": "partially_accepted",
    "not accepted": "not_accepted",
    "not agreed": "not_accepted",
    "rejected": "not_accepted",
    "accepted": "accepted",
    "agreed": "accepted",
    "completed": "completed",
    "complete": "completed",
    "implemented": "completed",
    "in progress": "in_progress",
    "not started": "not_started",
    "not yet started": "not_started",
    "yet to start": "not_started",
    "on hold": "on_hold",
    "deferred": "on_hold",
    "paused": "on_hold",
    "on track": "in_progress",
    "partially complete": "in_progress",
    "partly complete": "in_progress",
    "ongoing": "in_progress",
    "underway": "in_progress",
    "under way": "in_progress",
    "under consideration": "under_consideration",
    "being considered": "under_consideration",
    "planned": "planned",
    "scheduled": "planned",
}
_LABEL_AFTER = re.compile(
    r"\b(?:status|response|progress|rag status)\s*[:–—-]\s*(?P<label>[a-z ]+)", re.I
)


#: A label that opens the text ("Partially accepted. The Council ...", "Recommendation
#: text ... " aside): the label words followed by punctuation or the end.
_LEADING_LABEL = re.compile(
    r"^\s*(?:(?:government|council|our)?\s*response\s*[:–—-]\s*)?(?P<label>"
    + "|".join(sorted((re.escape(k) for k in _LABELS), key=len, reverse=True))
    + r")\s*(?:[.:;,–—-]|$)",
    re.I,
)


_CELL_PLANNED = re.compile(r"^\s*(?:scheduled|planned)\s+(?:for|to|in)\b", re.I)


def leading_label(text: str) -> Status:
    """The status label the text opens with ("Accepted in principle. ..."); empty when none."""
    if m := _LEADING_LABEL.match(text):
        label = m.group("label").lower()
        return Status(_LABELS[label], m.group(0).strip(" .:;,–—-"))
    return Status()


def status_label(text: str) -> Status:
    """The status written as a label: a table cell (or a cell's closing sentence,
    "... letters sent. Complete."), "Status: ...", or the words the text opens with;
    empty when none."""
    cells = [c.strip(" .").lower() for c in text.split("|")] if "|" in text else []
    for cell in cells:
        if cell in _LABELS:
            return Status(_LABELS[cell], cell)
    # then the sentences cells open or close with, the rightmost cell first (a progress
    # column comes after the timescale)
    for cell in reversed(text.split("|")) if cells else []:
        last = _SENTENCE.split(cell.strip())[-1].strip(" .").lower()
        if last in _LABELS:
            return Status(_LABELS[last], last)
        if (lead := leading_label(cell.strip())).status:  # "Complete. Protocol signed ..."
            return lead
        if m := _CELL_PLANNED.match(cell):  # "Scheduled for 12 September 2024"
            return Status("planned", m.group(0).strip())
    if (lead := leading_label(text)).status:
        return lead
    for m in _LABEL_AFTER.finditer(text):
        label = m.group("label").strip().lower()
        for words, status in _LABELS.items():
            if label == words or label.startswith(words + " "):
                return Status(status, m.group(0).strip())
    return Status()


_REFUSAL = _rx(
    r"\bwithout\s+the\s+need\s+for\b",
    r"\bno\s+need\s+for\b",
    rf"\b(?:is|are|would be)\s+{_NEG}\s+(?:necessary|appropriate|needed|required|right)\b",
    rf"\b(?:does|do)\s*{_NEG}\s+(?:believe|think|consider)\s+(?:that\s+)?it\s+(?:is|would be)\s+"
    r"(?:appropriate|necessary|right)\b",
)
_PARTIAL = dict(EXPLICIT)["partially_accepted"]
_NEGATED = re.compile(rf"\b{_NEG}\s+(?:\w+\s+){{0,2}}$", re.I)
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z\"'(])")


def _first_match(sentences: list[str], cues: list[tuple[str, re.Pattern[str]]]) -> Status:
    """The highest-precedence status whose cue occurs un-negated in any sentence."""
    for status, rx in cues:
        for sentence in sentences:
            for m in rx.finditer(sentence):
                negative = status in ("not_accepted", "in_progress", "not_started")
                if negative or not _NEGATED.search(sentence[: m.start()]):
                    return Status(status, m.group(0).strip())
    return Status()


def detect_status(text: str) -> Status:
    """The status ``text`` states (see the module docstring), with its cue words.

    >>> detect_status("Recommendation 6 has not been accepted; officers will consider it.")
    Status(status='not_accepted', cue='not been accepted')
    >>> detect_status("The Government agrees with the Committee's conclusion.").status
    'accepted'
    """
    text = (text or "").replace("’", "'")
    if (label := status_label(text)).status:
        return label
    sentences = [s for s in _SENTENCE.split(text) if s.strip()] or [text]
    found = _first_match(sentences, EXPLICIT)
    if not found.status:
        found = _first_match(sentences, IMPLIED)
    if found.status == "not_accepted" and (part := _PARTIAL.search(text)):
        # "The Government partially accepts this recommendation ... but does not agree
        # that ...": the refusal is the part not accepted
        return Status("partially_accepted", part.group(0).strip())
    refusal = _REFUSAL.search(text)
    if refusal and found.status in ("accepted", "accepted_in_principle"):
        return Status("partially_accepted", f"{found.cue} ... {refusal.group(0)}")
    if refusal and not found.status:
        return Status("not_accepted", refusal.group(0))
    return found
