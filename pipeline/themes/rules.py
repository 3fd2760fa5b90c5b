"""Rule-based theme tagging as a spaCy component (``theme_rules``).

The component is built from a codebook (:mod:`pipeline.themes.codebook`) and can be
added to any English pipeline: ``nlp.add_pipe("theme_rules")`` (the default
codebook) or with ``config={"codebook": {"@misc": "sgpipe.codebook.v1", "path":
"my.yaml"}}``. It never changes the tokens, lemmas or norms of the ``Doc`` it is
given; it writes:

- ``doc._.theme_tags``: ``{theme_id: ThemeTag}`` for every theme whose rule score
  reaches the codebook threshold (negated-only themes included, marked);
- ``doc._.theme_matches``: every counted or negated pattern match (``ThemeMatch``);
- ``doc._.theme_dropped``: matches dropped by their context, with the reason;
- ``doc.spans["themes"]``: the evidence spans of the counted tags, labelled by theme.

How matching works. Each token gets a *key*: its lower-case form, corrected to a
codebook word if it is a misspelling of one (see below), then lemmatised with the
``spacy-lookups-data`` lookup table. Patterns are matched on a shadow ``Doc`` that
has the same tokens as the input and these keys as lemmas, so the same rules give
the same tags whatever pipeline produced the ``Doc``; evidence offsets come from the
input ``Doc`` and index into its text exactly. Phrases written in capitals
("SEND", "MASH") are acronyms and match only in capitals.

Misspellings. For every word of at least ``fuzzy_min_length`` letters that is not
an English word (not in the lookup table) and not codebook vocabulary, the closest
codebook word with the same first letter is taken when the rapidfuzz ratio reaches
``fuzzy_threshold``. The table is built once per batch of documents for the words
not seen before, so its cost does not grow with the text.

Context. A match inside an ``exclude`` match of its theme, inside an address, or
inside the name of an organisation or act that it does not head (see
``name_heads`` in the codebook) is dropped. A match in the scope of a negation cue
("no evidence that ...") is kept and marked ``negated``; a theme whose every match
is negated is reported with ``negated=True`` and does not count as the theme.

Kept as one module: it is one spaCy component; its matchers, misspelling
look-ups, context checks and negation scopes share the component's compiled
patterns and per-token state.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy
from rapidfuzz import fuzz, process
from spacy.attrs import LEMMA, ORTH, SPACY
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import compile_suffix_regex, registry

from pipeline.nlp import known_words, lemma_table, new_pipeline
from pipeline.themes.codebook import Codebook, Theme, load_codebook

log = logging.getLogger(__name__)

#: A full stop after a mixed-case acronym ("DfE."): a suffix of its own.
ACRONYM_STOP = r"(?<=[a-z][A-Z])\."
#: Tokens that end a clause: no "near" pattern or negation scope crosses them.
CLAUSE_PUNCT = [".", ";", ":", "?", "!", "•"]
_URL_KEY = "\u241fnomatch"  # the key of URLs and e-mail addresses: matches no pattern
_POSTCODE_OUT = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_POSTCODE_IN = re.compile(r"^\d[A-Z]{2}$")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]+$")
_YEAR = re.compile(r"^(?:19|20)\d{2}[a-z]?$")
#: A bibliographic reference: "Surname, I. ..." or "Author (2023) Title" / "Author. (2024d)."
_REF_AUTHORS = re.compile(r"^\W{0,3}(?:\d{1,3}\s+)?[A-Z][\w'\-]+\.?,\s(?:[A-Z]\.\s?,?\s?)+")
_REF_YEAR = re.compile(
    r"^\W{0,3}(?:\d{1,3}\s+)?[^()]{2,120}?[.,]?\s\((?:19|20)\d{2}[a-z]?\)[.,:]?\s"
)
#: "Author. 2022. Title" (a year between full stops, no brackets), as in report annexes
_REF_DOT_YEAR = re.compile(r"^\W{0,3}(?:\d{1,3}\s+)?[A-Z][^.()]{1,120}\.\s(?:19|20)\d{2}[a-z]?\.\s")
#: "Figure 3:", "Table 2.1 -", "Chart 4." opening a passage
_CAPTION = re.compile(
    r"^\W{0,3}(?:Figure|Fig\.|Table|Chart|Graph|Diagram|Map)\s+"
    r"[A-Z]?\d+(?:\.\d+)*[a-z]?\s*[:.\u2013\u2014-]\s"
)
#: The most words a passage read as a caption has.
CAPTION_WORDS = 15
#: "Source: Office for National Statistics, ..." under a figure or table
_SOURCE_LINE = re.compile(r"^\W{0,3}(?:Source|Sources)\s*:\s")
#: The most words a passage read as a figure's source line has.
SOURCE_WORDS = 30
#: "[12] Data Protection Act 2018 (legislation.gov.uk)": a numbered reference list
_REF_BRACKET = re.compile(r"^\W{0,2}\[\d{1,3}\]\s")
#: A reference that opens with its link: "https://... Author (2024). Title"
_LEADING_LINK = re.compile(r"^(?:https?://|www\.)\S+\s+")
#: A publication's copyright and licence notice ("(c) Crown copyright 2023 This
#: publication is licensed under the terms of the Open Government Licence ...", "Evidence
#: is published online ... and available for inspection at the Parliamentary Archives")
#: The most words a passage read as a licence notice has (a long passage with the
#: notice run into it is read as text).
LICENCE_NOTICE_WORDS = 80
_LICENCE_NOTICE = re.compile(
    r"crown copyright|open government licen[cs]e|this publication is licensed under"
    r"|available for inspection at the parliamentary archives",
    re.I,
)
#: A table cell that holds a figure: a number, share, sum of money, date or duration
#: ("34%", "£19,642", "2015", "5 months", "0.3 FTE", "n/a").
_FIGURE_CELL = re.compile(
    r"^[(\[]?[<>~≈]?[£$€]?[-+]?\d[\d,.]*\s?(?:%|[kmb]n?|fte|hours?|days?|weeks?|months?|years?)?"
    r"[)\]*]?$|^(?:n/?a|-|–|—|nil|none)$",
    re.IGNORECASE,
)
#: The most words the label cell of a data row has ("Police BI Developer (v1)").
DATA_ROW_LABEL_WORDS = 6
#: A list of names or titles (a witness list, a list of reports): at least this many
#: words that are neither short function words nor acronyms ...
NAME_LIST_WORDS = 12
#: ... of which at least this share are capitalised.
NAME_LIST_SHARE = 0.8
_NAME_LIST_SMALL = frozenset(
    {"of", "and", "the", "for", "in", "on", "to", "a", "an", "with", "at", "by", "from", "or"}
)
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_LINK = re.compile(r"https?://|www\.|doi\.org|doi:", re.I)

for _name in ("theme_tags", "theme_matches", "theme_dropped"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def _swapped(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with two neighbouring letters swapped ("racsim", "racism")."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


@dataclass(frozen=True)
class ThemeMatch:
    """One pattern match: the theme, the words (character and token offsets) and why."""

    theme: str
    start_char: int
    end_char: int
    text: str
    pattern: str
    role: str
    weight: float
    negated: bool = False
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class ThemeTag:
    """A theme of one passage: its rule score and the matches that carry it."""

    theme: str
    score: float
    negated: bool
    matches: tuple[ThemeMatch, ...]

    @property
    def evidence(self) -> str:
        """The matched words, distinct, in text order, separated by ``; ``."""
        return "; ".join(dict.fromkeys(m.text for m in self.matches))

    @property
    def spans(self) -> list[list[Any]]:
        """``[start, end, text]`` of every evidence match (character offsets)."""
        return [[m.start_char, m.end_char, m.text] for m in self.matches]


#: Name of the theme-tagging spaCy component registered here.
THEME_COMPONENT = "theme_rules"


@functools.lru_cache(maxsize=8)
def theme_nlp(codebook: str | None = None, base: str | None = None) -> Language:
    """The theme stage's pipeline, cached per process: :func:`pipeline.nlp.new_pipeline`
    plus the ``theme_rules`` component built from ``codebook`` (a YAML path; ``None``
    for the shipped default)."""
    nlp = new_pipeline(base)
    # "for DfE." ends a sentence: split the full stop off a mixed-case acronym as the
    # English tokenizer does after two capitals ("DWP."), so the acronym can match
    suffixes = [*nlp.Defaults.suffixes, ACRONYM_STOP]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    nlp.add_pipe(
        THEME_COMPONENT,
        config={"codebook": {"@misc": "sgpipe.codebook.v1", "path": codebook}},
    )
    return nlp


@registry.misc("sgpipe.codebook.v1")
def codebook_loader(path: str | None = None) -> Codebook:
    """Load a codebook for the ``theme_rules`` component (``None``: the shipped default)."""
    return load_codebook(path)


@Language.factory(
    THEME_COMPONENT,
    default_config={
        "codebook": {"@misc": "sgpipe.codebook.v1", "path": None},
        "fuzzy": True,
        "spans_key": "themes",
    },
)
def make_theme_rules(
    nlp: Language, name: str, codebook: Codebook, fuzzy: bool, spans_key: str
) -> ThemeRules:
    """spaCy factory of the rule tagger (see the module docstring)."""
    return ThemeRules(nlp, codebook, name=name, fuzzy=fuzzy, spans_key=spans_key)


class _Lex(NamedTuple):
    """What the rules read of a word: its text and lexical flags."""

    text: str
    url: bool  # like a URL or an e-mail address
    title: bool
    like_num: bool
    alpha: bool
    lower: str


class _Tokens(NamedTuple):
    """The words of a ``Doc`` in order, and whether each is followed by a space."""

    lexes: list[_Lex]
    spaces: list[bool]

    @property
    def words(self) -> list[str]:
        return [lex.text for lex in self.lexes]


@dataclass(frozen=True)
class _Meta:
    theme: str
    role: str
    pattern: str
    weight: float
    side: str = ""  # "A" or "B" for the two word lists of a near pattern
    window: int = 0
    ordered: bool = False


class ThemeRules:
    """The rule tagger: codebook patterns compiled into spaCy matchers."""

    def __init__(
        self,
        nlp: Language,
        codebook: Codebook,
        *,
        name: str = THEME_COMPONENT,
        fuzzy: bool = True,
        spans_key: str = "themes",
    ) -> None:
        self.name = name
        self.codebook = codebook
        self.vocab = nlp.vocab
        self.spans_key = spans_key
        self.fuzzy = fuzzy
        self._tokenizer = nlp.tokenizer
        self._lemmas = lemma_table()
        self._known = known_words() if fuzzy else frozenset()
        self._key_cache: dict[str, str] = {}
        self._variants: dict[str, str] = {}
        self._seen_words: set[str] = set()
        self._closest_cache: dict[str, str | None] = {}
        self._lex_cache: dict[int, _Lex] = {}
        self._key_ids: dict[str, int] = {}
        s = codebook.settings
        self._threshold = s.threshold
        #: theme -> the weight of its mentions that only stand in a list of agencies
        self._listed_weights = {
            t.id: t.listed_weight for t in self.codebook.themes if t.listed_weight is not None
        }
        self._heads = frozenset(s.name_heads)
        self._connectors = frozenset(s.name_connectors)
        self._address = frozenset(s.address_words)
        self._meta: dict[int, _Meta] = {}
        self._phrases = PhraseMatcher(self.vocab, attr="LEMMA")
        self._acronyms = PhraseMatcher(self.vocab, attr="ORTH")
        self._matcher = Matcher(self.vocab)
        self._token_needs: list[list[tuple[str, frozenset[str]]]] = []
        self._fuzzy_words: set[str] = set()
        self._pids: set[str] = set()
        for theme in codebook.themes:
            self._compile_theme(theme)
        self._add_inflections()
        self._compile_negation()
        self._by_initial: dict[str, list[str]] = {}
        for w in sorted(self._fuzzy_words):
            if len(w) >= s.fuzzy_min_length and w.isalpha():
                self._by_initial.setdefault(w[0], []).append(w)

    # ------------------------------------------------------------------ keys

    def key(self, word: str) -> str:
        """The matching key of a word: lower case, misspelling corrected, lemmatised.

        A plural the lookup table lacks ("headteachers") is read as its singular when
        that is codebook vocabulary; a word ending in a line-break hyphen ("anti-")
        is read without it, so "anti- racist" matches like "anti racist".
        """
        low = word.lower()
        k = self._key_cache.get(low)
        if k is None:
            # a hyphen left at a line break ("anti- racist") belongs to the next word
            if len(low) > 2 and low.endswith("-") and low[-2].isalpha():
                low = low[:-1]
            fixed = self._variants.get(low, low)
            k = self._lemmas.get(fixed)
            if k is None:
                stem = fixed[:-1] if fixed.endswith("s") else ""
                k = self._lemmas.get(stem, stem) if stem in self._fuzzy_words else fixed
            self._key_cache[word.lower()] = k
        return k

    def _lexeme(self, orth: int) -> _Lex:
        """The lexical attributes of a word the rules read (remembered per word)."""
        lex = self._lex_cache.get(orth)
        if lex is None:
            lx = self.vocab[orth]
            text = lx.orth_
            lex = _Lex(
                text,
                bool(lx.like_url or lx.like_email),
                bool(lx.is_title),
                bool(lx.like_num),
                bool(lx.is_alpha),
                lx.lower_,
            )
            self._lex_cache[orth] = lex
        return lex

    def _tokens(self, doc: Doc) -> _Tokens:
        """The words of ``doc`` with the attributes the rules read, as plain lists: one
        pass over the ``Doc`` (making a ``Token`` per attribute read costs more than
        the matching)."""
        arr = doc.to_array([ORTH, SPACY]).tolist() if len(doc) else []
        lexes = [self._lexeme(orth) for orth, _ in arr]
        return _Tokens(lexes, [bool(space) for _, space in arr])

    def _keys(self, tokens: _Tokens) -> list[str]:
        """The matching key of each word (URLs and e-mail addresses match nothing)."""
        key = self.key
        return [_URL_KEY if lex.url else key(lex.text) for lex in tokens.lexes]

    def _shadow(
        self, doc: Doc, tokens: _Tokens | None = None, keys: list[str] | None = None
    ) -> Doc:
        """A copy of ``doc``'s words whose lemmas are their matching keys (as
        ``Doc(words=..., lemmas=keys)`` makes it, with the lemmas set in one array)."""
        tokens = tokens or self._tokens(doc)
        keys = self._keys(tokens) if keys is None else keys
        ids, strings = self._key_ids, self.vocab.strings
        hashes = []
        for k in keys:
            h = ids.get(k)
            if h is None:
                h = ids[k] = strings.add(k)
            hashes.append(h)
        shadow = Doc(self.vocab, words=tokens.words, spaces=tokens.spaces)
        if hashes:
            shadow.from_array([LEMMA], numpy.array(hashes, dtype=numpy.uint64).reshape(-1, 1))
        return shadow

    def _pattern_doc(self, text: str) -> Doc:
        return self._shadow(self._tokenizer(text))

    @property
    def variants(self) -> dict[str, str]:
        """Misspellings found so far and the codebook word each was read as."""
        return dict(self._variants)

    def learn_variants(self, docs: Iterable[Doc]) -> None:
        """Find misspelt codebook words among the words of ``docs`` not seen before."""
        if self.fuzzy:
            self._learn([self._tokens(doc) for doc in docs])

    def _learn(self, batch: list[_Tokens]) -> None:
        """:meth:`learn_variants` on the words of documents already read."""
        if not self.fuzzy:
            return
        s = self.codebook.settings
        new: set[str] = set()
        proper: set[str] = set()
        min_length = s.fuzzy_min_length
        for tokens in batch:
            lexes = tokens.lexes
            for i, lex in enumerate(lexes):
                if lex.alpha and len(lex.text) >= min_length:
                    low = lex.lower
                    if low not in self._seen_words:
                        new.add(low)
                        # a capitalised word inside a sentence is a name ("Carter", "Childline")
                        if lex.title and i > 0 and lexes[i - 1].text not in CLAUSE_PUNCT:
                            proper.add(low)
        if not new:
            return
        self._seen_words |= new
        for word in sorted(new):
            if word in self._known or word in self._fuzzy_words or word in proper:
                continue
            hit = self._closest(word)
            if hit is not None:
                self._variants[word] = hit
                self._key_cache.pop(word, None)
                log.debug("misspelling %r read as %r", word, hit)

    def _closest(self, word: str) -> str | None:
        """The codebook word ``word`` misspells, or ``None`` (remembered: a pure function
        of the word, so a word met again in another document costs nothing)."""
        try:
            return self._closest_cache[word]
        except KeyError:
            pass
        hit = None
        pool = self._by_initial.get(word[0])
        if pool:
            found = process.extractOne(
                word, pool, scorer=fuzz.ratio, score_cutoff=self.codebook.settings.fuzzy_threshold
            )
            hit = found[0] if found is not None else None
            if hit is None:  # two letters swapped ("racsim") scores low but is a typo
                hit = next((w for w in pool if _swapped(word, w)), None)
        self._closest_cache[word] = hit
        return hit

    def forget_variants(self) -> None:
        """Forget the words seen and the misspellings learnt so far, so that what follows
        is read as if it came first (the theme stage tags each document this way, so a
        document's tags do not depend on which documents were tagged before it)."""
        self._variants = {}
        self._seen_words = set()
        self._key_cache = {}

    # ------------------------------------------------------------------ compiling

    def _add(self, key: str, meta: _Meta) -> int:
        mid = self.vocab.strings.add(key)
        self._meta[mid] = meta
        return mid

    def _vocab_words(self, text: str) -> None:
        self._fuzzy_words.update(w.lower() for w in re.findall(r"[A-Za-z]+", text))

    def _compile_theme(self, theme: Theme) -> None:
        s = self.codebook.settings
        default = theme.weight or s.default_weight
        for role, pat in theme.all_patterns():
            pid = pat.id or pat.describe()
            while f"{theme.id}|{pid}" in self._pids:  # two patterns that read alike
                pid += "'"
            self._pids.add(f"{theme.id}|{pid}")
            weight = pat.weight or (s.weak_weight if role == "weak" else default)
            key = f"{theme.id}|{role}|{pid}"
            self._add(key, _Meta(theme.id, role, pid, weight))
            if pat.kind == "phrase":
                self._compile_phrase(key, pat.phrase or "")
            elif pat.kind == "tokens":
                self._matcher.add(key, [self._compile_tokens(pat.tokens or [])])
            else:
                for side, items in zip("AB", pat.near or [], strict=True):
                    self._add(
                        f"{key}|{side}",
                        _Meta(theme.id, role, pid, weight, side, pat.window, pat.ordered),
                    )
                    for item in items:
                        self._compile_phrase(f"{key}|{side}", str(item))

    def _add_inflections(self) -> None:
        """Inflected forms of codebook words are vocabulary too ("searched", "searches")."""
        lemmas = {self._lemmas.get(w, w) for w in self._fuzzy_words}
        for form, lemma in self._lemmas.items():
            if lemma in lemmas:
                self._fuzzy_words.add(form.lower())

    def _compile_phrase(self, key: str, phrase: str) -> None:
        if _ACRONYM.match(phrase.replace(" ", "")) and len(phrase) > 1:
            self._acronyms.add(key, [self._tokenizer(phrase)])
            return
        self._vocab_words(phrase)
        variants = {phrase}
        parts = [p for p in re.split(r"[\s\-]+", phrase) if p]
        if len(parts) >= 2 and all(re.fullmatch(r"[\w']+", p) for p in parts):
            variants.add(" ".join(parts))
            variants.add("-".join(parts))
            if len(parts) == 2:
                variants.add("".join(parts))
                self._vocab_words("".join(parts))
        docs = [self._pattern_doc(v) for v in sorted(variants)]
        self._phrases.add(key, [d for d in docs if len(d)])

    def _value(self, attr: str, value: Any) -> Any:
        if attr == "LEMMA":
            conv = self.key
        elif attr == "LOWER":
            conv = str.lower
        else:
            return value
        if isinstance(value, dict):
            return {op: [conv(str(v)) for v in vals] for op, vals in value.items()}
        return conv(str(value))

    def _compile_tokens(self, tokens: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for tok in tokens:
            spec = {}
            for attr, value in tok.items():
                if attr in ("LEMMA", "LOWER"):
                    vals = value.get("IN", []) if isinstance(value, dict) else [value]
                    for v in vals:
                        self._vocab_words(str(v))
                spec[attr] = self._value(attr, value)
            out.append(spec)
        self._token_needs.append(_required_words(out))
        return out

    def _tokens_may_match(self, tokens: _Tokens, keys: list[str]) -> bool:
        """Whether some token pattern can match: each of its required words (a word, a
        lower-case form or a key, or one of a list) is in the text. When none can, the
        ``Matcher`` (whose per-word checks cost more than the rest of the matching) need
        not run: it would find nothing."""
        if not self._token_needs:
            return False
        words = {"ORTH": set(tokens.words), "LOWER": {lex.lower for lex in tokens.lexes}}
        words["LEMMA"] = set(keys)
        return any(
            all(not values.isdisjoint(words[attr]) for attr, values in needs)
            for needs in self._token_needs
        )

    def _compile_negation(self) -> None:
        neg = self.codebook.negation
        self._neg = PhraseMatcher(self.vocab, attr="LEMMA")
        if neg.before:
            self._neg.add("NEG_BEFORE", [self._pattern_doc(p) for p in neg.before])
        if neg.after:
            self._neg.add("NEG_AFTER", [self._pattern_doc(p) for p in neg.after])
        self._terminators = {self.key(w) for w in neg.terminators}
        self._neg_window = neg.window

    # ------------------------------------------------------------------ running

    def __call__(self, doc: Doc) -> Doc:
        """Tag one document (learning new misspellings from it first)."""
        self.learn_variants([doc])
        return self._process(doc)

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 256) -> Iterator[Doc]:
        """Tag a stream of documents, learning misspellings once per batch."""
        batch: list[Doc] = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._process_batch(batch)
                batch = []
        if batch:
            yield from self._process_batch(batch)

    def _process_batch(self, batch: list[Doc]) -> Iterator[Doc]:
        tokens = [self._tokens(doc) for doc in batch]
        self._learn(tokens)
        for doc, toks in zip(batch, tokens, strict=True):
            yield self._process(doc, toks)

    def _process(self, doc: Doc, tokens: _Tokens | None = None) -> Doc:
        tokens = tokens or self._tokens(doc)
        keys = self._keys(tokens)
        shadow = self._shadow(doc, tokens, keys)
        clause_ends = [i for i, w in enumerate(tokens.words) if w in CLAUSE_PUNCT]
        raw: list[tuple[_Meta, int, int]] = []
        near: dict[_Meta, list[tuple[int, int]]] = {}
        matchers = [self._phrases, self._acronyms]
        if self._tokens_may_match(tokens, keys):
            matchers.append(self._matcher)
        for matcher in matchers:
            for mid, start, end in matcher(shadow):
                meta = self._meta[mid]
                if meta.side:
                    near.setdefault(meta, []).append((start, end))
                else:
                    raw.append((meta, start, end))
        if near:
            raw.extend(_pair_near(near, clause_ends))
        if not raw:
            doc._.theme_matches, doc._.theme_dropped, doc._.theme_tags = [], [], {}
            doc.spans[self.spans_key] = []
            return doc
        raw = _minimal(raw)
        excl: dict[str, list[tuple[int, int, str]]] = {}
        for meta, start, end in raw:
            if meta.role == "exclude":
                excl.setdefault(meta.theme, []).append((start, end, meta.pattern))
        names = self._names(doc, tokens)
        # (``doc.text`` joins a Token per word; the words are at hand)
        words = tokens.words
        text = "".join([w + " " if sp else w for w, sp in zip(words, tokens.spaces, strict=True)])
        if kind := passage_without_themes(text):
            names = [(0, len(doc), frozenset(), kind)]
        negs = self._negation_scopes(shadow, set(clause_ends))
        kept: list[ThemeMatch] = []
        dropped: list[tuple[ThemeMatch, str]] = []
        for meta, start, end in raw:
            if meta.role == "exclude":
                continue
            span = doc[start:end]
            m = ThemeMatch(
                theme=meta.theme,
                start_char=span.start_char,
                end_char=span.end_char,
                text=span.text,
                pattern=meta.pattern,
                role=meta.role,
                weight=meta.weight,
                start=start,
                end=end,
            )
            reason = self._context_reason(m, excl.get(meta.theme, ()), names)
            if reason:
                dropped.append((m, reason))
                continue
            if any(_in_scope(start, end, scope) for scope in negs):
                m = dataclasses.replace(m, negated=True)
            kept.append(m)
        kept.sort(key=lambda m: (m.start, m.end, m.theme))
        kept = self._weigh_listed(doc, kept, [m for m, why in dropped if why.startswith("exclude")])
        doc._.theme_matches = kept
        doc._.theme_dropped = dropped
        doc._.theme_tags = self._aggregate(kept)
        spans = [
            Span(doc, m.start, m.end, label=tag.theme)
            for tag in doc._.theme_tags.values()
            if not tag.negated
            for m in tag.matches
        ]
        doc.spans[self.spans_key] = spans
        return doc

    def _weigh_listed(
        self, doc: Doc, kept: list[ThemeMatch], excluded: list[ThemeMatch]
    ) -> list[ThemeMatch]:
        """``kept`` with each mention that stands in a list of agencies ("Education,
        Health, Police and Social Care") down to its theme's ``listed_weight``: naming
        an agency among others is not yet raising its theme. ``excluded`` (mentions a
        theme's exclusion dropped) still count as items of the list."""
        light = self._listed_weights
        if not light or not any(m.theme in light for m in kept):
            return kept
        listed = listed_matches(doc, [m for m in kept if not m.negated] + excluded)
        if not listed:
            return kept
        return [
            dataclasses.replace(m, weight=min(m.weight, light[m.theme]))
            if id(m) in listed and m.theme in light
            else m
            for m in kept
        ]

    def _aggregate(self, matches: list[ThemeMatch]) -> dict[str, ThemeTag]:
        by_theme: dict[str, list[ThemeMatch]] = {}
        for m in matches:
            by_theme.setdefault(m.theme, []).append(m)
        tags: dict[str, ThemeTag] = {}
        for theme in self.codebook.ids:
            ms = by_theme.get(theme)
            if not ms:
                continue
            live = [m for m in ms if not m.negated]
            negated = not live
            evidence = _non_overlapping(live or ms)
            score = _noisy_or(evidence)
            if score + 1e-9 < self._threshold:
                continue
            tags[theme] = ThemeTag(theme, round(score, 4), negated, tuple(evidence))
        return tags

    # ------------------------------------------------------------------ context

    def _context_reason(
        self,
        m: ThemeMatch,
        exclusions: Iterable[tuple[int, int, str]],
        names: list[tuple[int, int, frozenset[int], str]],
    ) -> str:
        # an exclusion holding the first or the last word of a match drops it: the two
        # ends of a near pair ("consult ... children" in "children's social care")
        for start, end, pid in exclusions:
            if start <= m.start < end or start < m.end <= end:
                return f"exclude:{pid}"
        for start, end, heads, kind in names:
            if start <= m.start and m.end <= end:
                if kind != "name":
                    return kind
                if not any(m.start <= h < m.end for h in heads):
                    return "name"
        return ""

    def _names(
        self, doc: Doc, tokens: _Tokens | None = None
    ) -> list[tuple[int, int, frozenset[int], str]]:
        """Token ranges in which theme words are not the theme.

        Returns ``(start, end, head token positions, kind)``, kind being ``name``
        (a capitalised run holding an organisation or act head word: a match must
        cover a head to count), ``address`` (a capitalised run ending in a street
        word, or the words before a UK postcode) or ``citation`` (a parenthesis
        that ends in a year, "(Ministry of Justice, 2023)", unless the year belongs
        to an act: "(section 47, Children Act 1989)").
        """
        lexes = (tokens or self._tokens(doc)).lexes
        words = [lex.text for lex in lexes]
        caps = [_is_cap(lex) for lex in lexes]
        out: list[tuple[int, int, frozenset[int], str]] = []
        n = len(words)
        i = 0
        while i < n:
            if not caps[i]:
                i += 1
                continue
            j = i + 1
            last = i
            while j < n:
                if caps[j] or (lexes[j].like_num and words[j - 1] in self._heads):
                    last = j
                elif lexes[j].lower not in self._connectors and words[j] != ",":
                    break
                j += 1
            end = last + 1
            if end - i >= 2:
                if words[end - 1] in self._address:
                    out.append((i, end, frozenset(), "address"))
                else:
                    heads = frozenset(k for k in range(i, end) if words[k] in self._heads)
                    if heads:
                        out.append((i, end, heads, "name"))
            i = end
        for k in range(n - 1):
            if _POSTCODE_OUT.match(words[k]) and _POSTCODE_IN.match(words[k + 1]):
                start = k
                while start > 0 and k - start < 15 and words[start - 1] not in CLAUSE_PUNCT:
                    start -= 1
                out.append((start, k + 2, frozenset(), "address"))
        for k, word in enumerate(words):
            if word != "(":
                continue
            for j in range(k + 1, min(n, k + 16)):
                if words[j] == ")":
                    year = words[j - 1]
                    before = words[j - 2] if j - 2 > k else ""
                    if _YEAR.match(year) and before not in self._heads:
                        out.append((k, j + 1, frozenset(), "citation"))
                    break
        return out

    def _negation_scopes(self, shadow: Doc, clause_ends: set[int]) -> list[tuple[int, int]]:
        """Token ranges ``[start, end)`` that a negation cue reaches."""
        scopes = []
        n = len(shadow)
        before = self.vocab.strings["NEG_BEFORE"] if self.codebook.negation.before else -1
        for mid, start, end in self._neg(shadow):
            if mid == before:
                stop = end
                while (
                    stop < n
                    and stop - end < self._neg_window
                    and stop not in clause_ends
                    and shadow[stop].lemma_ not in self._terminators
                ):
                    stop += 1
                scopes.append((end, stop))
            else:
                first = start
                while (
                    first > 0
                    and start - first < self._neg_window
                    and (first - 1) not in clause_ends
                    and shadow[first - 1].lemma_ not in self._terminators
                ):
                    first -= 1
                scopes.append((first, start))
        return scopes


def passage_without_themes(text: str) -> str:
    """Why a whole passage raises no theme, by its layout: ``reference``, ``caption``,
    ``data_row``, ``name_list`` or ``licence`` (the first of :func:`is_reference`,
    :func:`is_caption`, :func:`is_data_row`, :func:`is_name_list`,
    :func:`is_licence_notice` that holds), else ``""``. Its theme words name a cited
    title, what a figure or a table row counts, who is listed, or the publisher."""
    for kind, test in _WHOLE_PASSAGE:
        if test(text):
            return kind
    return ""


def is_reference(text: str) -> bool:
    """Whether a passage is a bibliographic reference (its themes are a cited title's).

    "Surname, I. ..." opens a reference; so does "Author (2023) Title",
    "Author. (2024d)." or "Author. 2022. Title" when the passage also holds a link or
    is short, and a short numbered one ("[12] Title, 2023", with a link, a year or the
    next number). A reference may open with its link.
    """
    if _REF_AUTHORS.match(text):
        return bool(re.search(r"\((?:19|20)\d{2}[a-z]?\)|\b(?:19|20)\d{2}[a-z]?\.", text))
    if _REF_BRACKET.match(text):
        more = _LINK.search(text) or re.search(r"\b(?:19|20)\d{2}\b|\s\[\d{1,3}\]\s", text)
        return bool(more) and len(text) < 300
    link = _LEADING_LINK.match(text)
    if link and len(text) > link.end():
        return is_reference(text[link.end() :])
    if not (_REF_YEAR.match(text) or _REF_DOT_YEAR.match(text)):
        return False
    return bool(_LINK.search(text)) or len(text) < 300


def is_caption(text: str) -> bool:
    """Whether a passage is a short figure or table caption ("Figure 9: Referrals by
    agency"): it names what a figure shows, so its themes are the figure's, as a
    reference's are a cited title's. Captions of more than :data:`CAPTION_WORDS` words
    (a caption run into the text after it) are read as text. A figure's source line
    ("Source: Department for Education, ...", at most :data:`SOURCE_WORDS` words) is
    read as a caption too."""
    if _SOURCE_LINE.match(text):
        return len(text.split()) <= SOURCE_WORDS
    return bool(_CAPTION.match(text)) and len(text.split()) <= CAPTION_WORDS


def is_licence_notice(text: str) -> bool:
    """Whether a passage holds a publication's copyright or licence notice (every
    government publication carries "Crown copyright ... Open Government Licence"): its
    words ("Government", "National Archives") are the publisher's, not a theme."""
    return bool(_LICENCE_NOTICE.search(text)) and len(text.split()) <= LICENCE_NOTICE_WORDS


def is_data_row(text: str) -> bool:
    """Whether a passage is a data row of a table ("Police | 34% | 38% | 37%", "Police BI
    Developer (v1) | £19,642 | 5 months | 2017"): cells joined by ``|``, at least half
    of them figures (:data:`_FIGURE_CELL`) and none of the others longer than
    :data:`DATA_ROW_LABEL_WORDS` words. Its words label what the row counts, as a
    caption's name what a figure shows, so they raise no theme."""
    if text.count("|") < 2:
        return False
    cells = [c.strip() for c in text.split("|")]
    cells = [c for c in cells if c]
    figures = sum(1 for c in cells if _FIGURE_CELL.match(c))
    if not figures or 2 * figures < len(cells):
        return False
    return all(len(c.split()) <= DATA_ROW_LABEL_WORDS for c in cells if not _FIGURE_CELL.match(c))


def is_name_list(text: str) -> bool:
    """Whether a passage is a list of names or titles: a list of witnesses ("Professor A,
    University of X (BC 12) Department for Transport (DfT) (BC 13) ..."), of reports or
    of organisations. At least :data:`NAME_LIST_WORDS` words (function words and
    acronyms aside), :data:`NAME_LIST_SHARE` of them capitalised; running text, even
    dense with names, has far fewer. Its theme words name who or what is listed, not
    what the passage raises. A passage in capitals (a shouted heading) is not one: its
    words are acronyms by this count."""
    cap = low = 0
    for word in _WORD.findall(text):
        if word.lower() in _NAME_LIST_SMALL:
            continue
        if word[0].isupper():
            if len(word) > 1 and word.isupper():
                continue
            cap += 1
        else:
            low += 1
    words = cap + low
    return words >= NAME_LIST_WORDS and cap >= NAME_LIST_SHARE * words


#: The layout classes of :func:`passage_without_themes`, in the order they are tried.
_WHOLE_PASSAGE: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("reference", is_reference),
    ("caption", is_caption),
    ("data_row", is_data_row),
    ("name_list", is_name_list),
    ("licence", is_licence_notice),
)


#: Words that may stand between two items of a list ("police, health services and the
#: school"): separators, articles, and the words that follow an agency's name.
LIST_GLUE = frozenset(
    {",", "and", "or", "/", "&", "the", "as", "well", "local", "other", "any"}
    | {"service", "services", "agency", "agencies", "team", "teams", "partners"}
    | {"professionals", "practitioners", "colleagues", "staff", "settings"}
)
#: A list of agencies: at least this many rule mentions joined by list words.
LIST_MIN_ITEMS = 3


def listed_matches(doc: Doc, live: Sequence[ThemeMatch]) -> set[int]:
    """Ids of the matches of ``live`` that stand in a list of at least
    :data:`LIST_MIN_ITEMS` mentions of at least two themes joined only by list words
    ("Education, Health, Police and Social Care")."""
    ordered = sorted(live, key=lambda m: (m.start, m.end))
    runs: list[list[ThemeMatch]] = []
    for m in ordered:
        if runs:
            prev = runs[-1][-1]
            if m.start < prev.end:  # overlapping mentions of two themes: one item
                runs[-1].append(m)
                continue
            gap = [doc[k].lower_ for k in range(prev.end, m.start)]
            if len(gap) <= 3 and all(w in LIST_GLUE for w in gap):
                runs[-1].append(m)
                continue
        runs.append([m])
    out: set[int] = set()
    for run in runs:
        items = len({(m.start, m.end) for m in run})
        if items >= LIST_MIN_ITEMS and len({m.theme for m in run}) >= 2:
            out.update(id(m) for m in run)
    return out


def _is_cap(tok: Any) -> bool:
    """A capitalised word: title case, or an acronym (``tok``: a ``Token`` or ``_Lex``)."""
    text = tok.text
    if not text[:1].isupper():
        return False
    if tok.is_title if isinstance(tok, Token) else tok.title:
        return True
    # an acronym ("NSPCC", "DfE") but not a word in an all-capitals heading
    return len(text) <= 6 and any(c.isupper() for c in text[1:])


_REQUIRED_OP = re.compile(r"^(?:\+|\{[1-9]\d*(?:,\d*)?\})$")


def _required_words(pattern: list[dict[str, Any]]) -> list[tuple[str, frozenset[str]]]:
    """What a ``Matcher`` pattern needs in a text to match: for each token that must be
    there (no ``OP``, or ``+``, or ``{n}``/``{n,m}`` with n >= 1) and that names a word
    (``ORTH``/``TEXT``, ``LOWER`` or ``LEMMA``, a value or an ``IN`` list), the words it
    accepts. A condition of any other form is not a need (the text is then checked by
    the ``Matcher`` itself), so the list is never stricter than the pattern."""
    needs = []
    for tok in pattern:
        op = tok.get("OP")
        if op is not None and not (isinstance(op, str) and _REQUIRED_OP.match(op)):
            continue
        for attr, value in tok.items():
            name = {"TEXT": "ORTH"}.get(attr, attr)
            if name not in ("ORTH", "LOWER", "LEMMA"):
                continue
            if isinstance(value, str):
                needs.append((name, frozenset([value])))
            elif (
                isinstance(value, dict)
                and set(value) == {"IN"}
                and isinstance(value["IN"], list)
                and all(isinstance(v, str) for v in value["IN"])
            ):
                needs.append((name, frozenset(value["IN"])))
    return needs


def _pair_near(
    hits: dict[_Meta, list[tuple[int, int]]], clause_ends: list[int]
) -> list[tuple[_Meta, int, int]]:
    """Matches of near patterns: a hit of list A within ``window`` tokens of a hit of list B.

    The gap between them may not hold a clause-ending punctuation token.
    """
    by_pattern: dict[tuple[str, str, str], dict[str, tuple[_Meta, list[tuple[int, int]]]]] = {}
    for meta, spans in hits.items():
        by_pattern.setdefault((meta.theme, meta.role, meta.pattern), {})[meta.side] = (meta, spans)
    out = []
    for sides in by_pattern.values():
        if len(sides) != 2:
            continue
        meta_a, spans_a = sides["A"]
        _, spans_b = sides["B"]
        meta = dataclasses.replace(meta_a, side="")
        for a0, a1 in spans_a:
            for b0, b1 in spans_b:
                if b0 >= a1:
                    gap = (a1, b0)
                elif not meta.ordered and a0 >= b1:
                    gap = (b1, a0)
                else:
                    continue
                if gap[1] - gap[0] > meta_a.window:
                    continue
                if any(gap[0] <= c < gap[1] for c in clause_ends):
                    continue
                out.append((meta, min(a0, b0), max(a1, b1)))
    return out


def _in_scope(start: int, end: int, scope: tuple[int, int]) -> bool:
    return scope[0] <= start < scope[1] or scope[0] < end <= scope[1]


def _minimal(raw: list[tuple[_Meta, int, int]]) -> list[tuple[_Meta, int, int]]:
    """Drop a match that contains another match of the same pattern (variable-length patterns)."""
    by_key: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for meta, s, e in raw:
        by_key.setdefault((meta.theme, meta.role, meta.pattern), []).append((s, e))
    out = []
    for meta, s, e in raw:
        others = by_key[(meta.theme, meta.role, meta.pattern)]
        if meta.role != "exclude" and any(
            (s2, e2) != (s, e) and s <= s2 and e2 <= e for s2, e2 in others
        ):
            continue
        out.append((meta, s, e))
    # the same span can be found by two variants of one phrase: keep it once
    return list(dict.fromkeys(out))


def _non_overlapping(matches: list[ThemeMatch]) -> list[ThemeMatch]:
    """Longest matches first, then earliest; overlapping shorter ones are folded into them."""
    chosen: list[ThemeMatch] = []
    taken: set[int] = set()
    for m in sorted(matches, key=lambda m: (-(m.end - m.start), m.start)):
        if any(i in taken for i in range(m.start, m.end)):
            continue
        chosen.append(m)
        taken.update(range(m.start, m.end))
    return sorted(chosen, key=lambda m: m.start)


def _noisy_or(matches: list[ThemeMatch]) -> float:
    """1 - prod(1 - weight) over the distinct patterns among ``matches``."""
    weights: dict[str, float] = {}
    for m in matches:
        weights[m.pattern] = max(weights.get(m.pattern, 0.0), m.weight)
    prod = 1.0
    for w in weights.values():
        prod *= 1.0 - w
    return 1.0 - prod
