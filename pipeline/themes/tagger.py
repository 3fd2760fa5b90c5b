"""The theme stage: rules and model combined into ``themes.parquet``, one row per (passage, theme).

Every passage is tagged, whatever its ``kind``: headings ("Working with schools")
and contents lines carry themes as much as paragraphs do, and bibliographic
references are recognised by the rules (their themes are a cited title's) rather
than skipped by kind. ``kind`` and ``page`` are copied into the output so that a
table can leave out headings or footnotes when it needs to. The model is applied
to passages of at least :data:`MIN_MODEL_WORDS` words; shorter ones have too few
words for word statistics and are left to the rules.

A theme is tagged when the rules tag it (``method`` ``rule``), when the model
gives it at least the model threshold (``model``), or both (``both``). ``score``
is the rule score for ``rule`` (the noisy-OR of the codebook weights of the
matched patterns, see the codebook), the calibrated model probability for
``model``, and the larger of the two for ``both``; ``rule_score`` and
``model_score`` keep both. Themes whose every rule mention is negated are kept
with ``negated`` true when ``include_negated`` is set: they are not the theme, and
every count must leave them out (:func:`counted`).

The rules know context the model does not, so a context decision vetoes a
model-only tag of the same theme: a negated mention, or a mention the rules
dropped because it stands in an organisation's name, an address, a citation or an
exclusion; and no model tag is given to a bibliographic reference.

Analysts' review decisions override the tagger for the passages they name:
``reject`` removes the row, ``accept`` keeps it with ``reviewed`` "accepted" and
score 1, ``add`` adds a row with ``method`` "review" and score 1.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline import schema, store
from pipeline.themes import ThemeOptions

if TYPE_CHECKING:
    from spacy.language import Language

    from pipeline.run import RunConfig
    from pipeline.themes.codebook import Codebook
    from pipeline.themes.model import ThemeModel
    from pipeline.themes.rules import ThemeTag

log = logging.getLogger(__name__)

MIN_MODEL_WORDS = 3
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
_PKG = Path(__file__).resolve().parent


def counted(themes: pd.DataFrame) -> pd.DataFrame:
    """The rows that count as the theme (drops negated-only mentions)."""
    if "negated" not in themes.columns:
        return themes
    return themes[~themes["negated"].astype(bool)]


@dataclass
class Tagger:
    """The loaded pieces of the theme stage: codebook, spaCy pipeline, optional model."""

    codebook: Codebook
    nlp: Language
    model: ThemeModel | None
    options: ThemeOptions

    @classmethod
    def from_options(cls, options: ThemeOptions) -> Tagger:
        """Load the codebook, build the shared pipeline and load the model (if any)."""
        from pipeline.nlp import get_nlp

        options = options.resolved()
        from pipeline.themes.codebook import load_codebook

        codebook = load_codebook(options.codebook)
        nlp = get_nlp(
            themes=True,
            codebook=str(options.codebook) if options.codebook else None,
            base=options.spacy_pipeline,
        )
        model = None
        if options.model:  # scikit-learn is imported only when there is a model
            from pipeline.themes.model import ThemeModel

            model = ThemeModel.load(options.model)
        if model is not None:
            unknown = [t for t in model.classes if t not in codebook.ids]
            if unknown:
                log.warning("model themes not in the codebook are ignored: %s", unknown)
        return cls(codebook=codebook, nlp=nlp, model=model, options=options)

    def rule_tags(self, texts: list[str]) -> list[dict[str, ThemeTag]]:
        """The rule tags of each text (``{theme: ThemeTag}``), negated-only themes included."""
        return [tags for tags, _ in self.rule_results(texts)]

    def rule_results(self, texts: list[str]) -> list[tuple[dict[str, ThemeTag], set[str]]]:
        """Rule tags of each text and the themes whose model tags its context vetoes.

        The veto set holds the themes with a negated mention or a mention dropped by
        context; ``"*"`` in it stands for every theme (a bibliographic reference).
        """
        from pipeline.nlp import THEME_COMPONENT

        out = []
        with self.nlp.select_pipes(enable=[THEME_COMPONENT]):
            for doc in self.nlp.pipe(texts, batch_size=BATCH_SIZE):
                veto = {m.theme for m in doc._.theme_matches if m.negated}
                for m, reason in doc._.theme_dropped:
                    veto.add("*" if reason == "reference" else m.theme)
                out.append((doc._.theme_tags, veto))
        return out

    def model_probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        """Model probabilities per text, for the codebook themes the model knows."""
        if self.model is None:
            return [{} for _ in texts]
        use = [i for i, t in enumerate(texts) if len(t.split()) >= MIN_MODEL_WORDS]
        probs = self.model.predict_proba([texts[i] for i in use])
        classes = [(j, t) for j, t in enumerate(self.model.classes) if t in self.codebook.ids]
        out: list[dict[str, float]] = [{} for _ in texts]
        for row, i in enumerate(use):
            out[i] = {t: float(probs[row, j]) for j, t in classes}
        return out

    def tag(
        self, passages: pd.DataFrame, *, decisions: dict[str, dict[str, str]] | None = None
    ) -> pd.DataFrame:
        """Tag ``passages``; return the themes table (contract columns, then extras)."""
        texts = passages["text"].astype(str).tolist()
        results = self.rule_results(texts)
        probs = self.model_probabilities(texts)
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
            found = self._combine(texts[i], *results[i], probs[i])
            for row in _apply_decisions(found, decisions.get(pid, {})):
                rows.append({**base, **row})
        if not rows:
            return _empty()
        return schema.conform(pd.DataFrame(rows), schema.THEMES)[_columns()]

    def _combine(
        self, text: str, rule: dict[str, ThemeTag], veto: set[str], prob: dict[str, float]
    ) -> list[dict[str, Any]]:
        threshold = self.options.model_threshold
        out = []
        for theme in self.codebook.ids:
            tag = rule.get(theme)
            p = prob.get(theme)
            rule_hit = tag is not None and not tag.negated
            vetoed = "*" in veto or theme in veto
            model_hit = p is not None and p >= threshold and (rule_hit or not vetoed)
            if rule_hit and model_hit:
                method, score, spans = "both", max(tag.score, p), tag.spans
            elif rule_hit:
                method, score, spans = "rule", tag.score, tag.spans
            elif model_hit:
                method, score = "model", p
                spans = self.model.evidence(text, theme) if self.model else []
            elif tag is not None and self.options.include_negated:
                method, score, spans = "rule", tag.score, tag.spans
            else:
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


def stage_key(cfg: RunConfig, options: ThemeOptions) -> str:
    """Hash of everything the theme stage's output depends on (inputs, settings, code)."""
    from pipeline.run import code_hash
    from pipeline.themes.codebook import load_codebook

    out = Path(cfg.output_dir)
    parts = {
        "passages": _file_sha(out / schema.PASSAGES.filename),
        "documents": _file_sha(out / schema.DOCUMENTS.filename),
        "codebook": load_codebook(options.codebook).sha256,
        "model": _file_sha(options.model),
        "reviews": _file_sha(options.reviews),
        "options": json.dumps(asdict(options), default=str, sort_keys=True),
        "code": code_hash([*sorted(_PKG.glob("*.py")), _PKG.parent / "nlp.py"]),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _file_sha(path: Path | str | None) -> str:
    if path is None or not Path(path).is_file():
        return ""
    return store.sha256_file(path)


def tag_stage(cfg: RunConfig) -> pd.DataFrame:
    """The stage: read ``passages.parquet``, write ``themes.parquet`` (skipped when unchanged)."""
    from pipeline.themes.labels import read_reviews, review_decisions

    options = (getattr(cfg, "themes", None) or ThemeOptions()).resolved()
    out = Path(cfg.output_dir)
    key = stage_key(cfg, options)
    cache = out / ".cache" / "themes.json"
    target = out / schema.THEMES.filename
    if target.exists() and cache.exists():
        try:
            if json.loads(cache.read_text(encoding="utf-8")).get("key") == key:
                log.info("themes: inputs unchanged, %s kept", target)
                return pd.read_parquet(target)
        except (OSError, ValueError):
            pass
    passages = store.read_table(schema.PASSAGES, out)
    documents = store.read_table(schema.DOCUMENTS, out)
    decisions = review_decisions(read_reviews(options.reviews), passages, documents)
    tagger = Tagger.from_options(options)
    themes = tagger.tag(passages, decisions=decisions)
    store.write_table(themes, schema.THEMES, out)
    store.write_json({"key": key}, cache)
    n_counted = len(counted(themes))
    log.info(
        "themes: %d tags (%d negated) on %d passages -> %s",
        n_counted,
        len(themes) - n_counted,
        themes["passage_id"].nunique(),
        target,
    )
    return themes
