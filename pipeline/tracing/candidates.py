"""Recommendation candidates and their features: the input of the learned decision.

Candidates are generous: every numbered paragraph, labelled item ("Recommendation
3", "R3"), bullet, table row and unnumbered paragraph of a document is one, with
its sub-parts ("(a)", "i.", "4a", "8.1.2", the bullets after a paragraph that ends
with ":") kept under it in ``parts``. Each keeps the structure around it, read
from the passages of :mod:`pipeline.structure`: the heading path above it, its
printed number, the run of sibling numbers it belongs to, its page and its
position in the document.

:func:`candidate_features` turns them into numbers (:data:`FEATURES`): general
signs of a recommendation, none naming a document. The rules of earlier versions
(a heading that names recommendations, "should" and an addressee, a
"(Recommendation, Paragraph 17)" tag, contents-page lines) are features here; the
weights come from :mod:`pipeline.tracing.recmodel`.

Kept as one module: candidates and their features are made in one pass over a
document's passages (a feature reads the numbering run, heading path and
neighbours the candidate pass has just built), and :data:`FEATURES` must stay in
step with both.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.extract.underline import spans_share
from pipeline.frames import itertuples
from pipeline.recnumbers import DEEP_NUMBER, LETTER, top_number
from pipeline.textnorm import normalize_for_match

_SUB_REF = re.compile(r"^\(?(?:[a-z]|[ivx]{1,5}|[A-Z])\)$|^(?:[a-z]|[ivx]{1,5})\.?$")
_TERMINAL = re.compile(r"(?:[.!?:;][\"')\]’”]*|\((?:paragraphs?|para\.?)\s[\d.,\s–-]+\))$", re.I)

_MODAL = re.compile(
    r"\b(?:should|must|shall|ought to|needs? to|will need to|is required to|are required to|"
    r"is asked to|are asked to)\b",
    re.I,
)
_RECOMMEND = re.compile(r"\brecommend", re.I)
_WE_ASK = re.compile(
    r"\b(?:we|i|the (?:committee|panel|review|inquiry|report))\s+(?:\w+\s+)?"
    r"(?:recommend|urge|call on|calls on|invite|ask|encourage|expect)s?\b",
    re.I,
)
_IT_IS_RECOMMENDED = re.compile(
    r"\b(?:it(?: is|['’]s) (?:recommended|essential|important|vital|crucial|imperative) "
    r"(?:that|to)|"
    r"recommendation to|there (?:should|must|needs to) be|there could be further|"
    r"(?:will|would|may|might|could) (?:\w+ )?(?:need|wish|want) (?:\w+ )?to|may consider|"
    r"(?:have|has) a responsibility to|urges?|calls? (?:on|for)|is key|requires? that|"
    r"to be (?:\w+ed|put in place|set up|made)|"
    r"(?:opportunity|need) (?:for|to) (?:\w+ )?(?:create|develop|review|improve|consider))\b",
    re.I,
)
#: A committee's stance on what others do ("We welcome ...", "We note ..."): in reports that
#: number conclusions and recommendations together, these are addressed to the Government.
_STANCE = re.compile(
    r"\b(?:we|the committee)\s+(?:\w+\s+)?(?:welcome|note|acknowledge|recognise|recognize|"
    r"support|commend|are concerned|believe|agree)\b",
    re.I,
)
#: Base-form verbs that open an instruction ("Ensure ...", "Develop ...").
_IMPERATIVES = frozenset(
    [
        "adopt",
        "agree",
        "align",
        "allow",
        "appoint",
        "assess",
        "build",
        "carry",
        "clarify",
        "collaborate",
        "collect",
        "commission",
        "communicate",
        "complete",
        "conduct",
        "confirm",
        "consider",
        "consult",
        "continue",
        "convene",
        "co-produce",
        "create",
        "define",
        "deliver",
        "design",
        "develop",
        "embed",
        "encourage",
        "engage",
        "enhance",
        "ensure",
        "establish",
        "evaluate",
        "examine",
        "expand",
        "explore",
        "extend",
        "facilitate",
        "finalise",
        "focus",
        "fund",
        "gather",
        "give",
        "help",
        "identify",
        "implement",
        "improve",
        "include",
        "increase",
        "introduce",
        "invest",
        "involve",
        "issue",
        "keep",
        "launch",
        "lead",
        "maintain",
        "make",
        "map",
        "monitor",
        "offer",
        "plan",
        "prioritise",
        "produce",
        "promote",
        "provide",
        "publish",
        "put",
        "raise",
        "reduce",
        "refine",
        "reform",
        "remove",
        "replace",
        "report",
        "require",
        "research",
        "resource",
        "review",
        "revise",
        "seek",
        "set",
        "share",
        "simplify",
        "standardise",
        "streamline",
        "strengthen",
        "support",
        "take",
        "target",
        "test",
        "track",
        "train",
        "undertake",
        "update",
        "use",
        "validate",
        "work",
        "write",
    ]
)
_LABEL_PREFIX = re.compile(r"^([^:.;!?]{3,90}?)\s*[:–—-]\s+(?=\S)")
_TAG_REC = re.compile(
    r"\(\s*(?:conclusions?\s+and\s+)?recommendations?\s*,\s*(?:paragraphs?|paras?\b)", re.I
)
_TAG_CONCL = re.compile(r"\(\s*conclusions?\s*,\s*(?:paragraphs?|para)", re.I)
_CONCLUSION_OPEN = re.compile(
    r"^(?:we|the committee)\s+(?:\w+\s+)?(?:welcome|note|acknowledge|recognise|recognize|agree|"
    r"support|commend|conclude|found|heard|are concerned|were told)\b",
    re.I,
)
_REPORTED = re.compile(
    r"\b(?:told us|we heard|we found|said that|reported that|(?:participants|witnesses|"
    r"respondents|interviewees|stakeholders) (?:said|felt|reported|told)|according to)\b",
    re.I,
)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}|…{2,}|_{4,}")
_TRAILING_PAGE = re.compile(r"\s\d{1,3}$")

_H_NEXT = re.compile(
    r"\b(?:next steps?|implications|the way forward|what (?:needs|should) (?:to )?"
    r"happen|actions? (?:required|needed|for)|priorities for|areas? for (?:improvement|action)|"
    r"suggestions? for|calls? to action)\b",
    re.I,
)
#: A passage that announces the recommendations under the same heading ("Recommendations
#: are underlined in the text below", "we recommend the following:"); it acts as a heading.
_ANNOUNCES = re.compile(
    r"\brecommend\w*\b[^.]{0,60}\b(?:below|following|as follows|underlined|in bold|"
    r"highlighted|listed|set out)\b",
    re.I,
)
_H_CONCL = re.compile(r"\bconclusions?\b", re.I)
#: A heading of lessons or learning ("Lessons learnt", "Lessons to be learned by ..."):
#: a feature of its own (``h_lessons``), not a heading that names recommendations; what
#: it weighs is learned (lessons some reports address to others, others record).
_H_LESSONS = re.compile(r"\b(?:lessons?|learning|learnt|learned)\b", re.I)
_H_CONTENTS = re.compile(r"^\s*(?:contents|table of contents|list of \w+)\s*$", re.I)
_H_BACK = re.compile(
    r"\b(?:appendix|appendices|annex|annexe|glossary|references|bibliography|acknowledg\w*|"
    r"abbreviations|acronyms|members|witnesses|call for evidence|terms of reference|"
    r"methodology|method|background|introduction|context|findings)\b",
    re.I,
)
_H_CHAPTER = re.compile(r"^(?:chapter|part|section|appendix|annex)\s+[\dIVXA-Z]+\b", re.I)

#: The features, in the order of the vector (the model file names them too).
FEATURES = (
    "modal",
    "recommend",
    "we_ask",
    "it_is_recommended",
    "imperative",
    "label_prefix",
    "tag_recommendation",
    "tag_conclusion",
    "conclusion_opening",
    "reported_speech",
    "question",
    "log_words",
    "short",
    "ends_sentence",
    "lower_start",
    "quote_start",
    "contents_line",
    "numbered",
    "labelled",
    "bullet",
    "table",
    "has_parts",
    "in_run",
    "h_recommend",
    "h_conclusion",
    "h_contents",
    "h_back",
    "no_heading",
    "early",
    "repeated",
    "section_ask_share",
    "section_numbered_share",
    "section_intro_recommend",
    "asks",
    "stance",
    "rec_path_asks",
    "rec_path_plain",
    "rec_path_run",
    "rec_path_item",
    "rec_path_imperative",
    "rec_path_short",
    "contents_any",
    "sentence",
    "underline_contrast",
    "h_lessons",
)

#: Typographic emphasis as features (:func:`emphasis_features`): the candidate's italic
#: share, whether its numbered run mixes italic and roman items, whether it is an
#: italic item of such a run. Not in :data:`FEATURES`: in leave-one-document-out they
#: made the model worse (the Space Economy report is the only training report with a
#: mixed run, so held out it gains nothing, and with it in training the model leans on
#: emphasis and finds 21 of Behaviour Change's 33 instead of 32); the typeface acts
#: through :func:`mark_typeface` instead. ``scripts/train_rec_model.py --emphasis``
#: prints the figure with them.
EMPHASIS_FEATURES = ("italic", "run_mixed_emphasis", "run_emphasised_item")

#: An item is set in the emphasised typeface when at least this share of its characters
#: is on italic lines (a roman "(Paragraph 46)" at the end of an italic item stays under).
EMPHASIS_SHARE = 0.5
#: A numbered run mixes typefaces when at least this many of its items are emphasised
#: and at least this many are plain.
MIXED_RUN_MIN = 2


@dataclass
class Candidate:
    """One possible recommendation: a passage with its sub-parts and its context."""

    doc_id: str
    seq: int
    page: int
    kind: str
    ref: str
    number: str
    text: str
    passage_ids: list[str]
    pages: list[int]
    headings: list[str]
    section: int
    parts: list[str] = field(default_factory=list)
    #: Characters of the candidate's passages, and how many of them are on italic lines.
    chars: int = 0
    italic_chars: float = 0.0
    #: +1 / -1 where the typeface inside a mixed numbered run under a heading naming
    #: conclusions and recommendations marks the item (see :func:`mark_typeface`).
    typeface: int = 0
    #: ``[start, end)`` spans of :attr:`text` underlined in the PDF (``passages.underline_spans``).
    spans: list[list[int]] = field(default_factory=list)
    #: A sentence-level candidate (:func:`sentence_candidates`): sentences set off inside
    #: a prose paragraph; ``parent`` is the index of that paragraph's candidate.
    sentence: bool = False
    parent: int = -1

    @property
    def full_text(self) -> str:
        """The text with its sub-parts."""
        return " ".join([self.text, *self.parts]).strip()

    @property
    def italic(self) -> float:
        """Share (0-1) of the candidate's characters on italic lines."""
        return self.italic_chars / self.chars if self.chars else 0.0

    @property
    def underline(self) -> float:
        """Share (0-1) of the text's non-space characters that are underlined."""
        return spans_share(self.text, self.spans) if self.spans else 0.0

    def add_emphasis(self, text: str, share: float) -> None:
        """Count a passage's characters and its italic share (``passages.italic``)."""
        self.chars += len(text)
        self.italic_chars += share * len(text)


def _is_sub(ref: str) -> bool:
    return bool(_SUB_REF.match(ref.strip())) and not LETTER.fullmatch(ref.strip())


def _ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text.strip()))


def _sentence_like(text: str) -> bool:
    return _ends_sentence(text) or _words(text) >= 15


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]{2,}", text))


@functools.lru_cache(maxsize=4096)
def _is_contents_line(text: str) -> bool:
    text = text.strip()
    return bool(_DOT_LEADER.search(text)) or (
        bool(_TRAILING_PAGE.search(text)) and not _ends_sentence(text[:-4]) and _words(text) < 20
    )


def _chapter_level(kind: str, ref: str, text: str) -> bool:
    """A heading that anchors a heading path: numbered ("8", "4.5.2"), "Chapter 3", or a
    short line in capitals."""
    if _H_CHAPTER.match(text) or (ref and re.fullmatch(r"\d{1,2}(?:\.\d{1,2}){0,2}", ref)):
        return True
    letters = re.sub(r"[^A-Za-z]", "", text)
    return len(letters) >= 6 and letters.isupper() and len(text.split()) <= 12


def document_candidates(doc_passages: pd.DataFrame) -> list[Candidate]:
    """Every candidate of one document, in reading order (see the module docstring)."""
    cands: list[Candidate] = []
    headings: list[str] = []
    section = 0
    current: Candidate | None = None
    opens_list = False  # the current candidate ends with ":"; the bullets below are its parts
    for p in itertuples(doc_passages.sort_values("seq"), index=False):
        kind, ref, text = str(p.kind), str(p.ref or ""), str(p.text or "").strip()
        # passages of older outputs have no italic column: no emphasis known
        share = float(getattr(p, "italic", 0.0) or 0.0)
        spans = _spans(getattr(p, "underline_spans", ""))
        parent = str(p.parent_ref or "")
        if kind == "footnote" or not text:
            continue
        if kind == "heading":
            if _chapter_level(kind, ref, text) or not headings:
                headings = [text]
            else:  # the anchoring heading, then the last five headings below it
                headings = [headings[0], *headings[1:][-4:], text]
            section += 1
            current, opens_list = None, False
            continue
        if current is not None:
            deep = bool(DEEP_NUMBER.match(ref)) and top_number(ref) == current.number
            sub = _is_sub(ref) or deep
            # "4b" after "4a", "3(b)" after "3(a)": a sub-part of the same number (the
            # structure stage keeps "4" of "4a)" and "4b)": the same number printed again
            # right after its item is a sub-part)
            same_label = (
                bool(current.number)
                and top_number(ref) == current.number
                and (ref != current.number or kind == current.kind)
            )
            bullet_part = kind == "bullet" and (
                opens_list or (parent and parent in (current.ref, current.number))
            )
            if sub or same_label or bullet_part:
                current.parts.append(text)
                current.passage_ids.append(str(p.passage_id))
                current.pages.append(int(p.page))
                current.add_emphasis(text, share)
                continue
            continues = (
                kind == "paragraph"
                and not ref
                and (
                    (not _ends_sentence(current.full_text) and text[:1].islower())
                    # a numbered item's unnumbered follow-on paragraph (over a page break)
                    or (bool(current.number) and _sentence_like(text))
                )
            )
            if continues:
                if current.parts:
                    current.parts[-1] = f"{current.parts[-1]} {text}"
                else:
                    shift = len(current.text) + 1
                    current.spans.extend([a + shift, b + shift] for a, b in spans)
                    current.text = f"{current.text} {text}"
                current.passage_ids.append(str(p.passage_id))
                current.pages.append(int(p.page))
                current.add_emphasis(text, share)
                continue
        number = top_number(ref) if kind in ("paragraph", "recommendation", "bullet") else ""
        current = Candidate(
            doc_id=str(p.doc_id),
            seq=int(p.seq),
            page=int(p.page),
            kind=kind,
            ref=ref,
            number=number,
            text=text,
            passage_ids=[str(p.passage_id)],
            pages=[int(p.page)],
            headings=list(headings),
            section=section,
            spans=[list(sp) for sp in spans],
        )
        current.add_emphasis(text, share)
        cands.append(current)
        opens_list = text.endswith(":")
    _attach_titled_bodies(cands)
    mark_typeface(cands)
    return sentence_candidates(cands)


def _spans(value: object) -> list[list[int]]:
    """``passages.underline_spans`` (JSON) as a list of spans; none when empty or absent."""
    if not isinstance(value, str) or not value:
        return []
    try:
        return [[int(a), int(b)] for a, b in json.loads(value)]
    except (ValueError, TypeError):
        return []


#: A sentence ends at ". ", "! " or "? " (after closing quotes or brackets) before a
#: capital, a quote, a bracket or a digit; "e.g., adding" does not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[A-Z\"“‘(\d])")
#: A sentence is set off from its paragraph when at least this share of it is underlined
#: and the paragraph as a whole is at most :data:`PLAIN_PARAGRAPH` underlined (a run-in
#: label or a closing clause left plain still leaves the sentence set off).
SET_OFF_SHARE = 0.3
PLAIN_PARAGRAPH = 0.8
#: A sentence inside prose that states a recommendation in words ("We recommend that
#: ...", "The panel would strongly recommend that ...", "It is recommended ...") is a
#: sentence-level candidate too, underlined or not.
_WE_RECOMMEND = re.compile(
    r"\b(?:we|i|the (?:committee|panel|review|inquiry|report|evaluation))\s+(?:would\s+)?"
    r"(?:strongly\s+)?recommends?\s+that\b|\bit is recommended\b",
    re.I,
)


_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:p|pp|para|paras|no|nos|vol|ch|cf|fig|e\.g|i\.e|etc|dr|mr|mrs|ms|st)\.$",
    re.I,
)


def sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each sentence of ``text`` (see :data:`_SENTENCE_END`)."""
    out = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text, max(0, m.start() - 12), m.start()):
            continue  # "p. 2", "para. 4", "Dr. Smith", "e.g. The"
        out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


def _set_off(c: Candidate, a: int, b: int, k: int) -> str:
    """How sentence ``k`` (``c.text[a:b]``) of a paragraph is set off: ``"u"``
    underlined (at least :data:`SET_OFF_SHARE`), ``"w"`` asking in words (a
    recommendation stated as such, or an imperative opening after the first
    sentence), ``""`` not; a sentence announcing how recommendations are marked is not."""
    text = c.text[a:b]
    if _ANNOUNCES.search(text):
        return ""
    if c.spans and spans_share(c.text, c.spans, a, b) >= SET_OFF_SHARE:
        return "u"
    if _WE_RECOMMEND.search(text) or (k > 0 and _imperative(text)):
        return "w"
    return ""


def sentence_candidates(cands: list[Candidate]) -> list[Candidate]:
    """``cands`` with a sentence-level candidate after each unnumbered prose paragraph
    holding sentences set off from the rest: underlined while the paragraph is mostly
    not (emphasis relative to the paragraph, never absolute), or asking in words
    (:func:`_set_off`). Consecutive underlined sentences make one candidate; a
    sentence that announces how recommendations are marked ("Recommendations are
    underlined in the text below") is not one. The candidate's text is the
    sentence(s), its passages the paragraph's."""
    out: list[Candidate] = []
    for c in cands:
        out.append(c)
        if c.kind != "paragraph" or c.number or c.parts:
            continue
        if c.underline > PLAIN_PARAGRAPH:
            continue
        bounds = sentences(c.text)
        if len(bounds) < 2:
            continue
        # "u": underlined while the paragraph is not; "w": asks in words; "": plain
        flags = [_set_off(c, a, b, k) for k, (a, b) in enumerate(bounds)]
        parent = len(out) - 1
        k = 0
        while k < len(bounds):
            if not flags[k]:
                k += 1
                continue
            j = k  # underlined sentences in a row are one candidate
            while flags[k] == "u" and j + 1 < len(bounds) and flags[j + 1] == "u":
                j += 1
            a, b = bounds[k][0], bounds[j][1]
            out.append(
                Candidate(
                    doc_id=c.doc_id,
                    seq=c.seq,
                    page=c.page,
                    kind=c.kind,
                    ref="",
                    number="",
                    text=c.text[a:b].strip(),
                    passage_ids=list(c.passage_ids),
                    pages=list(c.pages),
                    headings=list(c.headings),
                    section=c.section,
                    spans=[
                        [max(x - a, 0), min(y - a, b - a)] for x, y in c.spans if x < b and y > a
                    ],
                    sentence=True,
                    parent=parent,
                )
            )
            k = j + 1
    return out


def _attach_titled_bodies(cands: list[Candidate]) -> None:
    """A labelled recommendation that is only a title ("Recommendation 1: Protocol for
    police") takes as its text the first of the next three candidates that asks for
    action, before the next labelled item or heading; that candidate is removed."""
    i = 0
    while i < len(cands):
        c = cands[i]
        if c.kind == "recommendation" and not _ends_sentence(c.text) and _words(c.text) <= 25:
            for j in range(i + 1, min(i + 4, len(cands))):
                body = cands[j]
                if body.kind == "recommendation" or body.section != c.section:
                    break
                if body.kind == "paragraph" and asks(body.text):
                    title = c.text.strip()
                    c.text = f"{title}. {body.text}" if title else body.text
                    c.parts.extend(body.parts)
                    c.passage_ids.extend(body.passage_ids)
                    c.pages.extend(body.pages)
                    c.chars += body.chars
                    c.italic_chars += body.italic_chars
                    del cands[j]
                    break
        i += 1


def explicit_label(cand: Candidate) -> int:
    """+1 where the document itself labels the item a recommendation ("Recommendation 3:
    ...", "... (Recommendation, Paragraph 17)"), -1 where it tags it a conclusion
    ("(Conclusion, Paragraph 25)"), else 0."""
    text = cand.full_text
    if _TAG_CONCL.search(text) and not _TAG_REC.search(text):
        return -1
    if cand.kind == "recommendation" or _TAG_REC.search(text):
        return 1
    return cand.typeface


def mark_typeface(cands: list[Candidate]) -> None:
    """Set :attr:`Candidate.typeface` where the typeface is the document's own label.

    Some reports number conclusions and recommendations in one run under a heading
    that names both ("Summary of conclusions and recommendations") and tell them
    apart only by typeface: the recommendations set in italic, the conclusions in
    roman (the House of Commons select-committee convention). In a numbered run that
    mixes the two typefaces (:func:`emphasis_runs`) under a heading path naming both
    conclusions and recommendations, an emphasised item gets +1 and a plain one -1,
    as a "(Recommendation, Paragraph 17)" / "(Conclusion, ...)" tag would.
    """
    _, mixed, emphasised = emphasis_runs(cands)
    for i, c in enumerate(cands):
        if not mixed[i]:
            continue
        path = " | ".join(h for h in c.headings if not _is_contents_line(h))
        if _RECOMMEND.search(path) and _H_CONCL.search(path):
            c.typeface = 1 if emphasised[i] else -1


def emphasis_runs(cands: list[Candidate]) -> tuple[list[int], list[bool], list[bool]]:
    """Per candidate: its numbered run (:func:`_run_ids`), whether that run mixes
    emphasised (italic) and plain items (at least :data:`MIXED_RUN_MIN` of each), and
    whether the candidate is an emphasised item of such a run."""
    ids = _run_ids(cands)
    emph = [c.italic >= EMPHASIS_SHARE for c in cands]
    counts: dict[int, list[int]] = {}
    for i, r in enumerate(ids):
        if r >= 0:
            counts.setdefault(r, [0, 0])[0 if emph[i] else 1] += 1
    mixed_runs = {r for r, (e, p) in counts.items() if e >= MIXED_RUN_MIN and p >= MIXED_RUN_MIN}
    mixed = [r in mixed_runs for r in ids]
    return ids, mixed, [m and e for m, e in zip(mixed, emph, strict=True)]


def asks(text: str) -> bool:
    """Whether ``text`` asks someone to act: a modal verb, "we recommend", an imperative."""
    return bool(
        _MODAL.search(text)
        or _WE_ASK.search(text)
        or _IT_IS_RECOMMENDED.search(text)
        or _imperative(text)
    )


#: Words that open a sentence after a run-in heading printed without a colon
#: ("Colour key Once accessible colours ...", "Refine filtering functions The ...").
_SENTENCE_OPENERS = frozenset(
    [
        "a",
        "an",
        "as",
        "at",
        "for",
        "from",
        "if",
        "in",
        "it",
        "its",
        "once",
        "one",
        "our",
        "some",
        "that",
        "the",
        "there",
        "these",
        "this",
        "those",
        "users",
        "participants",
        "when",
        "where",
        "while",
        "whilst",
        "we",
    ]
)


def strip_label(text: str) -> tuple[str, str]:
    """A run-in label and the rest: "FGC Timing: The timing ..." -> ("FGC Timing", "The
    ..."); also a short unpunctuated label before a capitalised sentence opener
    ("Colour key Once accessible ..." -> ("Colour key", "Once accessible ..."))."""
    m = _LABEL_PREFIX.match(text)
    if m and _words(m.group(1)) <= 10:
        return m.group(1).strip(), text[m.end() :]
    words = text.split(" ", 8)
    for k in range(2, min(7, len(words) - 1)):
        word = words[k]
        opener = word.lower() in _SENTENCE_OPENERS or word.lower() in _IMPERATIVES
        if word[:1].isupper() and opener and not re.search(r"[.,;:!?]", " ".join(words[:k])):
            if all(w[:1].isupper() for w in words[1:k]):
                break  # "Department for Education The ...": a name, not a label
            return " ".join(words[:k]), " ".join(words[k:])
    return "", text


def _imperative(text: str) -> bool:
    _, rest = strip_label(text)
    for candidate in (text, rest):
        first = re.match(r"[\"'‘“(]*([A-Za-z-]+)", candidate)
        if first and first.group(1).lower() in _IMPERATIVES and first.group(1)[:1].isupper():
            return True
    return False


def _run_lengths(cands: list[Candidate]) -> list[int]:
    """For each numbered candidate, the length of the run of consecutive sibling numbers
    (1, 2, 3 ... or 8.1, 8.2 ...) it belongs to; 0 for unnumbered candidates."""
    ids = _run_ids(cands)
    sizes: dict[int, int] = {}
    for r in ids:
        sizes[r] = sizes.get(r, 0) + 1
    return [sizes[r] if r >= 0 else 0 for r in ids]


def _run_ids(cands: list[Candidate]) -> list[int]:
    """For each numbered candidate, the number of the run of consecutive sibling numbers
    (1, 2, 3 ... or 8.1, 8.2 ... in one chapter) it belongs to; -1 for unnumbered
    candidates and table rows."""
    out = [-1] * len(cands)
    numbered = [i for i, c in enumerate(cands) if c.number and c.kind != "table"]
    run: list[int] = []

    def key(n: str) -> tuple[str, int] | None:
        m = re.fullmatch(r"(?:(\d{1,3})\.)?(\d{1,3})", n)
        if m:
            return (m.group(1) or "", int(m.group(2)))
        if LETTER.fullmatch(n):
            return ("A", ord(n))
        return None

    count = 0

    def close() -> None:
        nonlocal count
        for i in run:
            out[i] = count
        count += 1

    prev: tuple[str, int] | None = None
    prev_chapter = ""
    for i in numbered:
        k = key(cands[i].number)
        same_chapter = prev_chapter == (cands[i].headings[:1] or [""])[0]
        prev_chapter = (cands[i].headings[:1] or [""])[0]
        if (
            k is not None
            and prev is not None
            and same_chapter
            and k[0] == prev[0]
            and k[1] == prev[1] + 1
        ):
            run.append(i)
        else:
            close()
            run = [i]
        prev = k
    close()
    return out


def _path_features(
    headings: tuple[str, ...], labelled: bool
) -> tuple[bool, bool, bool, bool, bool]:
    """Heading-path signs: names recommendations (or next steps, implications ...),
    names conclusions, lies under a contents page, lies in back matter, names lessons."""
    # contents entries ("Chapter 8: Recommendations 67") do not open a section; a
    # printed "Recommendation 3" label heads its own text
    real = [h for h in headings if not _is_contents_line(h)]
    if labelled:
        real.append("Recommendation")
    path = " | ".join(real)
    h_rec = bool(_RECOMMEND.search(path) or _H_NEXT.search(path))
    contents = any(_H_CONTENTS.match(h) or _is_contents_line(h) for h in headings)
    back = bool(_H_BACK.search(path)) and not _RECOMMEND.search(path)
    return h_rec, bool(_H_CONCL.search(path)), contents, back, bool(_H_LESSONS.search(path))


def candidate_features(cands: list[Candidate]) -> np.ndarray:
    """The :data:`FEATURES` of each candidate of one document, as a matrix.

    The context of a candidate (its section's shares, repeated openings, position,
    an announcing passage above it) is read from the paragraph-level candidates only:
    a sentence-level candidate (:func:`sentence_candidates`) takes its paragraph's
    context and changes nobody else's.
    """
    n = len(cands)
    x = np.zeros((n, len(FEATURES)), dtype=float)
    if not n:
        return x
    col = {f: i for i, f in enumerate(FEATURES)}
    runs = _run_lengths(cands)
    openings = [normalize_for_match(c.text)[:60] for c in cands]
    seen: dict[str, int] = {}
    for i, o in enumerate(openings):
        if not cands[i].sentence:
            seen[o] = seen.get(o, 0) + 1
    # the position among paragraph-level candidates (a sentence: its paragraph's)
    base_index = [0] * n
    n_base = 0
    for i, c in enumerate(cands):
        if c.sentence:
            base_index[i] = base_index[c.parent] if c.parent >= 0 else n_base
        else:
            base_index[i] = n_base
            n_base += 1
    by_section: dict[int, list[int]] = {}
    for i, c in enumerate(cands):
        if not c.sentence:
            by_section.setdefault(c.section, []).append(i)
    texts = [c.full_text for c in cands]
    modal = [bool(_MODAL.search(t)) for t in texts]
    we_ask = [bool(_WE_ASK.search(t)) for t in texts]
    it_is = [bool(_IT_IS_RECOMMENDED.search(t)) for t in texts]
    imperative = [_imperative(c.text) for c in cands]
    ask_flags = [
        a or b or c or d for a, b, c, d in zip(modal, we_ask, it_is, imperative, strict=True)
    ]
    shares = {
        sec: (
            sum(ask_flags[j] for j in members) / len(members),
            sum(bool(cands[j].number) for j in members) / len(members),
        )
        for sec, members in by_section.items()
    }
    path_cache: dict[tuple[tuple[str, ...], bool], tuple[bool, bool, bool, bool, bool]] = {}
    # "Recommendations are underlined in the text below": an earlier passage under the
    # same heading that speaks of recommendations
    intro = [False] * n
    for members in by_section.values():
        said = False
        for j in members:
            intro[j] = said
            said = said or bool(_ANNOUNCES.search(cands[j].text))
    for i, c in enumerate(cands):
        if c.sentence and c.parent >= 0:
            intro[i] = intro[c.parent] or bool(_ANNOUNCES.search(cands[c.parent].text))
    underline = _underline_contrast(cands, by_section)
    for i, c in enumerate(cands):
        text = texts[i]
        head = c.text[:300]
        words = _words(text)
        key = (tuple(c.headings), c.kind == "recommendation")
        if key not in path_cache:
            path_cache[key] = _path_features(*key)
        h_rec, h_concl, h_contents, h_back, h_lessons = path_cache[key]
        label = strip_label(c.text)
        values = {
            "modal": modal[i],
            "recommend": bool(_RECOMMEND.search(text)),
            "we_ask": we_ask[i],
            "it_is_recommended": it_is[i],
            "imperative": imperative[i],
            "label_prefix": bool(label[0]),
            "tag_recommendation": bool(_TAG_REC.search(text)),
            "tag_conclusion": bool(_TAG_CONCL.search(text)),
            "conclusion_opening": bool(_CONCLUSION_OPEN.match(strip_label(head)[1])),
            "reported_speech": bool(_REPORTED.search(text)),
            "question": text.rstrip().endswith("?"),
            "log_words": math.log1p(words),
            "short": words < 6,
            "ends_sentence": _ends_sentence(text),
            "lower_start": text[:1].islower(),
            "quote_start": text[:1] in "\"'‘“",
            "contents_line": _is_contents_line(c.text),
            "numbered": bool(c.number),
            "labelled": c.kind == "recommendation",
            "bullet": c.kind == "bullet",
            "table": c.kind == "table",
            "has_parts": bool(c.parts),
            "in_run": runs[i] >= 2,
            "h_recommend": h_rec or intro[i],
            "h_conclusion": h_concl,
            "h_contents": h_contents,
            "h_back": h_back,
            "h_lessons": h_lessons,
            "no_heading": not c.headings,
            "early": base_index[i] < 0.05 * n_base,
            "repeated": not c.sentence and seen[openings[i]] > 1 and len(openings[i]) >= 30,
            "section_ask_share": shares.get(c.section, (0.0, 0.0))[0],
            "section_numbered_share": shares.get(c.section, (0.0, 0.0))[1],
        }
        rec_path = values["h_recommend"]
        stance = bool(_STANCE.search(text))
        values["section_intro_recommend"] = intro[i]
        values["asks"] = ask_flags[i]
        values["stance"] = stance
        values["rec_path_asks"] = rec_path and (ask_flags[i] or stance)
        values["rec_path_plain"] = rec_path and not (ask_flags[i] or stance)
        values["rec_path_run"] = rec_path and runs[i] >= 2
        values["rec_path_item"] = rec_path and (
            c.kind in ("bullet", "recommendation")
            or bool(c.number)
            or values["label_prefix"]
            or c.sentence
        )
        values["rec_path_imperative"] = rec_path and values["imperative"]
        values["rec_path_short"] = rec_path and values["short"]
        values["contents_any"] = values["contents_line"] or values["h_contents"]
        values["sentence"] = c.sentence
        values["underline_contrast"] = underline[i]
        for name, value in values.items():
            x[i, col[name]] = float(value)
    return x


def _underline_contrast(cands: list[Candidate], by_section: dict[int, list[int]]) -> list[float]:
    """Per candidate: its underlined share minus the share of the text around it (a
    sentence: its paragraph; a paragraph: its section's paragraph-level candidates, by
    characters). Emphasis counts only relative to its surroundings: a section all
    underlined (a list of links) sets nothing apart. The absolute share is not a
    feature (absolute italic made leave-one-document-out worse; the absolute
    underline share added nothing to the contrast by leave-one-document-out)."""
    own = [c.underline for c in cands]
    out = [0.0] * len(cands)
    section_share: dict[int, float] = {}
    for sec, members in by_section.items():
        chars = sum(len(cands[j].text) for j in members)
        under = sum(own[j] * len(cands[j].text) for j in members)
        section_share[sec] = under / chars if chars else 0.0
    for i, c in enumerate(cands):
        if not own[i]:
            continue
        around = own[c.parent] if c.sentence and c.parent >= 0 else section_share[c.section]
        out[i] = own[i] - around
    return out


def emphasis_features(cands: list[Candidate]) -> np.ndarray:
    """The :data:`EMPHASIS_FEATURES` of each candidate of one document, as a matrix."""
    _, mixed, emphasised = emphasis_runs(cands)
    return np.array(
        [[c.italic, float(m), float(e)] for c, m, e in zip(cands, mixed, emphasised, strict=True)],
        dtype=float,
    ).reshape(len(cands), len(EMPHASIS_FEATURES))
