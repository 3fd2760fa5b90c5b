"""Fit the reply stance model and write its coefficients to pipeline/data/stance_model.json.

    python scripts/train_stance.py --output data/processed/shared --labels ../shared/labels

OUTPUT is a pipeline run over ../shared/corpus (``make eval`` makes one). The model is
fitted on every status key in LABELS/status_keys/ and the status-stating passages of
LABELS/links_*.csv (see pipeline/evaluate/replies.py), with C chosen by
leave-one-response-out; the JSON holds the coefficients and a card: the training
files and their sha256, C, the leave-one-response-out accuracy per pair. Reproducible:
the same run and labels give the same file (no date in it).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from pipeline import store
from pipeline.evaluate.replies import Run, fit_model, keyed_rows, lodo, passage_rows
from pipeline.tracing.stance import MODEL_PATH


def main(argv: list[str] | None = None) -> int:
    """Fit and write the model; print the card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="run over ../shared/corpus")
    parser.add_argument("--labels", type=Path, default=Path("../shared/labels"))
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    run = Run.read(args.output)
    rows = keyed_rows(args.labels, run)
    extra = passage_rows(args.labels, run)
    if rows.empty:
        raise SystemExit(f"no status key of {args.labels} matches a response in {args.output}")
    import pandas as pd

    train = pd.concat([rows, extra], ignore_index=True)
    model = fit_model(train)
    pred = lodo(rows, extra)
    per_pair = {
        k: round(float((pred[g.index] == g["gold"]).mean()), 4) for k, g in rows.groupby("key")
    }
    files = sorted([*(args.labels / "status_keys").glob("*.csv"), *args.labels.glob("links_*.csv")])
    card = {
        "training_files": {f.name: store.sha256_file(f) for f in files},
        "rows": len(rows),
        "passage_rows": len(extra),
        "C": model.C,
        "lodo_accuracy": per_pair,
        "lodo_accuracy_all": round(float((pred == rows["gold"]).mean()), 4),
    }
    store.write_json({"card": card, "model": model.to_json()}, args.model)
    print(json.dumps(card, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
