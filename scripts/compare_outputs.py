"""Compare two extraction outputs (documents.parquet + passages.parquet) passage by passage.

Usage::

    python scripts/compare_outputs.py REFERENCE_DIR NEW_DIR [--limit 40]

Prints every document row whose columns differ and every passage that differs in
doc_id/seq/page/page_end/ref/parent_ref/kind/speaker/text (aligned on the passage
text where passages were added or removed, so one split paragraph shows as one
difference, not as every later seq shifting). Exits 0 when both are identical, 1
otherwise. Used to check that a speed-up leaves extraction's output unchanged.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import pandas as pd

PASSAGE_COLS = ["page", "page_end", "ref", "parent_ref", "kind", "speaker", "text", "ocr"]


def _docs_diff(ref: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    out = []
    a, b = ref.set_index("doc_id"), new.set_index("doc_id")
    for doc_id in sorted(set(a.index) | set(b.index)):
        if doc_id not in a.index or doc_id not in b.index:
            out.append(f"document {doc_id}: only in {'new' if doc_id in b.index else 'reference'}")
            continue
        for col in sorted(set(a.columns) | set(b.columns)):
            va, vb = a.loc[doc_id].get(col), b.loc[doc_id].get(col)
            if str(va) != str(vb):
                out.append(f"document {doc_id}.{col}: {_short(va)} -> {_short(vb)}")
    return out


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _row(p: pd.Series) -> tuple:
    return tuple(str(p[c]) for c in PASSAGE_COLS if c in p.index)


def _passages_diff(ref: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    out = []
    for doc_id in sorted(set(ref["doc_id"]) | set(new["doc_id"])):
        a = ref[ref["doc_id"] == doc_id].sort_values("seq")
        b = new[new["doc_id"] == doc_id].sort_values("seq")
        ra, rb = [_row(p) for _, p in a.iterrows()], [_row(p) for _, p in b.iterrows()]
        if ra == rb:
            continue
        matcher = difflib.SequenceMatcher(a=ra, b=rb, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            out.append(f"--- {doc_id}: {op} reference seq {i1}-{i2 - 1} / new seq {j1}-{j2 - 1}")
            for p in ra[i1:i2]:
                out.append(f"  - {dict(zip(PASSAGE_COLS, p, strict=False))}")
            for p in rb[j1:j2]:
                out.append(f"  + {dict(zip(PASSAGE_COLS, p, strict=False))}")
    return out


def compare(reference: Path, new: Path) -> list[str]:
    """Differences between two output folders, as printable lines (empty: identical)."""
    diffs = _docs_diff(
        pd.read_parquet(reference / "documents.parquet"),
        pd.read_parquet(new / "documents.parquet"),
    )
    diffs += _passages_diff(
        pd.read_parquet(reference / "passages.parquet"),
        pd.read_parquet(new / "passages.parquet"),
    )
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--limit", type=int, default=60, help="print at most this many lines")
    args = parser.parse_args(argv)
    diffs = compare(args.reference, args.new)
    for line in diffs[: args.limit]:
        print(line)
    if len(diffs) > args.limit:
        print(f"... {len(diffs) - args.limit} more lines")
    print("identical" if not diffs else f"{len(diffs)} difference lines")
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
