"""The theme model in linear form: the same probabilities and evidence as the
scikit-learn model, cached beside it, and tagging without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.themes import linear as linear_mod
from pipeline.themes.linear import LinearThemeModel, compile_model, load_tagging_model
from pipeline.themes.model import ThemeModel, TrainingData, fit_model
from tests.test_model import OTHER, POLICE, SCHOOL

RULES = [{"tag:police": 0.9, "pat:police|police": 1.0}, {"tag:education": 0.8}, {}]


def _data() -> TrainingData:
    data = TrainingData()
    for i in range(12):
        for (texts, labels), rules in zip(
            ((POLICE, {"police"}), (SCHOOL, {"education"}), (OTHER, set())), RULES, strict=True
        ):
            data.add(
                f"{texts[i % len(texts)]} case {i}", labels, weight=1.0, group=f"doc{i % 3}",
                source="gold", pid=f"p{len(data)}", kind="paragraph", rules=rules,
            )  # fmt: skip
    return data


@pytest.fixture(scope="module")
def model() -> ThemeModel:
    return fit_model(_data(), themes=["police", "education"], min_positive=5)


TEXTS = [*POLICE, *SCHOOL, *OTHER, "officers in the classroom", "", "zzz qqq", "the of and"]


def test_the_linear_form_gives_the_models_probabilities_and_evidence(model: ThemeModel) -> None:
    lin = compile_model(model)
    rules = [RULES[i % 3] | {"kind:paragraph": 1.0, "unknown:feature": 1.0} for i in range(12)]
    kinds = ["paragraph"] * len(TEXTS)
    mine = lin.predict_proba(TEXTS, kinds=kinds, rules=rules)
    theirs = model.predict_proba(TEXTS, kinds=kinds, rules=rules)
    assert mine.shape == (len(TEXTS), 2) and np.array_equal(mine, theirs)  # exactly
    for theme in model.classes:
        assert [lin.evidence(t, theme) for t in TEXTS] == [model.evidence(t, theme) for t in TEXTS]
    assert lin.classes == model.classes


def test_the_linear_form_keeps_the_thresholds_of_each_kind(model: ThemeModel) -> None:
    model.thresholds = {"police": {"model": 0.4, "keep": 0.4, "add": 0.4, "other_add": 1.01}}
    try:
        lin = compile_model(model)
        for kind in ("children", "other"):
            assert lin.threshold_set("police", kind) == model.threshold_set("police", kind)
    finally:
        model.thresholds = {}
    assert lin.threshold_set("police", "other")["add"] == 1.01
    assert lin.threshold_set("police")["add"] == 0.4


def test_the_tagging_model_is_kept_in_linear_form_and_read_back(
    model: ThemeModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    first = load_tagging_model(path, cache_dir=cache)
    assert isinstance(first, LinearThemeModel)
    assert len(list(cache.glob("linear-*.npz"))) == 1

    def no_compiling(_: object) -> LinearThemeModel:
        raise AssertionError("compiled again")

    monkeypatch.setattr(linear_mod, "compile_model", no_compiling)
    second = load_tagging_model(path, cache_dir=cache)  # read from the cache
    assert isinstance(second, LinearThemeModel)
    assert np.array_equal(second.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert second.metadata == model.metadata


def test_a_damaged_linear_file_is_compiled_again(model: ThemeModel, tmp_path: Path) -> None:
    path = model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    load_tagging_model(path, cache_dir=cache)
    (tree,) = cache.glob("linear-*.json")
    tree.write_text("{damaged", encoding="utf-8")
    assert LinearThemeModel.read(tree.with_suffix("")) is None
    again = load_tagging_model(path, cache_dir=cache)
    assert isinstance(again, LinearThemeModel)
    assert np.array_equal(again.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_a_model_of_another_shape_is_used_as_it_is(model: ThemeModel, tmp_path: Path) -> None:
    from sklearn.calibration import CalibratedClassifierCV

    path = model.save(tmp_path / "m.skops")
    clf = model.pipeline.named_steps["clf"]
    saved = clf.estimators_
    clf.estimators_ = [CalibratedClassifierCV(e) for e in saved]
    try:
        with pytest.raises(linear_mod.NotLinear):
            compile_model(model)
    finally:
        clf.estimators_ = saved
    # a linear form that does not agree with its model is not used either
    lin = compile_model(model)
    lin.intercept = lin.intercept + 1e-9
    assert not linear_mod.agrees(lin, model, linear_mod.probe_records(lin))
    assert isinstance(load_tagging_model(path), LinearThemeModel)  # no cache folder: compiled


def test_tagging_with_a_model_does_not_import_scikit_learn(
    model: ThemeModel, tmp_path: Path
) -> None:
    path = model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    load_tagging_model(path, cache_dir=cache)  # compiled once, as the first run does
    code = (
        "import sys\n"
        "from pipeline.themes.linear import load_tagging_model\n"
        f"m = load_tagging_model({str(path)!r}, cache_dir={str(cache)!r})\n"
        "p = m.predict_proba(['police officers arrested the boy'])\n"
        "e = m.evidence('police officers arrested the boy', 'police')\n"
        "print(type(m).__name__, p.shape, bool(e), 'sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["LinearThemeModel", "(1,", "2)", "True", "False"]


def test_a_linear_form_that_disagrees_is_not_used(
    model: ThemeModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    monkeypatch.setattr(linear_mod, "agrees", lambda *a: False)
    assert isinstance(load_tagging_model(path, cache_dir=cache), ThemeModel)
    assert not list(cache.glob("linear-*"))


def test_a_linear_form_saved_by_other_code_is_compiled_again(
    model: ThemeModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = model.save(tmp_path / "m.skops")
    cache = tmp_path / "cache"
    load_tagging_model(path, cache_dir=cache)
    (tree,) = cache.glob("linear-*.json")
    assert LinearThemeModel.read(tree.with_suffix("")) is not None
    monkeypatch.setattr(linear_mod, "code_key", lambda: "other code")
    assert LinearThemeModel.read(tree.with_suffix("")) is None
