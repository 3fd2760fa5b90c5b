"""The statistical model: fitting with weights, skops round trip with trusted types,
refusal of untrusted files, evidence offsets, and document-grouped cross-validation."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

from pipeline.themes import model as model_mod
from pipeline.themes.model import (
    TRUSTED_TYPES,
    ModelError,
    OneVsRestWeighted,
    ThemeModel,
    TrainingData,
    fit_model,
)
from pipeline.themes.training import grouped_cross_validation

POLICE = [
    "police officers arrested the boy near the station",
    "the constable and other officers questioned him in custody",
    "officers from the police attended and made an arrest",
]
SCHOOL = [
    "the teachers and pupils met in the classroom",
    "the headteacher asked the school governors",
    "pupils at the school sat their lessons with teachers",
]
OTHER = ["the budget for roads was agreed", "the weather was cold in march"]


def toy_data(n: int = 12, *, weak_docs: int = 0) -> TrainingData:
    data = TrainingData()
    k = 0
    for i in range(n):
        for texts, labels in ((POLICE, {"police"}), (SCHOOL, {"education"}), (OTHER, set())):
            text = f"{texts[i % len(texts)]} number {k}"
            data.add(text, labels, weight=1.0, group=f"doc{i % 3}", source="gold", pid=f"p{k}")
            k += 1
    for j in range(weak_docs):
        data.add(
            f"police custody arrest {j}", {"police"}, weight=0.3, group="weakdoc", source="weak",
            pid=f"w{j}",
        )  # fmt: skip
    return data


@pytest.fixture(scope="module")
def toy_model() -> ThemeModel:
    return fit_model(toy_data(), themes=["police", "education", "learning"], min_positive=5)


def test_fit_predicts_and_skips_themes_without_positives(toy_model: ThemeModel) -> None:
    assert toy_model.classes == ["police", "education"]
    assert toy_model.metadata["skipped_themes"] == ["learning"]
    p = toy_model.predict_proba(["the police arrested a man", "teachers and pupils"])
    assert p.shape == (2, 2)
    assert p[0, 0] > p[1, 0] and p[1, 1] > p[0, 1]
    assert ((p >= 0) & (p <= 1)).all()


def test_metadata_records_data_hash_counts_and_versions(toy_model: ThemeModel) -> None:
    meta = toy_model.metadata
    assert meta["training_data_sha256"] == toy_data().sha256()
    assert meta["label_counts"]["police"] == {"gold": 12}
    assert meta["training_passages"] == {"gold": 36}
    assert {"scikit-learn", "skops", "numpy", "spacy", "python"} <= set(meta["library_versions"])


def test_sample_weights_reach_every_estimator() -> None:
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0], [1.0], [0.0], [1.0]])
    Y = np.array([[0, 1], [1, 0], [1, 1], [1, 0]])
    w = np.array([1.0, 1.0, 0.0, 1.0])  # the contradicting row weighs nothing
    clf = OneVsRestWeighted(LogisticRegression(C=100)).fit(X, Y, sample_weight=w)
    p = clf.predict_proba(X)
    assert p.shape == (4, 2)
    assert p[0, 0] < 0.5 < p[1, 0]  # the zero-weight row did not pull label 0 up at x=0


def test_skops_round_trip_with_trusted_types(toy_model: ThemeModel, tmp_path: Path) -> None:
    import skops.io as sio

    path = toy_model.save(tmp_path / "themes.skops")
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted <= set(TRUSTED_TYPES)  # the explicit list covers the file
    loaded = ThemeModel.load(path)
    texts = ["police officers arrested him", "the school governors"]
    assert loaded.classes == toy_model.classes
    np.testing.assert_allclose(loaded.predict_proba(texts), toy_model.predict_proba(texts))
    sidecar = json.loads((tmp_path / "themes.skops.json").read_text())
    assert sidecar["training_data_sha256"] == toy_model.metadata["training_data_sha256"]
    assert loaded.metadata == toy_model.metadata


class Unvetted:
    """A type no trusted list names."""


def test_untrusted_file_is_refused(toy_model: ThemeModel, tmp_path: Path) -> None:
    import skops.io as sio

    path = tmp_path / "evil.skops"
    payload = {
        "format": model_mod.FORMAT,
        "format_version": model_mod.FORMAT_VERSION,
        "classes": [],
        "metadata_json": "{}",
        "pipeline": toy_model.pipeline,
        "extra": Unvetted(),
    }
    sio.dump(payload, path)
    with pytest.raises(ModelError, match=r"untrusted types.*Unvetted"):
        ThemeModel.load(path)


def test_missing_or_foreign_file_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    with pytest.raises(ModelError, match="not found"):
        ThemeModel.load(tmp_path / "none.skops")
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="not a readable skops file"):
        ThemeModel.load(junk)
    other = tmp_path / "other.skops"
    sio.dump({"format": "something-else"}, other)
    with pytest.raises(ModelError, match="not a safeguarding-pipeline theme model"):
        ThemeModel.load(other)


def test_evidence_offsets_index_the_text(toy_model: ThemeModel) -> None:
    text = "Yesterday, Police Officers ARRESTED a man; the school was closed."
    spans = toy_model.evidence(text, "police")
    assert spans
    for start, end, words in spans:
        assert text[start:end] == words
    assert all(w.lower() not in {"the", "a", "was"} for _, _, w in spans)
    assert toy_model.evidence(text, "learning") == []  # not a modelled theme


def test_without_groups_drops_weak_labels_of_held_out_documents() -> None:
    data = toy_data(weak_docs=4)
    kept = data.without_groups(["weakdoc", "doc0"])
    assert "weakdoc" not in kept.groups and "doc0" not in kept.groups
    assert len(kept) == len(data) - 4 - 12


def test_grouped_cross_validation_never_trains_on_a_held_out_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipeline.themes.choice as choice
    import pipeline.themes.training as training

    outer: list[set[str]] = []  # the training documents of each outer fold
    inner: list[list[set[str]]] = []  # those of every fit made inside it (thresholds)
    real_fit, real_outer = training.fit_model, training.fit_with_thresholds

    def spy_outer(data: TrainingData, **kw):
        outer.append(set(data.groups))
        inner.append([])
        return real_outer(data, **kw)

    def spy(data: TrainingData, **kw):
        inner[-1].append(set(data.groups))
        return real_fit(data, **kw)

    monkeypatch.setattr(training, "fit_model", spy)
    monkeypatch.setattr(choice, "fit_model", spy)  # the inner fits choose the thresholds
    monkeypatch.setattr(training, "fit_with_thresholds", spy_outer)
    data = toy_data(weak_docs=6)
    labelled = [p for p, s in zip(data.passage_ids, data.sources, strict=True) if s == "gold"]
    cv = grouped_cross_validation(
        data, eval_pids=labelled, themes=["police", "education"], min_positive=3
    )
    assert sorted(sorted(f) for f in cv.folds) == [["doc0"], ["doc1"], ["doc2"]]
    for held, groups, fits in zip(cv.folds, outer, inner, strict=True):
        assert not set(held) & groups
        assert "weakdoc" in groups  # weak labels of other documents do train
        # the thresholds are chosen on the training documents alone (inner folds + final fit)
        assert len(fits) == 3 and all(f <= groups and not set(held) & f for f in fits)
    assert set(cv.probabilities) == set(labelled)
    assert all(
        set(t) == {"model", "keep", "add"} for th in cv.thresholds.values() for t in th.values()
    )


def test_combined_keeps_and_adds_at_the_theme_thresholds() -> None:
    from pipeline.themes.tagger import combine_themes

    thr = {"police": {"keep": 0.3, "add": 0.8}, "education": {"keep": 0.0, "add": 1.01}}
    probs = {"police": 0.2, "education": 0.99}
    # a rule tag below keep is overruled; a theme whose add is above 1 is never added
    assert combine_themes({"police", "anti_racism"}, set(), probs, thr) == {"anti_racism"}
    probs = {"police": 0.85, "education": 0.1}
    assert combine_themes({"education"}, set(), probs, thr) == {"police", "education"}
    assert combine_themes(set(), {"police"}, probs, thr) == set()  # vetoed by context


def test_cross_validation_needs_two_documents() -> None:
    data = toy_data()
    one_doc = data.subset([g == "doc0" for g in data.groups])
    with pytest.raises(ValueError, match="at least 2 documents"):
        grouped_cross_validation(one_doc, eval_pids=one_doc.passage_ids, themes=["police"])


def test_compact_copy_loads_the_same_model(toy_model: ThemeModel, tmp_path: Path) -> None:
    path = toy_model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    first = ThemeModel.load(path, cache_dir=cache)  # checked with skops, then kept compact
    assert sorted(p.suffix for p in cache.iterdir()) == [".json", ".npz"]
    second = ThemeModel.load(path, cache_dir=cache)  # read from the compact copy
    texts = [*POLICE, *SCHOOL, *OTHER, "officers in the classroom"]
    assert np.array_equal(first.predict_proba(texts), second.predict_proba(texts))
    assert second.classes == toy_model.classes and second.metadata == toy_model.metadata
    assert [second.evidence(t, "police") for t in texts] == [
        toy_model.evidence(t, "police") for t in texts
    ]


def test_compact_copy_names_only_known_classes(toy_model: ThemeModel, tmp_path: Path) -> None:
    path = toy_model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    ThemeModel.load(path, cache_dir=cache)
    (tree_file,) = cache.glob("*.json")
    tree = tree_file.read_text(encoding="utf-8")
    tree_file.write_text(tree.replace("sklearn.pipeline.Pipeline", "os.system"), encoding="utf-8")
    assert model_mod.read_compact(tree_file.with_suffix("")) is None
    # a tampered or damaged copy is not used: the model file is read again (and re-cached)
    again = ThemeModel.load(path, cache_dir=cache)
    assert np.array_equal(again.predict_proba(POLICE), toy_model.predict_proba(POLICE))


def test_a_new_model_file_replaces_its_compact_copy(toy_model: ThemeModel, tmp_path: Path) -> None:
    path = toy_model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    ThemeModel.load(path, cache_dir=cache)
    fit_model(toy_data(9), themes=["police", "education"], min_positive=5).save(path)
    ThemeModel.load(path, cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 1


def _rules_tag_police_everywhere(data: TrainingData) -> TrainingData:
    """``data`` whose rule features tag police on every passage (rules that are wrong on
    two passages in three)."""
    data.rules = [{"tag:police": 0.9} for _ in data.texts]
    return data


def test_the_model_decides_a_theme_where_it_beats_the_rules_on_rule_blind_sets() -> None:
    from pipeline.themes.choice import choose_thresholds

    data = _rules_tag_police_everywhere(toy_data(9))
    # half the passages in a set read while the rules were written, half in a blind one
    data.sources = ["read" if k % 2 else "gold" for k in range(len(data))]
    # without rule-blind sets the rules decide: their tags stand, none is added
    chosen = choose_thresholds(data, themes=["police", "education"], min_positive=5)
    assert chosen["police"]["keep"] == 0.0 and chosen["police"]["add"] > 1.0
    # on a rule-blind set the model beats the rules' police tags: the model decides it,
    # at its own threshold for keeping, overruling and adding alike
    chosen = choose_thresholds(
        data, themes=["police", "education"], min_positive=5, blind_sources={"gold"}
    )
    thr = chosen["police"]
    assert thr["keep"] == thr["add"] == thr["model"]
    # the rules never tag education, the model does: it decides education too
    assert chosen["education"]["add"] == chosen["education"]["model"]


def test_rule_blind_sets_are_read_from_the_label_folders(tmp_path: Path) -> None:
    from pipeline.themes.labels import LabelError, rule_blind_sources

    (tmp_path / "themes_a.csv").write_text("doc,quote,page,themes\n", encoding="utf-8")
    (tmp_path / "themes_b.csv").write_text("doc,quote,page,themes\n", encoding="utf-8")
    listing = tmp_path / "rule_blind_sets.txt"
    listing.write_text("# never read\nthemes_a  # coded blind\n\n", encoding="utf-8")
    assert rule_blind_sources([tmp_path]) == {"themes_a"}
    # a label file stands for its folder, as training and evaluation both pass files
    assert rule_blind_sources([tmp_path / "themes_b.csv"]) == {"themes_a"}
    listing.write_text("themes_a\nthemes_c\n", encoding="utf-8")
    with pytest.raises(LabelError, match=r"rule_blind_sets.txt, line 2: 'themes_c'"):
        rule_blind_sources([tmp_path])
    (tmp_path / "themes_reviewed.csv").write_text("doc\n", encoding="utf-8")
    listing.write_text("themes_reviewed\n", encoding="utf-8")  # decisions, not a gold set
    with pytest.raises(LabelError, match="themes_reviewed"):
        rule_blind_sources([tmp_path])


def test_the_choice_reads_the_rules_veto_as_tagging_does() -> None:
    """A model tag the rules' context vetoes is never added, so the choice between
    rules and model must not count it: its reading of the veto from the rule features
    is the tagger's own."""
    from pipeline.config import ThemeOptions
    from pipeline.themes.choice import _vetoed
    from pipeline.themes.tagger import Tagger
    from pipeline.themes.training import rules_only

    tagger = Tagger.from_options(rules_only(ThemeOptions()))
    texts = [
        "The police were not involved at any stage.",
        "Smith, J. (2020) Police and schools. London: HMSO.",
        "The police attended the school to speak to pupils.",
    ]
    results = tagger.rule_results(texts, groups=["d"] * 3, kinds=["paragraph"] * 3)
    vetoes = [veto for _, veto, _ in results]
    assert any(vetoes) and not all(vetoes)
    for _, veto, features in results:
        for theme in tagger.codebook.ids:
            assert _vetoed(features, theme) == ("*" in veto or theme in veto)


def test_train_names_a_bad_rule_blind_listing_and_stops(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "themes_a.csv").write_text("doc,quote,page,themes\n", encoding="utf-8")
    (labels / "rule_blind_sets.txt").write_text("themes_missing\n", encoding="utf-8")
    model = tmp_path / "model.skops"
    result = CliRunner().invoke(
        main,
        ["train", "--output", str(tmp_path / "out"), "--labels", str(labels), "--model",
         str(model)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "rule_blind_sets.txt, line 1: 'themes_missing'" in result.output
    assert not model.exists()


def test_the_model_is_judged_on_blind_sets_at_a_threshold_tuned_off_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.themes import choice

    # 20 passages of a read set, 20 of a blind one; half of each are about police
    data = TrainingData()
    for k in range(40):
        source = "read" if k < 20 else "blind"
        data.add(f"p {k}", {"police"} if k % 2 else set(), weight=1.0, group=f"doc{k % 4}",
                 source=source, pid=f"p{k}")  # fmt: skip
    # the rules find three police passages in four of the blind set, and nothing wrong
    data.rules = [{"tag:police": 0.9} if k % 2 and k % 8 != 7 else {} for k in range(40)]
    # the model: police 0.8 and other 0.3 on the read set; 0.9 and 0.4 on the blind one
    probs = {k: (0.8 if k % 2 else 0.3) if k < 20 else (0.9 if k % 2 else 0.4) for k in range(40)}
    monkeypatch.setattr(
        choice, "fit_model", lambda *a, **k: types.SimpleNamespace(classes=["police"])
    )
    monkeypatch.setattr(
        choice, "predict_passages", lambda model, data, idx: {i: np.array([probs[i]]) for i in idx}
    )
    chosen = choice.choose_thresholds(
        data, themes=["police"], min_positive=1, blind_sources={"blind"}
    )
    # tuned on all passages (0.45) the model would be perfect on the blind set and take
    # police; at the read set's threshold (0.35) it tags every blind passage, and loses
    assert chosen["police"]["model"] == 0.45
    assert chosen["police"]["keep"] == 0.0 and chosen["police"]["add"] > 1.0
    # every passage blind: no threshold can be tuned off them, and the rules decide
    chosen = choice.choose_thresholds(
        data, themes=["police"], min_positive=1, blind_sources={"blind", "read"}
    )
    assert chosen["police"]["keep"] == 0.0 and chosen["police"]["add"] > 1.0


def test_the_rules_decide_only_where_they_beat_the_model_by_the_margin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.themes import choice

    def decider(rules_find: int, model_finds: int, n: int = 10, modelled: bool = True) -> str:
        """Who decides police when the rules and the model each find that many of the
        ``n`` police passages of the blind set (neither tags any other passage);
        ``modelled`` False: no fold's model has the theme."""
        total = 20 + 2 * n
        data = TrainingData()
        for k in range(total):
            source = "read" if k < 20 else "blind"
            data.add(f"p {k}", {"police"} if k % 2 else set(), weight=1.0,
                     group=f"doc{k % 4}", source=source, pid=f"p{k}")  # fmt: skip
        blind_police = list(range(21, total, 2))
        by_rules = set(range(1, 20, 2)) | set(blind_police[:rules_find])
        missed = set(blind_police[model_finds:])
        data.rules = [{"tag:police": 0.9} if k in by_rules else {} for k in range(total)]
        probs = {k: 0.8 if k % 2 and k not in missed else 0.1 for k in range(total)}
        classes = ["police"] if modelled else []
        monkeypatch.setattr(
            choice, "fit_model", lambda *a, **k: types.SimpleNamespace(classes=classes)
        )
        monkeypatch.setattr(
            choice,
            "predict_passages",
            lambda model, data, idx: {i: np.array([probs[i]] if modelled else []) for i in idx},
        )
        chosen = choice.choose_thresholds(
            data, themes=["police"], min_positive=1, blind_sources={"blind"}
        ).get("police", choice.DEFAULT_THRESHOLDS)
        return "model" if chosen["add"] == chosen["model"] <= 1.0 else "rules"

    assert decider(rules_find=10, model_finds=10) == "model"  # a tie goes to the model
    assert decider(rules_find=9, model_finds=10) == "model"
    # the rules better by 0.05 F1 (1.0 against 0.947), over the 0.02 margin
    assert decider(rules_find=10, model_finds=9) == "rules"
    # better by 0.008 (1.0 against 0.992), under it
    assert decider(rules_find=60, model_finds=59, n=60) == "model"
    # a theme no fold's model had was never judged: the rules keep it
    assert decider(rules_find=10, model_finds=10, modelled=False) == "rules"


def test_the_choice_is_made_for_each_kind_of_document_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.themes import choice

    # 20 read passages, then 20 blind ones; the odd ones are police, in doc1 (about
    # children) and doc3 (about something else) by turns. The rules find every one; the
    # model misses the blind police passages of doc1 only.
    data = TrainingData()
    for k in range(40):
        data.add(f"p {k}", {"police"} if k % 2 else set(), weight=1.0, group=f"doc{k % 4}",
                 source="read" if k < 20 else "blind", pid=f"p{k}")  # fmt: skip
    data.rules = [{"tag:police": 0.9} if k % 2 else {} for k in range(40)]
    probs = {k: 0.8 if k % 2 and not (k >= 20 and k % 4 == 1) else 0.1 for k in range(40)}
    monkeypatch.setattr(
        choice, "fit_model", lambda *a, **k: types.SimpleNamespace(classes=["police"])
    )
    monkeypatch.setattr(
        choice, "predict_passages", lambda model, data, idx: {i: np.array([probs[i]]) for i in idx}
    )
    kinds = {"doc0": "children", "doc1": "children", "doc2": "other", "doc3": "other"}

    def chosen(domains):
        thr = choice.choose_thresholds(
            data, themes=["police"], min_positive=1, blind_sources={"blind"}, domains=domains
        )["police"]
        return thr["add"] <= 1.0, thr["other_add"] <= 1.0  # the model decides: in each kind

    # the rules decide in documents about children, the model in the others
    assert chosen(kinds) == (False, True)
    # one choice over every blind passage (the model loses 5 of 10): the rules', for both
    assert chosen(None) == (False, False)
    # the model right everywhere: without kinds it decides in both
    probs.update({k: 0.8 for k in range(1, 40, 2)})
    assert chosen(None) == (True, True)
    # no police among the blind passages of documents about something else (doc2 only):
    # that kind takes the choice made on all blind passages, not the rules by default
    assert chosen({**kinds, "doc3": "children"}) == (True, True)


def test_a_model_saved_before_the_kinds_has_one_choice_for_both() -> None:
    from pipeline.themes.modelbase import Thresholds

    old, new = Thresholds(), Thresholds()
    old.thresholds = {"police": {"model": 0.4, "keep": 0.4, "add": 0.4}}
    new.thresholds = {"police": {**old.thresholds["police"], "other_keep": 0.0, "other_add": 1.01}}
    assert old.threshold_set("police", "other") == old.threshold_set("police")
    assert old.threshold_table("other") == {"police": {"model": 0.4, "keep": 0.4, "add": 0.4}}
    assert new.threshold_set("police") == {"model": 0.4, "keep": 0.4, "add": 0.4}
    assert new.threshold_set("police", "other") == {"model": 0.4, "keep": 0.0, "add": 1.01}


def test_cross_validation_combines_each_passage_with_its_kinds_thresholds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipeline.themes.training as training
    from pipeline.themes.modelbase import Thresholds

    class Stub(Thresholds):
        def __init__(self) -> None:
            self.classes = ["police"]
            self.thresholds = {"police": {"model": 0.5, "keep": 0.5, "add": 0.5, "other_add": 1.01}}

    seen: list[object] = []

    def fit(data: TrainingData, **kw):
        seen.append(kw.get("domains"))
        return Stub()

    monkeypatch.setattr(training, "fit_with_thresholds", fit)
    monkeypatch.setattr(
        training, "predict_passages", lambda model, data, idx: {i: np.array([0.9]) for i in idx}
    )
    data = toy_data()
    labelled = [p for p, s in zip(data.passage_ids, data.sources, strict=True) if s == "gold"]
    kinds = {"doc0": "children", "doc1": "other", "doc2": "children"}
    cv = grouped_cross_validation(data, eval_pids=labelled, themes=["police"], domains=kinds)
    assert seen and all(d == kinds for d in seen)  # every fold chooses by kind
    for pid in labelled:
        doc = data.groups[data.passage_ids.index(pid)]
        assert cv.thresholds[pid]["police"]["add"] == (1.01 if doc == "doc1" else 0.5)
        assert cv.combined(pid, set(), ()) == ({"police"} if doc != "doc1" else set())
