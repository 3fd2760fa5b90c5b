"""The theme stage: rules and model combined into ``themes.parquet``, one row per (passage, theme).

Every passage is tagged, whatever its ``kind``: headings ("Working with schools")
and contents lines carry themes as much as paragraphs do, and bibliographic
references are recognised by the rules (their themes are a cited title's) rather
than skipped by kind. ``kind`` and ``page`` are copied into the output so that a
table can leave out headings or footnotes when it needs to. The model is applied
to passages of at least :data:`MIN_MODEL_WORDS` words; shorter ones have too few
words for word statistics and are left to the rules.

Without a model a theme is tagged when the rules tag it (``method`` ``rule``). With
a model (which reads the rule matches as features, see
:mod:`pipeline.themes.features`), the model decides the themes it was trained for,
on passages of at least :data:`MIN_MODEL_WORDS` words: a rule tag stays unless the
model's probability is below the theme's ``keep`` threshold, and a theme the rules
did not tag is added at its ``add`` threshold (both chosen by document-grouped
cross-validation when the model was trained; ``add`` above 1 means never). A kept
rule tag is ``both`` when the model alone would also tag it, else ``rule``; an
added one is ``model``. Other themes, and shorter passages, are the rules'. Which
themes the model decides was chosen for each kind of document apart, those about
children and families and the others (:mod:`pipeline.themes.domain`); a document is
tagged with the choice for its kind, judged from its own passages.
``score`` is the rule score for ``rule`` (the noisy-OR of the codebook weights of
the matched patterns, see the codebook), the model probability for ``model``, and
the larger of the two for ``both``; ``rule_score`` and ``model_score`` keep both.
Themes whose every rule mention is negated are kept with ``negated`` true when
``include_negated`` is set: they are not the theme, and every count must leave
them out (:func:`counted`).

The rules know context the model does not, so a context decision vetoes a
model-only tag of the same theme: a negated mention, or a mention the rules
dropped because it stands in an organisation's name, an address, a citation or an
exclusion; and no model tag is given to a bibliographic reference. Every tag
carries evidence words with character offsets into the passage text: the rule
matches, or for a model-only tag the words that weighed most
(:meth:`~pipeline.themes.model.ThemeModel.evidence`).

Analysts' review decisions override the tagger for the passages they name:
``reject`` removes the row, ``accept`` keeps it with ``reviewed`` "accepted" and
score 1, ``add`` adds a row with ``method`` "review" and score 1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline import schema
from pipeline.config import ThemeOptions
from pipeline.themes.domain import CHILDREN, document_domains

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.themes.codebook import Codebook
    from pipeline.themes.linear import LinearThemeModel
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.rules import ThemeRules, ThemeTag

log = logging.getLogger(__name__)

MIN_MODEL_WORDS = 3
#: What the rules give each text: tags, the themes whose model tags are vetoed, and
#: the rule features the model reads.
RuleResult = tuple["dict[str, ThemeTag]", set[str], dict[str, float]]
BATCH_SIZE = 256
#: Columns written after the contract columns of themes.parquet.
EXTRA_COLUMNS = [
    "negated",
    "evidence_spans",
    "rule_score",
    "model_score",
    "reviewed",
    "kind",
    "page",
]


@dataclass
class Tagger:
    """The loaded pieces of the theme stage: codebook, spaCy pipeline, optional model."""

    codebook: Codebook
    nlp: Language
    model: LinearThemeModel | ThemeModel | None
    options: ThemeOptions

    @classmethod
    def from_options(cls, options: ThemeOptions, *, model_cache: Path | None = None) -> Tagger:
        """Load the codebook, build the shared pipeline and load the model (if any).

        ``model_cache``: a folder where the model is kept in a form that loads fast
        (:func:`pipeline.themes.linear.load_tagging_model`).
        """
        from pipeline.themes.rules import theme_nlp

        options = options.resolved()
        from pipeline.themes.codebook import load_codebook

        codebook = load_codebook(options.codebook)
        nlp = theme_nlp(str(options.codebook) if options.codebook else None, options.spacy_pipeline)
        model = None
        if options.model:  # in linear form: scikit-learn is not imported to tag
            from pipeline.themes.linear import load_tagging_model

            model = load_tagging_model(options.model, cache_dir=model_cache)
        if model is not None:
            unknown = [t for t in model.classes if t not in codebook.ids]
            if unknown:
                log.warning("model themes not in the codebook are ignored: %s", unknown)
        return cls(codebook=codebook, nlp=nlp, model=model, options=options)

    def rule_tags(self, texts: list[str]) -> list[dict[str, ThemeTag]]:
        """The rule tags of each text (``{theme: ThemeTag}``), negated-only themes included."""
        return [r[0] for r in self.rule_results(texts)]

    def rule_results(
        self,
        texts: list[str],
        *,
        groups: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[RuleResult]:
        """Rule tags of each text, the themes whose model tags its context vetoes, and
        the rule features the model reads (:func:`~pipeline.themes.passage_features.rule_features`;
        ``kinds``: each text's passage kind, e.g. ``heading``).

        The veto set holds the themes with a negated mention or a mention dropped by
        context; ``"*"`` in it stands for every theme (a bibliographic reference).

        ``groups`` (one value per text, e.g. its document) makes the texts of each
        group one unit: misspellings are learnt from that group alone, as if it were
        tagged first, so a document's tags never depend on the other documents of a
        run or on their order. Without it the texts are read in batches of
        :data:`BATCH_SIZE`, learning misspellings as they come.
        """
        kinds = list(kinds) if kinds is not None else [""] * len(texts)
        if groups is None:
            return self._rule_results(texts, kinds, BATCH_SIZE)
        members: dict[str, list[int]] = {}
        for i, g in enumerate(groups):
            members.setdefault(g, []).append(i)
        out: list[RuleResult] = [({}, set(), {})] * len(texts)
        rules = self.rules
        for idx in members.values():
            rules.forget_variants()
            for i, result in zip(
                idx,
                self._rule_results([texts[i] for i in idx], [kinds[i] for i in idx], len(idx)),
                strict=True,
            ):
                out[i] = result
        return out

    @property
    def rules(self) -> ThemeRules:
        """The ``theme_rules`` component of the pipeline."""
        from pipeline.themes.rules import THEME_COMPONENT

        return self.nlp.get_pipe(THEME_COMPONENT)

    def _rule_results(
        self, texts: list[str], kinds: Sequence[str], batch_size: int
    ) -> list[RuleResult]:
        from pipeline.themes.passage_features import rule_features
        from pipeline.themes.rules import THEME_COMPONENT

        out: list[RuleResult] = []
        with self.nlp.select_pipes(enable=[THEME_COMPONENT]):
            for doc, kind in zip(
                self.nlp.pipe(texts, batch_size=max(1, batch_size)), kinds, strict=True
            ):
                veto = {m.theme for m in doc._.theme_matches if m.negated}
                for m, reason in doc._.theme_dropped:
                    veto.add("*" if reason == "reference" else m.theme)
                out.append((doc._.theme_tags, veto, rule_features(doc, kind)))
        return out

    def model_probabilities(
        self,
        texts: list[str],
        *,
        kinds: Sequence[str] | None = None,
        rules: Sequence[dict[str, float]] | None = None,
    ) -> list[dict[str, float]]:
        """Model probabilities per text, for the codebook themes the model knows
        (``kinds`` and ``rules``: each text's passage kind and rule features)."""
        if self.model is None:
            return [{} for _ in texts]
        use = [i for i, t in enumerate(texts) if len(t.split()) >= MIN_MODEL_WORDS]
        probs = self.model.predict_proba(
            [texts[i] for i in use],
            kinds=[kinds[i] for i in use] if kinds is not None else None,
            rules=[rules[i] for i in use] if rules is not None else None,
        )
        classes = [(j, t) for j, t in enumerate(self.model.classes) if t in self.codebook.ids]
        out: list[dict[str, float]] = [{} for _ in texts]
        for row, i in enumerate(use):
            out[i] = {t: float(probs[row, j]) for j, t in classes}
        return out

    def tag(
        self, passages: pd.DataFrame, *, decisions: dict[str, dict[str, str]] | None = None
    ) -> pd.DataFrame:
        """Tag ``passages``; return the themes table (contract columns, then extras).

        Each document is tagged as one unit (see :meth:`rule_results`).
        """
        texts = passages["text"].astype(str).tolist()
        found = self.tag_texts(
            texts,
            groups=passages["doc_id"].astype(str).tolist(),
            kinds=passages["kind"].astype(str).tolist() if "kind" in passages else None,
        )
        return assemble(passages, found, decisions=decisions)

    def tag_texts(
        self,
        texts: list[str],
        *,
        groups: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[list[dict[str, Any]]]:
        """The theme rows of each text (before review decisions): rules and model combined.

        ``groups`` as in :meth:`rule_results`; the theme stage calls this once per
        document with no groups, which is the same as one group. ``kinds``: the
        passage kind of each text (``heading``, ``bullet``, ...), which the model reads.
        Each group is tagged with the thresholds chosen for its kind of document,
        judged from the group's own texts (:func:`~pipeline.themes.domain.document_domains`).
        """
        groups = list(groups) if groups is not None else [""] * len(texts)
        results = self.rule_results(texts, groups=groups, kinds=kinds)
        probs = self.model_probabilities(
            texts, kinds=kinds, rules=[r[2] for r in results] if self.model else None
        )
        domains = document_domains(groups, texts)
        return [
            self._combine(texts[i], results[i][0], results[i][1], probs[i], domains[groups[i]])
            for i in range(len(texts))
        ]

    def thresholds(self, theme: str, domain: str = CHILDREN) -> tuple[float, float]:
        """``(keep, add)`` of ``theme`` in documents of ``domain``: a rule tag whose model
        probability is below ``keep`` is overruled; a tag the rules did not give needs
        ``add``. The model's own (chosen by cross-validation when it was trained); a
        model without them keeps every rule tag and adds at the option's threshold."""
        chosen = self.model.threshold_set(theme, domain) if self.model is not None else {}
        return chosen.get("keep", 0.0), chosen.get("add", self.options.model_threshold)

    def _combine(
        self,
        text: str,
        rule: dict[str, ThemeTag],
        veto: set[str],
        prob: dict[str, float],
        domain: str = CHILDREN,
    ) -> list[dict[str, Any]]:
        out = []
        for theme in self.codebook.ids:
            tag = rule.get(theme)
            p = prob.get(theme)
            rule_hit = tag is not None and not tag.negated
            vetoed = "*" in veto or theme in veto
            keep, add = self.thresholds(theme, domain)
            model_hit = (
                p is not None and p >= (keep if rule_hit else add) and not (vetoed and not rule_hit)
            )
            model_alone = (
                p is not None
                and self.model is not None
                and p >= self.model.threshold(theme, self.options.model_threshold)
            )
            if rule_hit and model_hit and model_alone:  # the model would tag it alone too
                method, score, spans = "both", max(tag.score, p), tag.spans
            elif model_hit and not rule_hit:
                method, score = "model", p
                spans = self.model.evidence(text, theme) if self.model else []
            elif (rule_hit and (model_hit or p is None)) or (
                tag is not None and not rule_hit and self.options.include_negated
            ):  # a rule tag kept (or not the model's to decide), or a negated mention
                method, score, spans = "rule", tag.score, tag.spans
            else:  # no mention, or the model read the rule's mention and overruled it
                continue
            out.append(
                {
                    "theme": theme,
                    "method": method,
                    "score": round(float(score), 4),
                    "evidence": "; ".join(dict.fromkeys(s[2] for s in spans)),
                    "negated": bool(tag is not None and tag.negated and not model_hit),
                    "evidence_spans": json.dumps(spans, ensure_ascii=False),
                    "rule_score": round(tag.score, 4) if tag is not None else np.nan,
                    "model_score": round(p, 4) if p is not None else np.nan,
                    "reviewed": "",
                }
            )
        return out


def combine_themes(
    rules: set[str],
    veto: set[str] | frozenset[str],
    probs: dict[str, float],
    thresholds: dict[str, dict[str, float]],
) -> set[str]:
    """The themes tagging gives a passage (:meth:`Tagger._combine` on theme sets).

    ``rules``: the counted rule tags; ``veto``: the themes whose model-only tags the
    rules' context vetoes (``"*"``: all); ``probs``: the model's probability of each
    theme it decides for this passage; ``thresholds``: per theme, ``keep`` (a rule tag
    whose probability is below it is overruled) and ``add`` (a tag the rules did not
    give needs it). Themes the model does not decide are the rules'.
    """
    out = set()
    for theme in rules | set(probs):
        p = probs.get(theme)
        if p is None:
            out.add(theme)
            continue
        thr = thresholds.get(theme, {})
        if theme in rules:
            if p >= thr.get("keep", 0.0):
                out.add(theme)
        elif p >= thr.get("add", 1.01) and not ("*" in veto or theme in veto):
            out.add(theme)
    return out


def _apply_decisions(
    found: list[dict[str, Any]], decisions: dict[str, str]
) -> list[dict[str, Any]]:
    if not decisions:
        return found
    out = []
    seen = set()
    for row in found:
        decision = decisions.get(row["theme"])
        seen.add(row["theme"])
        if decision == "reject":
            continue
        if decision in ("accept", "add"):
            row = {**row, "score": 1.0, "negated": False, "reviewed": "accepted"}
        out.append(row)
    for theme, decision in sorted(decisions.items()):
        if decision in ("accept", "add") and theme not in seen:
            out.append(
                {
                    "theme": theme,
                    "method": "review",
                    "score": 1.0,
                    "evidence": "",
                    "negated": False,
                    "evidence_spans": "[]",
                    "rule_score": np.nan,
                    "model_score": np.nan,
                    "reviewed": "added",
                }
            )
    return out


def assemble(
    passages: pd.DataFrame,
    found: Sequence[list[dict[str, Any]]],
    *,
    decisions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """The themes table from the rows of each passage (:meth:`Tagger.tag_texts`, aligned
    with ``passages``) with the analysts' decisions applied."""
    decisions = decisions or {}
    rows: list[dict[str, Any]] = []
    for i, (pid, doc_id, kind, page) in enumerate(
        zip(
            passages["passage_id"],
            passages["doc_id"],
            passages["kind"],
            passages["page"],
            strict=True,
        )
    ):
        base = {"passage_id": pid, "doc_id": doc_id, "kind": kind, "page": int(page)}
        for row in _apply_decisions(found[i], decisions.get(pid, {})):
            rows.append({**base, **row})
    if not rows:
        return _empty()
    return schema.conform(pd.DataFrame(rows), schema.THEMES)[_columns()]


def _columns() -> list[str]:
    return [*schema.THEMES.columns, *EXTRA_COLUMNS]


def _empty() -> pd.DataFrame:
    df = schema.THEMES.empty()
    df["negated"] = pd.Series([], dtype="bool")
    df["evidence_spans"] = pd.Series([], dtype="string")
    df["rule_score"] = pd.Series([], dtype="float64")
    df["model_score"] = pd.Series([], dtype="float64")
    df["reviewed"] = pd.Series([], dtype="string")
    df["kind"] = pd.Series([], dtype="string")
    df["page"] = pd.Series([], dtype="int64")
    return df


def tag_passages(
    passages: pd.DataFrame,
    *,
    options: ThemeOptions | None = None,
    decisions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """Tag a passages table (pure: no files read but the codebook and model)."""
    return Tagger.from_options(options or ThemeOptions()).tag(passages, decisions=decisions)
