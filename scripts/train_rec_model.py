"""Fit the recommendation model on the real gold and write ``pipeline/data/rec_model.json``.

    python scripts/train_rec_model.py --output data/processed/shared \
        --labels ../shared/labels [--model pipeline/data/rec_model.json]

``--output`` is a folder holding ``documents.parquet`` and ``passages.parquet`` of
``../shared/corpus`` (``sgpipe extract --input ../shared/corpus --output ...``);
``--labels`` the folder with ``recs_*.csv``. Prints the leave-one-document-out
figures, then fits on every document and writes the weights (see
:mod:`pipeline.tracing.recmodel` for the training data). Same inputs, same file.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from pipeline import schema, store
from pipeline.evaluate.recommendations import leave_one_document_out, load_recs_gold
from pipeline.tracing.recmodel import MODEL_FILE, document_data, fit_on, save_model


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=MODEL_FILE)
    parser.add_argument("--no-lodo", action="store_true", help="skip the LODO figures")
    parser.add_argument(
        "--emphasis",
        action="store_true",
        help="only print the LODO figures with the typographic emphasis features added "
        "(candidates.EMPHASIS_FEATURES; the shipped model leaves them out); writes nothing",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    documents = store.read_table(schema.DOCUMENTS, args.output)
    passages = store.read_table(schema.PASSAGES, args.output)
    gold_files = sorted(args.labels.glob("recs_*.csv"))
    gold = load_recs_gold(gold_files)
    if args.emphasis:
        lodo = leave_one_document_out(passages, documents, gold, emphasis=True)
        print(lodo.metrics.drop(columns=["extra_numbers", "review_agrees"]).to_string())
        return
    if not args.no_lodo:
        lodo = leave_one_document_out(passages, documents, gold)
        print(lodo.metrics.drop(columns=["extra_numbers", "review_agrees"]).to_string())
    docs = document_data(passages, documents, gold)
    names = ", ".join(p.name for p in gold_files)
    model = fit_on(docs, source=f"scripts/train_rec_model.py on {names}")
    save_model(model, args.model)
    print(f"-> {args.model}")


if __name__ == "__main__":
    main()
