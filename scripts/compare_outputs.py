"""Compare two output folders: every file byte for byte, differing tables row by row.

Usage::

    python scripts/compare_outputs.py REFERENCE_DIR NEW_DIR [--limit 60]

Every file under the reference folder (the cache in ``.cache/`` aside) must exist
in the new folder with the same bytes, and the new folder may hold no other file:
runs are deterministic (sorted tables, no timestamps, fixed ZIP times), so a
speed-up that leaves the output alone leaves the bytes alone. Where a file
differs, the differences are printed: for ``documents.parquet`` the differing
columns per document; for ``passages.parquet`` the passages that differ in
page/page_end/ref/parent_ref/kind/speaker/text/ocr, aligned on their text (one
split paragraph shows as one difference, not as every later ``seq`` shifting);
for any other Parquet or CSV file the first differing rows. Run snapshots in
``history/`` are paired in time order and compared without their creation time. A folder holding
only extraction's outputs (``sgpipe extract``) compares the same way. Exits 0 when
both folders are identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

import pandas as pd

PASSAGE_COLS = ["page", "page_end", "ref", "parent_ref", "kind", "speaker", "text", "ocr"]


def _files(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(root).parts
    }


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _docs_diff(ref: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    out = []
    a, b = ref.set_index("doc_id"), new.set_index("doc_id")
    for doc_id in sorted(set(a.index) | set(b.index)):
        if doc_id not in a.index or doc_id not in b.index:
            side = "new" if doc_id in b.index else "reference"
            out.append(f"  document {doc_id}: only in {side}")
            continue
        for col in sorted(set(a.columns) | set(b.columns)):
            va, vb = a.loc[doc_id].get(col), b.loc[doc_id].get(col)
            if str(va) != str(vb):
                out.append(f"  document {doc_id}.{col}: {_short(va)} -> {_short(vb)}")
    return out


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
            out.append(f"  {doc_id}: {op} reference seq {i1}-{i2 - 1} / new seq {j1}-{j2 - 1}")
            for p in ra[i1:i2]:
                out.append(f"    - {dict(zip(PASSAGE_COLS, p, strict=False))}")
            for p in rb[j1:j2]:
                out.append(f"    + {dict(zip(PASSAGE_COLS, p, strict=False))}")
    return out


def _rows_diff(x: pd.DataFrame, y: pd.DataFrame, limit: int) -> list[str]:
    out = []
    if list(x.columns) != list(y.columns):
        out.append(f"  columns: {list(x.columns)} -> {list(y.columns)}")
    if len(x) != len(y):
        out.append(f"  rows: {len(x)} -> {len(y)}")
    if list(x.dtypes.astype(str)) != list(y.dtypes.astype(str)):
        out.append(f"  dtypes: {list(x.dtypes.astype(str))} -> {list(y.dtypes.astype(str))}")
    shown = 0
    for i in range(min(len(x), len(y))):
        ra, rb = x.iloc[i].astype(str).tolist(), y.iloc[i].astype(str).tolist()
        if ra != rb:
            cols = [c for c, va, vb in zip(x.columns, ra, rb, strict=False) if va != vb]
            before = [ra[list(x.columns).index(c)] for c in cols]
            after = [rb[list(y.columns).index(c)] for c in cols]
            out.append(f"  row {i}: {cols}: {before} -> {after}")
            shown += 1
            if shown >= limit:
                break
    return out


def _table_diff(a: Path, b: Path, limit: int) -> list[str]:
    read = pd.read_parquet if a.suffix == ".parquet" else lambda p: pd.read_csv(p, dtype=str)
    try:
        x, y = read(a), read(b)
    except Exception as exc:  # a damaged file is a difference too
        return [f"  cannot read: {exc}"]
    if a.name == "documents.parquet" and "doc_id" in x and "doc_id" in y:
        out = _docs_diff(x, y)
    elif a.name == "passages.parquet" and "doc_id" in x and "doc_id" in y:
        out = _passages_diff(x, y)
    else:
        out = _rows_diff(x, y, limit)
    return out or ["  same values, different bytes (encoding or metadata)"]


def _snapshots(root: Path, files: set[str]) -> list[str]:
    return sorted(f for f in files if f.startswith("history/snapshot-"))


def _snapshot_content(path: Path) -> object:
    """A run snapshot without its creation time (the one thing two runs must differ in)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data.pop("created", None)
    return data


def compare(reference: Path, new: Path, *, limit: int = 5) -> list[str]:
    """Differences between two output folders, as printable lines (empty: identical).

    Run snapshots (``history/snapshot-<UTC time>.json``) are named by the time of their
    run, so they are paired in time order and compared without their ``created`` field.
    """
    ref_files, new_files = _files(reference), _files(new)
    ref_snaps, new_snaps = _snapshots(reference, ref_files), _snapshots(new, new_files)
    ref_files -= set(ref_snaps)
    new_files -= set(new_snaps)
    out: list[str] = []
    if len(ref_snaps) != len(new_snaps):
        out.append(f"history: {len(ref_snaps)} snapshot(s) in reference, {len(new_snaps)} in new")
    for a, b in zip(ref_snaps, new_snaps, strict=False):
        if _snapshot_content(reference / a) != _snapshot_content(new / b):
            out.append(f"differs: {a} / {b}")
    out += [f"only in reference: {f}" for f in sorted(ref_files - new_files)]
    out += [f"only in new: {f}" for f in sorted(new_files - ref_files)]
    for name in sorted(ref_files & new_files):
        a, b = reference / name, new / name
        if a.read_bytes() == b.read_bytes():
            continue
        out.append(f"differs: {name}")
        if a.suffix in (".parquet", ".csv"):
            out += _table_diff(a, b, limit)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--limit", type=int, default=60, help="print at most this many lines")
    args = parser.parse_args(argv)
    diffs = compare(args.reference, args.new, limit=5)
    for line in diffs[: args.limit]:
        print(line)
    if len(diffs) > args.limit:
        print(f"... {len(diffs) - args.limit} more lines")
    n = len(_files(args.reference))
    print(f"{n} files compared: {'identical' if not diffs else 'DIFFERENT'}", file=sys.stderr)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
