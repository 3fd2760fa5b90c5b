"""spaCy without downloads: blank English, lookup lemmas, the word-frequency table.

Nothing here downloads anything. A pipeline is ``spacy.blank("en")`` with the
lookup lemmatizer, whose table comes from the installed ``spacy-lookups-data``
package (:func:`new_pipeline`); a pretrained English pipeline can be used instead
when a user has one installed (``base=``), but it is never required. A stage that
needs components builds its own pipeline and caches it per process (the theme
stage: :func:`pipeline.themes.rules.theme_nlp`); nothing here knows any stage.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import spacy
from spacy.language import Language

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def lemma_table() -> Mapping[str, str]:
    """The English lookup lemma table of ``spacy-lookups-data`` (inflected form -> lemma).

    Keys are case-sensitive word forms as the table stores them (mostly lower case).
    """
    from spacy.util import load_language_data, registry

    if "en" not in registry.lookups:
        raise RuntimeError("spacy-lookups-data is not installed: pip install spacy-lookups-data")
    return dict(load_language_data(registry.lookups.get("en")["lemma_lookup"]))


#: Log probability above which a word counts as common English (never read as a misspelling).
KNOWN_WORD_LOGPROB = -15.5


@functools.lru_cache(maxsize=1)
def known_words(min_logprob: float = KNOWN_WORD_LOGPROB) -> frozenset[str]:
    """Common English words: those of ``spacy-lookups-data``'s ``lexeme_prob`` table above
    ``min_logprob`` (about 70,000 words), plus every form in the lemma table.

    The table lists one word per line, most probable first, so it is read line by
    line up to the first word below ``min_logprob`` (a few percent of the file)
    rather than parsed whole.
    """
    import gzip
    import re

    from spacy.util import registry

    path = Path(str(registry.lookups.get("en")["lexeme_prob"]))
    if not path.exists() and path.with_suffix(".json.gz").exists():
        path = path.with_suffix(".json.gz")
    entry = re.compile(r'\s*"((?:[^"\\]|\\.)*)"\s*:\s*(-?[0-9.eE+-]+)')
    words: set[str] = set()
    below = 0
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            m = entry.match(line)
            if m is None:
                continue
            if float(m.group(2)) >= min_logprob:
                word = m.group(1)  # a JSON string: decoded only when it holds an escape
                words.add((json.loads(f'"{word}"') if "\\" in word else word).lower())
                below = 0
            else:
                below += 1
                if below > 1000:  # sorted by probability: nothing more above the bar
                    break
    table = lemma_table()
    words.update(k.lower() for k in table)
    words.update(v.lower() for v in table.values())
    return frozenset(words)


def lemmatize_lower(word: str) -> str:
    """The lookup lemma of ``word`` lower-cased (the word itself when the table lacks it)."""
    low = word.lower()
    return lemma_table().get(low, low)


def blank_english() -> Language:
    """A new blank English pipeline with the lookup lemmatizer, initialised offline."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def new_pipeline(base: str | None = None) -> Language:
    """A new pipeline: ``spacy.load(base)`` when ``base`` is given, else :func:`blank_english`."""
    if base:
        nlp = spacy.load(base)
        log.info("spaCy pipeline: %s (%s)", base, ", ".join(nlp.pipe_names))
        return nlp
    return blank_english()
