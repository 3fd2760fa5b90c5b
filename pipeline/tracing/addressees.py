"""Who a recommendation asks: the bodies and roles named as its addressees."""

from __future__ import annotations

import re

_NOT_ACTORS = {
    "a",
    "all",
    "although",
    "an",
    "any",
    "as",
    "each",
    "every",
    "for",
    "furthermore",
    "given",
    "however",
    "if",
    "in",
    "it",
    "moreover",
    "therefore",
    "thus",
    "accordingly",
    "additionally",
    "finally",
    "secondly",
    "similarly",
    "then",
    "our",
    "such",
    "that",
    "their",
    "there",
    "these",
    "this",
    "those",
    "they",
    "we",
    "when",
    "where",
    "whilst",
    "while",
    "you",
}
_LOWER_ACTORS = (
    "ministers",
    "departments",
    "local authorities",
    "schools",
    "partners",
    "agencies",
    "commissioners",
    "policy makers",
    "governors",
    "headteachers",
    "head teachers",
)
_CONNECTORS = {"of", "for", "on", "in", "&", "the", "and"}
#: Last words of a complete organisation name: "Police and the ..." is a list,
#: "Science and Technology Committee" is one name.
_HEAD_NOUNS = {
    "adviser",
    "advisers",
    "advisor",
    "director",
    "minister",
    "ministers",
    "officer",
    "scientist",
    "secretary",
    "agency",
    "authority",
    "authorities",
    "board",
    "cabinet",
    "commission",
    "committee",
    "council",
    "department",
    "executive",
    "forum",
    "government",
    "group",
    "hub",
    "nhs",
    "office",
    "partnership",
    "police",
    "schools",
    "service",
    "services",
    "team",
    "trust",
}
_TOKEN = re.compile(r"[\w'’&()-]+(?:\.\w+)*|[,.;:]")
_MODAL = re.compile(
    r"^\s*(?:,[^,]{0,100},\s*)?(?:should|must|ought to|needs? to|is asked to|are asked to|"
    r"will need to|shall)\b"
)
_ASK_ANCHOR = re.compile(
    r"\b(?:recommend(?:s|ed)?\s+(?:further\s+|also\s+)?that\s*(?:,[^,]{0,60},\s*)?|"
    r"(?:urge|urges|invite|invites|encourage|encourages|call on|calls on|ask|asks)\s+)",
    re.I,
)
_SENTENCE_START = re.compile(r"(?:^|[.;:,]\s+|\(\w{1,4}\)\s+|•\s*|(?<=\s)(?=The\s+[A-Z]))")


def _read_actor(tokens: list[re.Match[str]], i: int) -> tuple[str, int]:
    """Read one organisation-like phrase starting at token ``i``; return it and the next index."""
    start = i
    words: list[str] = []
    if i < len(tokens) and tokens[i].group(0).lower() == "the":
        i += 1
    lowered = " ".join(t.group(0).lower() for t in tokens[i : i + 2])
    for actor in _LOWER_ACTORS:
        if lowered == actor or lowered.split(" ")[0] == actor:
            n = len(actor.split())
            return " ".join(t.group(0) for t in tokens[i : i + n]), i + n
    while i < len(tokens):
        tok = tokens[i].group(0)
        if tok == ",":
            break
        first = tok.lstrip("(")[:1]
        if words and tok.lower() == "the" and tok[0].isupper():
            return "", start  # "Compensation The Treasury": a title glued to a sentence
        if first.isupper() or (first.isdigit() and words):
            if not words and tok.lower() in _NOT_ACTORS:
                return "", start
            words.append(tok)
        elif tok.lower() in _CONNECTORS and words:
            if tok.lower() == "and" and i + 1 < len(tokens):
                nxt = tokens[i + 1].group(0)
                # "Police and the Schools Partnership": a list, not one name
                last = words[-1]
                if nxt.lower() == "the" or last.isupper() or last.lower() in _HEAD_NOUNS:
                    break
            words.append(tok)
        else:
            break
        i += 1
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
        i -= 1
    if not words or len(words) > 10:
        return "", start
    name = re.sub(r"\s*\([^)]*\)?$", "", " ".join(words)).strip("(),. ")
    if re.search(r"['’]s?$", name):
        return "", start  # "the Government's current approach": a possessive, not an addressee
    return name, i


_SEPARATORS = (
    (",", "together", "with"),
    (",", "in", "consultation", "with"),
    (",", "jointly", "with"),
    (",", "working", "with"),
    (",", "and"),
    (",",),
    ("and",),
)


def _read_actor_list(text: str, pos: int) -> tuple[list[str], int]:
    """Read "X", "X and Y", "X, together with Y" at ``pos``; return the names and the end."""
    tokens = list(_TOKEN.finditer(text, pos))
    actors: list[str] = []
    end = pos
    i = 0
    while i < len(tokens):
        actor, j = _read_actor(tokens, i)
        if not actor:
            break
        actors.append(actor)
        end = tokens[j - 1].end()
        i = j
        words = [t.group(0).lower() for t in tokens[i : i + 4]]
        for sep in _SEPARATORS:
            if tuple(words[: len(sep)]) == sep:
                i += len(sep)
                break
        else:
            break
    return actors, end


def find_addressees(text: str) -> list[str]:
    """The bodies a recommendation is addressed to, in order of appearance.

    Read from "X (and Y) should/must ...", "we recommend that X ...", "we urge /
    invite / encourage X to ...": capitalised names (and a few plural actors such
    as "ministers" or "local authorities"), without a leading "the".

    >>> find_addressees("The Metropolitan Police and the CHSCP should review the policy.")
    ['Metropolitan Police', 'CHSCP']
    """
    found: list[str] = []
    for m in _ASK_ANCHOR.finditer(text):
        actors, _ = _read_actor_list(text, m.end())
        found.extend(actors)
    for m in _SENTENCE_START.finditer(text):
        actors, end = _read_actor_list(text, m.end())
        if actors and _MODAL.match(text[end:]):
            found.extend(actors)
    out: list[str] = []
    seen: set[str] = set()
    for actor in found:
        key = actor.lower()
        if key not in seen:
            seen.add(key)
            out.append(actor)
    return out


_ASKS_ACTION = re.compile(
    r"\b(?:should|must|shall|ought to|needs? to|is required to|"
    r"(?:we|i) (?:\w+ )?(?:recommend|urge|call on|invite|ask|encourage|expect)|"
    r"it is (?:essential|important|vital|crucial|imperative) that)\b",
    re.I,
)


def asks_action(text: str) -> bool:
    """Whether a recommendation's text asks someone to act ("should", "we recommend").

    Kept as a column (``asks_action``) for readers; the decision itself is the
    model's (``confidence``).
    """
    return bool(_ASKS_ACTION.search(text))
