"""Draw passages for blind theme labelling, weighted towards the codebook's rarer themes.

Usage::

    python scripts/sample_theme_passages.py --output data/processed/shared \
        --labels ../shared/labels --labels data/labels --seed 20261208 --out sample.csv

Reads ``passages.parquet`` of an ``sgpipe extract`` run, drops passages under 8
words, footnotes, and any passage holding the quote of an existing gold file, then
per document draws up to ``--random`` passages at random and up to ``--rare``
among those holding a word of the rarer themes (:data:`RARE_WORDS`). The sample is
drawn before anyone, coder or tagger, looks at it; coders see only ``item``,
``doc``, ``page`` and ``text``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

#: Words of the themes with few gold examples (voice of the child and family,
#: community trust, safeguarding first, police, anti-racism, adultification,
#: searches, oversight), as the codebook's descriptions name them.
RARE_WORDS = re.compile(
    r"\b(views?|wishes|voice|consent|heard|listen\w*|parents?|carers?|famil\w+|"
    r"trust|confidence|communit\w+|victims?|welfare|protect\w*|child first|"
    r"race|racis\w+|ethnic\w*|black|adultif\w+|strip|search\w*|police|"
    r"scrutiny|oversight|assurance|inspect\w*|audit\w*|accountab\w+)\b",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def gold_quotes(label_dirs: list[Path]) -> list[str]:
    """The normalised quotes of every ``themes_*.csv`` gold file in ``label_dirs``."""
    quotes: list[str] = []
    for folder in label_dirs:
        for path in sorted(folder.glob("themes_*.csv")):
            quotes += [_norm(q) for q in pd.read_csv(path)["quote"].dropna()]
    return [q for q in quotes if q]


def sample(
    passages: pd.DataFrame, quotes: list[str], seed: int, n_random: int, n_rare: int
) -> pd.DataFrame:
    """Per document, ``n_random`` random and ``n_rare`` rare-word passages, no gold ones."""
    rng = np.random.default_rng(seed)
    words = passages["text"].str.split().str.len()
    keep = (words >= 8) & (passages["kind"] != "footnote")
    pool = passages[keep].copy()
    norm = pool["text"].map(_norm)
    pool = pool[[not any(q in t for q in quotes) for t in norm]]
    picked = []
    for _, doc in pool.groupby("doc_id", sort=True):
        idx = list(doc.index)
        first = rng.choice(idx, size=min(n_random, len(idx)), replace=False).tolist()
        rest = [i for i in idx if i not in first and RARE_WORDS.search(doc.at[i, "text"])]
        rare = rng.choice(rest, size=min(n_rare, len(rest)), replace=False).tolist()
        picked += sorted(first + rare)
    return pool.loc[picked]


def main() -> None:
    """Write the sample as CSV: item, doc, page, quote (first 12 words), text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--labels", type=Path, action="append", default=[])
    parser.add_argument("--seed", type=int, default=20261208)
    parser.add_argument("--random", type=int, default=8)
    parser.add_argument("--rare", type=int, default=12)
    parser.add_argument("--docs", nargs="*", default=None, help="doc_ids to sample")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    passages = pd.read_parquet(args.output / "passages.parquet")
    documents = pd.read_parquet(args.output / "documents.parquet")
    if args.docs:
        passages = passages[passages["doc_id"].isin(args.docs)]
    chosen = sample(passages, gold_quotes(args.labels), args.seed, args.random, args.rare)
    names = dict(zip(documents["doc_id"], documents["path"], strict=True))
    out = pd.DataFrame(
        {
            "item": range(1, len(chosen) + 1),
            "doc": chosen["doc_id"].map(names).to_numpy(),
            "page": chosen["page"].to_numpy(),
            "quote": [" ".join(t.split()[:12]) for t in chosen["text"]],
            "text": chosen["text"].to_numpy(),
        }
    )
    out.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
